"""The archive sink on its own, without Scrapy: what a one-process crawl's pipeline and the
distributed writer both use to archive pages."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive.samples import sample_report
from conftest import REPO, q
from crawler.items import PageItem
from crawler.sink import ArchiveSink

BASE = "http://a.gov.cn"
WHEN = "2026-01-05T08:00:00Z"


def page(path: str, kind: str, status: int | None, **kw) -> PageItem:
    return PageItem(url=BASE + path, kind=kind, status=status, fetched_at=WHEN, **kw)


def crawl_once(db: Path, pages: list[PageItem], reason: str = "finished") -> tuple[list, dict]:
    sink = ArchiveSink(str(db))
    sink.open([BASE + "/"], {"note": "test"})
    out = [sink.store(p) for p in pages]
    return out, sink.finish(reason, WHEN)


def test_the_sink_imports_neither_scrapy_nor_twisted() -> None:
    code = ("import sys, crawler.sink; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_a_crawl_then_a_recrawl_through_the_sink(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    report = sample_report(BASE + "/ndbg/1.html")
    first = [
        page("/", "start", 200, body=b"<html>home</html>", content_type="text/html"),
        page("/ndbg/", "listing", 200, body=b"<html>list</html>", links=[[BASE + "/ndbg/1.html", "detail", {}],
                                                                          [BASE + "/ndbg/2.html", "detail", {}]]),
        page("/ndbg/1.html", "detail", 200, body=b"<html>report 1</html>", report=report, parse_status="ok"),
        page("/ndbg/2.html", "detail", 200, body=b"<html>notice</html>", parse_status="not_report"),
        page("/ndbg/3.html", "detail", None, error="timeout"),
    ]
    out, stats = crawl_once(db, first)
    # only the report goes on (to feeds), with its archive facts
    assert [o is not None for o in out] == [False, False, True, False, False]
    assert out[2]["archive_status"] == "new" and out[2]["url"] == BASE + "/ndbg/1.html"
    assert {k: stats[k] for k in ("pages", "reports_found", "reports_new", "errors", "start_ok",
                                  "finish_reason", "resumed")} == {
        "pages": 4, "reports_found": 1, "reports_new": 1, "errors": 1, "start_ok": 1,
        "finish_reason": "finished", "resumed": False}
    assert q(db, "SELECT url, reason FROM errors") == [(BASE + "/ndbg/3.html", "timeout")]
    # the journal of a finished crawl is emptied: the next run is a fresh crawl
    journal = Path(str(db) + ".crawl") / "journal.sqlite"
    assert q(journal, "SELECT count(*) FROM done") == [(0,)]

    # the second crawl: the report answers 404 → removed; nothing else is new
    _, stats2 = crawl_once(db, [page("/", "start", 200, body=b"<html>home</html>"),
                                page("/ndbg/1.html", "detail", 404, body=b"gone")])
    assert (stats2["reports_removed"], stats2["not_found"], stats2["errors"]) == (1, 1, 1)
    assert q(db, "SELECT url, removed_at IS NOT NULL FROM reports") == [(BASE + "/ndbg/1.html", 1)]
    assert q(db, "SELECT count(*), max(status) FROM crawls") == [(2, "finished")]


def test_an_interrupted_crawl_keeps_its_counters_in_the_journal_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    report = sample_report(BASE + "/ndbg/1.html")
    _, stats = crawl_once(db, [page("/", "start", 200, body=b"home"),
                               page("/ndbg/1.html", "detail", 200, body=b"r1", report=report, parse_status="ok")],
                          reason="shutdown")
    assert stats["finish_reason"] == "shutdown" and q(db, "SELECT status FROM crawls") == [("interrupted",)]
    # no removal check after an incomplete crawl; the counters wait in the journal
    journal = Path(str(db) + ".crawl") / "journal.sqlite"
    assert json.loads(q(journal, "SELECT stats FROM run")[0][0])["counters"]["new"] == 1
    assert {u for (u,) in q(journal, "SELECT url FROM done")} == {BASE + "/", BASE + "/ndbg/1.html"}

    sink = ArchiveSink(str(db))
    sink.open([BASE + "/"], {})
    assert sink.resumed and sink.crawl_id == stats["crawl_id"] and sink.counters["new"] == 1
    assert sink.journal is not None and sink.journal.is_done(BASE + "/ndbg/1.html")
    sink.store(page("/ndbg/2.html", "detail", 200, body=b"r2", report=sample_report(BASE + "/ndbg/2.html", seed=1),
                    parse_status="ok"))
    final = sink.finish("finished", WHEN)
    assert (final["reports_new"], final["pages"], final["resumed"]) == (2, 3, True)
    assert q(db, "SELECT count(*), status FROM crawls") == [(1, "finished")]


def test_a_record_that_cannot_be_archived_is_an_error_row(tmp_path: Path) -> None:
    sink = ArchiveSink(str(tmp_path / "archive.db"))
    sink.open([BASE + "/"], {}, journal=False)
    sink.record_failure("redis:nianbao:x:items#w1#7", "page record w1#7 could not be decoded: bad JSON")
    stats = sink.finish("finished", WHEN)
    assert stats["errors"] == 1
    assert q(tmp_path / "archive.db", "SELECT url, reason FROM errors") == [
        ("redis:nianbao:x:items#w1#7", "page record w1#7 could not be decoded: bad JSON")]
    assert not (tmp_path / "archive.db.crawl").exists()  # journal=False: the writer keeps its state in Redis


def test_grouped_pages_are_journaled_only_once_the_archive_holds_them(tmp_path: Path) -> None:
    """A one-process crawl stores its pages in groups (one transaction each). Until a group is
    committed its pages are in neither the archive (as another reader sees it) nor the journal;
    a crawl killed then resumes by fetching exactly those pages again."""
    db = tmp_path / "archive.db"
    journal = Path(str(db) + ".crawl") / "journal.sqlite"

    def q(path: Path, sql: str) -> list:
        # read as another process does (Datasette, `archive check`): two copies of SQLite in one
        # process (the archive's pysqlite3 and the stdlib's) would drop each other's file locks
        code = f"import sqlite3, json; c = sqlite3.connect({str(path)!r}); print(json.dumps(c.execute({sql!r}).fetchall()))"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return [tuple(row) for row in json.loads(r.stdout)]

    sink = ArchiveSink(str(db), group_commit=True)
    sink.open([BASE + "/"], {})
    sink.store(page("/", "start", 200, body=b"<html>home</html>", content_type="text/html"))
    sink.store(page("/ndbg/1.html", "detail", 200, body=b"<html>report 1</html>",
                    report=sample_report(BASE + "/ndbg/1.html"), parse_status="ok"))
    # another reader (Datasette, `nianbao archive check`) sees nothing of the open group yet
    assert q(db, "SELECT count(*) FROM reports") == [(0,)]
    assert q(journal, "SELECT count(*) FROM done") == [(0,)]
    sink.commit()
    assert q(db, "SELECT url FROM reports") == [(BASE + "/ndbg/1.html",)]
    assert sorted(r[0] for r in q(journal, "SELECT url FROM done")) == [BASE + "/", BASE + "/ndbg/1.html"]
    assert json.loads(q(journal, "SELECT stats FROM run")[0][0])["counters"]["new"] == 1

    sink.archive.close()
    sink.journal.close()

    # the crawl goes on in another process, which dies (kill -9) before its next group's commit
    code = ("import os, sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests']\n"
            "from archive.samples import sample_report\n"
            "from test_sink import BASE, page\n"
            "from crawler.sink import ArchiveSink\n"
            "sink = ArchiveSink(sys.argv[2], group_commit=True)\n"
            "sink.open([BASE + '/'], {})\n"
            "sink.store(page('/ndbg/2.html', 'detail', 200, body=b'<html>report 2</html>',\n"
            "                report=sample_report(BASE + '/ndbg/2.html'), parse_status='ok'))\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(REPO), str(db)], check=True)
    assert q(db, "SELECT url FROM reports") == [(BASE + "/ndbg/1.html",)]
    assert BASE + "/ndbg/2.html" not in {r[0] for r in q(journal, "SELECT url FROM done")}
    # the resumed crawl starts from the counters of what was committed
    resumed = ArchiveSink(str(db), group_commit=True)
    resumed.open([BASE + "/"], {})
    assert resumed.resumed and resumed.counters["new"] == 1
    assert resumed.journal is not None and resumed.journal.is_done(BASE + "/ndbg/1.html")
    assert not resumed.journal.is_done(BASE + "/ndbg/2.html")
    resumed.store(page("/ndbg/2.html", "detail", 200, body=b"<html>report 2</html>",
                       report=sample_report(BASE + "/ndbg/2.html"), parse_status="ok"))
    stats = resumed.finish("finished", WHEN)
    assert (stats["reports_new"], q(db, "SELECT count(*) FROM reports")) == (2, [(2,)])
