"""An honest `nianbao crawl`: what a user sees on the terminal, and what the exit status says.

Quiet by default (Scrapy's log goes to <db>.log beside the archive, `-v` shows it), the summary
names the pages that failed and the query that lists them all, pdfminer's FontBBox noise is gone
(in `crawl` and `parse`), a crawl whose every start URL failed exits non-zero with consistent
counts, and a `--db` that is not an archive is one line.
"""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import q
from crawler.sample_portal.server import Portal, PortalServer
from portals import sites

REPO = Path(__file__).resolve().parents[1]
FAST = ["--no-js", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.1", "-s", "DOWNLOAD_TIMEOUT=3"]
COL = "/zfxxgknb/"


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def nianbao(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *args], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=120)


def font_bbox_pdf() -> bytes:
    """A report PDF whose fonts lack a FontBBox, as many real ones do: pdfminer warns per font."""
    sys.path.insert(0, str(REPO / "tests"))
    import make_documents

    pdf = make_documents.make_report_pdf()
    assert b"/FontBBox" in pdf
    return pdf.replace(b"/FontBBox", b"/FontBBoy")  # same length: the xref stays right


@pytest.fixture(scope="module")
def portal():
    """A column with three reports (one a PDF with FontBBox-less fonts), one that answers 404, and
    one that fails with 500."""
    p = Portal()
    p.set("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    p.set("/", sites.shell("示例县人民政府", sites.li([("政府信息公开年报", COL)])))
    p.set("/zwgk/zfxxgk/", sites.shell("政府信息公开", sites.li([("政府信息公开年报", COL)])))
    p.set(COL, sites.shell("政府信息公开年报", sites.li([
        ("示例县2022年政府信息公开工作年度报告", COL + "t20230120_1.html"),
        ("示例县2021年政府信息公开工作年度报告", COL + "t20220125_2.html"),
        ("示例县2020年政府信息公开工作年度报告", COL + "P020210128_3.pdf"),
        ("示例县2019年政府信息公开工作年度报告", COL + "t20200120_4.html"),  # 404
        ("示例县2018年政府信息公开工作年度报告", COL + "t20190120_5.html"),  # 500
    ])))
    p.set(COL + "t20230120_1.html", sites.retitle(sites.XIGANG, "2021", "2022"))
    p.set(COL + "t20220125_2.html", sites.FUXIN)
    p.set(COL + "P020210128_3.pdf", font_bbox_pdf())

    def hook(h, path: str) -> bool:
        if path == COL + "t20190120_5.html":
            h.send_plain(500, b"<html><body>Internal Server Error</body></html>")
            return True
        return False

    p.hook = hook
    server = PortalServer(p).start()
    yield server
    server.stop()


UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused


def test_quiet_by_default_scrapy_log_beside_the_archive_and_failures_named(tmp_path: Path, portal) -> None:
    # two start URLs, one unreachable: the crawl ran (exit 0), and the summary says what failed
    r = nianbao(tmp_path, "crawl", UNREACHABLE, portal.url, "--db", "archive.db", *FAST)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "no start URL could be crawled" not in r.stderr
    # the terminal: the summary, no Scrapy log, no pdfminer noise
    assert "[scrapy" not in r.stderr and "INFO" not in r.stderr and "Traceback" not in r.stderr
    assert "FontBBox" not in r.stderr
    assert "reports found   3: new 3" in r.stderr
    log = (tmp_path / "archive.db.log").read_text(encoding="utf-8")
    assert "[scrapy.core.engine] INFO: Spider opened" in log and "Dumping Scrapy stats" in log
    assert "FontBBox" not in log
    assert f"log             archive.db.log" in r.stderr
    # the failed pages are named, with the query that lists them all; the counts agree with it
    assert re.search(r"errors\s+3 \(404/410: 1\)", r.stderr)
    assert f"{UNREACHABLE}  DownloadConnectionRefusedError" in r.stderr
    assert f"{portal.url.rstrip('/')}{COL}t20200120_4.html  HTTP 404" in r.stderr
    assert f"{portal.url.rstrip('/')}{COL}t20190120_5.html  HTTP 500 after 1 retries" in r.stderr
    query = re.search(r'all of them: sqlite3 archive\.db "(SELECT [^"]+)"', r.stderr).group(1)
    base = portal.url.rstrip("/")
    assert {u for u, _ in q(tmp_path / "archive.db", query)} == {
        UNREACHABLE, f"{base}{COL}t20200120_4.html", f"{base}{COL}t20190120_5.html"}


def test_parse_of_a_pdf_without_font_boxes_prints_no_warnings(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(font_bbox_pdf())
    r = nianbao(tmp_path, "parse", str(pdf), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert '"table3"' in r.stdout


def test_start_urls_that_all_fail_exit_non_zero_with_consistent_counts(tmp_path: Path, portal) -> None:
    missing = portal.url + "no-such-column/"
    # -v: Scrapy's log on the terminal instead of in archive.db.log
    r = nianbao(tmp_path, "crawl", missing, UNREACHABLE, "--db", "archive.db", "-v", *FAST)
    assert r.returncode == 1, r.stderr[-3000:]
    assert "[scrapy.core.engine] INFO: Spider opened" in r.stderr
    assert not (tmp_path / "archive.db.log").exists()
    # every failure counted once, in the summary as in the archive
    assert re.search(r"errors\s+2 \(404/410: 1\)", r.stderr)
    assert f"{missing}  HTTP 404" in r.stderr and f"{UNREACHABLE}  DownloadConnectionRefusedError" in r.stderr
    assert "no start URL could be crawled" in r.stderr
    assert q(tmp_path / "archive.db", "SELECT count(*) FROM errors") == [(2,)]
    assert q(tmp_path / "archive.db", "SELECT errors FROM crawls") == [(2,)]


def test_a_db_that_is_not_an_archive_is_one_line_and_left_alone(tmp_path: Path, capsys) -> None:
    from nianbao.cli import main

    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.commit()
    con.close()
    expected = {notes: "is not a nianbao archive (not an SQLite database)",
                other: "is an SQLite database of something else (tables: contacts), not a nianbao archive"}
    for db, why in expected.items():
        before = db.read_bytes()
        assert main(["crawl", UNREACHABLE, "--db", str(db), *FAST]) == 2
        assert capsys.readouterr().err.splitlines() == [f"nianbao crawl: --db {db} {why}"]
        assert main(["archive", "check", "--db", str(db)]) == 2
        assert capsys.readouterr().err.splitlines() == [f"nianbao archive check: {db} {why}"]
        assert db.read_bytes() == before  # nothing was created in it


def test_a_registry_that_cannot_be_crawled_is_one_line_naming_the_file(tmp_path: Path, capsys) -> None:
    """A user's own registry with a typo, or with no start URL in it: one line naming the file,
    exit 2, and no archive created (it used to be a TOMLDecodeError traceback, or a crawl of
    nothing that ended "no start URL could be crawled")."""
    from nianbao.cli import main

    broken = tmp_path / "broken.toml"
    broken.write_text('[[portal]\nname = "甲县人民政府"\n', encoding="utf-8")
    empty = tmp_path / "empty.toml"
    empty.write_text('[[portal]]\nname = "甲县人民政府"\nprovince = "福建省"\n', encoding="utf-8")
    expected = {broken: "not TOML (Expected ']]' at the end of an array declaration (at line 1, column 9))",
                empty: "no [[portal]] with start_urls (or url)"}
    for registry, why in expected.items():
        db = tmp_path / "archive.db"
        assert main(["crawl", "--portals", str(registry), "--db", str(db), *FAST]) == 2
        assert capsys.readouterr().err.splitlines() == [f"nianbao crawl: portal registry {registry}: {why}"]
        assert not db.exists()
