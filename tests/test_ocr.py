"""Reports whose tables are pictures: a page with its tables pasted as screenshots, a scanned
and stamped PDF, a Word file with pictured tables. Read by OCR, checked by the tables' own sums.

The pictures are drawn from generated reports (tests/layouts, tests/ocr_pictures.py) whose
truth is the generator's numbers. One OCR cache (a temporary directory) serves the module: a
picture read once is not read again, which is also what the cache tests assert.
"""
from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixture_server import serve  # noqa: E402
from layouts import generate  # noqa: E402
from ocr_pictures import picture_page, scanned_pdf, score  # noqa: E402

from parsers import parse_path  # noqa: E402
from parsers.extract.ocr_arith import settle  # noqa: E402
from parsers.extract.ocr import OcrCell  # noqa: E402
from parsers.extract.html import extract_html  # noqa: E402
from parsers.report import build_report  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PAGE_SEED = 18  # TRS page, template 2021, three-column labels, full-width digits, blank columns
SCAN_SEED = 5


@pytest.fixture(scope="module")
def ocr_cache(tmp_path_factory, monkeypatch_module):
    cache = tmp_path_factory.mktemp("ocr-cache")
    monkeypatch_module.setenv("NIANBAO_OCR_CACHE", str(cache))
    return cache


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def pictured(tmp_path_factory, ocr_cache):
    """A saved report page whose three tables are PNG pictures beside it, and its first parse."""
    case = generate(PAGE_SEED)
    html, pictures = picture_page(case.html, random.Random(PAGE_SEED))
    folder = tmp_path_factory.mktemp("page")
    (folder / "report.html").write_bytes(html)
    for name, data in pictures.items():
        (folder / name).write_bytes(data)
    report = parse_path(folder / "report.html")
    return case, folder, pictures, report


@pytest.mark.timeout(1200)  # the fixture's OCR of three pictures: under a minute on two free cores
def test_a_page_whose_tables_are_pictures_is_read_cell_by_cell(pictured, ocr_cache):
    case, folder, pictures, report = pictured
    n, wrong = score(report, case.truth)
    assert n == 200
    assert (n - len(wrong)) / n >= 0.99, wrong
    assert [w for w in wrong if not w[5]] == []  # any wrong figure is flagged
    assert report.table3["new_received"]["natural_person"] == case.truth["table3"]["new_received"]["natural_person"]
    assert report.template == case.truth["template"] and report.year == case.truth["year"]
    # every picture read is on record: its values came from OCR, so the report needs review
    pages = [d for d in report.doubts if d.kind == "ocr_page"]
    assert sorted(d.where.split()[1] for d in pages) == sorted(pictures)
    assert all("read by OCR" in d.detail for d in pages)
    assert report.needs_review and report.to_dict()["needs_review"] is True
    # one cache entry per picture, named by the picture's sha256
    entries = sorted(p.name.split(".")[0] for p in ocr_cache.rglob("*.json"))
    import hashlib
    assert entries == sorted(hashlib.sha256(d).hexdigest() for d in pictures.values())


def test_a_reparse_reads_the_pictures_from_the_cache(pictured, ocr_cache):
    case, folder, pictures, first = pictured
    before = {p: p.stat().st_mtime_ns for p in ocr_cache.rglob("*.json")}
    again = parse_path(folder / "report.html")
    assert {p: p.stat().st_mtime_ns for p in ocr_cache.rglob("*.json")} == before
    assert (again.table2, again.table3, again.table4) == (first.table2, first.table3, first.table4)


def test_without_a_picture_source_a_page_is_not_ocrd(pictured):
    """parse_bytes alone does no I/O: the page's pictures are simply not there."""
    from parsers import parse_bytes

    case, folder, pictures, _ = pictured
    report = parse_bytes((folder / "report.html").read_bytes(), case.url)
    assert report.table3 is None and not [d for d in report.doubts if d.kind.startswith("ocr")]


