"""The archive's store, regions, cross-year warnings, FTS splitting, WARC export and CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils.utils import sqlite3

from archive import fts
from archive.crossyear import check_report
from archive.regions import (code_from_icp, code_from_police_record, code_from_site_code, derive_region)
from archive.samples import sample_report
from archive.schema import SCHEMA_VERSION, TABLE3_COLUMNS
from archive.store import Archive, ArchiveError

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((Path(os.environ.get("NIANBAO_SHARED", REPO.parent / "shared")) / "seeds").glob("*.txt"))


def counts(db: Archive) -> dict:
    return {t: db.conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0]
            for t in ("reports", "table2", "table3", "table4", "checks", "pages", "removals", "crossyear")}


@pytest.fixture
def db(tmp_path):
    a = Archive(str(tmp_path / "a.db"))
    yield a
    a.close()


# ---- store ---------------------------------------------------------------------------------
def test_wal_schema_version_and_foreign_keys(db):
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    fks = {r[2] for r in db.conn.execute("PRAGMA foreign_key_list(table3)")}
    assert fks == {"reports"}
    cols = [r[1] for r in db.conn.execute("PRAGMA table_info(table3)")]
    assert cols[cols.index("natural_person"):cols.index("total") + 1] == list(TABLE3_COLUMNS)


def test_add_is_idempotent(db):
    rep = sample_report("http://a.gov.cn/1.html")
    crawl = db.begin_crawl(start_urls=["http://a.gov.cn/"], settings={"x": 1})
    pid = db.record_page("http://a.gov.cn/1.html", 200, {"ETag": '"v1"'}, b"<html>1</html>", crawl_id=crawl)
    assert db.add_report(rep, page_id=pid, crawl_id=crawl) == ("new", 1)
    before = counts(db)
    status, rid = db.add_report(dict(rep), page_id=pid, crawl_id=crawl, seen_at="2030-01-01T00:00:00Z")
    assert (status, rid) == ("unchanged", 1)
    assert counts(db) == before
    assert db.conn.execute("SELECT last_seen FROM reports WHERE id = 1").fetchone()[0] == "2030-01-01T00:00:00Z"
    stats = db.finish_crawl(crawl, stats={"k": 2})
    assert stats == {"pages": 1, "reports_new": 1, "reports_changed": 0, "reports_unchanged": 1,
                     "reports_removed": 0, "errors": 0}


def test_changed_report_adds_version_and_keeps_old(db):
    rep = sample_report("http://a.gov.cn/1.html")
    db.add_report(rep)
    rep2 = dict(rep, text=rep["text"] + "更正。")
    assert db.add_report(rep2) == ("changed", 2)
    rows = db.conn.execute("SELECT id, version, is_current, superseded_by FROM reports ORDER BY id").fetchall()
    assert rows == [(1, 1, 0, 2), (2, 2, 1, None)]
    assert db.conn.execute("SELECT COUNT(*) FROM table3 WHERE report_id = 1").fetchone()[0] > 0
    # going back to the old content is a new version too (history is append-only)
    assert db.add_report(rep)[0] == "changed"
    assert db.conn.execute("SELECT MAX(version) FROM reports").fetchone()[0] == 3


def test_removal_keeps_rows_and_restores(db):
    rep = sample_report("http://a.gov.cn/1.html")
    db.add_report(rep)
    db.add_report(sample_report("http://b.gov.cn:8080/2.html", seed=2))
    assert db.live_report_urls() == {"http://a.gov.cn/1.html", "http://b.gov.cn:8080/2.html"}
    assert db.live_report_urls(host="b.gov.cn:8080") == {"http://b.gov.cn:8080/2.html"}
    before = counts(db)
    assert db.mark_removed("http://a.gov.cn/1.html", when="2030-02-01T00:00:00Z") is True
    assert db.mark_removed("http://a.gov.cn/1.html") is False
    assert db.mark_removed("http://nowhere/") is False
    after = counts(db)
    assert after["reports"] == before["reports"] and after["table3"] == before["table3"]
    assert after["removals"] == 1
    assert db.live_report_urls() == {"http://b.gov.cn:8080/2.html"}
    assert db.add_report(rep)[0] == "unchanged"  # it is back
    assert db.conn.execute("SELECT removed_at FROM reports WHERE id = 1").fetchone()[0] is None
    assert db.conn.execute("SELECT restored_at FROM removals").fetchone()[0] is not None


def test_pages_are_never_overwritten_and_validators(db):
    url = "http://a.gov.cn/1.html"
    assert db.validators(url) == {}
    db.record_page(url, 200, {"ETag": '"1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"one",
                   fetched_at="2024-01-01T00:00:00Z")
    p2 = db.record_page(url, 200, {b"ETag": [b'"2"']}, b"two", fetched_at="2024-02-01T00:00:00Z")
    db.record_page(url, 500, {}, b"oops", fetched_at="2024-03-01T00:00:00Z", error="HTTP 500")
    assert db.conn.execute("SELECT COUNT(*) FROM pages WHERE url = ?", (url,)).fetchone()[0] == 3
    # a fetch whose report was never stored (crawl killed in between) gives no validators:
    # a 304 must not pass for "unchanged" when nothing was kept
    assert db.validators(url) == {}
    db.add_report(sample_report(url), page_id=p2, seen_at="2024-02-01T00:00:01Z")
    v = db.validators(url)
    assert v["etag"] == '"2"' and v["last_modified"] is None
    assert v["sha256"] == "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3"
    assert db.page_body(p2) == b"two"


def test_record_page_with_body_already_compressed(db):
    import hashlib
    import zlib

    url = "http://a.gov.cn/zfxxgknb/1.html"
    body = "<html><h1>平潭综合实验区2021年政府信息公开工作年度报告</h1></html>".encode("gbk") * 40
    sha = hashlib.sha256(body).hexdigest()
    packed = zlib.compress(body, 1)  # as a distributed worker sends it (level 1, not the archive's 6)
    pid = db.record_page(url, 200, {"ETag": '"z1"'}, body_zlib=packed, sha256=sha, size=len(body),
                         fetched_at="2024-01-01T00:00:00Z", content_type="text/html; charset=gbk")
    old = db.record_page(url, 200, {"ETag": '"z1"'}, body, fetched_at="2024-01-01T00:00:00Z",
                         content_type="text/html; charset=gbk")
    assert db.page_body(pid) == body == db.page_body(old)
    row = db.conn.execute("SELECT sha256, size, compression, body, etag FROM pages WHERE id = ?", (pid,)).fetchone()
    assert row[0] == sha == hashlib.sha256(db.page_body(pid)).hexdigest()
    assert sha == "711bfaeeffe2884b98cc8d411bfa2dd6a90fbc422c6ece25a7077f896db9f269"
    assert (row[1], row[2], row[4]) == (2640, "zlib", '"z1"')
    assert row[3] == packed  # stored as given: not inflated and compressed again
    # the other columns are what the body= path writes for the same fetch
    cols = "url, status, fetched_at, content_type, headers, etag, last_modified, sha256, size, compression, error"
    same = [db.conn.execute(f"SELECT {cols} FROM pages WHERE id = ?", (i,)).fetchone() for i in (pid, old)]
    assert same[0] == same[1]
    assert db.validators(url) == {}  # (no report yet) and the sha256 serves validators like any other
    db.add_report(sample_report(url), page_id=pid, seen_at="2024-01-01T00:00:01Z")
    assert db.validators(url)["sha256"] == sha
    n = counts(db)["pages"]
    for bad in ({"sha256": "0" * 64, "size": len(body)}, {"sha256": sha, "size": len(body) + 1}, {"sha256": sha}):
        with pytest.raises(ArchiveError, match="body_zlib"):
            db.record_page(url, 200, {}, body_zlib=packed, **bad)
    with pytest.raises(ArchiveError, match="not a zlib stream"):
        db.record_page(url, 200, {}, body_zlib=body, sha256=sha, size=len(body))
    with pytest.raises(ArchiveError, match="both"):
        db.record_page(url, 200, {}, body, body_zlib=packed, sha256=sha, size=len(body))
    assert counts(db)["pages"] == n


def test_batch_transaction_indexes_its_reports_once_and_drops_rolled_back_ones(db):
    """In a caller's transaction (the distributed writer's batch) each call is a savepoint and the
    FTS rows are written at the batch's end: none for a record whose savepoint was rolled back."""
    with db.db.atomic():
        a = db.add_report(sample_report("http://a/1", text="平潭综合实验区教育局报告"))[1]
        with pytest.raises(RuntimeError), db.db.atomic():
            db.add_report(sample_report("http://a/2", agency="某某局", text="殡葬改革专项报告", seed=2))
            raise RuntimeError("this record fails after its report was inserted")
        c = db.add_report(sample_report("http://a/3", agency="某某局", text="粮食储备报告", seed=3))[1]
        assert fts.search_ids(db.conn, "粮食") == []  # not yet: indexed just before the commit
    assert c == a + 1  # the rolled-back report's id was given again
    assert fts.search_ids(db.conn, "殡葬") == []
    assert fts.search_ids(db.conn, "粮食储备") == [c]
    assert fts.search_ids(db.conn, "平潭") == [a]
    assert db.conn.execute("SELECT count(*) FROM reports_fts_docsize").fetchone()[0] == 2
    with pytest.raises(RuntimeError), db.db.atomic():  # a failed batch leaves nothing, FTS rows included
        db.add_report(sample_report("http://a/4", agency="某某局", text="垃圾分类报告", seed=4))
        raise RuntimeError("batch failed")
    assert db.add_report(sample_report("http://a/5", agency="某某局", text="消防安全报告", seed=5)) == ("new", c + 1)
    assert fts.search_ids(db.conn, "垃圾") == [] and fts.search_ids(db.conn, "消防") == [c + 1]
    assert db.integrity_check() == []


