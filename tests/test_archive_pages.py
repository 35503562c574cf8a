"""The journalist's pages (issue 12) through Datasette's own client, on the demo archive plus a report that needs
review: home search and filters, a report's page, an agency's page, the charts, the canned questions, the exports
(`nianbao export` and the Datasette download)."""
from __future__ import annotations

import asyncio
import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.charts import Series, year_bars
from archive.labels import check_reason
from archive.samples import build_demo_archive, demo_reports, sample_report
from archive.serve import make_datasette
from archive.store import Archive

REPO = Path(__file__).resolve().parents[1]
DOUBT = {"kind": "placed_by_position", "where": "table3.new_received", "detail": "表头未读出，按位置放入"}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "archive.db"
    ids = build_demo_archive(str(path))
    with Archive(str(path)) as db:
        # a report whose parser had doubts, without a publication date (a department's)
        rep = sample_report("http://127.0.0.1/fuzhou/gl/nb2019.html", agency="鼓楼区教育局", year=2019,
                            published=None, agency_kind="department", seed=9)
        rep["doubts"] = [DOUBT]
        rep["needs_review"] = True
        ids["doubtful"] = db.add_report(rep, portal="平潭综合实验区")[1]
        # the same body under its former name (2018), on the same website: listed as an other name
        site = demo_reports()[0]["site"]
        for url, agency, year in (("http://127.0.0.1/pingtan/2018.html", "平潭综合实验区管委会", 2018),
                                  ("http://127.0.0.1/pingtan/jyj2021.html", "平潭综合实验区财政金融局", 2021)):
            rep = sample_report(url, agency=agency, year=year, published=f"{year + 1}-02-01", seed=year, site=site)
            ids[agency] = db.add_report(rep, portal="平潭综合实验区", portal_region="福建省")[1]
    return str(path), ids


@pytest.fixture(scope="module")
def ds(archive_db):
    return make_datasette(archive_db[0])


def get(ds, path, **params):
    async def go():
        return await ds.client.get(path, params=params or None)
    r = asyncio.run(go())
    return r


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_page_searches_first_in_chinese(ds, archive_db):
    _, ids = archive_db
    r = get(ds, "/", q="教育")
    assert r.status_code == 200
    html = r.text
    assert html.index('id="q"') < html.index('id="results"') < html.index("常见问题")
    cards = re.findall(r'<div class="card" data-report="(\d+)">', html)
    assert {ids["demo2"], ids["changed"], ids["doubtful"]} <= {int(c) for c in cards}
    assert ids["demo3"] not in {int(c) for c in cards}  # an older version is not a result; its current one is
    assert "<mark>教育</mark>" in html
    assert "哪些报告的数字对不上？" in html and "哪些报告需要人工复核？" in html
    # filters: province, kind, check status, needs review
    only_review = re.findall(r'data-report="(\d+)"', get(ds, "/", q="教育", review="1").text)
    assert only_review == [str(ids["doubtful"])]
    failed = re.findall(r'data-report="(\d+)"', get(ds, "/", status="failed").text)
    with Archive(archive_db[0]) as db:
        expect = {str(i) for (i,) in db.conn.execute(
            "SELECT id FROM reports WHERE is_current = 1 AND check_status = 'failed'")}
        passed = {str(i) for (i,) in db.conn.execute("SELECT id FROM reports WHERE check_status = 'passed'")}
    assert set(failed) == expect and str(ids["demo2"]) in expect and passed and not passed & set(failed)
    depts = text_of(get(ds, "/", kind="department").text)
    assert "平潭综合实验区管理委员会2021" not in depts and "鼓楼区教育局" in depts
    none = get(ds, "/", q="没有这个词语", province="福建省")
    assert none.status_code == 200 and "没有找到报告" in none.text


