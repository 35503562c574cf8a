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
