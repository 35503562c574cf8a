"""The bundled sample portal, crawled into an archive: every archived cell is the printed one.

The portal (crawler/sample_portal) serves the five seed reports as a TRS-style column: an HTML
page whose table 3 has flattened labels (三、本年度办理结果（六）其他处理3.其他 in one cell), a GBK
Word-export page served without a charset header, a legacy HTML page, one report only as a DOCX
attachment and one only as a PDF attachment (LibreOffice export). The seeds' printed figures are pinned cell by cell by hand in test_parse_seeds.py;
here the archive a real crawl makes of the portal must hold exactly those cells, for every
source kind, row by row, with no cell lost, added or moved.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import parsers
from conftest import SEEDS, q
from parsers.tables.templates import T3_COLUMNS, T4_FIELDS

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "crawler" / "sample_portal" / "site"
# archived page → the seed text it was built from (crawler/sample_portal/build.py, REPORTS)
SOURCES = {
    "/zwgk/zfxxgk/zfxxgknb/202201/t20220128_3001.html": ("000", "html"),  # flattened table-3 labels
    "/zwgk/zfxxgk/zfxxgknb/202201/P020220120_287101.pdf": ("003", "pdf"),
    "/zwgk/zfxxgk/zfxxgknb/202101/t20210125_1517.html": ("004", "html"),  # GBK, no charset header
    "/zwgk/zfxxgk/zfxxgknb/202301/P020230130_560419.docx": ("001", "docx"),
    "/zwgk/zfxxgk/zfxxgknb/201803/t20180320_988.html": ("002", "html"),
}


def _printed(seed: str):
    """The seed's tables as printed (test_parse_seeds.py pins every one of these cells by hand)."""
    path = next(SEEDS.glob(f"{seed}_*.txt"))
    return parsers.parse_path(path)


def _archived(db: Path, report_id: int, table: str, key_col: str, cols) -> dict:
    rows = q(db, f"SELECT {key_col}, {', '.join(f'[{c}]' for c in cols)} FROM {table} WHERE report_id = ?",
             report_id)
    return {r[0]: dict(zip(cols, r[1:])) for r in rows}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from crawler.sample_portal.server import serve_sample

    tmp = tmp_path_factory.mktemp("sample")
    server = serve_sample(0)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        cmd = [sys.executable, "-m", "nianbao", "crawl", server.url, "--db", str(tmp / "archive.db"), "--no-js",
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"]
        r = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
    finally:
        server.stop()
    return tmp / "archive.db", server.url.rstrip("/")


def test_every_report_of_the_sample_portal_is_archived(archive):
    db, base = archive
    expected = json.loads((SITE / "_expected_reports.json").read_text(encoding="utf-8"))
    assert set(expected) == set(SOURCES)
    got = {u for (u,) in q(db, "SELECT url FROM reports WHERE is_current = 1")}
    assert got == {base + p for p in SOURCES}


@pytest.mark.parametrize("path", sorted(SOURCES), ids=lambda p: p.rsplit("/", 1)[1])
def test_archived_cells_equal_the_printed_ones(archive, path):
    db, base = archive
    seed, kind = SOURCES[path]
    printed = _printed(seed)
    (rid, fmt, template), = q(db, "SELECT id, format, template FROM reports WHERE url = ? AND is_current = 1",
                              base + path)
    assert fmt == kind and template == printed.template
    t3 = _archived(db, rid, "table3", "row_key", T3_COLUMNS)
    t4 = _archived(db, rid, "table4", "grp", T4_FIELDS)
    t2_rows = {k for (k,) in q(db, "SELECT row_key FROM table2 WHERE report_id = ?", rid)}
    if printed.template == "legacy":
        assert (t3, t4, t2_rows) == ({}, {}, set())
        return
    assert t3 == printed.table3
    assert t4 == printed.table4
    assert t2_rows == set(printed.table2)
    for key, cells in printed.table2.items():
        assert _archived(db, rid, "table2", "row_key", tuple(cells))[key] == cells, key
    # and the archive says what failed exactly as the printed tables do
    failed = {(rule, where) for rule, where in q(db, "SELECT rule, [where] FROM checks WHERE report_id = ? "
                                                    "AND ok = 0", rid)}
    assert failed == {(c.rule, c.where) for c in printed.checks if not c.ok}
