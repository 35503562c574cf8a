"""Crawl journal: what makes a crawl resumable after `kill -9`, and what a 304 still needs.

Scrapy's own JOBDIR is not enough here: queuelib's disk queues write their index only on a
clean close, so a crawl killed with -9 loses its queue. Instead, every page whose results are
safely in the archive gets a row in this small SQLite file (committed at once, WAL), with the
links it led to. A resumed crawl starts from the start URLs again and *replays* journaled pages
from their stored links instead of fetching them again; the archive's own idempotence
(`add_report` returns "unchanged") removes any remaining doubt.

`links` also persists across runs (`page_links`): when a detail page answers 304 Not Modified,
its attachments are still known, so they are re-checked and not mistaken for removed reports.

The file lives in the job folder, by default `<archive>.crawl/` beside the archive.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from typing import Any, Iterable


def default_jobdir(db_path: str) -> str:
    return os.path.abspath(db_path) + ".crawl"


def run_key(start_urls: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(start_urls)).encode()).hexdigest()[:16]


class Journal:
    def __init__(self, jobdir: str, key: str):
        os.makedirs(jobdir, exist_ok=True)
        self.path = os.path.join(jobdir, "journal.sqlite")
        self.key = key
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS run(key TEXT PRIMARY KEY, crawl_id INTEGER, started REAL,
                                           stats TEXT);
            CREATE TABLE IF NOT EXISTS done(key TEXT, url TEXT, kind TEXT, links TEXT, reports TEXT,
                                            PRIMARY KEY(key, url));
            CREATE TABLE IF NOT EXISTS page_links(url TEXT PRIMARY KEY, links TEXT, updated REAL);
            """
        )
        self._done: dict[str, tuple[str, list, list]] = {}
        self.resumed_crawl_id: int | None = None
        self.resumed_stats: dict[str, Any] = {}
        row = self.conn.execute("SELECT crawl_id, stats FROM run WHERE key=?", (key,)).fetchone()
        if row:
            self.resumed_crawl_id = row[0]
            self.resumed_stats = json.loads(row[1] or "{}")
            for url, kind, links, reports in self.conn.execute(
                "SELECT url, kind, links, reports FROM done WHERE key=?", (key,)
            ):
                self._done[url] = (kind, json.loads(links or "[]"), json.loads(reports or "[]"))

    # --- the current run ---------------------------------------------------------------------
    def start(self, crawl_id: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO run(key, crawl_id, started, stats) VALUES(?,?,?,?)",
            (self.key, crawl_id, time.time(), json.dumps(self.resumed_stats)),
        )

    def save_stats(self, stats: dict[str, Any]) -> None:
        self.conn.execute("UPDATE run SET stats=? WHERE key=?", (json.dumps(stats), self.key))

    def is_done(self, url: str) -> bool:
        return url in self._done

    def get(self, url: str) -> tuple[str, list, list] | None:
        return self._done.get(url)

    def mark_done(self, url: str, kind: str, links: list, reports: list[str] | None = None) -> None:
        reports = reports or []
        self._done[url] = (kind, links, reports)
        self.conn.execute(
            "INSERT OR REPLACE INTO done(key, url, kind, links, reports) VALUES(?,?,?,?,?)",
            (self.key, url, kind, json.dumps(links, ensure_ascii=False), json.dumps(reports)),
        )

    def finish(self) -> None:
        """A crawl that ended normally: the next run starts afresh."""
        self.conn.execute("DELETE FROM done WHERE key=?", (self.key,))
        self.conn.execute("DELETE FROM run WHERE key=?", (self.key,))
        self._done.clear()

    # --- across runs -------------------------------------------------------------------------
    def set_page_links(self, url: str, links: list) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO page_links(url, links, updated) VALUES(?,?,?)",
            (url, json.dumps(links, ensure_ascii=False), time.time()),
        )

    def page_links(self, url: str) -> list:
        row = self.conn.execute("SELECT links FROM page_links WHERE url=?", (url,)).fetchone()
        return json.loads(row[0]) if row else []

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass
