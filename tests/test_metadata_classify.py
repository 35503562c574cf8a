"""Titles as portals write them → year, agency, kind; links that are reports and links that are not."""
import pytest

from parsers.classify import is_report_title
from parsers.metadata import read_metadata


@pytest.mark.parametrize("title, year, agency, kind", [
    ("平潭综合实验区2022年政府信息公开工作年度报告", 2022, "平潭综合实验区", "government"),
    ("2022年度长春市教育局政府信息公开工作年度报告", 2022, "长春市教育局", "department"),
    ("福州市晋安区人民政府2021年政府信息公开工作年度报告", 2021, "福州市晋安区人民政府", "government"),
    ("赤壁市发展和改革局关于2020年度政府信息公开工作的年度报告", 2020, "赤壁市发展和改革局", "department"),
    ("沭阳县发展和改革局2023年政府信息公开年度报告", 2023, "沭阳县发展和改革局", "department"),
    ("北京市西城区人民政府办公室2019年政府信息公开年报", 2019, "北京市西城区人民政府办公室", "department"),
    ("新前街道2020年度政府信息公开年度报告", 2020, "新前街道", "department"),
])
def test_title_gives_year_agency_and_deadline_kind(title, year, agency, kind):
    md = read_metadata("一、总体情况", "", {}, [title])
    assert (md.title, md.year, md.agency, md.agency_kind) == (title, year, agency, kind)


def test_publication_date_from_page_meta_line_or_signature():
    assert read_metadata("x", "", {"pubdate": "2023-01-18 16:25:07"}, []).published == "2023-01-18"
    assert read_metadata("x", "发布时间：2022年2月8日 来源：某局", {}, []).published == "2022-02-08"
    signed = "六、其他需要报告的事项\n无。\n某县人民政府办公室\n二〇二二年一月二十日"
    assert read_metadata(signed, signed, {}, []).published == "2022-01-20"


@pytest.mark.parametrize("title, is_report", [
    ("某局2021年政府信息公开工作年度报告", True),
    ("2021年度政府信息公开工作年度报告（PDF）", True),
    ("二〇一二年政府信息公开工作年度报告", True),
    ("政府信息公开年报", False),  # the column, not a report
    ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", False),
    ("2022年政府工作报告", False),
    ("平潭综合实验区2022年部门决算", False),
    ("2021年政府信息公开工作年度报告解读", False),
])
def test_report_links_and_traps(title, is_report):
    assert is_report_title(title) is is_report
