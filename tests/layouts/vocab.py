"""Row/column vocabulary of the two national templates, with the label wordings real reports use.

Only used to WRITE pages. Nothing here imports `parsers`: the generator must not share the
parser's idea of what a label means.
"""
from __future__ import annotations

T3_COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total")
T3_APPLICANTS = T3_COLS[:-1]
T4_GROUPS = ("review", "litigation_direct", "litigation_after_review")
T4_FIELDS = ("upheld", "corrected", "other", "pending", "total")

T2_FIELDS_2021 = {
    "regulations": ("made", "repealed", "in_force"),
    "normative_documents": ("made", "repealed", "in_force"),
    "licensing": ("decisions",),
    "punishment": ("decisions",),
    "coercion": ("decisions",),
    "fees": ("amount",),
}
T2_FIELDS_2019 = {
    "regulations": ("new_made", "new_published", "total_published"),
    "normative_documents": ("new_made", "new_published", "total_published"),
    "licensing": ("previous_items", "change", "decisions"),
    "other_services": ("previous_items", "change", "decisions"),
    "punishment": ("previous_items", "change", "decisions"),
    "coercion": ("previous_items", "change", "decisions"),
    "fees": ("previous_items", "change"),
    "procurement": ("projects", "amount"),
}

# Table-3 rows: (key, group, label variants). `group` is the (三)…(六) heading the row sits
# under ("" for rows that stand alone). {o}/{c} are the parentheses, {d} the numbering dot,
# {q1}/{q2} the quotes of "三安全一稳定".
GROUPS = {
    "三": ("{o}三{c}不予公开",),
    "四": ("{o}四{c}无法提供",),
    "五": ("{o}五{c}不予处理",),
    "六": ("{o}六{c}其他处理", "{o}六{c}其它处理"),
}
T3_ROWS_COMMON = [
    ("new_received", "", ("一、本年新收政府信息公开申请数量",)),
    ("carried_over", "", ("二、上年结转政府信息公开申请数量",)),
    ("granted", "", ("{o}一{c}予以公开",)),
    ("partially_granted", "", ("{o}二{c}部分公开{o}区分处理的，只计这一情形，不计其他情形{c}", "{o}二{c}部分公开")),
    ("denied_state_secret", "三", ("1{d}属于国家秘密",)),
    ("denied_prohibited_by_law", "三", ("2{d}其他法律行政法规禁止公开", "2{d}其他法律、行政法规禁止公开")),
    ("denied_security_stability", "三", ("3{d}危及{q1}三安全一稳定{q2}",)),
    ("denied_third_party", "三", ("4{d}保护第三方合法权益",)),
    ("denied_internal_affairs", "三", ("5{d}属于三类内部事务信息",)),
    ("denied_process_info", "三", ("6{d}属于四类过程性信息",)),
    ("denied_enforcement_files", "三", ("7{d}属于行政执法案卷",)),
    ("denied_inquiry", "三", ("8{d}属于行政查询事项",)),
    ("unavailable_not_held", "四", ("1{d}本机关不掌握相关政府信息",)),
    ("unavailable_needs_creation", "四", ("2{d}没有现成信息需要另行制作",)),
    ("unavailable_unclear", "四", ("3{d}补正后申请内容仍不明确",)),
    ("rejected_petition", "五", ("1{d}信访举报投诉类申请",)),
    ("rejected_repeat", "五", ("2{d}重复申请",)),
    ("rejected_publication", "五", ("3{d}要求提供公开出版物",)),
    ("rejected_excessive", "五", ("4{d}无正当理由大量反复申请",)),
    ("rejected_confirmation", "五", ("5{d}要求行政机关确认或重新出具已获取信息",)),
]
T3_OTHER_2021 = [
    ("other_no_correction", "六", ("1{d}申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",)),
    ("other_fee_unpaid", "六", ("2{d}申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",)),
    ("other_misc", "六", ("3{d}其他",)),
]
T3_OTHER_2019 = [("other_handling", "", ("{o}六{c}其他处理", "{o}六{c}其它处理"))]
T3_TAIL = [
    ("total_processed", "", ("{o}七{c}总计",)),
    ("carried_forward", "", ("四、结转下年度继续办理", "四、结转下年度办理")),
]
RESULT_KEYS = [k for k, _, _ in T3_ROWS_COMMON[2:]] + [k for k, _, _ in T3_OTHER_2021] + ["other_handling"]
TOP_KEYS = ("new_received", "carried_over", "carried_forward")


def t3_rows(other: str):
    """other: '2021' (three (六) sub-rows) or '2019' (one (六)其他处理 row)."""
    return T3_ROWS_COMMON + (T3_OTHER_2021 if other == "2021" else T3_OTHER_2019) + T3_TAIL


def t3_template_keys(template: str) -> list[str]:
    return [k for k, _, _ in t3_rows(template)]


COL_LABELS = {
    "natural_person": ("自然人",),
    "commercial": ("商业企业",),
    "research": ("科研机构",),
    "social_welfare": ("社会公益组织",),
    "legal_service": ("法律服务机构",),
    "other_org": ("其他", "其它"),
    "total": ("总计",),
}

# (agency as written, kind for the legal deadline, site owner). Kinds are assigned by hand
# and only where the contract is unambiguous: a 市/区/县人民政府's own report (31 March), a
# department (局/委员会/办公室, 31 January).
AGENCIES = [
    ("大连市西岗区人民政府", "government", "大连市西岗区人民政府"),
    ("阜新市煤炭工业转型发展局", "department", "阜新市人民政府"),
    ("示范县交通运输局", "department", "示范县人民政府"),
    ("示范县人民政府", "government", "示范县人民政府"),
    ("台州市黄岩区人民政府", "government", "台州市黄岩区人民政府"),
    ("台州市黄岩区卫生健康局", "department", "台州市黄岩区人民政府"),
    ("长春市教育局", "department", "长春市人民政府"),
    ("嘉兴市生态环境局", "department", "嘉兴市人民政府"),
    ("宿迁市沭阳县人民政府", "government", "沭阳县人民政府"),
    ("沭阳县发展和改革委员会", "department", "沭阳县人民政府"),
    ("抚顺市望花区人民政府", "government", "抚顺市望花区人民政府"),
    ("抚顺市望花区人民政府办公室", "department", "抚顺市望花区人民政府"),
    ("湖州市民族宗教事务委员会", "department", "湖州市人民政府"),
    ("绍兴市自然资源和规划局", "department", "绍兴市人民政府"),
]

PROVINCE_PREFIX = {"大连": "辽", "阜新": "辽", "抚顺": "辽", "长春": "吉", "台州": "浙", "嘉兴": "浙",
                   "湖州": "浙", "绍兴": "浙", "宿迁": "苏", "沭阳": "苏", "示范": "浙"}
