"""One way to read bytes (parsers/decode.py), on all three sides: the crawler finds the links of a UTF-8
page served as iso-8859-1, the parser reads it, and the archived copy shows it without mojibake."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.sanitize import archived_page
from crawler import classify
from crawler.html import decode_html, extract_links, parse_html
from fixture_server import serve
from parsers import parse_bytes
from parsers.decode import decode

REPO = Path(__file__).resolve().parents[1]
REPORT = (REPO / "crawler" / "sample_portal" / "site" / "zwgk" / "zfxxgk" / "zfxxgknb" / "202201"
          / "t20220128_3001.html").read_bytes()  # 大连市西岗区 2021, UTF-8
LATIN = "text/html; charset=iso-8859-1"
# the same UTF-8 bytes, now also declaring iso-8859-1 in the page (a server default and a template both lying)
REPORT_LATIN = REPORT.replace(b"charset=utf-8", b"charset=iso-8859-1")
TITLE = "大连市西岗区2021年政府信息公开工作年度报告"
LISTING = (f'<html><head><meta http-equiv="Content-Type" content="{LATIN}"><title>政府信息公开年报</title></head>'
           f'<body><ul><li><a href="/nb/202201/t20220128_3001.html">{TITLE}</a></li>'
           f'<li><a href="/tzgg/">通知公告</a></li></ul></body></html>').encode("utf-8")


def test_valid_utf8_or_gb18030_beats_any_declaration():
    assert decode(REPORT_LATIN, LATIN).encoding == "utf-8"
    assert TITLE in decode(REPORT_LATIN, LATIN).text
    gbk = '<meta charset="utf-8"><p>新前街道2020年度政府信息公开年度报告</p>'.encode("gbk")
    assert decode(gbk, "text/html; charset=utf-8").text.endswith("新前街道2020年度政府信息公开年度报告</p>")
    assert decode(gbk, "text/html; charset=utf-8").encoding == "gb18030"
    assert decode(gbk, "text/html; charset=utf-8").declared == "utf-8"
    # a byte-order mark, and a page that really is Latin-1 (no valid UTF-8 or GB18030 reading)
    assert decode(b"\xef\xbb\xbf" + "年报".encode("utf-8")).text == "年报"
    assert decode("Décret n° 12".encode("latin-1"), LATIN).text == "Décret n° 12"
    assert decode(b"", None).text == ""


def test_the_parser_reads_a_utf8_page_declared_iso_8859_1():
    lying = parse_bytes(REPORT_LATIN, "http://127.0.0.1/nb/t1.html", LATIN)
    honest = parse_bytes(REPORT, "http://127.0.0.1/nb/t1.html", "text/html; charset=utf-8")
    assert lying.title == TITLE and lying.agency == honest.agency
    assert lying.table3 == honest.table3 and lying.table3["new_received"]["total"] is not None


def test_the_crawlers_link_extraction_keeps_chinese_link_texts():
    text, encoding = decode_html(LISTING, LATIN)
    links = extract_links(parse_html(text), "http://127.0.0.1:81/nb/")
    assert encoding == "utf-8"
    assert [(u, t) for u, t in links if classify.is_report_title(t)] == [
        ("http://127.0.0.1:81/nb/202201/t20220128_3001.html", TITLE)]


def test_the_archived_copy_shows_the_page_not_mojibake():
    page = archived_page(REPORT_LATIN, LATIN, "http://127.0.0.1/nb/t1.html", "2026-12-03T00:00:00Z", 1)
    assert TITLE in page and "å¤§è¿" not in page  # "大连" read as cp1252 would be å¤§è¿


def test_a_crawl_of_a_portal_that_labels_utf8_as_iso_8859_1(tmp_path):
    pages = {"/nb/": (LISTING, LATIN), "/nb/202201/t20220128_3001.html": (REPORT_LATIN, LATIN),
             "/robots.txt": (b"", "text/plain")}
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    db = tmp_path / "archive.db"
    with serve(pages) as base:
        r = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--db", str(db), "--no-js",
                            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
                            base + "/nb/"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr[-2000:]
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT url, title, agency, page_id FROM reports WHERE is_current = 1").fetchall()
    assert [(u.split("/", 3)[3], t, a) for u, t, a, _ in rows] == [
        ("nb/202201/t20220128_3001.html", TITLE, "大连市西岗区")]
    # the archived copy served by Datasette reads as the parser read it
    from archive.serve import make_datasette

    async def get():
        return await make_datasette(str(db)).client.get(f"/-/archived/{rows[0][3]}")
    conn.close()
    res = asyncio.run(get())
    assert res.status_code == 200 and TITLE in res.text
