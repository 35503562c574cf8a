"""The national table templates (国办公开办函〔2019〕60号 and 〔2021〕30号) as data.

Rows are recognised by key phrases of their labels (after `normalise.label_key`), never by
position: real reports reorder nothing but drop, split and re-word labels.
"""
from __future__ import annotations

from dataclasses import dataclass

T3_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service",
              "other_org", "total")
T3_COLUMN_LABELS = {
    "natural_person": ("自然人",),
    "commercial": ("商业企业",),
    "research": ("科研机构",),
    "social_welfare": ("社会公益组织",),
    "legal_service": ("法律服务机构",),
    "other_org": ("其他", "其它"),
    "total": ("总计",),
}

T4_GROUPS = ("review", "litigation_direct", "litigation_after_review")
T4_FIELDS = ("upheld", "corrected", "other", "pending", "total")


@dataclass(frozen=True)
class RowSpec:
    key: str
    phrases: tuple[str, ...]  # any of these in the row's label text
    group: str = ""  # table-3 group the row belongs to (三 result groups), for 其他 disambiguation


# --- table 2 -----------------------------------------------------------------------------
T2_ROWS_2021: dict[str, tuple[str, ...]] = {
    "regulations": ("made", "repealed", "in_force"),
    "normative_documents": ("made", "repealed", "in_force"),
    "licensing": ("decisions",),
    "punishment": ("decisions",),
    "coercion": ("decisions",),
    "fees": ("amount",),
}
T2_ROWS_2019: dict[str, tuple[str, ...]] = {
    "regulations": ("new_made", "new_published", "total_published"),
    "normative_documents": ("new_made", "new_published", "total_published"),
    "licensing": ("previous_items", "change", "decisions"),
    "other_services": ("previous_items", "change", "decisions"),
    "punishment": ("previous_items", "change", "decisions"),
    "coercion": ("previous_items", "change", "decisions"),
    "fees": ("previous_items", "change"),
    "procurement": ("projects", "amount"),
}
# Order matters: the first spec whose phrase is in the label wins.
T2_ROW_SPECS = (
    RowSpec("normative_documents", ("规范性文件",)),
    RowSpec("regulations", ("规章",)),
    RowSpec("other_services", ("其他对外管理服务",)),
    RowSpec("licensing", ("行政许可",)),
    RowSpec("punishment", ("行政处罚",)),
    RowSpec("coercion", ("行政强制",)),
    RowSpec("fees", ("行政事业性收费", "事业性收费")),
    RowSpec("procurement", ("政府集中采购", "集中采购")),
)
# Header words that tell the two table-2 layouts apart.
T2_2021_HEADERS = ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额", "制发件数", "废止件数")
T2_2019_HEADERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量",
                   "采购总金额", "新制作数量", "对外公开总数", "其他对外管理服务事项", "政府集中采购")

# --- table 3 -----------------------------------------------------------------------------
T3_ROW_SPECS = (
    RowSpec("new_received", ("本年新收",)),
    RowSpec("carried_over", ("上年结转",)),
    RowSpec("carried_forward", ("结转下年度", "结转下年", "继续办理")),
    RowSpec("total_processed", ("总计",), "七"),
    RowSpec("granted", ("予以公开",), "一"),
    RowSpec("partially_granted", ("部分公开",), "二"),
    RowSpec("denied_state_secret", ("国家秘密",), "三"),
    RowSpec("denied_prohibited_by_law", ("法律行政法规禁止", "法律法规禁止", "禁止公开"), "三"),
    RowSpec("denied_security_stability", ("三安全一稳定", "危及"), "三"),
    RowSpec("denied_third_party", ("第三方",), "三"),
    RowSpec("denied_internal_affairs", ("内部事务",), "三"),
    RowSpec("denied_process_info", ("过程性",), "三"),
    RowSpec("denied_enforcement_files", ("执法案卷",), "三"),
    RowSpec("denied_inquiry", ("行政查询",), "三"),
    RowSpec("unavailable_not_held", ("不掌握",), "四"),
    RowSpec("unavailable_needs_creation", ("另行制作", "没有现成"), "四"),
    RowSpec("unavailable_unclear", ("仍不明确", "补正后"), "四"),
    RowSpec("rejected_petition", ("信访", "举报投诉"), "五"),
    RowSpec("rejected_repeat", ("重复申请",), "五"),
    RowSpec("rejected_publication", ("公开出版物",), "五"),
    RowSpec("rejected_excessive", ("大量反复", "无正当理由大量"), "五"),
    RowSpec("rejected_confirmation", ("确认或重新出具", "重新出具"), "五"),
    RowSpec("other_no_correction", ("逾期不补正", "不补正"), "六"),
    RowSpec("other_fee_unpaid", ("缴纳费用", "收费通知"), "六"),
)
# Rows recognised by their group heading alone (their label is just "(六)其他处理" / "3.其他").
T3_GROUP_HEADINGS = {
    "一": "予以公开", "二": "部分公开", "三": "不予公开", "四": "无法提供", "五": "不予处理",
    "六": "其他处理", "七": "总计",
}

