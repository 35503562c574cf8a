"""`nianbao reparse`: a user upgrades nianbao and reads the whole archive again from its archived bytes.
A parser change gives new versions only where the parsed content changed; a second run adds nothing;
nothing is fetched (no server runs in these tests)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.reparse import reparse
from archive.store import Archive
from parsers import parse_bytes
from parsers.version import PARSER_VERSION

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "crawler" / "sample_portal" / "site" / "zwgk" / "zfxxgk" / "zfxxgknb"
PAGES = {  # real-looking portal pages of the sample portal: UTF-8, GBK, legacy, DOCX, PDF
    "202201/t20220128_3001.html": "text/html; charset=utf-8",    # 大连市西岗区 2021
    "202201/P020220120_287101.pdf": "application/pdf",           # 阜新市煤炭工业转型发展局 2021 (PDF)
    "201803/t20180320_988.html": "text/html; charset=utf-8",     # 望花区 2017 (legacy)
    "202101/t20210125_1517.html": "text/html",                   # 新前街道 2020, GBK, no charset header
    "202301/P020230130_560419.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
BASE = "http://127.0.0.1:9/zwgk/zfxxgk/zfxxgknb/"  # never contacted: port 9 (discard)


def parse_with_a_new_rule(data: bytes, url: str, content_type: str | None = None):
    """A parser release that reads one cell of one report differently (run in reparse's workers)."""
    report = parse_bytes(data, url, content_type)
    if report.agency and "西岗" in report.agency:
        report.table3["new_received"]["natural_person"] += 1
    return report


def parse_or_die_on_wanghua(data: bytes, url: str, content_type: str | None = None):
    """A parser release whose C library crashes on one page: the worker process dies outright."""
    if "望花区".encode("utf-8") in data:
        os._exit(70)
    return parse_bytes(data, url, content_type)


@pytest.fixture()
def archive(tmp_path):
    """An archive as a crawl leaves it: every fetch's bytes, and the report read from each."""
    path = str(tmp_path / "archive.db")
    with Archive(path) as db:
        crawl = db.begin_crawl([BASE])
        for rel, ctype in PAGES.items():
            body = (SITE / rel).read_bytes()
            page_id = db.record_page(BASE + rel, 200, {"Content-Type": ctype}, body, crawl_id=crawl,
                                     fetched_at="2026-11-01T08:00:00Z", content_type=ctype)
            db.add_report(parse_bytes(body, BASE + rel, ctype), page_id=page_id, crawl_id=crawl,
                          portal="示例市人民政府", portal_region="辽宁省", seen_at="2026-11-01T08:00:00Z")
        db.finish_crawl(crawl)
    return path


def _rows(path: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT url, version, is_current, parser_version, page_id, first_seen, province "
                            "FROM reports ORDER BY url, version").fetchall()
    finally:
        conn.close()


def test_the_same_parser_changes_nothing(archive):
    before = _rows(archive)
    stats = reparse(archive, workers=2)
    assert (stats.total, stats.changed, stats.unchanged, stats.failed) == (5, 0, 5, 0)
    assert _rows(archive) == before


def test_a_parser_change_gives_a_new_version_only_where_the_content_changed(archive):
    lines: list[str] = []
    stats = reparse(archive, workers=2, parser="test_reparse:parse_with_a_new_rule", parser_version="9999.1",
                    on_progress=lines.append)
    assert (stats.total, stats.changed, stats.unchanged, stats.failed) == (5, 1, 4, 0)
    assert lines[-1].startswith("reparse: 5/5 reports, 1 changed, 4 unchanged, 0 unreadable")
    rows = _rows(archive)
    xigang = BASE + "202201/t20220128_3001.html"
    assert [(v, cur, pv) for u, v, cur, pv, *_ in rows if u == xigang] == [(1, 0, PARSER_VERSION), (2, 1, "9999.1")]
    others = [r for r in rows if r[0] != xigang]
    assert [(v, cur, pv) for _, v, cur, pv, *_ in others] == [(1, 1, "9999.1")] * 4
    conn = sqlite3.connect(archive)
    old, new = conn.execute("SELECT id FROM reports WHERE url = ? ORDER BY version", (xigang,)).fetchall()
    cells = dict(conn.execute("SELECT report_id, natural_person FROM table3 WHERE row_key = 'new_received' "
                              "AND report_id IN (?, ?)", (old[0], new[0])).fetchall())
    assert cells[new[0]] == cells[old[0]] + 1
    # the new version is a new reading of the same fetch, not a new fetch
    (o, n) = [r for r in rows if r[0] == xigang]
    assert (n[4], n[5], n[6]) == (o[4], o[5], o[6]) == (o[4], "2026-11-01T08:00:00Z", "辽宁省")
    assert conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 5
    assert conn.execute("SELECT text_hash FROM reports WHERE id = ?", old).fetchone() == \
        conn.execute("SELECT text_hash FROM reports WHERE id = ?", new).fetchone()
    conn.close()

    # a second run adds nothing
    again = reparse(archive, workers=2, parser="test_reparse:parse_with_a_new_rule", parser_version="9999.1")
    assert (again.changed, again.unchanged) == (0, 5)
    assert _rows(archive) == rows


def test_since_limits_the_reports_read(archive):
    assert reparse(archive, since="2026-11-02", workers=1).total == 0
    assert reparse(archive, since="2026-11-01", workers=1).total == 5


def test_the_command(archive, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = lambda *a: subprocess.run([sys.executable, "-m", "nianbao", "reparse", *a], cwd=tmp_path, env=env,
                                    capture_output=True, text=True, timeout=300)
    r = run("--db", archive, "--workers", "2")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "reparse: 5/5 reports, 0 changed, 5 unchanged, 0 unreadable" in r.stderr
    assert f"5 report(s) read again with parser {PARSER_VERSION}: 0 new version(s), 5 unchanged" in r.stderr
    bad = run("--db", archive, "--since", "last week")
    assert bad.returncode == 2 and bad.stderr.strip() == "nianbao reparse: --since 'last week' is not a date (YYYY-MM-DD)"
    missing = run("--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2 and "nope.db: no such file" in missing.stderr


def test_reparse_files_reports_again_by_todays_region_rules(archive):
    """An archive filed by an older release (大连市西岗区's report under the portal's province only):
    after reparse the report is filed by its own name, in place (same content, no new version)."""
    xigang = BASE + "202201/t20220128_3001.html"
    conn = sqlite3.connect(archive)
    conn.execute("UPDATE reports SET city = NULL, county = NULL, region_code = '210000', region_source = 'portal' "
                 "WHERE url = ?", (xigang,))
    conn.commit()
    stats = reparse(archive, workers=1)
    assert (stats.changed, stats.unchanged) == (0, 5)
    assert conn.execute("SELECT version, province, city, county, region_code, region_source FROM reports "
                        "WHERE url = ?", (xigang,)).fetchall() == [(1, "辽宁省", "大连市", "西岗区", "210203", "agency")]
    conn.close()


def test_a_parser_process_that_dies_costs_only_its_own_report(archive):
    stats = reparse(archive, workers=2, parser="test_reparse:parse_or_die_on_wanghua")
    assert (stats.total, stats.changed, stats.unchanged, stats.failed) == (5, 0, 4, 1)
    conn = sqlite3.connect(archive)
    wanghua = conn.execute("SELECT id, version, is_current FROM reports WHERE url LIKE '%t20180320_988.html'").fetchall()
    conn.close()
    assert stats.failures == [(wanghua[0][0], "the parser process died reading it")]
    assert [row[1:] for row in wanghua] == [(1, 1)]  # its old reading stays