def test_transaction_rolls_back_on_bad_report(db, monkeypatch):
    db.add_report(sample_report("http://a.gov.cn/1.html"))
    before = counts(db)

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(fts, "index_report", boom)  # fails after the report and its tables were inserted
    with pytest.raises(RuntimeError):
        db.add_report(sample_report("http://a.gov.cn/2.html"))
    monkeypatch.undo()
    assert counts(db) == before
    with pytest.raises(ArchiveError, match="no url"):
        db.add_report({"title": "x"})
    with pytest.raises(ArchiveError, match="year"):
        db.add_report(dict(sample_report("http://a.gov.cn/3.html"), year="二〇二一"))
    assert db.integrity_check() == []


def test_errors_and_unknown_fields_are_kept(db):
    crawl = db.begin_crawl()
    db.record_error(crawl, "http://a.gov.cn/x", "HTTP 500 after 3 retries")
    rep = sample_report("http://a.gov.cn/1.html")
    rep["new_field"] = {"a": 1}
    rep["table2"]["fees"]["extra_value"] = 7
    db.add_report(rep)
    assert json.loads(db.conn.execute("SELECT extra FROM reports").fetchone()[0]) == {"new_field": {"a": 1}}
    assert json.loads(db.conn.execute("SELECT extra FROM table2 WHERE row_key='fees'").fetchone()[0]) == {
        "extra_value": 7}
    assert db.finish_crawl(crawl)["errors"] == 1


