"""A journalist's two lists: "numbers that don't add up" holds only reports the parser is sure of;
"needs review" holds the doubtful ones, with the parser's reasons. Plus the archive columns behind them."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from archive.samples import sample_report
from archive.schema import SCHEMA_VERSION, migrate
from archive.serve import make_datasette
from archive.store import Archive
from parsers.version import PARSER_VERSION

DOUBT = {"kind": "placed_by_position", "where": "table3 申请人列",
         "detail": "表头无法识别，按列的位置放置"}


def _rows(ds, path, **params):
    async def go():
        return await ds.client.get(path, params={"_shape": "array", **params})
    r = asyncio.run(go())
    assert r.status_code == 200, r.text[:300]
    return r.json()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("review") / "archive.db")
    # the same unbalanced table 3 twice: once read with a header the parser understood (sure), once
    # with its columns placed by position (a doubt), plus a sure report whose numbers add up
    sure_bad = sample_report("http://127.0.0.1/a/sure-bad.html", agency="沭阳县发展和改革局", balanced=False, seed=3)
    doubtful = sample_report("http://127.0.0.1/a/doubtful.html", agency="平潭综合实验区教育局", balanced=False, seed=3)
    doubtful |= {"doubts": [DOUBT], "needs_review": True}
    sure_good = sample_report("http://127.0.0.1/a/sure-good.html", agency="望花区人民政府", seed=4)
    assert any(not c["ok"] for c in sure_bad["checks"]) and any(not c["ok"] for c in doubtful["checks"])
    assert all(c["ok"] for c in sure_good["checks"])
    ids = {}
    with Archive(path) as db:
        for name, rep in (("sure_bad", sure_bad), ("doubtful", doubtful), ("sure_good", sure_good)):
            ids[name] = db.add_report(rep)[1]
    return path, ids


def test_columns_hold_the_verdict_the_reasons_and_the_parser_version(archive):
    path, ids = archive
    conn = sqlite3.connect(path)
    got = {rid: (nr, json.loads(d), pv) for rid, nr, d, pv in conn.execute(
        "SELECT id, needs_review, doubts, parser_version FROM reports")}
    assert got[ids["doubtful"]] == (1, [DOUBT], PARSER_VERSION)
    assert got[ids["sure_bad"]] == (0, [], PARSER_VERSION)
    # doubts are columns of their own, not left in the catch-all `extra`
    extra = conn.execute("SELECT extra FROM reports WHERE id = ?", (ids["doubtful"],)).fetchone()[0]
    assert extra is None or "doubts" not in extra


def test_inconsistent_reports_lists_only_reports_the_parser_is_sure_of(archive):
    path, ids = archive
    ds = make_datasette(path)
    bad = {r["report_id"]: r for r in _rows(ds, "/archive/inconsistent_reports.json")}
    assert ids["sure_bad"] in bad and bad[ids["sure_bad"]]["failed_checks"] >= 1
    assert ids["doubtful"] not in bad  # its failed checks may be the parser's: not the government's error
    assert ids["sure_good"] not in bad


def test_needs_review_lists_the_doubtful_ones_with_their_reasons(archive):
    path, ids = archive
    ds = make_datasette(path)
    review = {r["report_id"]: r for r in _rows(ds, "/archive/needs_review.json")}
    assert set(review) == {ids["doubtful"]}
    row = review[ids["doubtful"]]
    assert row["reasons"] == "placed_by_position table3 申请人列：表头无法识别，按列的位置放置"
    assert row["failed_checks"] >= 1 and row["failures"]
    assert row["parser_version"] == PARSER_VERSION
    assert _rows(ds, "/archive/needs_review.json", province="江苏省") == []


def test_an_older_archive_gains_the_columns_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    from archive import schema
    old = schema.MIGRATIONS[:3]
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)")
    for version, description, statements in old:
        for sql in statements:
            conn.execute(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, description))
    conn.execute("INSERT INTO reports (url, version, first_seen, last_seen, content_hash) "
                 "VALUES ('http://127.0.0.1/old.html', 1, 'then', 'then', 'h')")
    conn.commit()
    assert migrate(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT url, needs_review, doubts, parser_version FROM reports").fetchall() == [
        ("http://127.0.0.1/old.html", 0, None, None)]


def test_reports_archived_before_doubts_existed_are_not_new_versions_after_an_upgrade(tmp_path):
    """An archive written before `doubts` and `needs_review` were part of a report: the same report,
    read by the upgraded parser, fills them in on its row instead of becoming version 2."""
    path = str(tmp_path / "old.db")
    old = sample_report("http://127.0.0.1/a/old.html", agency="望花区人民政府", seed=5)  # no doubts key at all
    with Archive(path) as db:
        _, rid = db.add_report(old)
        db.conn.execute("UPDATE reports SET doubts = NULL WHERE id = ?", (rid,))  # as migration 4 leaves it
        db.conn.commit()
        status, same = db.add_report(old | {"needs_review": True, "doubts": [DOUBT]})
        assert (status, same) == ("unchanged", rid)
        row = db.conn.execute("SELECT version, needs_review, doubts FROM reports WHERE id = ?", (rid,)).fetchone()
        assert (row[0], row[1], json.loads(row[2])) == (1, 1, [DOUBT])
        # from now on it is an ordinary row: a different reading is a new version
        changed = old | {"needs_review": False, "doubts": [], "title": "望花区2021年政府信息公开工作年度报告（修订）"}
        assert db.add_report(changed)[0] == "changed"
        assert db.conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 2


def test_archive_add_records_which_parser_read_each_report(tmp_path):
    """A file parsed by `archive add` carries this parser's version; report dicts from a .json file
    were made by a parser nobody knows, so theirs stays empty."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    page = repo / "crawler" / "sample_portal" / "site" / "zwgk" / "zfxxgk" / "zfxxgknb" / "202201" / "t20220128_3001.html"
    dicts = tmp_path / "reports.json"
    dicts.write_text(json.dumps([sample_report("http://127.0.0.1/a/from-json.html", seed=6)], ensure_ascii=False),
                     encoding="utf-8")
    db = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "nianbao", "archive", "add", "--db", str(db), str(page), str(dicts)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    got = dict(sqlite3.connect(db).execute("SELECT url, parser_version FROM reports"))
    assert got == {str(page): PARSER_VERSION, "http://127.0.0.1/a/from-json.html": None}
