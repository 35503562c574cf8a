"""Serving the archive to hostile input: Datasette's SQL box, odd ids, dense and deceptive pages.

Each test is what a tester did against `nianbao serve`, with the control beside it.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from portals import sites

CHROMIUM = "/usr/lib/chromium/chromium"

OVERLAY = ("<html><body><h1>某区2022年政府信息公开工作年度报告</h1>"
           '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:2147483647;background:#fff">'
           '<a href="http://phish.example/login">请重新登录 Log in again</a></div>'
           '<div style="position/**/:fixed;top:0;left:0;width:100%;height:120px;background:#fff">二</div>'
           '<div style="margin-top:-400px;height:500px;background:#fff">三</div>'
           "<p>正文</p></body></html>").encode()


def _archive(tmp: Path, pages: dict[str, bytes]) -> tuple[Path, dict[str, int]]:
    from archive.store import Archive

    db = tmp / "archive.db"
    a = Archive(str(db))
    cid = a.begin_crawl(start_urls=["http://127.0.0.1/"], settings={})
    ids = {}
    for url, body in pages.items():
        ids[url] = a.record_page(url=url, status=200, headers={}, body=body, fetched_at="2026-01-01T00:00:00Z",
                                 crawl_id=cid, content_type="text/html; charset=utf-8")
    from parsers import parse_bytes

    a.add_report(parse_bytes(sites.XIGANG, "http://127.0.0.1/r.html", "text/html").to_dict(),
                 page_id=ids["http://127.0.0.1/r.html"], crawl_id=cid, portal="test")
    a.finish_crawl(cid, stats={}, status="finished")
    a.close()
    return db, ids


@pytest.fixture()
def served(tmp_path: Path):
    from archive.serve import make_datasette

    dense = b"<html><body>" + b"<i>x</i>" * 400_000 + b"</body></html>"
    medium = b"<html><body>" + b"<p><b>x</b> y</p>" * 20_000 + b"</body></html>"
    db, ids = _archive(tmp_path, {"http://127.0.0.1/r.html": sites.XIGANG, "http://127.0.0.1/dense.html": dense,
                                  "http://127.0.0.1/medium.html": medium, "http://127.0.0.1/overlay.html": OVERLAY})
    return make_datasette(str(db)), ids


def test_a_huge_value_from_the_sql_box_is_refused_at_once(served) -> None:
    """`select randomblob(1000000000)` used to run 169 s at 6.4 GB (sql_time_limit_ms cannot
    interrupt one SQLite step). Every value is now capped at 80 MB: refused, with SQLite's reason."""
    ds, _ = served

    async def go():
        c = ds.client
        big = await c.get("/archive.json", params={"sql": "select length(randomblob(1000000000)) as n"})
        zero = await c.get("/archive.json", params={"sql": "select length(zeroblob(200000000)) as n"})
        fmt = await c.get("/archive.json", params={"sql": "select length(printf('%.*c', 300000000, 'x')) as n",
                                                   "_shape": "array"})
        small = await c.get("/archive.json", params={"sql": "select length(randomblob(1000000)) as n", "_shape": "array"})
        return big, zero, fmt, small

    big, zero, fmt, small = asyncio.run(go())
    for r in (big, zero):
        assert r.status_code == 400, (r.status_code, r.text[:300])
        assert "string or blob too big" in r.json()["error"], r.text[:300]
    assert fmt.status_code == 200 and fmt.json() == [{"n": None}]  # printf gives up past the limit: NULL
    assert small.status_code == 200 and small.json() == [{"n": 1000000}]  # the control


@pytest.mark.parametrize("path", [f"/-/archived/{2 ** 63}", f"/-/archived/{2 ** 64 + 5}/raw", "/-/archived/" + "9" * 4300,
                                  "/-/archived/" + "9" * 4300 + "/raw", "/-/archived/1?db=_internal",
                                  "/-/archived/1/raw?db=_internal", "/-/nianbao/chart?db=_internal",
                                  "/-/archived/1?db=nosuchdb"],
                         ids=["2^63", "2^64+5 raw", "4300 digits", "4300 digits raw", "db=_internal",
                              "raw db=_internal", "chart db=_internal", "db=nosuchdb"])