def test_report_page_tables_checks_doubts_versions(ds, archive_db):
    _, ids = archive_db
    html = get(ds, f"/archive/reports/{ids['demo2']}").text  # unbalanced: (七)总计 total one too many
    t = text_of(html)
    assert "三、收到和处理政府信息公开申请情况" in t and "申请人情况" in t and "（三）不予公开" in t
    assert "四、政府信息公开行政复议、行政诉讼情况" in t and "未经复议直接起诉" in t
    assert "逾期发布（期限 2023-01-31）" in t  # a department's 2022 report published 2023-04-15
    cell = re.search(r'<tr data-row="total_processed">.*?</tr>', html, re.S).group(0)
    assert 'class="num failed"' in cell and "办理总计 + 结转下年度" in cell
    assert "需人工复核" not in t

    doubtful = text_of(get(ds, f"/archive/reports/{ids['doubtful']}").text)
    assert "⚠ 需人工复核" in doubtful and "仅按位置放入的单元格" in doubtful and DOUBT["detail"] in doubtful
    assert "日期不明" in doubtful

    changed = get(ds, f"/archive/reports/{ids['changed']}").text
    assert "与第 1 版相比" in changed and "正文也有改动" in changed
    assert 'href="/archive/reports/%d?compare=%d"' % (ids["changed"], ids["demo3"]) in changed


def test_check_reasons_read_as_one_chinese_line():
    assert check_reason("t3_row_total", "new_received", 34, 741) == \
        "一、本年新收政府信息公开申请数量：申请人合计 741，各栏之和 34"
    assert check_reason("t4_total", "review", 3, 4) == "行政复议：总计 4，各项结果之和 3"
    assert check_reason("published_on_time", "published", "2022-01-31", "2022-03-01") == \
        "发布于 2022-03-01，法定期限 2022-01-31"


def test_agency_page_shows_every_year_and_gaps(ds):
    r = get(ds, "/-/nianbao/agency", name="平潭综合实验区管理委员会")
    assert r.status_code == 200
    years = re.findall(r'<tr(?: class="gap-row")? data-year="(\d+)"', r.text)
    assert years == [str(y) for y in range(2016, 2022)]  # 2016, 2020, 2021 reported; 2017-2019 gaps
    assert len(re.findall(r'class="gap-row"', r.text)) == 3
    assert r.text.count('class="gap"') >= 3 + 3  # table rows and chart slots
    assert get(ds, "/-/nianbao/agency", name="没有这个机关").status_code == 404
    others = re.search(r'<ul id="other-names">(.*?)</ul>', r.text, re.S)
    # the former name (reported 2018, a year this name did not) is listed; a body reporting the same year is not
    assert others and "平潭综合实验区管委会" in others.group(1) and "财政金融局" not in others.group(1), r.text[-3000:]


def test_chart_keeps_gaps_counts_and_levels_apart(ds):
    svg = year_bars([Series("部门", {2019: (5, 2), 2021: (7, 3)}), Series("人民政府", {2019: (1, 1)})], "t")
    assert svg.count('class="bar"') == 3 and svg.count('class="gap"') == 3  # 2020 twice, 2021 once
    assert ">n=2<" in svg and ">n=3<" in svg
    page = get(ds, "/-/nianbao/chart", province="福建省", metric="denial_rate").text
    assert "不予公开比例" in page and "部门" in page and "人民政府（本级）" in page and "无数据" in page


def test_questions_read_as_answers(ds, archive_db):
    _, ids = archive_db
    r = get(ds, "/archive/late_reports")
    html = r.text
    assert "<title>逾期发布或日期不明的报告" in html  # a human title, not the SQL
    assert "<details" in html and html.index('class="rows-and-columns"') > html.index("<details")
    assert f'href="/archive/reports/{ids["doubtful"]}"' in html and "日期不明" in html
    assert f'href="/archive/reports/{ids["demo2"]}"' in html  # late by 74 days
    empty = get(ds, "/archive/late_reports", province="没有这个省").text
    assert 'class="rows-and-columns"' in empty and "没有结果" in empty  # the table is drawn, empty


