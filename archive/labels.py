"""Chinese labels of the contract's rows (../shared/spec/report-schema.md), stored beside the keys."""
from parsers.tables.templates import T2_LABELS

TABLE2_LABELS = T2_LABELS  # one list: the parser's templates
TABLE3_LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "三、(一)予以公开",
    "partially_granted": "三、(二)部分公开",
    "denied_state_secret": "三、(三)不予公开 1.属于国家秘密",
    "denied_prohibited_by_law": "三、(三)不予公开 2.其他法律行政法规禁止公开",
    "denied_security_stability": "三、(三)不予公开 3.危及“三安全一稳定”",
    "denied_third_party": "三、(三)不予公开 4.保护第三方合法权益",
    "denied_internal_affairs": "三、(三)不予公开 5.属于三类内部事务信息",
    "denied_process_info": "三、(三)不予公开 6.属于四类过程性信息",
    "denied_enforcement_files": "三、(三)不予公开 7.属于行政执法案卷",
    "denied_inquiry": "三、(三)不予公开 8.属于行政查询事项",
    "unavailable_not_held": "三、(四)无法提供 1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "三、(四)无法提供 2.没有现成信息需要另行制作",
    "unavailable_unclear": "三、(四)无法提供 3.补正后申请内容仍不明确",
    "rejected_petition": "三、(五)不予处理 1.信访举报投诉类申请",
    "rejected_repeat": "三、(五)不予处理 2.重复申请",
    "rejected_publication": "三、(五)不予处理 3.要求提供公开出版物",
    "rejected_excessive": "三、(五)不予处理 4.无正当理由大量反复申请",
    "rejected_confirmation": "三、(五)不予处理 5.要求行政机关确认或重新出具已获取信息",
    "other_handling": "三、(六)其他处理",
    "other_no_correction": "三、(六)其他处理 1.申请人无正当理由逾期不补正",
    "other_fee_unpaid": "三、(六)其他处理 2.申请人逾期未按收费通知要求缴纳费用",
    "other_misc": "三、(六)其他处理 3.其他",
    "total_processed": "三、(七)总计",
    "carried_forward": "四、结转下年度继续办理",
}
TABLE4_LABELS = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼 未经复议直接起诉",
    "litigation_after_review": "行政诉讼 复议后起诉",
}

# --- what the web pages show (Chinese first; English as the secondary line) ---------------------------
TABLE3_COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_welfare": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
TABLE4_COLUMN_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                        "pending": "尚未审结", "total": "总计"}
TABLE2_COLUMN_LABELS = {
    "made": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
    "decisions": "本年处理决定数量", "amount": "本年收费金额（单位：万元）",
    "new_made": "本年新制作数量", "new_published": "本年新公开数量", "total_published": "对外公开总数量",
    "previous_items": "上一年项目数量", "change": "本年增/减", "projects": "采购项目数量",
}