def test_odd_ids_and_datasettes_internal_database_are_a_clean_404(served, path: str) -> None:
    ds, _ = served

    async def go():
        return await ds.client.get(path)

    r = asyncio.run(go())
    assert r.status_code == 404, (path, r.status_code, r.text[:300])
    assert "Traceback" not in r.text and "Error" not in r.text[:200]


def test_the_control_pages_still_answer(served) -> None:
    ds, ids = served

    async def go():
        c = ds.client
        return [(await c.get(p)).status_code for p in (f"/-/archived/{ids['http://127.0.0.1/r.html']}",
                                                       f"/-/archived/{ids['http://127.0.0.1/r.html']}/raw",
                                                       "/-/nianbao/chart")]

    assert asyncio.run(go()) == [200, 200, 200]


def test_a_dense_page_is_not_sanitized_and_a_slow_one_does_not_block_other_requests(served) -> None:
    """The archived copy of an element-dense page used to take 14.8 s of Datasette's event loop per
    view (another request waited as long); here `<i>x</i>` × 400,000, 3.2 MB. Beyond 50,000 elements it is not rendered (raw bytes stay
    downloadable); a page under the cap is sanitized in a thread — a small request sent after it
    is answered first — and the second view of it comes from the cache."""
    from archive import datasette_plugin

    ds, ids = served
    cache = datasette_plugin.ARCHIVED_COPIES

    async def go():
        c = ds.client
        dense = await c.get(f"/-/archived/{ids['http://127.0.0.1/dense.html']}")
        order: list[str] = []

        async def get(path: str, name: str):
            r = await c.get(path)
            order.append(name)
            return r

        slow = asyncio.create_task(get(f"/-/archived/{ids['http://127.0.0.1/medium.html']}", "archived copy"))
        await asyncio.sleep(0.05)
        quick = asyncio.create_task(get("/archive/reports.json?_shape=array&_col=title", "reports"))
        await asyncio.gather(slow, quick)
        misses = cache.misses
        again = await c.get(f"/-/archived/{ids['http://127.0.0.1/medium.html']}")
        return dense, order, slow.result(), again, cache.misses - misses

    dense, order, first, again, new_misses = asyncio.run(go())
    assert dense.status_code == 200
    assert "原页面过大，未显示（400,002 elements, limit 50,000）" in dense.text
    assert "<i>" not in dense.text
    assert order == ["reports", "archived copy"], order
    assert first.status_code == 200 and first.text.count("<b>x</b>") == 20_000
    assert again.text == first.text and new_misses == 0


def test_an_overlay_loses_its_position_and_the_content_is_contained() -> None:
    from archive.sanitize import archived_page, sanitize_html

    clean = sanitize_html(OVERLAY.decode())
    assert "position" not in clean and "z-index" not in clean
    assert "margin-top:-400px" in clean  # harmless alone: the containment below clips it
    doc = archived_page(OVERLAY, "text/html", "http://127.0.0.1/overlay.html", "2026-01-01", 4)
    assert "contain: layout paint" in doc


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium")
def test_in_a_browser_the_banner_stays_on_top_of_a_fake_login_overlay(tmp_path: Path) -> None:
    """In Chromium: the point at the top of the page is the banner, not the overlay's fake login
    link; the control, the same overlay in a page without the sanitizer and containment, does
    cover the banner."""
    import playwright.sync_api as pw

    from archive.sanitize import archived_page

    safe = archived_page(OVERLAY, "text/html", "http://127.0.0.1/overlay.html", "2026-01-01", 4)
    unsafe = safe.replace(safe[safe.index('<div class="nianbao-archived"'):safe.index("</body>")],
                          '<div class="plain">' + OVERLAY.decode() + "</div>")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = b.new_page(viewport={"width": 1000, "height": 700})
            found = {}
            for name, doc in (("safe", safe), ("unsafe", unsafe)):
                page.set_content(doc)
                found[name] = page.evaluate("""() => { const e = document.elementFromPoint(500, 10);
                    return (e.closest('#nianbao-banner') ? 'banner' : 'content') + ':' + e.textContent.slice(0, 20); }""")
        finally:
            b.close()
    assert found["safe"].startswith("banner:"), found
    assert found["unsafe"].startswith("content:"), found  # the control: the overlay does cover it