def test_parse_url_fetches_the_pictures_from_the_pages_own_host(pictured):
    case, folder, pictures, first = pictured
    html = (folder / "report.html").read_bytes()
    # one more picture on another host (127.0.0.2 is another host for the page on 127.0.0.1)
    html = html.replace(b"</body>", b'<img src="http://127.0.0.2:9/tracker.png" width="300" height="300"></body>')
    files = {"/xxgk/2023/report.html": (html, "text/html; charset=utf-8")}
    files.update({f"/xxgk/2023/{name}": (data, "image/png") for name, data in pictures.items()})
    with serve(files) as base:
        url = base + "/xxgk/2023/report.html"
        out = subprocess.run([sys.executable, "-m", "nianbao", "parse", url, "--format", "json"], cwd=REPO,
                             capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["table3"] == first.table3 and got["table4"] == first.table4
    assert got["needs_review"] is True
    read = sorted(d["where"].split()[1] for d in got["doubts"] if d["kind"] == "ocr_page")
    assert read == sorted(pictures)  # the tracker on another host was not fetched


@pytest.fixture(scope="module")
def scan(tmp_path_factory, ocr_cache):
    """A three-page scanned, stamped report (150 dpi, tilted, noisy, blurred, JPEG) and its
    parse; table 3 runs over a page break as Word would print it."""
    case = generate(SCAN_SEED)
    path = tmp_path_factory.mktemp("scan") / "report.pdf"
    path.write_bytes(scanned_pdf(case.html, random.Random(SCAN_SEED), dpi=150, tilt=0.8, noise=8, blur=0.6,
                                 jpeg=60, seal=True))
    return case, path, parse_path(path)


@pytest.mark.timeout(1200)  # OCR of three scanned pages: a minute on two free cores, more when shared
def test_a_tilted_noisy_150_dpi_scan_with_a_seal_is_read(scan):
    case, path, report = scan
    n, wrong = score(report, case.truth)
    assert (n - len(wrong)) / n >= 0.97, wrong
    assert [w for w in wrong if not w[5]] == []
    assert report.format == "pdf" and report.year == case.truth["year"]
    # the agency's name as OCR read it from the title (a rare character may come out as a
    # look-alike, e.g. 沭 → 沐)
    import difflib
    assert difflib.SequenceMatcher(None, report.agency or "", case.truth["agency"]).ratio() >= 0.9
    assert len([d for d in report.doubts if d.kind == "ocr_page"]) >= 2  # one per scanned page


@pytest.mark.timeout(1200)
def test_archive_add_of_a_scan_stores_its_tables(scan, tmp_path):
    case, path, _ = scan  # the pictures are in the OCR cache by now: stored, not read again
    db = tmp_path / "a.db"
    out = subprocess.run([sys.executable, "-m", "nianbao", "archive", "add", str(path), "--db", str(db)],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    con = sqlite3.connect(db)
    fmt, year = con.execute("select format, year from reports").fetchone()
    assert (fmt, year) == ("pdf", case.truth["year"])
    want = case.truth["table3"]["total_processed"]["total"]
    assert con.execute("select total from table3 where row_key='total_processed'").fetchone() == (want,)


def test_a_word_file_with_pictured_tables(pictured, tmp_path):
    import docx

    case, folder, pictures, first = pictured
    d = docx.Document()
    d.add_paragraph(first.title or "")
    for line in first.text.splitlines()[:40]:
        if "|" not in line:
            d.add_paragraph(line)
    for name in sorted(pictures):
        d.add_picture(str(folder / name))
    path = tmp_path / "report.docx"
    d.save(path)
    report = parse_path(path)
    assert report.format == "docx"
    assert (report.table3, report.table4) == (first.table3, first.table4)
    assert len([x for x in report.doubts if x.kind == "ocr_page"]) == len(pictures)


def _ocr_doc(seed: int):
    """A page's own (text) grids, every figure registered as if OCR had read it surely."""
    case = generate(seed)
    doc = extract_html(case.html, case.url)
    for t, grid in enumerate(doc.tables):
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if v and v.strip().isdigit() and (r == 0 or grid[r - 1][c] != v):
                    doc.ocr_cells.append(OcrCell(t, r, c, v, 1.0, []))
    return case, doc


def _cell(doc, value: str, table_hint: str):
    """The OCR cell of table 3 holding `value` on a row labelled with `table_hint`."""
    for c in doc.ocr_cells:
        row = doc.tables[c.table][c.row]
        if c.text == value and any(table_hint in (x or "") for x in row):
            return c
    raise AssertionError(f"no cell {value!r} on a row with {table_hint!r}")


def test_the_sums_choose_among_a_digits_readings():
    case, doc = _ocr_doc(PAGE_SEED)
    truth = case.truth["table3"]["granted"]["natural_person"]
    cell = _cell(doc, str(truth), "予以公开")
    misread = str(truth + 3) if truth < 7 else str(truth)[:-1] + str((int(str(truth)[-1]) + 5) % 10)
    doc.tables[cell.table][cell.row][cell.col] = misread
    cell.text, cell.confidence, cell.alternatives = misread, 0.61, [str(truth)]
    report = build_report(settle(doc))
    assert report.table3["granted"]["natural_person"] == truth
    assert not [c for c in report.checks if not c.ok]
    assert not [d for d in report.doubts if d.kind == "ocr_cell"]
    chosen = [d for d in report.doubts if d.kind == "ocr_page"]
    assert chosen and f"chose '{truth}'" in chosen[0].detail


def test_a_sure_misreading_that_breaks_a_sum_is_named_in_doubts():
    case, doc = _ocr_doc(PAGE_SEED)
    truth = case.truth["table3"]["carried_over"]["natural_person"]
    cell = _cell(doc, str(truth), "上年结转")
    doc.tables[cell.table][cell.row][cell.col] = cell.text = str(truth + 10)
    report = build_report(settle(doc))
    assert report.needs_review
    named = {d.where for d in report.doubts if d.kind == "ocr_cell"}
    assert "table3 carried_over/natural_person" in named
    failed = {(c.rule, c.where) for c in report.checks if not c.ok}
    assert ("t3_row_total", "carried_over") in failed


def test_a_crawl_archives_a_portal_page_whose_tables_are_pictures(pictured, tmp_path):
    """The bundled sample portal plus one report page with pictured tables (added in memory:
    the committed portal stays as the other crawl tests expect it). The parse workers fetch
    the page's pictures from the portal and archive the report with its tables."""
    import os

    from crawler.sample_portal.server import Portal, PortalServer

    case, folder, pictures, first = pictured
    col = "/zwgk/zfxxgk/zfxxgknb/"
    page = col + "202303/t20230301_5000.html"
    portal = Portal.from_dir()
    portal.set(page, (folder / "report.html").read_bytes(), "text/html; charset=utf-8")
    for name, data in pictures.items():
        portal.set(col + "202303/" + name, data, "image/png")
    index = portal.files[col + "index.html"].decode("utf-8")
    link = f'<li><a href="{page}" title="{first.title}">{first.title}</a><span>2023-03-01</span></li>'
    portal.set(col + "index.html", index.replace("<li>", link + "<li>", 1), "text/html; charset=utf-8")
    db = tmp_path / "archive.db"
    server = PortalServer(portal).start()
    try:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, "-m", "nianbao", "crawl", server.url, "--db", str(db), "--no-js",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]
        r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        requested = portal.requested()
    finally:
        server.stop()
    assert sorted(p.rsplit("/", 1)[1] for p in requested if p.endswith(".png")) == sorted(pictures)
    con = sqlite3.connect(db)
    rid, title, year = con.execute("select id, title, year from reports where url = ?",
                                   (server.url.rstrip("/") + page,)).fetchone()
    assert (title, year) == (first.title, case.truth["year"])
    t3 = case.truth["table3"]
    got = con.execute("select natural_person, total from table3 where report_id = ? and row_key = 'granted'",
                      (rid,)).fetchone()
    assert got == (t3["granted"]["natural_person"], t3["granted"]["total"])
    assert con.execute("select count(*) from table4 where report_id = ?", (rid,)).fetchone() == (3,)