def test_exports_csv_with_bom_current_versions(ds, archive_db, tmp_path):
    path, ids = archive_db
    r = get(ds, "/-/nianbao/export/table3.csv")
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {"agency", "province", "city", "year", "template", "row_key", "total"} <= set(rows[0])
    assert {int(x["report_id"]) for x in rows} >= {ids["changed"]} and ids["demo3"] not in {int(x["report_id"]) for x in rows}

    env = {"PYTHONPATH": str(REPO)}
    for fmt in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"t3.{fmt}"
        p = subprocess.run([sys.executable, "-m", "nianbao", "export", "--db", path, "--table", "table3",
                            "--format", fmt, "-o", str(out)], capture_output=True, text=True, env={**env, **_base_env()})
        assert p.returncode == 0, p.stderr
        assert f"{len(rows)} row(s) of table3 (current versions)" in p.stderr
    assert (tmp_path / "t3.csv").read_bytes() == r.content
    import openpyxl

    from archive.export import allow_pandas
    allow_pandas()  # this test process may have imported the crawler, which blocks pandas (pyarrow probes it)
    import pyarrow.parquet as pq
    ws = openpyxl.load_workbook(tmp_path / "t3.xlsx").active
    assert ws.max_row == len(rows) + 1 and ws.cell(1, 2).value == "agency"
    assert pq.read_table(tmp_path / "t3.parquet").num_rows == len(rows)
    allv = subprocess.run([sys.executable, "-m", "nianbao", "export", "--db", path, "--table", "table3",
                           "--all-versions", "-o", str(tmp_path / "all.csv")], capture_output=True, text=True,
                          env={**env, **_base_env()})
    assert allv.returncode == 0
    all_rows = list(csv.DictReader(io.StringIO((tmp_path / "all.csv").read_text(encoding="utf-8-sig"))))
    assert ids["demo3"] in {int(x["report_id"]) for x in all_rows} and len(all_rows) > len(rows)
    bad = subprocess.run([sys.executable, "-m", "nianbao", "export", "--db", str(tmp_path / "nope.db"), "--table",
                          "table3"], capture_output=True, text=True, env={**env, **_base_env()})
    assert bad.returncode == 2 and bad.stderr.strip() == f"nianbao export: {tmp_path / 'nope.db'}: no such file"


def _base_env() -> dict:
    import os
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def test_list_views_leave_out_the_body_text(ds):
    html = get(ds, "/archive/reports", _search="教育").text
    heads = re.findall(r'data-column="([a-z_]+)"', html)
    assert "title" in heads and "text" not in heads and "content_hash" not in heads
    assert '<span class="zh">标题</span>' in html
    assert html.index('id="_search"') < html.index("data-dictionary") if "data-dictionary" in html else True


def test_datasette_csv_has_a_bom_and_the_exports_are_canned_queries(ds, archive_db):
    _, ids = archive_db
    r = get(ds, "/archive/export_table3.csv", _size="max")
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbfreport_id,agency,")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows and all(x["is_current"] == "1" for x in rows)
    assert rows == list(csv.DictReader(io.StringIO(get(ds, "/-/nianbao/export/table3.csv").content.decode("utf-8-sig"))))
    plain = get(ds, "/archive/reports.csv", _size="3")
    assert plain.content.startswith(b"\xef\xbb\xbfid,url,") and plain.content.count(b"\xef\xbb\xbf") == 1
    assert get(ds, "/archive/reports.json", _size="1").content.startswith(b"{")


@pytest.mark.parametrize("common_word", [2, 20_000])  # 2: every word is "common", so the date walk is used
def test_home_search_finds_exactly_the_matching_current_reports_newest_first(archive_db, monkeypatch, common_word):
    from archive import search_page as S
    from archive.fts import bigram_query

    monkeypatch.setattr(S, "COMMON_WORD", common_word)
    path, _ = archive_db
    with Archive(path) as db:
        conn = db.conn

        async def q(sql, params):
            cur = conn.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

        for word, filters in (("教育", {}), ("平潭", {}), ("平潭", {"province": "福建省"}),
                              ("教育", {"province": "福建省", "year": "2021"}), ("没有这个词", {})):
            res = asyncio.run(S.search(q, S.SearchArgs(q=word, **filters)))
            extra = "".join(f" AND {k} = ?" for k in filters)
            expect = [r[0] for r in conn.execute(
                "SELECT id FROM reports WHERE is_current = 1 AND id IN (SELECT rowid FROM reports_fts WHERE "
                f"reports_fts MATCH ?){extra}", [bigram_query(word), *filters.values()])]
            got = [c["id"] for c in res["cards"]]
            assert sorted(got) == sorted(expect), (word, filters)
            dates = [c["published"] or "" for c in res["cards"]]
            assert dates == sorted(dates, reverse=True), (word, dates)
            if common_word > 2 or filters:
                assert res["count"] == len(expect) and not res["more"]
