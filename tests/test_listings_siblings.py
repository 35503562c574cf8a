"""Attachments on other hosts of the same body (file.shili.gov.cn beside www.shili.gov.cn) are
archived; another body's site and a sibling name that resolves to a private address are never
contacted. Host names are mapped by the test launcher's DNS (tests/portals/faulty.py), which also
refuses and logs any connection outside 127.0.0.0/8; each host is its own server with its own log."""
from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import q
from crawler.sample_portal.server import Portal, PortalServer
from crawler.urls import SiblingHosts, registrable_domain
from portals import faulty, sites
from test_security import FAST, env


def test_registrable_domain_knows_gov_cn_as_a_suffix() -> None:
    assert registrable_domain("xxgk.fuzhou.gov.cn") == registrable_domain("www.fuzhou.gov.cn") == "fuzhou.gov.cn"
    assert registrable_domain("www.beijing.gov.cn") != registrable_domain("www.shanghai.gov.cn")
    assert registrable_domain("127.0.0.1") == registrable_domain("localhost") == ""
    sib = SiblingHosts(["https://www.fuzhou.gov.cn/zwgk/"])
    assert sib.allows("http://file.fuzhou.gov.cn:8080/a.pdf")
    assert not sib.allows("http://www.xm.gov.cn/a.pdf")
    assert not sib.allows("ftp://file.fuzhou.gov.cn/a.pdf")
    assert not SiblingHosts(["http://127.0.0.1:8000/"]).allows("http://127.0.0.2:8000/a.pdf")


def test_attachments_on_a_sibling_host_are_archived_and_nothing_else_is_contacted(tmp_path: Path) -> None:
    files = Portal({"/robots.txt": b"User-agent: *\nDisallow:\n", "/uploads/2023/nb2022.docx": sites.DOCX})
    other = Portal({"/robots.txt": b"", "/uploads/nb.pdf": b"%PDF-1.4", "/gknb/t1.html": sites.XIGANG})
    with PortalServer(files) as fs, PortalServer(other) as os_:
        www = Portal({"/robots.txt": b"User-agent: *\nDisallow:\n"})
        with PortalServer(www) as ws:
            f_url = f"http://file.shili.gov.cn:{fs.port}"
            www.set("/gknb/", sites.shell("政府信息公开年报", sites.li([
                ("示例市2022年政府信息公开工作年度报告", "/gknb/t20230130_1.html"),
                ("示例市2021年政府信息公开工作年度报告", "/gknb/t20220128_2.html"),
                ("示例市2020年政府信息公开工作年度报告", f"http://www.other.gov.cn:{os_.port}/gknb/t1.html")])))
            www.set("/gknb/t20230130_1.html", sites.shell("示例市2022年政府信息公开工作年度报告", (
                '<p>详见附件:</p>'
                f'<p><a href="{f_url}/uploads/2023/nb2022.docx">示例市2022年政府信息公开工作年度报告.docx</a></p>'
                f'<p><a href="http://xxgk.shili.gov.cn:{fs.port}/uploads/2023/nb2022.pdf">PDF版</a></p>'
                f'<p><a href="http://www.other.gov.cn:{os_.port}/uploads/nb.pdf">他处转载</a></p>')))
            www.set("/gknb/t20220128_2.html", sites.FUXIN)
            hosts = ("www.shili.gov.cn=127.0.0.1,file.shili.gov.cn=127.0.0.1,"
                     "www.other.gov.cn=127.0.0.1,xxgk.shili.gov.cn=10.0.0.5")
            start = f"http://www.shili.gov.cn:{ws.port}/gknb/"
            cmd = faulty.launcher_cmd("crawl", "--db", str(tmp_path / "archive.db"), "--no-js", *FAST,
                                      "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.1", start)
            e = env(tmp_path, hosts)
            r = subprocess.run(cmd, cwd=tmp_path, env=e, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr[-3000:]
    db = tmp_path / "archive.db"
    www_base = f"http://www.shili.gov.cn:{ws.port}"
    reports = {u for (u,) in q(db, "SELECT url FROM reports")}
    assert reports == {www_base + "/gknb/t20220128_2.html", f_url + "/uploads/2023/nb2022.docx"}, reports
    # the sibling's server saw its robots.txt and the attachment, once each; the other body nothing
    assert sorted(files.requested()) == ["/robots.txt", "/uploads/2023/nb2022.docx"]
    assert other.requested() == []
    # the sibling name resolving to a private address: refused before any connection, with the reason
    assert not (tmp_path / "connects.log").exists() or (tmp_path / "connects.log").read_text() == ""
    errors = dict(q(db, "SELECT url, reason FROM errors"))
    pdf = f"http://xxgk.shili.gov.cn:{fs.port}/uploads/2023/nb2022.pdf"
    assert "resolves to 10.0.0.5 (private address)" in errors.get(pdf, ""), errors