def test_reopen_migrates_nothing_twice(tmp_path):
    path = str(tmp_path / "a.db")
    Archive(path).close()
    a = Archive(path)
    assert a.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    a.close()
    assert not os.path.exists(path + "-wal") or os.path.getsize(path + "-wal") == 0  # checkpointed


# ---- regions ------------------------------------------------------------------------------
def test_region_codes_from_site_facts():
    assert code_from_site_code("2109000022") == "210900"
    assert code_from_site_code("bm01000001") is None
    assert code_from_police_record("蒙公网安备15070202000009号") == "150702"
    assert code_from_icp("辽ICP备19010590号") == "210000"
    assert code_from_icp("闽ICP备05028458号-1") == "350000"


def test_region_examples():
    r = derive_region(agency="阜新市煤炭工业转型发展局", site_code="2109000022", icp="辽ICP备19010590号",
                      police_record="辽公网安备21091102000041号")
    assert (r.province, r.city, r.county, r.code) == ("辽宁省", "阜新市", None, "210900")
    r = derive_region(agency="经济技术开发区", police_record="蒙公网安备15070202000009号")
    assert (r.province, r.city, r.county, r.code) == ("内蒙古自治区", "呼伦贝尔市", "海拉尔区", "150702")
    r = derive_region(agency="沭阳县发展和改革局", portal_region="江苏省宿迁市")
    assert (r.city, r.county, r.code) == ("宿迁市", "沭阳县", "321322")
    r = derive_region(agency="朝阳区教育委员会", icp="京ICP备05060933号")
    assert (r.province, r.city, r.county) == ("北京市", "北京市", "朝阳区")
    assert derive_region(agency="退役军人事务部", portal_region="中央").code is None


