"""Where a report comes from: the body's own name, read inside what the site says."""
from archive.regions import derive_region


def test_a_name_naming_another_city_of_the_province_beats_the_site_code():
    # a provincial portal (or a shared template) coded 阜新市 carrying 大连市西岗区's report
    r = derive_region(agency="大连市西岗区", site_code="2109000022", icp="辽ICP备19010590号-1")
    assert (r.province, r.city, r.county, r.code) == ("辽宁省", "大连市", "西岗区", "210203")
    assert derive_region(agency="望花区", site_code="2109000022").code == "210404"  # 抚顺市望花区


def test_names_without_a_place_keep_the_site_and_police_record():
    r = derive_region(agency="新前街道", site_code="2109000022", police_record="辽公网安备21091102000041号")
    assert (r.city, r.code) == ("阜新市", "210911")
    assert derive_region(agency="阜新市煤炭工业转型发展局", site_code="2109000022").code == "210900"


def test_a_county_name_found_in_several_provinces_is_read_in_the_portals_province():
    assert derive_region(agency="鼓楼区", portal_region="福建省").code == "350102"


def test_a_name_that_spells_out_its_city_wins_even_across_provinces():
    r = derive_region(agency="呼伦贝尔经济技术开发区", site_code="2109000022")
    assert (r.province, r.city, r.code) == ("内蒙古自治区", "呼伦贝尔市", "150700")
    # a bare county name shared by several provinces does not
    assert derive_region(agency="鼓楼区", site_code="2109000022").code == "210900"


# ---- the region table: real agency names of every level -------------------------------------
import csv
from pathlib import Path

TABLE = Path(__file__).parent / "fixtures" / "agency_regions.tsv"


def _table() -> list[dict]:
    lines = [ln for ln in TABLE.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_the_region_table_covers_every_level():
    rows = _table()
    assert len(rows) >= 200
    names = [r["agency"] for r in rows]
    assert sum(n.endswith(("省人民政府", "自治区人民政府", "厅", "省中医药管理局")) for n in names) >= 25  # provinces
    assert sum(r["code"].endswith("00") and not r["code"].endswith("0000") for r in rows) >= 60  # cities
    assert sum(bool(r["county"]) for r in rows) >= 150  # counties, districts, county-level cities
    assert sum(n.endswith(("街道", "街道办事处", "镇人民政府")) for n in names) >= 15  # 街道 / 乡镇
    assert sum(any(z in n for z in ("新区", "开发区", "实验区", "园区")) for n in names) >= 25  # zones
    assert sum(n.endswith("局") for n in names) >= 20  # departments


def test_every_agency_of_the_table_is_filed_where_it_belongs():
    wrong = []
    for row in _table():
        r = derive_region(agency=row["agency"], portal_region=row["portal_region"] or None,
                          site_code=row["site_code"] or None, icp=row["icp"] or None,
                          police_record=row["police_record"] or None)
        got = (r.province or "", r.city or "", r.county or "", r.code or "")
        want = (row["province"], row["city"], row["county"], row["code"])
        if got != want:
            wrong.append(f"{row['agency']} ({row['provenance']}): {got} != {want}")
    assert not wrong, "\n".join(wrong)


def test_the_issues_four_agencies_are_filed_by_their_own_names():
    # each on a portal of another province (its ICP prefix and site code say 福建/辽宁)
    r = derive_region(agency="平潭综合实验区", site_code="2109000022", icp="辽ICP备19010590号")
    assert (r.province, r.city, r.county, r.code, r.source) == ("福建省", "福州市", "平潭县", "350128", "agency")
    r = derive_region(agency="望花区", icp="闽ICP备05028458号-1", site_code="3501000001")
    assert (r.province, r.city, r.code) == ("辽宁省", "抚顺市", "210404")
    r = derive_region(agency="上海市人民政府办公厅", icp="闽ICP备05028458号-1", site_code="3501000001")
    assert (r.province, r.city, r.code) == ("上海市", "上海市", "310000")
    r = derive_region(agency="沭阳县发展和改革局", site_code="2109000022")
    assert (r.province, r.city, r.county) == ("江苏省", "宿迁市", "沭阳县")


def test_a_fake_report_with_another_regions_site_code_is_not_counted_there(tmp_path):
    from archive.samples import sample_report
    from archive.store import Archive

    path = str(tmp_path / "a.db")
    with Archive(path) as db:
        # a report of 平潭 carrying 阜新's 网站标识码 and a 辽 ICP number, filed under a 辽宁 portal
        rep = sample_report("http://127.0.0.1/fake.html", agency="平潭综合实验区教育局",
                            site={"icp": "辽ICP备19010590号", "police_record": None, "site_code": "2109000022",
                                  "index_no": None})
        db.add_report(rep, portal="阜新市政府", portal_region="辽宁省")
        by_province = dict(db.conn.execute("SELECT province, COUNT(*) FROM reports GROUP BY province"))
    assert by_province == {"福建省": 1}
