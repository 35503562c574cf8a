"""The five seed texts, as they came off portals (chrome and all), parse exactly.

Every cell below was read off the seed text by hand; blank cells are None.
"""
import pytest

import parsers
from parsers.tables.templates import T3_COLUMNS, T4_FIELDS, T4_GROUPS, t3_row_keys

from conftest import SEEDS

SEED = {
    "000": SEEDS / "000_20c65bb80009b0e5.txt",
    "001": SEEDS / "001_8f6a0cdd81ca4d1e.txt",
    "002": SEEDS / "002_453df20952345ca0.txt",
    "003": SEEDS / "003_de67b3003fa77aa1.txt",
    "004": SEEDS / "004_804bc5c71be8d781.txt",
}
Z7 = [0] * 7


def t3(rows: dict, template: str = "2021") -> dict:
    """Rows not listed are all zeros, as printed."""
    return {key: dict(zip(T3_COLUMNS, rows.get(key, Z7))) for key in t3_row_keys(template)}


def t4(review, direct, after) -> dict:
    return {g: dict(zip(T4_FIELDS, v)) for g, v in zip(T4_GROUPS, (review, direct, after))}


def t2_2021(regs, normative, licensing, punishment, coercion, fees) -> dict:
    return {
        "regulations": dict(zip(("made", "repealed", "in_force"), regs)),
        "normative_documents": dict(zip(("made", "repealed", "in_force"), normative)),
        "licensing": {"decisions": licensing},
        "punishment": {"decisions": punishment},
        "coercion": {"decisions": coercion},
        "fees": {"amount": fees},
    }


@pytest.fixture(scope="module")
def reports():
    return {name: parsers.parse_path(path) for name, path in SEED.items()}


def test_seed_000_xigang_district_2021(reports):
    r = reports["000"]
    assert (r.year, r.agency, r.template, r.published, r.title) == (2021, "西岗区", "2021", None, None)
    assert r.table2 == t2_2021([0, 0, 0], [8, 2, 10], 20960, 217, 2, 207)
    assert r.table3 == t3({
        "new_received": [8, 0, 2, 0, 0, 0, 10],
        "granted": [1, 0, 0, 0, 0, 0, 1],
        "denied_internal_affairs": [0, 0, 1, 0, 0, 0, 1],
        "denied_process_info": [1, 0, 0, 0, 0, 0, 1],
        "unavailable_not_held": [5, 0, 0, 0, 0, 0, 5],
        "rejected_confirmation": [0, 0, 1, 0, 0, 0, 1],
        # the portal broke these two rows over a line and printed no 总计
        "other_no_correction": [0, 0, 0, 0, 0, 0, None],
        "other_fee_unpaid": [0, 0, 0, 0, 0, 0, None],
        "total_processed": [7, 0, 2, 0, 0, 0, 9],
        "carried_forward": [1, 0, 0, 0, 0, 0, 1],
    })
    assert r.table4 == t4([6, 0, 0, 0, 6], [1, 0, 2, 6, 9], [2, 0, 1, 2, 5])
    assert r.checks and all(c.ok for c in r.checks)
    rules = {c.rule for c in r.checks}
    assert rules == {"t3_balance", "t3_results_sum", "t3_row_total", "t4_total"}
    # the two rows without a printed total are skipped, not failed
    assert not any(c.rule == "t3_row_total" and c.where == "other_no_correction" for c in r.checks)
    assert r.text.startswith("一、总体情况") and r.text.rstrip().endswith("无")


def test_seed_001_hulunbuir_development_zone_2022(reports):
    r = reports["001"]
    assert r.title == "呼伦贝尔经济技术开发区2022年政府信息公开工作年度报告"
    assert (r.year, r.agency, r.template, r.published) == (2022, "呼伦贝尔经济技术开发区", "2021", "2023-01-11")
    assert r.table2 == t2_2021([0, 0, 0], [0, 0, 0], 0, 0, 0, 0)
    assert r.table3 == t3({})
    assert r.table4 == t4([0] * 5, [0] * 5, [0] * 5)
    assert (r.site.icp, r.site.police_record, r.site.site_code) == (
        "蒙ICP备19004337号-1", "蒙公网安备15070202000009号", "1507000009")
    assert all(c.ok for c in r.checks)
    on_time = [c for c in r.checks if c.rule == "published_on_time"]
    assert [(c.expected, c.found, c.ok) for c in on_time] == [("2023-03-31", "2023-01-11", True)]
    # footer chrome gone; the preface's own contact details and the signature stay
    for chrome in ("ICP备", "公网安备", "网站标识码", "联系我们", "站点地图", "主办:"):
        assert chrome not in r.text
    assert "邮编:021000,电话:0470—2773823" in r.text
    assert r.text.rstrip().endswith("呼伦贝尔经济技术开发区管委会\n2023年1月11日")


def test_seed_002_wanghua_district_2017_is_legacy(reports):
    r = reports["002"]
    assert r.title == "望花区2017年政府信息公开工作年度报告"
    assert (r.year, r.agency, r.template) == (2017, "望花区", "legacy")
    assert (r.table2, r.table3, r.table4) == (None, None, None)
    assert r.checks == []
    for heading in ("一、 总体工作情况", "八、依申请公开工作情况", "十二、下一步工作打算"):
        assert heading in r.text
    assert r.text.rstrip().endswith("为群众能够第一时间、充分全面地了解政府信息提供便利条件。")