def test_region_disambiguated_by_portal():
    # 鼓楼区 exists in 福州, 南京, 开封, 徐州: the portal's region decides
    assert derive_region(agency="鼓楼区教育局", portal_region="福建省").code == "350102"
    # 江苏 has two (南京, 徐州): the ICP province alone cannot tell them apart, so no city is guessed
    r = derive_region(agency="鼓楼区教育局", icp="苏ICP备1号")
    assert (r.province, r.city, r.code) == ("江苏省", None, "320000")
    assert derive_region(agency="鼓楼区教育局", icp="苏ICP备1号", site_code="3203000001").city == "徐州市"
    assert derive_region(agency="鼓楼区教育局", site_code="4102000001").code == "410204"
    # a county named by its stem only, inside the portal's region
    assert derive_region(agency="平潭综合实验区管理委员会", portal_region="福建省").county == "平潭县"


# ---- cross-year ---------------------------------------------------------------------------
def test_crossyear_warnings(db):
    agency = "平潭综合实验区管理委员会"
    r2020 = sample_report("http://a/2020", agency=agency, year=2020, carried_forward=3, in_force=20, seed=1,
                          template="2021")
    r2021 = sample_report("http://a/2021", agency=agency, year=2021, carried_over=2, in_force=25, seed=2)
    r2021["table2"]["normative_documents"].update(made=5, repealed=1)  # 20 + 5 - 1 = 24 ≠ 25
    # added out of order: the pair is found from either side
    id21 = db.add_report(r2021)[1]
    id20 = db.add_report(r2020)[1]
    rows = db.conn.execute(
        "SELECT report_id, previous_report_id, rule, [where], expected, found, ok FROM crossyear WHERE ok = 0 ORDER BY id"
    ).fetchall()
    assert (id21, id20, "t3_carry", "table3.carried_over.natural_person", 3, 2, 0) in rows
    assert (id21, id20, "t2_in_force", "table2.normative_documents.in_force", 24, 25, 0) in rows
    n = db.conn.execute("SELECT COUNT(*) FROM crossyear").fetchone()[0]
    assert check_report(db.conn, id21) == 0  # insert-only: nothing new the second time
    assert db.conn.execute("SELECT COUNT(*) FROM crossyear").fetchone()[0] == n


# ---- FTS splitting ------------------------------------------------------------------------
def test_bigram_split_and_query():
    assert fts.bigram_text("平潭综合") == "平潭 潭综 综合 合"
    assert fts.bigram_query("平潭") == '"平潭"'
    assert fts.bigram_query("教育局") == '"教育 育局"'
    assert fts.bigram_query("教") == '"教"*'
    assert fts.bigram_query('平潭 "教育 局') == '"平潭" "教育 育 局"*'
    assert fts.bigram_query('AND OR NEAR(') == '"AND" "OR" "NEAR"'


def test_fts_finds_two_and_four_character_words(db):
    a = db.add_report(sample_report("http://a/1", agency="平潭综合实验区管理委员会", text="平潭综合实验区教育局报告"))[1]
    b = db.add_report(sample_report("http://a/2", agency="福州市鼓楼区教育局", text="义务教育招生", seed=2))[1]
    c = db.add_report(sample_report("http://a/3", agency="某某局", text="财政预算公开", title="某某局2021年报告", seed=3))[1]
    assert set(fts.search_ids(db.conn, "平潭")) == {a}
    assert set(fts.search_ids(db.conn, "教育")) == {a, b}
    assert set(fts.search_ids(db.conn, "义务教育")) == {b}
    assert set(fts.search_ids(db.conn, "财政预算")) == {c}
    assert set(fts.search_ids(db.conn, "教育 平潭")) == {a}
    assert fts.search_ids(db.conn, "潭平") == []
    assert set(fts.search_ids(db.conn, "潭")) == {a}  # a lone character, even at a run's end


# ---- seeds through the real parser ---------------------------------------------------------
def test_seeds_through_parser(db):
    import parsers
    assert len(SEEDS) == 5, "the five seed texts belong beside the repo (../shared/seeds; NIANBAO_SHARED)"
    for seed in SEEDS:
        rep = parsers.parse_path(str(seed)).to_dict()
        assert db.add_report(rep)[0] == "new"
        assert db.add_report(rep)[0] == "unchanged"
    assert db.conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 5
    assert db.integrity_check() == []


# ---- WARC and CLI -------------------------------------------------------------------------
def test_export_warc(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc import export_warc
    path = str(tmp_path / "a.db")
    with Archive(path) as db:
        db.record_page("http://a.gov.cn/1.html", 200, {"Content-Type": "text/html; charset=gbk",
                                                       "Content-Encoding": "gzip"}, "报告".encode("gbk"))
        db.record_page("http://a.gov.cn/2.html", None, {}, None, error="timeout")
    out = str(tmp_path / "out.warc.gz")
    assert export_warc(path, out) == {"records": 1, "skipped": 1}
    with open(out, "rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read(),
                 r.http_headers.get_header("Content-Encoding") if r.http_headers else None)
                for r in ArchiveIterator(fh)]
    assert recs[0][0] == "warcinfo"
    assert recs[1][:3] == ("response", "http://a.gov.cn/1.html", "报告".encode("gbk"))
    assert recs[1][3] is None


def test_cli_add_json_and_bad_input(tmp_path):
    path = tmp_path / "a.db"
    good = tmp_path / "r.json"
    good.write_text(json.dumps([sample_report("http://a/1"), sample_report("http://a/2", seed=2)], ensure_ascii=False),
                    encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "nianbao", "archive", "add", "--db", str(path), str(good), str(bad),
                          str(tmp_path / "missing.txt")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 1
    errs = [line for line in run.stderr.splitlines() if line.startswith("nianbao archive add:")]
    assert len(errs) == 2 and "bad.json" in errs[0] and "missing.txt" in errs[1]
    with Archive(str(path)) as db:
        assert db.conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 2
    run = subprocess.run([sys.executable, "-m", "nianbao", "archive", "check", "--db", str(path)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "x.warc.gz"
    run = subprocess.run([sys.executable, "-m", "nianbao", "export-warc", "--db", str(path), str(out)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0 and out.exists(), run.stderr


def test_sqlite_is_new_enough():
    assert tuple(int(x) for x in sqlite3.sqlite_version.split(".")) >= (3, 43, 0)


def test_migrates_an_older_archive_keeping_its_rows(tmp_path, monkeypatch):
    from archive import schema
    path = str(tmp_path / "old.db")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 1)
    conn = sqlite3.connect(path)
    schema.migrate(conn)
    conn.close()
    monkeypatch.undo()
    with Archive(path) as db:  # opens the v1 file with the current program
        assert db.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
        assert db.add_report(sample_report("http://a/1"))[0] == "new"
        plan = " ".join(r[3] for r in db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM reports WHERE url = ? AND +is_current = 1", ("x",)))
        assert "idx_reports_url_current" in plan