# Table 3 as printed in the national format: (row key, section, group, item). The page merges equal
# neighbouring cells of the first two label columns (rowspan), as the printed table does.
TABLE3_LAYOUT = (
    ("new_received", "一、本年新收政府信息公开申请数量", "", ""),
    ("carried_over", "二、上年结转政府信息公开申请数量", "", ""),
    ("granted", "三、本年度办理结果", "（一）予以公开", ""),
    ("partially_granted", "三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ""),
    ("denied_state_secret", "三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"),
    ("denied_prohibited_by_law", "三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("denied_security_stability", "三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("denied_third_party", "三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"),
    ("denied_internal_affairs", "三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"),
    ("denied_process_info", "三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"),
    ("denied_enforcement_files", "三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"),
    ("denied_inquiry", "三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"),
    ("unavailable_not_held", "三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("unavailable_unclear", "三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("rejected_petition", "三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"),
    ("rejected_repeat", "三、本年度办理结果", "（五）不予处理", "2.重复申请"),
    ("rejected_publication", "三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"),
    ("rejected_excessive", "三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("rejected_confirmation", "三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("other_handling", "三、本年度办理结果", "（六）其他处理", ""),
    ("other_no_correction", "三、本年度办理结果", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_fee_unpaid", "三、本年度办理结果", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_misc", "三、本年度办理结果", "（六）其他处理", "3.其他"),
    ("total_processed", "三、本年度办理结果", "（七）总计", ""),
    ("carried_forward", "四、结转下年度继续办理", "", ""),
)

# Table 2 as printed: sections of (heading, value columns, rows), per template.
TABLE2_LAYOUT = {
    "2021": (
        ("第二十条第（一）项", ("made", "repealed", "in_force"), ("regulations", "normative_documents")),
        ("第二十条第（五）项", ("decisions",), ("licensing",)),
        ("第二十条第（六）项", ("decisions",), ("punishment", "coercion")),
        ("第二十条第（八）项", ("amount",), ("fees",)),
    ),
    "2019": (
        ("第二十条第（一）项", ("new_made", "new_published", "total_published"), ("regulations", "normative_documents")),
        ("第二十条第（五）项", ("previous_items", "change", "decisions"), ("licensing", "other_services")),
        ("第二十条第（六）项", ("previous_items", "change", "decisions"), ("punishment", "coercion")),
        ("第二十条第（八）项", ("previous_items", "change"), ("fees",)),
        ("第二十条第（九）项", ("projects", "amount"), ("procurement",)),
    ),
}
TABLE2_2019_AMOUNT_LABEL = "采购总金额"

RULE_LABELS = {
    "t3_balance": "表三勾稽关系（新收 + 上年结转 = 办理总计 + 结转下年度）",
    "t3_results_sum": "表三办理结果之和 = （七）总计",
    "t3_row_total": "表三各申请人之和 = 总计",
    "t4_total": "表四各结果之和 = 总计",
    "published_on_time": "按期发布（条例第四十九条）",
    "t3_carry": "跨年度：上年结转 = 上一年报告的结转下年度",
    "t2_in_force": "跨年度：现行有效件数 = 上年 + 制发 − 废止",
}
CHECK_STATUS_LABELS = {"passed": "校验通过", "failed": "数字对不上", "unchecked": "未校验", "no tables": "无表格"}
AGENCY_KIND_LABELS = {"government": "人民政府（本级）", "department": "部门"}
TEMPLATE_LABELS = {"2021": "2021 年格式", "2019": "2019 年格式", "legacy": "2019 年以前（无统一表格）"}
DOUBT_KIND_LABELS = {
    "placed_by_position": "仅按位置放入的单元格",
    "not_placed": "无法归位的数字",
    "no_header": "未找到表头",
    "table_cut_short": "表格不完整",
    "column_ambiguous": "列的对应有两种可能",
    "row_uncertain": "行名匹配不确定",
    "truncated_source": "原文件不完整",
    "unreadable_page": "无法读取的页面",
    "numbering_lost": "自动编号丢失",
    "ocr_cell": "OCR 识别可信度低的单元格",
    "ocr_page": "经 OCR 识别的页面或图片",
}
# English, the secondary line under the Chinese
CHECK_STATUS_EN = {"passed": "checks passed", "failed": "numbers do not add up", "unchecked": "not checked",
                   "no tables": "no tables"}


def label_of(key: str) -> str:
    """Chinese label of a row, column or group key of any table (the key itself if unknown)."""
    for d in (TABLE3_LABELS, TABLE3_COLUMN_LABELS, TABLE4_LABELS, TABLE4_COLUMN_LABELS, TABLE2_LABELS,
              TABLE2_COLUMN_LABELS):
        if key in d:
            return d[key]
    return key


def _num(v) -> str:
    if v is None:
        return "空"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def check_reason(rule: str, where: str, expected, found) -> str:
    """One line of Chinese saying why a check failed, e.g. "申请人合计 741，各栏之和 34"."""
    w = (where or "").split(".", 1)[-1]
    e, f = _num(expected), _num(found)
    if rule == "t3_row_total":
        return f"{TABLE3_LABELS.get(w, w)}：申请人合计 {f}，各栏之和 {e}"
    if rule == "t3_balance":
        return f"{TABLE3_COLUMN_LABELS.get(w, w)}列：办理总计 + 结转下年度 = {f}，新收 + 上年结转 = {e}"
    if rule == "t3_results_sum":
        return f"{TABLE3_COLUMN_LABELS.get(w, w)}列：（七）总计 {f}，各项办理结果之和 {e}"
    if rule == "t4_total":
        return f"{TABLE4_LABELS.get(w, w)}：总计 {f}，各项结果之和 {e}"
    if rule == "published_on_time":
        return f"发布于 {f}，法定期限 {e}"
    return f"{RULE_LABELS.get(rule, rule)}：应为 {e}，实为 {f}"


def check_cells(rule: str, where: str) -> list[tuple[str, str, str]]:
    """The cells a check concerns, as (table, row key, column key): where its reason is shown."""
    w = (where or "").split(".", 1)[-1]
    if rule == "t3_row_total":
        return [("table3", w, "total")]
    if rule == "t3_balance":
        return [("table3", r, w) for r in ("new_received", "carried_over", "total_processed", "carried_forward")]
    if rule == "t3_results_sum":
        return [("table3", "total_processed", w)]
    if rule == "t4_total":
        return [("table4", w, "total")]
    return []

# Result columns of the canned queries and exports, Chinese first
QUERY_COLUMN_LABELS = {
    "report_id": "报告", "id": "编号", "title": "标题", "agency": "机关", "agency_kind": "机关类型", "year": "年度",
    "province": "省份", "city": "地市", "county": "县区", "failed_checks": "未通过校验数", "failures": "未通过的校验",
    "url": "原文", "archived_copy": "存档副本", "published": "发布日期", "deadline": "法定期限",
    "days_late": "逾期天数", "reports": "报告数", "processed": "办理总数", "granted": "予以公开",
    "denied": "不予公开", "denied_pct": "不予公开比例（%）", "new_received": "新收申请", "carried_over": "上年结转",
    "total_processed": "办理总计", "carried_forward": "结转下年度", "crossyear_warnings": "跨年度警告",
    "template": "表格格式", "versions": "版本数", "first_seen": "首次抓取", "last_changed": "最近修改",
    "text_changed": "正文有改动", "removed_at": "撤下时间", "applications": "新收申请", "rule": "规则",
    "where": "位置", "expected": "应为", "found": "实为", "previous_report_id": "上年报告",
    "needs_review": "需人工复核", "doubts": "存疑原因", "check_status": "校验结果", "late": "是否逾期",
    "row_key": "行", "label": "行名", "grp": "类别", "ok": "通过", "version": "版本", "is_current": "当前版本",
    "reasons": "存疑原因", "parser_version": "解析程序版本",
}
