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
