"""The agency as the report names itself — title, opening sentence, 本报告由…编制, signature — never a
fragment: a city government that writes 本市 / 我市 is not filed as "市"."""
from __future__ import annotations

from parsers import parse_bytes
from parsers.metadata import read_metadata

CITY_REPORT = """2021年政府信息公开工作年度报告
根据《中华人民共和国政府信息公开条例》（以下简称《条例》）规定，特编制本市2021年度政府信息公开工作年度报告。
一、总体情况
2021年，我市坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》。
六、其他需要报告的事项
无。
漳州市人民政府办公室
2022年3月20日
"""


def _agency(text: str, hints=(), meta=None) -> str | None:
    return read_metadata(text, text, meta or {}, list(hints)).agency


def test_a_city_government_writing_benshi_is_named_by_its_signature():
    md = read_metadata(CITY_REPORT, CITY_REPORT, {}, [])
    assert (md.agency, md.year, md.published, md.agency_kind) == (
        "漳州市人民政府办公室", 2021, "2022-03-20", "department")


def test_the_whole_parser_gives_the_signature_name_too():
    report = parse_bytes(CITY_REPORT.encode("utf-8"), "http://127.0.0.1/zz/2021.txt", "text/plain; charset=utf-8")
    assert report.agency == "漳州市人民政府办公室"


def test_a_relative_title_gives_way_to_the_full_name_inside():
    text = "市政府办公室2021年政府信息公开工作年度报告\n本报告由三明市人民政府办公室编制。\n一、总体情况\n"
    assert _agency(text) == "三明市人民政府办公室"
    text = "2021年市政府信息公开工作年度报告\n2021年，我市认真贯彻落实《条例》。\n宁德市人民政府\n2022年3月1日\n"
    assert _agency(text) == "宁德市人民政府"


def test_no_fragment_when_the_report_never_names_itself():
    text = "2021年市政府信息公开工作年度报告\n2021年，我市认真贯彻落实《条例》，全面推进政务公开。\n"
    assert _agency(text) is None
    text = "根据《条例》，现公布本市2021年政府信息公开工作年度报告。\n"
    assert _agency(text) is None


def test_full_names_from_the_title_and_the_opening_sentence_stay():
    assert _agency("上海市人民政府办公厅2022年政府信息公开工作年度报告\n") == "上海市人民政府办公厅"
    assert _agency("2022年度政府信息公开工作年度报告\n2022年，沭阳县发展和改革局坚持以人民为中心。\n") \
        == "沭阳县发展和改革局"
    # 市场监督管理局 begins with 市 but is a name, not "the city"
    assert _agency("2022年度政府信息公开工作年度报告\n2022年，市场监督管理局坚持依法行政。\n") == "市场监督管理局"
    # the seed's own words: 现公布望花区2017年政府信息公开工作年度报告
    assert _agency("根据《条例》，现公布望花区2017年政府信息公开工作年度报告。\n") == "望花区"


# Real report texts (opening lines and signature), from zxj6827111-blip/KIROGOVCOMPARE:
#  * tests/fixtures/annual-report/shanghai-office-sample-source.md @ 5a4ed31f1e353c7c5059a5aa1fbaabbef46b5167
#    (PDF text: the title broken over two lines, a space between year and 年)
#  * tests/沭阳县人民政府2025年政府信息公开工作年度报告-沭阳县人民政府.txt @ 6b4833ab9ea9ce4920523ba4389417a7749105d1
#    (an OCR'd copy: 沭阳 read as 沐阳 throughout; the name is kept as printed)
SHANGHAI_2025 = """正文
2025 年上海市人民政府办公厅政府信息公开
工作年度报告
本年度报告根据《中华人民共和国政府信息公开条例》（以
下简称《条例》）、《上海市政府信息公开规定》（以下简称《规
定》）和《关于印发中华人民共和国政府信息公开工作年度报告
格式的通知》（国办公开办函〔2021〕30 号）的要求编制，全
一、总体情况
2025 年，上海市人民政府办公厅坚持以习近平新时代中国
特色社会主义思想为指导，全面贯彻落实党的二十大和二十届历
"""
SHUYANG_2025 = """# 沐阳县人民政府 2025 年 政府信息公开工作年度报告

沐阳县人民政府
(2026年1月23日)

依据《中华人民共和国政府信息公开条例》(以下简称《条例》)和《中华人民共和国政府信息公开工作年度报告格式》(国办公开办函〔2021〕30号)规定，编制本报告。本报告所列数据统计期限从2025年1月1日至2025年12月31日止。现将沐阳县人民政府2025年政府信息公开年度报告向社会公布。

## 一、总体情况

2025年，我县坚持以习近平新时代中国特色社会主义思想为指导，以习近平法治思想为指引

六、其他需要报告的事项

我县认真落实《政府信息公开信息处理费管理办法》要求，指导推动全县行政机关按规定收取费用。

沐阳县人民政府
2026年1月23日
"""


def _read(text: str):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return read_metadata(text, text, {}, lines[:15])


def test_real_pdf_text_with_its_title_broken_over_two_lines():
    md = _read(SHANGHAI_2025)
    assert (md.title, md.year, md.agency, md.agency_kind) == (
        "2025年上海市人民政府办公厅政府信息公开工作年度报告", 2025, "上海市人民政府办公厅", "department")


def test_real_text_of_a_county_government_whose_report_says_woxian():
    md = _read(SHUYANG_2025)
    assert (md.agency, md.year, md.published, md.agency_kind) == ("沐阳县人民政府", 2025, "2026-01-23", "government")