def test_seed_003_fuxin_coal_bureau_2021(reports):
    r = reports["003"]
    assert (r.year, r.agency, r.template, r.published) == (2021, "阜新市煤炭工业转型发展局", "2021", "2022-01-20")
    assert r.agency_kind == "department"
    assert r.table2 == t2_2021([0, 0, 0], [0, 0, 0], 0, 2, 0, 0)
    assert r.table3 == t3({})
    assert r.table4 == t4([0] * 5, [0] * 5, [0] * 5)
    assert (r.site.icp, r.site.police_record, r.site.site_code) == (
        "辽ICP备19010590号", "辽公网安备21091102000041号", "2109000022")
    assert [(c.expected, c.ok) for c in r.checks if c.rule == "published_on_time"] == [("2022-01-31", True)]
    for chrome in ("浏览量", "文字大小", "版权所有", "分辨率", "举报热线", "Email", "邮编:123000"):
        assert chrome not in r.text
    assert r.text.startswith("2021年,阜新市煤炭工业转型发展局认真贯彻落实")
    assert r.text.rstrip().endswith("六、其他需要报告的事项\n本年度没有其它需要报告的事项。")


def test_seed_004_xinqian_subdistrict_2020_fails_three_checks(reports):
    r = reports["004"]
    assert r.title == "新前街道2020年度政府信息公开年度报告"
    assert (r.year, r.agency, r.template, r.published) == (2020, "新前街道", "2019", "2021-01-25")
    assert r.site.index_no == "001008010002056/2021-116241"
    assert r.table2 == {
        "regulations": {"new_made": 0, "new_published": 0, "total_published": 0},
        "normative_documents": {"new_made": 0, "new_published": 0, "total_published": 0},
        "licensing": {"previous_items": 0, "change": 0, "decisions": 0},
        "other_services": {"previous_items": 0, "change": 0, "decisions": 0},
        "punishment": {"previous_items": 0, "change": 0, "decisions": 0},
        "coercion": {"previous_items": 0, "change": 0, "decisions": 0},
        "fees": {"previous_items": 0, "change": 0},
        "procurement": {"projects": 0, "amount": 0},
    }
    # one cell per line; the five 法人或其他组织 columns are blank on every row
    b = None
    assert r.table3 == t3({
        "new_received": [16, b, b, b, b, b, 16],
        "carried_over": [0, b, b, b, b, b, 0],
        "granted": [7, b, b, b, b, b, 7],
        "partially_granted": [2, b, b, b, b, b, 8],
        "denied_state_secret": [0, b, b, b, b, b, 0],
        "denied_prohibited_by_law": [0, b, b, b, b, b, 0],
        "denied_security_stability": [0, b, b, b, b, b, 0],
        "denied_third_party": [0, b, b, b, b, b, 0],
        "denied_internal_affairs": [0, b, b, b, b, b, 0],
        "denied_process_info": [0, b, b, b, b, b, 0],
        "denied_enforcement_files": [0, b, b, b, b, b, 0],
        "denied_inquiry": [2, b, b, b, b, b, 2],
        "unavailable_not_held": [5, b, b, b, b, b, 5],
        "unavailable_needs_creation": [1, b, b, b, b, b, 1],
        "unavailable_unclear": [1, b, b, b, b, b, 1],
        "rejected_petition": [0, b, b, b, b, b, 0],
        "rejected_repeat": [0, b, b, b, b, b, 0],
        "rejected_publication": [0, b, b, b, b, b, 0],
        "rejected_excessive": [0, b, b, b, b, b, 0],
        "rejected_confirmation": [0, b, b, b, b, b, 0],
        "other_handling": [0, b, b, b, b, b, 0],
        "total_processed": [0, b, b, b, b, b, 0],
        "carried_forward": [0, b, b, b, b, b, 0],
    }, template="2019")
    assert r.table4 == t4([3, 7, 0, 1, 11], [1, 0, 0, 2, 3], [0, 0, 0, 2, 2])
    failed = sorted((c.rule, c.where, c.expected, c.found) for c in r.failed_checks)
    assert failed == [
        ("t3_balance", "natural_person", 16, 0),
        ("t3_balance", "total", 16, 0),
        ("t3_results_sum", "natural_person", 18, 0),
        ("t3_results_sum", "total", 24, 0),
        ("t3_row_total", "partially_granted", 2, 8),
    ]
    assert sorted({c.rule for c in r.failed_checks}) == ["t3_balance", "t3_results_sum", "t3_row_total"]
    # blank applicant columns are skipped, never failed
    assert not any(c.where == "commercial" for c in r.checks)
    assert [c.ok for c in r.checks if c.rule in ("t4_total", "published_on_time")] == [True] * 4
    for chrome in ("打印本页", "索引号", "发布机构", "字体"):
        assert chrome not in r.text
    assert "政府信息公开工作年度报告" in r.text and "六、其他需要报告的事项" in r.text
