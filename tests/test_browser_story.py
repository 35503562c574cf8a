"""A journalist's story through the archive's own pages (issue 12), in Chromium, on an archive made by real crawls.

Set-up, as a newsroom would get there:
1. the bundled sample portal (crawler/sample_portal) serves on a free 127.0.0.1 port and `nianbao crawl` archives it;
2. the portal corrects a figure in 大连市西岗区's report (予以公开 1 → 3) and a second crawl stores version 2;
3. 新前街道's report is stored again as a re-parse that doubts one cell (the contract's `doubts`: the parser on
   this branch emits none yet, so the report dict comes in through `nianbao archive add FILE.json`, the
   archive's documented way in for report dicts), and its 2018 report (a hand-made dict, archive.samples) is
   added, so its agency page has two years and a gap;
4. `nianbao serve`, and the portal keeps serving (the "original" links open).

The story: search 街道 (two characters) → filter 辽宁省 → open 新前街道's report → read table 3 in Chinese →
a failed check on its cells with a Chinese reason, and the needs-review badge with the doubt → compare its two
versions (the changed cell highlighted) → the agency's page across years (2019 is a gap) → the original on the
portal and the archived copy → download table 3 from the home page and read it with the csv module. Also the
canned queries (one with an empty result). No console error on any archive page; screenshots in
tests/artifacts/story-*.png.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.feed import current_report
from archive.samples import sample_report
from crawler.sample_portal.server import SITE_DIR, Portal, PortalServer
from tests.test_browser_archive import ARTIFACTS, CHROMIUM, FAST, _env, playwright_sync
from tests.test_browser_archive import site as _site_fixture  # noqa: F401  (same `nianbao serve` start-up)

XIGANG_PATH = "/zwgk/zfxxgk/zfxxgknb/202201/t20220128_3001.html"
XINQIAN_PATH = "/zwgk/zfxxgk/zfxxgknb/202101/t20210125_1517.html"
XINQIAN_TITLE = "新前街道2020年度政府信息公开年度报告"
GRANTED_ROW = ("(一)予以公开</p></td><td><p>1</p></td><td><p>0</p></td><td><p>0</p></td><td><p>0</p></td>"
               "<td><p>0</p></td><td><p>0</p></td><td><p>1</p></td>")
DOUBT = {"kind": "not_placed", "where": "table3.new_received.natural_person",
         "detail": "“16”无法确定属于哪一列"}


def _crawl(url: str, db: Path) -> str:
    r = subprocess.run([sys.executable, "-m", "nianbao", "crawl", url, "--db", str(db), "--no-js", *FAST],
                       cwd=db.parent, env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stderr


@pytest.fixture(scope="module")
def portal():
    server = PortalServer(Portal.from_dir(SITE_DIR)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("story12") / "archive.db"
    assert "reports found   5: new 5" in _crawl(portal.url, db)
    page = portal.portal.files[XIGANG_PATH]
    assert page.count(GRANTED_ROW.encode()) == 1
    portal.portal.set(XIGANG_PATH, page.replace(GRANTED_ROW.encode(), GRANTED_ROW.replace(
        "<p>1</p>", "<p>3</p>").encode()))
    assert "changed 1" in _crawl(portal.url, db)

    from sqlite_utils.utils import sqlite3
    conn = sqlite3.connect(db)
    url = conn.execute("SELECT url FROM reports WHERE title = ?", (XINQIAN_TITLE,)).fetchone()[0]
    doubtful = current_report(conn, url)
    conn.close()
    doubtful.pop("report_id")
    doubtful["table3"]["new_received"]["natural_person"] = None
    doubtful["doubts"] = [DOUBT]
    doubtful["needs_review"] = True
    older = sample_report(url.rsplit("/", 2)[0] + "/201901/t20190120_900.html", agency="新前街道", year=2018,
                          published="2019-01-20", agency_kind="department", template="legacy", seed=7,
                          title="新前街道2018年度政府信息公开年度报告")
    older["site"] = doubtful["site"]
    for name, rep in (("doubtful.json", doubtful), ("older.json", older)):
        (db.parent / name).write_text(json.dumps(rep, ensure_ascii=False), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "nianbao", "archive", "add", "--db", str(db), "doubtful.json",
                        "older.json"], cwd=db.parent, env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "changed" in r.stdout and "new" in r.stdout, r.stdout + r.stderr
    return db


site = _site_fixture


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"story-{name}.png"), full_page=True)


def test_a_journalists_story(site, portal, browser, tmp_path):
    base = site
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    # console errors of the archive's own pages (the agency's original page is not ours to judge)
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" and page.url.startswith(base) else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}") if page.url.startswith(base) else None)
    try:
        # 1. the home page is the search: a two-character word
        page.goto(base + "/")
        assert page.locator("input#q").is_visible()
        assert page.locator("input#q").bounding_box()["y"] < 200  # the search box is on top, not under a dictionary
        page.fill("input#q", "街道")
        page.press("input#q", "Enter")
        page.wait_for_url("**q=**")
        titles = page.locator(".card h3").all_inner_texts()
        assert XINQIAN_TITLE in titles, titles
        assert "街道" in page.locator(".card", has_text=XINQIAN_TITLE).locator("mark").first.inner_text()
        shot(page, "01-search")

        # 2. filter by province
        with page.expect_navigation():
            page.select_option("#f-province", "辽宁省")  # the form submits itself
        assert f"province={quote('辽宁省')}" in page.url
        cards = page.locator(".card")
        metas = cards.locator(".meta").all_inner_texts()
        assert metas and all("辽宁省" in m for m in metas), metas
        assert page.locator("input#q").input_value() == "街道"
        shot(page, "02-filtered")

        # 3. open the report: facts, its tables in Chinese, as printed
        page.locator(".card", has_text=XINQIAN_TITLE).locator("a.report-link").click()
        page.wait_for_url("**/archive/reports/*")
        assert page.locator("#report-title").inner_text() == XINQIAN_TITLE
        t3 = page.locator("#nianbao-t3")
        head = t3.locator("thead").inner_text()
        for label in ("申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "总计"):
            assert label in head, head
        row = t3.locator('tr[data-row="granted"]')
        assert "（一）予以公开" in row.inner_text() and "三、本年度办理结果" in t3.inner_text()
        assert "一、本年新收政府信息公开申请数量" in t3.locator('tr[data-row="new_received"]').inner_text()
        assert "发布日期" in page.locator("table.facts").inner_text()

        # 4. a failed check, marked on its cells with a one-line Chinese reason; the needs-review badge
        assert page.locator("#badge-failed").is_visible()
        failed_cells = t3.locator("td.failed")
        assert failed_cells.count() >= 2
        reasons = failed_cells.locator(".reason").all_inner_texts()
        assert any("办理总计 + 结转下年度" in r for r in reasons), reasons
        assert "数字对不上" in page.locator("#failed-checks").inner_text()
        badge = page.locator("#badge-needs-review")
        assert badge.is_visible() and "需人工复核" in badge.inner_text()
        assert "无法归位的数字" in page.locator("#doubts").inner_text()
        assert DOUBT["detail"] in page.locator("#doubts").inner_text()
        shot(page, "03-report")

        # 5. compare the two versions: the cell the re-parse left blank is highlighted with its old value
        versions = page.locator("#versions tr")
        assert versions.count() == 3, versions.all_inner_texts()  # header + 2 versions
        assert page.locator("td.changed").count() == 1  # against version 1 by default
        page.locator("#versions a.compare").click()
        page.wait_for_url("**compare=**")
        changed = page.locator("td.changed")
        assert changed.count() == 1 and "原 16" in changed.inner_text()
        assert "1 个单元格有变化" in page.locator("#version-changes").inner_text()
        shot(page, "04-versions")

        # 6. the agency's page: years in one table, the missing year a gap, each year linking to its report
        page.click("#agency-link")
        page.wait_for_url("**/-/nianbao/agency?**")
        assert page.locator("#agency-name").inner_text() == "新前街道"
        years = page.locator("#agency-years tr[data-year]")
        assert [years.nth(i).get_attribute("data-year") for i in range(years.count())] == ["2018", "2019", "2020"]
        assert "无报告" in page.locator('#agency-years tr[data-year="2019"]').inner_text()
        assert page.locator("#agency-chart svg rect.gap").count() >= 1
        assert page.locator('#agency-years tr[data-year="2020"] td').nth(1).inner_text() == "16"  # 新收 总计
        assert page.locator('#agency-years tr[data-year="2018"] td').nth(1).inner_text() == ""  # no tables: blank
        shot(page, "05-agency")
        page.locator('#agency-years tr[data-year="2020"] a').first.click()
        page.wait_for_url("**/archive/reports/*")

        # 7. the original on the portal, then the archived copy
        page.click("#original-link")
        page.wait_for_url(portal.url.rstrip("/") + XINQIAN_PATH)
        assert "新收依申请公开16件" in page.content()
        page.go_back()
        page.wait_for_url("**/archive/reports/*")
        page.click("#archived-link")
        page.wait_for_url("**/-/archived/**")
        assert "新收依申请公开16件" in page.locator("#nianbao-archived").inner_text()
        shot(page, "06-archived")

        # 8. export table 3 from the home page and load it with the csv module
        page.goto(base + "/")
        with page.expect_download() as dl:
            page.click('a[href*="/-/nianbao/export/table3.csv"]')
        raw = Path(dl.value.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        xq = [r for r in rows if r["agency"] == "新前街道" and r["row_key"] == "total_processed"]
        assert len(xq) == 1, xq  # current versions only
        assert xq[0]["province"] == "辽宁省" and xq[0]["year"] == "2020" and xq[0]["template"] == "2019"
        xg = [r for r in rows if r["agency"] == "大连市西岗区" and r["row_key"] == "granted"]
        assert [r["total"] for r in xg] == ["3"], xg  # the corrected version

        # 9. the questions on the home page: answers first, the SQL one click away; an empty answer is fine
        page.click('a:has-text("哪些报告的数字对不上？")')
        page.wait_for_url("**/archive/inconsistent_reports*")
        assert not page.locator("#sql-query").is_visible()
        assert page.locator("th.col-title .zh").inner_text() == "标题"
        shot(page, "07-question")
        page.goto(f"{base}/archive/late_reports?province={quote('没有这个省')}")
        assert "没有结果" in page.locator(".zero-results").inner_text()
        page.wait_for_timeout(300)
        assert errors == [], errors
    finally:
        ctx.close()
