"""The archive as journalists see it: Datasette with metadata.json, `_search`, canned queries, archived copies."""
from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest

from archive.samples import build_demo_archive, demo_reports
from archive.serve import DEFAULT_METADATA, load_metadata, make_datasette
from archive.store import Archive

SHARED = Path(os.environ.get("NIANBAO_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SEEDS = sorted(str(p) for p in (SHARED / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "archive.db"
    ids = build_demo_archive(str(path), seeds=SEEDS)
    return str(path), ids


@pytest.fixture(scope="module")
def ds(archive_db):
    return make_datasette(archive_db[0])


def get(ds, path, **params):
    async def go():
        return await ds.client.get(path, params=params or None)
    return asyncio.run(go())


def rows(ds, path, **params):
    r = get(ds, path, _shape="array", **params)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def search_ids(ds, q, **extra):
    return {r["id"] for r in rows(ds, "/archive/reports.json", _search=q, _col="title", _size="max", **extra)}


def test_served_immutable(ds):
    dbs = get(ds, "/-/databases.json").json()
    assert [(d["name"], d["is_mutable"]) for d in dbs] == [("archive", False)]


def test_search_two_character_words(ds, archive_db):
    _, ids = archive_db
    pingtan = search_ids(ds, "平潭")
    assert {ids["demo0"], ids["demo1"], ids["demo2"], ids["demo4"]} <= pingtan
    assert ids["demo3"] not in pingtan and ids["changed"] not in pingtan
    edu = search_ids(ds, "教育")
    assert {ids["demo2"], ids["demo3"], ids["changed"]} <= edu
    assert ids["demo4"] not in edu


def test_search_longer_words_and_columns(ds, archive_db):
    _, ids = archive_db
    assert search_ids(ds, "义务教育") == {ids["demo3"], ids["changed"]}
    assert search_ids(ds, "招生信息") == {ids["demo2"]}
    assert search_ids(ds, "平潭综合实验区教育局") == {ids["demo2"]}
    assert search_ids(ds, "平潭 教育") == {ids["demo2"]}
    assert search_ids(ds, "潭平") == set()
    title_only = {r["id"] for r in rows(ds, "/archive/reports.json", _search_title="教育局", _col="title")}
    assert title_only == {ids["demo2"], ids["demo3"], ids["changed"]}
    # odd input never errors
    for q in ['"', "AND", "NEAR(平潭", "*", "平潭 OR", "'"]:
        assert get(ds, "/archive/reports.json", _search=q).status_code == 200


def test_search_box_html_keeps_the_query(ds, archive_db):
    r = get(ds, "/archive/reports", _search="平潭")
    assert r.status_code == 200
    assert 'name="_search"' in r.text and 'value="平潭"' in r.text
    assert "平潭综合实验区教育局2022年政府信息公开工作年度报告" in r.text
    for facet in ("province", "city", "year", "template", "check_status"):
        assert f'data-column="{facet}"' in r.text


def test_seed_reports_searchable(ds, archive_db):
    _, ids = archive_db
    seeds = {v for k, v in ids.items() if k.startswith("/")}
    assert len(seeds) == 5, "the five seed texts belong beside the repo (../shared/seeds)"
    assert search_ids(ds, "西岗") & seeds
    assert search_ids(ds, "煤炭") & seeds


def test_report_row_links_tables_and_archived_copy(ds, archive_db):
    _, ids = archive_db
    r = get(ds, f"/archive/reports/{ids['demo0']}")
    assert r.status_code == 200
    assert f"/archive/table3?report_id={ids['demo0']}" in r.text
    assert f'href="/-/archived/' in r.text and "存档副本" in r.text
    t3 = rows(ds, "/archive/table3.json", report_id=ids["demo0"], _size="max")
    assert t3[0]["row_key"] == "new_received"
    assert list(t3[0])[4:11] == ["natural_person", "commercial", "research", "social_welfare", "legal_service",
                                 "other_org", "total"]


def test_archived_copy_is_sanitized(ds, archive_db):
    _, ids = archive_db
    r = get(ds, f"/-/archived/{ids['malicious_page']}")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "sandbox" in csp and "default-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    body = r.text.lower()
    for bad in ("<script", "onerror", "onload", "onfocus", "onmouseover", "javascript:", "<iframe", "<svg",
                "<object", "<form", "<base", "http-equiv", "evil.js"):
        assert bad not in body, bad
    assert "平潭综合实验区管委会认真贯彻落实" in r.text
    assert 'href="http://127.0.0.1/zwgk/zfxxgk/"' in r.text  # relative links made absolute, kept
    raw = get(ds, f"/-/archived/{ids['malicious_page']}/raw")
    assert raw.headers["content-type"].startswith("application/octet-stream")
    assert "attachment" in raw.headers["content-disposition"]
    assert get(ds, "/-/archived/99999").status_code == 404


def test_canned_queries_return_the_right_rows(ds, archive_db):
    _, ids = archive_db
    bad = {r["report_id"] for r in rows(ds, "/archive/inconsistent_reports.json")}
    assert ids["demo2"] in bad and ids["changed"] not in bad
    late = {r["report_id"]: r for r in rows(ds, "/archive/late_reports.json")}
    assert ids["demo2"] in late and late[ids["demo2"]]["deadline"] == "2023-01-31"
    assert late[ids["demo2"]]["days_late"] == 74
    assert ids["demo0"] not in late and ids["changed"] not in late
    changed = {r["url"]: r for r in rows(ds, "/archive/changed_or_removed.json")}
    assert changed[demo_reports()[3]["url"]]["versions"] == 2
    assert changed[demo_reports()[3]["url"]]["text_changed"] == 1
    assert changed[demo_reports()[4]["url"]]["removed_at"]
    years = rows(ds, "/archive/agency_over_years.json", agency="平潭综合实验区管理委员会")
    assert [r["year"] for r in years] == [2016, 2020, 2021]
    assert years[2]["crossyear_warnings"] >= 1
    assert rows(ds, "/archive/agency_over_years.json") == []
    rates = rows(ds, "/archive/denial_rates.json", province="福建省")
    assert rates and all(r["province"] == "福建省" for r in rates)
    assert all(r["denied_pct"] is None or 0 <= r["denied_pct"] <= 100 for r in rates)
    apps = rows(ds, "/archive/applications_per_year.json", province="福建省")
    assert [r["year"] for r in apps] == sorted(r["year"] for r in apps) and apps
    warn = rows(ds, "/archive/crossyear_warnings.json", agency="平潭")
    assert {(w["report_id"], w["previous_report_id"]) for w in warn} == {(ids["demo0"], ids["demo1"])}


def test_chart_page(ds):
    r = get(ds, "/-/nianbao/chart", province="福建省")
    assert r.status_code == 200 and "<svg" in r.text and "2021" in r.text


def test_metadata_describes_every_table_and_column(archive_db):
    meta = json.loads(Path(DEFAULT_METADATA).read_text(encoding="utf-8"))
    for key in ("title", "description_html", "source", "license"):
        assert meta.get(key)
    tables = meta["databases"]["archive"]["tables"]
    with Archive(archive_db[0]) as db:
        names = [r[0] for r in db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'reports_fts_%' "
            "AND name NOT LIKE 'sqlite_%'")]  # SQLite's own (sqlite_stat1: planner statistics), hidden by Datasette
        for t in names:
            assert t in tables, t
            cols = [r[1] for r in db.conn.execute(f"PRAGMA table_info([{t}])")]
            described = tables[t]["columns"]
            assert set(cols) == set(described), t
            for c, text in described.items():
                assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]", text), (t, c)
    queries = meta["databases"]["archive"]["queries"]
    assert {"inconsistent_reports", "late_reports", "denial_rates", "agency_over_years", "changed_or_removed",
            "applications_per_year"} <= set(queries)
    assert load_metadata("other")["databases"].keys() == {"other"}