T3_ROWS_COMMON = (
    "new_received", "carried_over", "granted", "partially_granted",
    "denied_state_secret", "denied_prohibited_by_law", "denied_security_stability",
    "denied_third_party", "denied_internal_affairs", "denied_process_info",
    "denied_enforcement_files", "denied_inquiry",
    "unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear",
    "rejected_petition", "rejected_repeat", "rejected_publication", "rejected_excessive",
    "rejected_confirmation",
)
T3_OTHER_2019 = ("other_handling",)
T3_OTHER_2021 = ("other_no_correction", "other_fee_unpaid", "other_misc")
T3_TAIL = ("total_processed", "carried_forward")


def t3_row_keys(template: str) -> tuple[str, ...]:
    other = T3_OTHER_2019 if template == "2019" else T3_OTHER_2021
    return T3_ROWS_COMMON + other + T3_TAIL


# Every table-3 row key in printed order, both templates together: the sequence printed rows are
# aligned to. (六) as one row (other_handling) and its three 2021 items never occur together.
T3_ALIGN_ORDER = T3_ROWS_COMMON + T3_OTHER_2019 + T3_OTHER_2021 + T3_TAIL
T2_ALIGN_ORDER = ("regulations", "normative_documents", "licensing", "other_services", "punishment",
                  "coercion", "fees", "procurement")

# The template's own wording of each row, numbering stripped (parsers.tables.align compares
# printed labels with these when no key phrase matched: a typo, a dropped character, a cut).
T3_LABELS = {
    "new_received": "本年新收政府信息公开申请数量",
    "carried_over": "上年结转政府信息公开申请数量",
    "granted": "予以公开",
    "partially_granted": "部分公开",
    "denied_state_secret": "属于国家秘密",
    "denied_prohibited_by_law": "其他法律行政法规禁止公开",
    "denied_security_stability": "危及三安全一稳定",
    "denied_third_party": "保护第三方合法权益",
    "denied_internal_affairs": "属于三类内部事务信息",
    "denied_process_info": "属于四类过程性信息",
    "denied_enforcement_files": "属于行政执法案卷",
    "denied_inquiry": "属于行政查询事项",
    "unavailable_not_held": "本机关不掌握相关政府信息",
    "unavailable_needs_creation": "没有现成信息需要另行制作",
    "unavailable_unclear": "补正后申请内容仍不明确",
    "rejected_petition": "信访举报投诉类申请",
    "rejected_repeat": "重复申请",
    "rejected_publication": "要求提供公开出版物",
    "rejected_excessive": "无正当理由大量反复申请",
    "rejected_confirmation": "要求行政机关确认或重新出具已获取信息",
    "other_handling": "其他处理",
    "other_no_correction": "申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请",
    "other_fee_unpaid": "申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请",
    "other_misc": "其他",
    "total_processed": "总计",
    "carried_forward": "结转下年度继续办理",
}
# The result group (三、's (一)…(七)) each row belongs to; "" for rows outside the groups.
T3_GROUP_OF = {
    "granted": "一", "partially_granted": "二", "total_processed": "七",
    **{k: "三" for k in T3_LABELS if k.startswith("denied_")},
    **{k: "四" for k in T3_LABELS if k.startswith("unavailable_")},
    **{k: "五" for k in T3_LABELS if k.startswith("rejected_")},
    **{k: "六" for k in T3_LABELS if k.startswith("other_")},
}
T2_LABELS = {
    "regulations": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}

T3_RESULT_ROWS = tuple(k for k in T3_ROWS_COMMON if k not in ("new_received", "carried_over")) \
    + T3_OTHER_2019 + T3_OTHER_2021

# --- table 4 -----------------------------------------------------------------------------
T4_HEADER_WORDS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
