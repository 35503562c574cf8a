"""A journalist in a real browser: Datasette of an archive → search 平潭 → a report → its table3 rows →
its archived copy, where nothing of the archived page's scripts runs. Screenshots in tests/artifacts/.

Chromium is Debian's (/usr/lib/chromium/chromium), driven by Playwright for Python; Datasette runs
in-process under uvicorn on a free 127.0.0.1 port.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from archive.samples import build_demo_archive
from archive.serve import make_datasette

CHROMIUM = os.environ.get("NIANBAO_CHROMIUM", "/usr/lib/chromium/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SHARED = Path(os.environ.get("NIANBAO_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SEEDS = sorted(str(p) for p in (SHARED / "seeds").glob("*.txt"))

playwright_sync = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    path = tmp_path_factory.mktemp("browser") / "archive.db"
    ids = build_demo_archive(str(path), seeds=SEEDS)
    ds = make_datasette(str(path))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(ds.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "Datasette did not start"
    yield f"http://127.0.0.1:{port}", ids
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def test_journalist_searches_opens_report_table3_and_archived_copy(server, browser):
    base, ids = server
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    markers: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: markers.append(m.text) if "NIANBAO-XSS" in m.text else None)
    page.on("pageerror", lambda e: markers.append(str(e)) if "NIANBAO-XSS" in str(e) else None)
    try:
        # 1. the reports table, its ordinary search box, a 2-character word
        page.goto(f"{base}/archive/reports")
        page.fill("input#_search", "平潭")
        page.press("input#_search", "Enter")
        page.wait_for_url("**_search=**")
        assert page.locator("input#_search").input_value() == "平潭"
        results = page.locator("table.rows-and-columns tbody tr")
        assert results.count() >= 4
        assert "平潭综合实验区教育局" in page.locator("table.rows-and-columns").inner_text()
        page.locator("table.rows-and-columns").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "archive-01-search.png"), full_page=True)

        # 2. open a report (the one archived from a page full of scripts)
        rid = ids["demo0"]
        page.click(f'table.rows-and-columns a[href$="/archive/reports/{rid}"]')
        page.wait_for_url(f"**/archive/reports/{rid}")
        assert "平潭综合实验区管理委员会" in page.content()
        page.screenshot(path=str(ARTIFACTS / "archive-02-report.png"), full_page=True)

        # 3. follow it to its table3 rows
        page.click(f'a[href*="/archive/table3?report_id={rid}"]')
        page.wait_for_url(f"**/archive/table3?report_id={rid}*")
        headers = page.locator("table.rows-and-columns thead th").all_inner_texts()
        for col in ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"):
            assert any(col in h for h in headers), (col, headers)
        assert "new_received" in page.locator("table.rows-and-columns").inner_text()
        page.screenshot(path=str(ARTIFACTS / "archive-03-table3.png"), full_page=True)

        # 4. back to the report, then its archived copy: shown, inert
        page.go_back()
        page.wait_for_url(f"**/archive/reports/{rid}")
        page.click('a:has-text("存档副本")')
        page.wait_for_url("**/-/archived/**")
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)  # give any onload/onerror/autofocus handler the chance to fire
        assert "平潭综合实验区管委会认真贯彻落实" in page.locator("#nianbao-archived").inner_text()
        assert "存档副本" in page.locator("#nianbao-banner").inner_text()
        page.screenshot(path=str(ARTIFACTS / "archive-04-archived-copy.png"), full_page=True)
        page.hover("#nianbao-archived p >> nth=1")
        page.click("#evil-link") if page.locator("#evil-link").count() else None
        page.wait_for_timeout(300)
        assert dialogs == [], dialogs
        assert markers == [], markers

        # 5. the chart of applications per year for a region
        page.goto(f"{base}/-/nianbao/chart?province=%E7%A6%8F%E5%BB%BA%E7%9C%81")
        assert page.locator("svg rect").count() >= 2
        page.screenshot(path=str(ARTIFACTS / "archive-05-chart.png"), full_page=False)
    finally:
        ctx.close()


def test_control_the_same_page_unsanitized_does_run(browser):
    """Proves the detectors above work: the raw page, not sanitized, fires dialogs and console markers."""
    from archive.samples import MALICIOUS_HTML

    dialogs: list[str] = []
    markers: list[str] = []
    ctx = browser.new_context()
    page = ctx.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: markers.append(m.text) if "NIANBAO-XSS" in m.text else None)
    try:
        page.set_content(MALICIOUS_HTML)
        page.wait_for_timeout(500)
    finally:
        ctx.close()
    assert dialogs and markers