def test_metadata_served(ds):
    meta = get(ds, "/-/metadata.json").json()
    assert meta["databases"]["archive"]["tables"]["reports"]["fts_table"] == "reports_fts"
    r = get(ds, "/archive/reports/-/facets" if False else "/archive/reports.json", _facet="province", _size="0")
    assert r.status_code == 200


def test_cleared_search_box_shows_all_rows(ds):
    everything = rows(ds, "/archive/reports.json", _col="title", _size="max")
    assert rows(ds, "/archive/reports.json", _search="", _col="title", _size="max") == everything
    assert rows(ds, "/archive/reports.json", _search=" ", _col="title", _size="max") == everything


def test_search_budget_more_than_n(ds, archive_db, monkeypatch):
    """A plain search matching more than SEARCH_EXACT_LIMIT rows: exact rows, no count/facets, an honest 'more than N'."""
    from archive import datasette_plugin

    _, ids = archive_db
    exact = search_ids(ds, "平潭")
    assert len(exact) > 2
    monkeypatch.setattr(datasette_plugin, "SEARCH_EXACT_LIMIT", 2)
    # rows are exactly the matching rows (the _shape=array path never counts or facets anyway)
    assert search_ids(ds, "平潭") == exact
    j = get(ds, "/archive/reports.json", _search="平潭", _size="max").json()
    assert {r[0] for r in j["rows"]} == exact
    assert j["filtered_table_rows_count"] is None and not j["facet_results"]
    assert j["nianbao_search"]["more_than"] == 2
    r = get(ds, "/archive/reports", _search="平潭")
    assert r.headers["x-nianbao-matches"] == ">2"
    assert "More than" in r.text and "超过 2 份报告" in r.text
    assert "平潭综合实验区教育局2022年政府信息公开工作年度报告" in r.text
    # a rare word (≤ limit): Datasette's own exact count and facets; the marker from the previous page's
    # form (hidden _nocount/_nofacet=nianbao) does not stick
    j = get(ds, "/archive/reports.json", _search="招生信息", _nocount="nianbao", _nofacet="nianbao").json()
    assert j["filtered_table_rows_count"] == 1 and "province" in j["facet_results"] and "nianbao_search" not in j
    # another filter: left to Datasette (exact count, facets)
    j = get(ds, "/archive/reports.json", _search="平潭", year="2021").json()
    assert j["filtered_table_rows_count"] == len(search_ids(ds, "平潭", year="2021")) and "nianbao_search" not in j
    # a user's own _nocount is kept
    assert get(ds, "/archive/reports.json", _search="招生信息", _nocount="1").json()["filtered_table_rows_count"] is None


def test_search_uses_covering_index(archive_db):
    """Count and facets of a search read idx_reports_search (narrow), not the wide reports rows."""
    from sqlite_utils.utils import sqlite3

    from archive.fts import bigram_query
    from archive.serve import refresh_statistics

    assert refresh_statistics(archive_db[0])
    conn = sqlite3.connect(archive_db[0])
    conn.create_function("escape_fts", 1, bigram_query)
    where = "id in (select rowid from reports_fts where reports_fts match escape_fts(:search))"
    for sql in (f"select count(*) from reports where {where}",
                f"select province, count(*) from (select * from reports where {where}) group by province"):
        plan = " ".join(r[3] for r in conn.execute("explain query plan " + sql, {"search": "平潭"}))
        assert "COVERING INDEX idx_reports_search" in plan, plan
    conn.close()
