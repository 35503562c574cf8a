"""The portal registry: every bundled entry is usable and rests on evidence; `nianbao portals`
lists and probes it; `nianbao crawl --province` crawls one province's portals only."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import q
from crawler.registry import LEVELS, PROVINCES, RegistryError, load_registry, select
from crawler.registry.build import column_of, portals_from_evidence
from crawler.sample_portal.server import Portal, PortalServer
from nianbao.cli import main
from portals import sites

REPO = Path(__file__).resolve().parents[1]


def test_every_bundled_entry_parses_and_rests_on_a_url_seen() -> None:
    portals = load_registry()
    assert len(portals) >= 300
    for p in portals:
        assert p.province in PROVINCES and p.level in LEVELS, p
        assert p.source, p.name
        seen = urlsplit(p.seen)
        assert seen.scheme in ("http", "https") and seen.hostname, p.name
        for url in p.start_urls:
            # the start URL is read from the URL seen: same site, never another one
            assert urlsplit(url).hostname == seen.hostname, (p.name, url, p.seen)
    assert len({tuple(p.start_urls) for p in portals}) == len(portals)  # one entry per start URL
    levels = Counter(p.level for p in portals)
    assert all(levels[lv] for lv in LEVELS)
    assert len({p.province for p in portals}) == len(PROVINCES)  # all 31 divisions and 中央
    # the bundled file is what the builder makes of the evidence file (nothing added by hand)
    built = [(b.name, b.start_urls, b.seen) for b in portals_from_evidence()]
    assert built == [(p.name, p.start_urls, p.seen) for p in portals]


def test_the_start_url_is_the_report_column_of_the_url_seen() -> None:
    assert column_of("https://fzwb.fuzhou.gov.cn/zfxxgkzl/ndbg/202601/t20260115_5271530.htm") == (
        "https://fzwb.fuzhou.gov.cn/zfxxgkzl/ndbg/", True)
    assert column_of("https://lxs.gov.cn/lxs/zwgk/xxgkndbg/2023/szf/art/2024/art_c6c8.html") == (
        "https://lxs.gov.cn/lxs/zwgk/xxgkndbg/", True)
    assert column_of("https://shanghai.gov.cn/nw12344/20230331/4a03b5fa47ae4c73b7ec42801de6be66.html") == (
        "https://shanghai.gov.cn/nw12344/", True)
    # a report folder with a numeric suffix is still the column (Inner Mongolia, Tianjin portals)
    assert column_of("http://www.kyzq.gov.cn/kyzq/zfxxgk27/zfxxgknb49/5839514/5886782/index.html") == (
        "http://www.kyzq.gov.cn/kyzq/zfxxgk27/zfxxgknb49/", True)
    # Sichuan and Anhui platform article pages say nothing about their column either
    assert column_of("https://lzq.gov.cn/gongkai/show/20240220114451305.html") == ("https://lzq.gov.cn/", False)
    assert column_of("https://www.tl.gov.cn/openness/OpennessAnnualReport/show/3475.html") == (
        "https://www.tl.gov.cn/", False)
    # a JCMS article says nothing about its column: start at the home page
    assert column_of("https://www.tonglu.gov.cn/art/2024/1/17/art_1229140160_87194.html") == (
        "https://www.tonglu.gov.cn/", False)
    # only 20xx folders are years: Hainan's 0204 is its 年报 column, a VSB /info/2061/ a catalogue node
    assert column_of("http://iitb.hainan.gov.cn/iitb/0204/202301/ba4b23a0ad07441299394fb8fb5b3900.shtml") == (
        "http://iitb.hainan.gov.cn/iitb/0204/", True)
    assert column_of("https://www.tianshui.gov.cn/info/2061/33061.htm") == ("https://www.tianshui.gov.cn/info/2061/", True)
    assert column_of("http://www.sc.gov.cn/10954/11064/2015/8/17/10348850.shtml") == ("http://www.sc.gov.cn/10954/11064/", True)


# Provinces without any entry of their own government (人民政府, its 办公厅 or 信息公开专栏): none left.
# Twelve (内蒙古, 辽宁, 江苏, 福建, 江西, 河南, 湖北, 海南, 重庆, 甘肃, 宁夏, 新疆) have no report of theirs
# seen on their own host; they rest on a URL of their portal instead (see the test below).
NO_GOVERNMENT_SEEN: set[str] = set()
PORTAL_NOT_REPORT = {
    "内蒙古自治区", "辽宁省", "江苏省", "福建省", "江西省", "河南省", "湖北省", "海南省", "重庆市", "甘肃省",
    "宁夏回族自治区", "新疆维吾尔自治区",
}


def test_every_province_has_its_government_or_is_a_listed_exception() -> None:
    portals = load_registry()
    provinces = [p for p in PROVINCES if p != "中央"]
    governed = {p.province for p in portals if p.level == "province"}
    assert governed <= set(provinces)
    # the exceptions are exactly the provinces without a province-level entry: one found later
    # must be taken off the list
    assert set(provinces) - governed == NO_GOVERNMENT_SEEN
    assert len(governed) == 31 - len(NO_GOVERNMENT_SEEN) == 31
    for prov in NO_GOVERNMENT_SEEN:
        assert [p for p in portals if p.province == prov and p.level != "province"], prov
    # where a province-level government is listed, it is the government (or its office/column),
    # not a department
    for p in portals:
        if p.level == "province":
            assert p.name.startswith(p.province.removesuffix("省").removesuffix("市")[:2]), p.name
            assert any(w in p.name for w in ("人民政府", "政府信息公开专栏")), p.name


def test_a_government_without_a_report_seen_starts_at_its_column_section_or_home_page() -> None:
    governments = {p.province: p for p in load_registry() if p.level == "province"}
    for prov in PORTAL_NOT_REPORT:
        p = governments[prov]
        seen, (start,) = urlsplit(p.seen), p.start_urls
        # the start is the home page or a folder of the portal URL seen, never a path made up
        assert start.startswith(f"{seen.scheme}://{seen.netloc}/") and start.endswith("/"), p.name
        assert (seen.path or "/").startswith(urlsplit(start).path), p.name
        assert "no annual report of the government seen on" in (p.notes or ""), p.name
        assert p.source, p.name
    # 内蒙古: the 年报 column itself, as a public crawler config lists it; 海南: a stored page of the portal
    nmg = governments["内蒙古自治区"]
    assert nmg.seen == nmg.start_urls[0] == "http://www.nmg.gov.cn/xxgkml/zzqzf/zfxxgknb/"
    assert nmg.source.startswith("fei2yi/School_News ") and "moved, probe" in (nmg.notes or "")
    hainan = governments["海南省"]
    assert hainan.seen.startswith("https://www.hainan.gov.cn/hainan/15508/201105/") and "pages corpus" in hainan.source
    assert hainan.start_urls == ["https://www.hainan.gov.cn/"]
    # 湖北: the portal's home page, as a public repository lists the province's 政府网站
    hubei = governments["湖北省"]
    assert (hubei.seen, hubei.start_urls) == ("http://www.hubei.gov.cn", ["http://www.hubei.gov.cn/"])
    assert hubei.source.startswith("liubeijs/liubeijs.github.io data.js at commit 90657c5")


def test_an_evidence_start_that_is_not_a_folder_of_the_url_seen_is_refused(tmp_path: Path) -> None:
    ev = tmp_path / "evidence.tsv"
    line = "甲省人民政府\t福建省\tprovince\thttps://www.a.gov.cn/zwgk/zfwj/202401/t1.html\tpages\tnotes\t{}\n"
    ev.write_text(line.format("https://www.a.gov.cn/zwgk/"), encoding="utf-8")
    assert [p.start_urls for p in portals_from_evidence(str(ev))] == [["https://www.a.gov.cn/zwgk/"]]
    for bad in ("https://www.a.gov.cn/zfxxgk/zfxxgknb/", "https://www.b.gov.cn/", "http://www.a.gov.cn/"):
        ev.write_text(line.format(bad), encoding="utf-8")
        with pytest.raises(ValueError, match=rf"^{ev}:1: start {bad} is not the home page or a folder"):
            portals_from_evidence(str(ev))


def test_provincial_governments_list_with_their_report_columns(capsys) -> None:
    assert main(["portals", "--level", "province"]) == 0
    rows = {r[2]: r for r in (line.split("\t") for line in capsys.readouterr().out.splitlines())}
    assert rows["湖南省人民政府"][:4] == ["湖南省", "province", "湖南省人民政府", "http://hunan.gov.cn/hnszf/xxgk/zfxxgknb/"]
    assert rows["贵州省人民政府"][3:] == ["https://www.guizhou.gov.cn/zwgk/zfxxgk/zfxxgknb/", "TRS WCM"]
    assert rows["云南省人民政府"][3] == "http://www.yn.gov.cn/zwgk/zfxxgkpt/zfxxgknb/"
    assert rows["四川省人民政府"][3] == "http://www.sc.gov.cn/10954/11064/"  # 2015/8/17/ date folders dropped
    # a TRS page's _wap twin still shows the CMS; a JCMS article starts at the site's home page
    assert rows["陕西省人民政府"][3:] == ["http://www.shaanxi.gov.cn/zfxxgk/xxgknb/", "TRS WCM"]
    assert rows["浙江省人民政府"][3:] == ["http://zfxxgk.zj.gov.cn/", "Hanweb JCMS"]
    # governments without a report seen on their host: a section of the portal, or its home page
    assert rows["内蒙古自治区人民政府"][:1] + rows["内蒙古自治区人民政府"][3:] == [
        "内蒙古自治区", "http://www.nmg.gov.cn/xxgkml/zzqzf/zfxxgknb/", ""]
    assert rows["海南省人民政府"][3:] == ["https://www.hainan.gov.cn/", ""]
    assert rows["重庆市人民政府"][3] == "http://www.cq.gov.cn/"
    assert rows["新疆维吾尔自治区人民政府"][0] == "新疆维吾尔自治区"
    assert len(rows) == 32 and len({r[0] for r in rows.values()}) == 31  # 北京: 人民政府 and 信息公开专栏
    zhejiang = next(p for p in load_registry() if p.name == "浙江省人民政府")
    assert zhejiang.seen.endswith("/art/2015/3/27/art_10758_1184502.html") and "home page" in (zhejiang.notes or "")


def test_portals_lists_by_province_and_level(capsys) -> None:
    assert main(["portals", "--province", "福建"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    fujian = select(load_registry(), "福建省")
    assert len(rows) == len(fujian) >= 5
    assert {r[0] for r in rows} == {"福建省"}
    assert "平潭综合实验区" in {r[2] for r in rows}
    assert main(["portals", "--level", "province"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert {r[1] for r in rows} == {"province"} and "北京市人民政府" in {r[2] for r in rows}
    assert main(["portals", "--province", "火星"]) == 2
    assert capsys.readouterr().err.strip() == "nianbao portals: not a province-level division: 火星"


def test_a_broken_registry_is_one_line_naming_the_entry(tmp_path: Path, capsys) -> None:
    reg = tmp_path / "portals.toml"
    reg.write_text('[[portal]]\nname = "甲县"\nprovince = "福建省"\nlevel = "county"\nstart_urls = ["https://a.gov.cn/"]\n\n'
                   '[[portal]]\nname = "乙县"\nprovince = "福建省"\nlevel = "village"\nstart_urls = ["https://b.gov.cn/"]\n',
                   encoding="utf-8")
    with pytest.raises(RegistryError, match=r"portal 2 \(乙县\): level 'village' is not one of"):
        load_registry(str(reg))
    assert main(["portals", "--portals", str(reg)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def _column_site(title: str) -> PortalServer:
    p = Portal()
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    p.set("/zfxxgknb/", sites.shell("政府信息公开年报", sites.li([(f"{title}2022年政府信息公开工作年度报告",
                                                                  "/zfxxgknb/202301/t20230120_1.html")])))
    p.set("/zfxxgknb/202301/t20230120_1.html", sites.retitle(sites.XIGANG, "2021", "2022"))
    return PortalServer(p).start()


def _registry(path: Path, entries: list[tuple[str, str, str]]) -> None:
    path.write_text("".join(
        f'[[portal]]\nname = "{name}"\nprovince = "{prov}"\nlevel = "county"\nstart_urls = ["{url}"]\n'
        f'seen = "{url}"\nsource = "test portal"\n\n' for name, prov, url in entries), encoding="utf-8")


def test_crawl_province_visits_that_provinces_portals_only(tmp_path: Path) -> None:
    servers = {name: _column_site(name) for name in ("甲县", "乙县", "丙县")}
    try:
        reg = tmp_path / "portals.toml"
        _registry(reg, [("甲县", "福建省", servers["甲县"].url + "zfxxgknb/"),
                        ("乙县", "福建省", servers["乙县"].url + "zfxxgknb/"),
                        ("丙县", "浙江省", servers["丙县"].url + "zfxxgknb/")])
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        r = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--province", "福建", "--portals", str(reg),
                            "--db", "archive.db", "--no-js", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "2 portals of the registry" in r.stderr
        assert servers["甲县"].portal.requested() and servers["乙县"].portal.requested()
        assert servers["丙县"].portal.requested() == []
        archived = q(tmp_path / "archive.db", "SELECT p.name, p.region FROM reports r "
                                              "JOIN portals p ON p.id = r.portal_id ORDER BY p.name")
        assert archived == [("乙县", "福建省"), ("甲县", "福建省")]
    finally:
        for s in servers.values():
            s.stop()


def test_probe_reports_which_start_urls_answer(tmp_path: Path, capsys) -> None:
    server = _column_site("甲县")
    try:
        reg = tmp_path / "portals.toml"
        _registry(reg, [("甲县", "福建省", server.url + "zfxxgknb/"),
                        ("乙县", "福建省", server.url + "moved-away/"),
                        ("丙县", "福建省", "http://127.0.0.1:9/zfxxgknb/")])
        assert main(["portals", "--probe", "--portals", str(reg), "--timeout", "5"]) == 1
        out = capsys.readouterr()
    finally:
        server.stop()
    answers = {line.split("\t")[2]: line.split("\t")[0] for line in out.out.splitlines()}
    assert answers["甲县"] == "200" and answers["乙县"] == "404"
    assert answers["丙县"].startswith("unreachable: ") and "refused" in answers["丙县"].lower()
    assert out.err.strip() == "1 of 3 start URLs answered"
