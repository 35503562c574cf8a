"""`Archive`: the one writer of the archive file (docs/archive-api.md).

* One SQLite file opened with sqlite-utils, WAL journal, foreign keys on, schema migrated on open.
* Every public write is one transaction (`Database.atomic()`): a failure leaves nothing half-written.
  Called inside a caller's `archive.db.atomic()` (the distributed writer stores a batch of pages
  per transaction), each call is a savepoint of that one transaction, and the full-text rows of
  its reports are written once, just before that transaction commits (`_Database`).
* Idempotent: a report is identified by its url and the sha256 of its canonical JSON; adding the
  same report again only moves `last_seen`. A changed report becomes version n+1; older
  versions stay (`is_current = 0`, `superseded_by`).
* Nothing is ever deleted: every fetch is a new `pages` row, a removal only stamps `removed_at`
  and logs a `removals` row.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import zlib
from typing import Any, Callable, Iterable, Iterator, Optional
from urllib.parse import urlsplit

import sqlite_utils

from . import crossyear, fts
from .labels import TABLE2_LABELS, TABLE3_LABELS, TABLE4_LABELS
from .regions import derive_region
from parsers.version import PARSER_VERSION

from .schema import TABLE2_VALUE_KEYS, TABLE3_COLUMNS, TABLE3_ROWS, TABLE4_COLUMNS, TABLE4_GROUPS, migrate

REPORT_COLUMNS_FROM_DICT = ("title", "year", "agency", "agency_kind", "published", "template", "format")
KNOWN_REPORT_KEYS = set(REPORT_COLUMNS_FROM_DICT) | {
    "url", "text", "site", "table2", "table3", "table4", "checks", "notes", "needs_review", "doubts"}
_REVIEW_KEYS = ("needs_review", "doubts")  # added to the contract after the first archives were written
_CURRENT_PARSER = object()  # add_report's default: the report was just parsed by this program's parser


class ArchiveError(ValueError):
    """Bad input for the archive; the message is one line naming the input."""


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value: Any) -> Optional[str]:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def content_hash(report: dict) -> str:
    return hashlib.sha256(_json(report).encode("utf-8")).hexdigest()


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, (int, float, str)):
        return v
    if isinstance(v, bool):
        return int(v)
    return _json(v)


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v.decode("latin-1")
    if isinstance(v, (list, tuple)):
        return ", ".join(_text(x) for x in v)
    return str(v)


def normalise_headers(headers: Any) -> dict[str, str]:
    """dict / Scrapy Headers (bytes keys, list values) / list of pairs → {str: str}."""
    if not headers:
        return {}
    items: Iterable = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for k, v in items:
        out[_text(k)] = _text(v)
    return out


def _header(headers: dict[str, str], name: str) -> Optional[str]:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def _check_zlib(url: str, packed: bytes, sha256: Optional[str], size: Optional[int]) -> tuple[str, int]:
    """(sha256, size) of a zlib-compressed body, as the caller declared them, once verified (inflating
    and hashing cost a fifth of compressing again; a page row whose sha256 lies would be worse)."""
    if not isinstance(sha256, str) or not isinstance(size, int) or isinstance(size, bool):
        raise ArchiveError(f"record_page: body_zlib needs sha256= (hex) and size= (int) for {url}")
    try:
        body = zlib.decompress(packed)
    except zlib.error as e:
        raise ArchiveError(f"record_page: body_zlib of {url} is not a zlib stream ({e})") from None
    if len(body) != size or hashlib.sha256(body).hexdigest() != sha256.lower():
        raise ArchiveError(f"record_page: body_zlib of {url} does not match its sha256/size")
    return sha256.lower(), size


@functools.lru_cache(maxsize=None)
def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    """INSERT statement text, built once per table and column list (the same few every report)."""
    return f"INSERT INTO [{table}] ({', '.join('[' + c + ']' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"


@functools.lru_cache(maxsize=None)
def _column_set(columns: tuple[str, ...]) -> frozenset:
    return frozenset(columns)


def doubts_of(report: dict) -> list[dict]:
    """The report's doubts as [{kind, where, detail}] (dicts from to_dict(), or Doubt objects)."""
    out = []
    for d in report.get("doubts") or []:
        get = d.get if isinstance(d, dict) else (lambda k, _d=d: getattr(_d, k, None))
        if get("kind"):
            out.append({"kind": str(get("kind")), "where": str(get("where") or ""), "detail": str(get("detail") or "")})
    return out


def _int_year(v: Any) -> Optional[int]:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ArchiveError(f"report year is not an integer: {v!r}")


class _Database(sqlite_utils.Database):
    """sqlite-utils' Database with its own `atomic()`, for the archive's writer:

    * savepoints all have one name (nested savepoints of one name are fine in SQLite): sqlite-utils
      names each one at random, so every SAVEPOINT/RELEASE was a new statement to compile, and they
      pushed the archive's prepared INSERTs out of the connection's statement cache;
    * work handed to `defer()` inside an `atomic()` that began the transaction runs just before that
      transaction's COMMIT, in it; a savepoint rolled back drops what was deferred inside it. The
      archive defers its FTS rows: FTS5 writes its pending terms as a new index segment at every
      commit *and every savepoint*, so a batch of reports indexed at its end costs one segment,
      not one per report. Outside any transaction of ours (a caller's own `with conn:`), `defer()`
      runs the work at once, as before.
    """

    _SAVEPOINT = "nianbao_atomic"

    def __init__(self, path: str, on_rollback: Callable[[], None] = lambda: None):
        self._deferred: list[Callable[[], None]] = []
        self._owner = False  # inside the atomic() that began the current transaction
        self._on_rollback = on_rollback  # after any rollback (the archive drops its cached rows)
        super().__init__(path)

    def defer(self, fn: Callable[[], None]) -> None:
        if self._owner and self.conn.in_transaction:
            self._deferred.append(fn)
        else:
            fn()

    def run_deferred(self) -> None:
        """Run what is deferred now (before a commit that is not atomic()'s own)."""
        while self._deferred:
            fns, self._deferred = self._deferred, []
            for fn in fns:
                fn()

    @contextlib.contextmanager
    def atomic(self) -> Iterator["_Database"]:
        conn = self.conn
        if conn.in_transaction:
            mark = len(self._deferred)
            conn.execute(f"SAVEPOINT {self._SAVEPOINT}")
            try:
                yield self
            except BaseException:
                # an error such as a RAISE(ROLLBACK) trigger may have ended the whole transaction
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {self._SAVEPOINT}")
                    conn.execute(f"RELEASE SAVEPOINT {self._SAVEPOINT}")
                del self._deferred[mark:]
                self._on_rollback()
                raise
            conn.execute(f"RELEASE SAVEPOINT {self._SAVEPOINT}")
            return
        conn.execute("BEGIN")
        outer, self._owner = self._owner, True
        try:
            yield self
            self.run_deferred()
            conn.execute("COMMIT")
        except BaseException:
            self.rollback()  # a no-op if the error already ended the transaction
            self._deferred.clear()
            self._on_rollback()
            raise
        finally:
            self._owner = outer


class Archive:
    """The archive file. One writer process; Datasette reads it (immutable) once closed."""

    def __init__(self, path: str, *, portal_regions: Optional[dict[str, str]] = None):
        self.path = str(path)
        self._portal_regions = dict(portal_regions or {})
        # Lookups the writer would repeat for every report, cached: portal rows (dropped on any
        # rollback, which may undo one) and derive_region()'s answers (pure: cpca's static table).
        self._portals: dict[str, tuple] = {}  # portal name -> (id, url, region) as in its row
        self._regions: dict[tuple, dict] = {}  # derive_region() arguments -> Region.as_columns()
        self.db = _Database(self.path, on_rollback=self._forget)
        self.conn = self.db.conn
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.db.enable_wal()
        self.conn.execute("PRAGMA synchronous = NORMAL")
        migrate(self.conn)

    def _forget(self) -> None:
        self._portals.clear()

    # ---- crawls -------------------------------------------------------------------------
    def begin_crawl(self, start_urls: Optional[list[str]] = None, settings: Optional[dict] = None) -> int:
        with self.db.atomic():
            cur = self.conn.execute(
                "INSERT INTO crawls (started_at, status, start_urls, settings) VALUES (?, 'running', ?, ?)",
                (now_iso(), _json(list(start_urls or [])), _json(settings or {})),
            )
            return int(cur.lastrowid)

    def _bump(self, crawl_id: Optional[int], column: str) -> None:
        if crawl_id is not None:
            self.conn.execute(f"UPDATE crawls SET [{column}] = [{column}] + 1 WHERE id = ?", (crawl_id,))

    def finish_crawl(self, crawl_id: int, stats: Optional[dict] = None, status: str = "finished") -> dict:
        with self.db.atomic():
            self.conn.execute(
                "UPDATE crawls SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                (now_iso(), status, _json(stats or {}), crawl_id),
            )
            row = self.conn.execute(
                "SELECT pages, reports_new, reports_changed, reports_unchanged, reports_removed, errors "
                "FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        if row is None:
            raise ArchiveError(f"no such crawl: {crawl_id}")
        keys = ("pages", "reports_new", "reports_changed", "reports_unchanged", "reports_removed", "errors")
        return dict(zip(keys, row))

    def record_error(self, crawl_id: Optional[int], url: str, reason: str) -> int:
        with self.db.atomic():
            cur = self.conn.execute(
                "INSERT INTO errors (crawl_id, url, reason, at) VALUES (?, ?, ?, ?)",
                (crawl_id, url, str(reason), now_iso()))
            self._bump(crawl_id, "errors")
            return int(cur.lastrowid)

    # ---- portals ------------------------------------------------------------------------
    def add_portal(self, name: str, url: Optional[str] = None, region: Optional[str] = None) -> int:
        """Create or complete a portal row (never overwrites a known value with None)."""
        with self.db.atomic():
            return self._portal_id(name, url, region)

    def _portal_id(self, name: Optional[str], url: Optional[str] = None, region: Optional[str] = None) -> Optional[int]:
        if not name:
            return None
        region = region or self._portal_regions.get(name)
        row = self._portals.get(name) or self.conn.execute(
            "SELECT id, url, region FROM portals WHERE name = ?", (name,)).fetchone()
        if row:
            if (url and not row[1]) or (region and not row[2]):
                r = derive_region(agency=name, portal_region=region or row[2])
                self.conn.execute(
                    "UPDATE portals SET url = COALESCE(url, ?), region = COALESCE(region, ?), "
                    "province = ?, city = ?, county = ?, region_code = ? WHERE id = ?",
                    (url, region, r.province, r.city, r.county, r.code, row[0]))
                row = (row[0], url if row[1] is None else row[1], region if row[2] is None else row[2])
            self._portals[name] = tuple(row)
            return int(row[0])
        r = derive_region(agency=name, portal_region=region)
        cur = self.conn.execute(
            "INSERT INTO portals (name, url, region, province, city, county, region_code, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, url, region, r.province, r.city, r.county, r.code, now_iso()))
        self._portals[name] = (int(cur.lastrowid), url, region)
        return int(cur.lastrowid)

    # ---- pages --------------------------------------------------------------------------
    def record_page(self, url: str, status: Optional[int] = None, headers: Any = None, body: Optional[bytes] = None,
                    fetched_at: Optional[str] = None, crawl_id: Optional[int] = None,
                    content_type: Optional[str] = None, error: Optional[str] = None, *,
                    body_zlib: Optional[bytes] = None, sha256: Optional[str] = None,
                    size: Optional[int] = None) -> int:
        """Every fetch is a new row; the body is zlib-compressed, its sha256 kept.

        A caller that holds the body zlib-compressed already (the distributed writer receives it so)
        passes `body_zlib=` with the body's `sha256=` (hex) and `size=` instead of `body=`: the
        stream is stored as it is (compression 'zlib', like any other row), which spares compressing
        the body again. It is checked first (it must inflate to `size` bytes of that sha256)."""
        if not url:
            raise ArchiveError("record_page: url is empty")
        if isinstance(body, str):
            body = body.encode("utf-8")
        hdrs = normalise_headers(headers)
        content_type = content_type or _header(hdrs, "content-type")
        if body_zlib is not None:
            if body is not None:
                raise ArchiveError(f"record_page: both body and body_zlib given for {url}")
            packed = bytes(body_zlib)
            sha, size = _check_zlib(url, packed, sha256, size)
        elif body is not None:
            sha, size, packed = hashlib.sha256(body).hexdigest(), len(body), zlib.compress(body, 6)
        else:
            sha = size = packed = None
        with self.db.atomic():
            cur = self.conn.execute(
                "INSERT INTO pages (url, status, fetched_at, crawl_id, content_type, headers, etag, last_modified, "
                "sha256, size, compression, body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (url, status, fetched_at or now_iso(), crawl_id, content_type, _json(hdrs),
                 _header(hdrs, "etag"), _header(hdrs, "last-modified"), sha,
                 size, "zlib" if packed is not None else None, packed, error))
            self._bump(crawl_id, "pages")
            return int(cur.lastrowid)

    def page_body(self, page_id: int) -> Optional[bytes]:
        row = self.conn.execute("SELECT body, compression FROM pages WHERE id = ?", (page_id,)).fetchone()
        return decompress(row[0], row[1]) if row else None

    def validators(self, url: str) -> dict:
        """ETag/Last-Modified of the newest 200 fetch of a report URL, but only once that fetch
        was carried through to the reports table (stored, or confirmed unchanged). A fetch whose
        report never got stored (a crawl killed between the two) must be fetched whole again:
        a 304 would otherwise pass for "unchanged" and the report would be lost. Validators of
        an older, carried-through fetch are right: a 304 against them means that report stands."""
        row = self.conn.execute(
            "SELECT p.etag, p.last_modified, p.sha256 FROM pages p "
            "WHERE p.url = ? AND p.status = 200 AND EXISTS (SELECT 1 FROM reports r "
            "  WHERE r.url = p.url AND r.is_current = 1 AND r.last_seen >= p.fetched_at) "
            "ORDER BY p.fetched_at DESC, p.id DESC LIMIT 1", (url,)).fetchone()
        if not row:
            return {}
        return {"etag": row[0], "last_modified": row[1], "sha256": row[2]}

    # ---- reports ------------------------------------------------------------------------
    def add_report(self, report: dict, page_id: Optional[int] = None, crawl_id: Optional[int] = None,
                   portal: Optional[str] = None, seen_at: Optional[str] = None,
                   portal_region: Optional[str] = None,
                   parser_version: Any = _CURRENT_PARSER) -> tuple[str, int]:
        """Store one parsed report (`parsers.Report.to_dict()`). Returns (status, report_id).

        `parser_version`: the parser that produced the dict (default: this program's, PARSER_VERSION;
        None when unknown, e.g. report dicts read from a .json file). An unchanged report keeps its
        row; its parser_version moves to this one (the newer parser reads it the same)."""
        if parser_version is _CURRENT_PARSER:
            parser_version = PARSER_VERSION
        if hasattr(report, "to_dict"):
            report = report.to_dict()
        if not isinstance(report, dict):
            raise ArchiveError(f"add_report: expected a report dict, got {type(report).__name__}")
        url = report.get("url")
        if not url:
            raise ArchiveError(f"add_report: report has no url (title {report.get('title')!r})")
        year = _int_year(report.get("year"))
        when = seen_at or now_iso()
        chash = content_hash(report)
        with self.db.atomic():
            cur = self.conn.execute(
                "SELECT id, content_hash, version, removed_at, text_hash, doubts FROM reports "
                "WHERE url = ? AND +is_current = 1", (url,)).fetchone()
            if cur and self._same_content(int(cur[0]), cur[1], cur[5], report, chash):
                rid = int(cur[0])
                self.conn.execute("UPDATE reports SET last_seen = ?, parser_version = COALESCE(?, parser_version) "
                                  "WHERE id = ?", (when, parser_version, rid))
                if cur[3] is not None:  # it came back: log the restoration, keep the removal record
                    self.conn.execute("UPDATE reports SET removed_at = NULL WHERE id = ?", (rid,))
                    self.conn.execute(
                        "UPDATE removals SET restored_at = ? WHERE report_id = ? AND restored_at IS NULL", (when, rid))
                self._bump(crawl_id, "reports_unchanged")
                return "unchanged", rid
            rid = self._insert_report(report, url, year, chash, when, page_id, crawl_id, portal, portal_region,
                                      version=(cur[2] + 1) if cur else 1, parser_version=parser_version)
            if cur:
                self.conn.execute("UPDATE reports SET is_current = 0, superseded_by = ? WHERE id = ?", (rid, cur[0]))
            crossyear.check_report(self.conn, rid)
            self._bump(crawl_id, "reports_changed" if cur else "reports_new")
            return ("changed" if cur else "new"), rid

    def reread_report(self, report_id: int, report: dict, parser_version: Optional[str] = PARSER_VERSION) -> str:
        """Store a new reading of an archived report's own bytes (`nianbao reparse`). Returns
        "changed" (a new version), "unchanged" (the same content: only parser_version moves) or
        "superseded" (no longer the current version: left alone).

        The new version is no new fetch: it keeps the fetch it was read from (page_id), its portal,
        first_seen, last_seen and removed_at; crawl_id stays empty. A reading that differs only in
        what was parsed shows as a version with the same page_id and text_hash as the one before."""
        if hasattr(report, "to_dict"):
            report = report.to_dict()
        with self.db.atomic():
            old = self.conn.execute(
                "SELECT r.url, r.content_hash, r.version, r.is_current, r.first_seen, r.last_seen, r.removed_at, "
                "r.page_id, p.name, p.region, r.doubts FROM reports r LEFT JOIN portals p ON p.id = r.portal_id "
                "WHERE r.id = ?", (report_id,)).fetchone()
            if old is None:
                raise ArchiveError(f"reread_report: no report {report_id}")
            url, old_hash, version, is_current, first_seen, last_seen, removed_at, page_id, portal, region, doubts = old
            if not is_current:
                return "superseded"
            report = {**report, "url": url}
            chash = content_hash(report)
            if self._same_content(report_id, old_hash, doubts, report, chash):
                # the same content, filed again by today's rules (a region read from the agency's own name)
                site = report.get("site") if isinstance(report.get("site"), dict) else {}
                region = self._region(report.get("agency"), site.get("site_code"), site.get("icp"),
                                      site.get("police_record"), region)
                self.conn.execute(
                    "UPDATE reports SET parser_version = ?, province = ?, city = ?, county = ?, region_code = ?, "
                    "region_source = ? WHERE id = ?",
                    (parser_version, region["province"], region["city"], region["county"], region["region_code"],
                     region["region_source"], report_id))
                return "unchanged"
            rid = self._insert_report(report, url, _int_year(report.get("year")), chash, first_seen, page_id, None,
                                      portal, region, version=version + 1, parser_version=parser_version)
            self.conn.execute("UPDATE reports SET last_seen = ?, removed_at = ? WHERE id = ?",
                              (last_seen, removed_at, rid))
            self.conn.execute("UPDATE reports SET is_current = 0, superseded_by = ? WHERE id = ?", (rid, report_id))
            crossyear.check_report(self.conn, rid)
            return "changed"

    def refresh_portal_regions(self) -> int:
        """File every portal again by today's region rules (its name first). Returns rows changed."""
        changed = 0
        with self.db.atomic():
            for pid, name, region, *old in self.conn.execute(
                    "SELECT id, name, region, province, city, county, region_code FROM portals").fetchall():
                r = derive_region(agency=name, portal_region=region)
                if (r.province, r.city, r.county, r.code) != tuple(old):
                    self.conn.execute("UPDATE portals SET province = ?, city = ?, county = ?, region_code = ? "
                                      "WHERE id = ?", (r.province, r.city, r.county, r.code, pid))
                    changed += 1
        return changed

    def _same_content(self, rid: int, old_hash: str, old_doubts: Optional[str], report: dict, chash: str) -> bool:
        """Is `report` what row `rid` already holds? A row stored before the archive kept the parser's
        doubts (doubts IS NULL, migration 4) was hashed without `needs_review` and `doubts`: it is the
        same report when the rest is, and then gets them filled in (and today's hash) in place, so
        upgrading nianbao does not make every archived report a new version."""
        if old_hash != chash:
            if old_doubts is not None:
                return False
            if content_hash({k: v for k, v in report.items() if k not in _REVIEW_KEYS}) != old_hash:
                return False
        if old_doubts is None:
            doubts = doubts_of(report)
            self.conn.execute("UPDATE reports SET content_hash = ?, needs_review = ?, doubts = ? WHERE id = ?",
                              (chash, 1 if (doubts or report.get("needs_review")) else 0, _json(doubts), rid))
        return True

    def _insert_report(self, report: dict, url: str, year: Optional[int], chash: str, when: str,
                       page_id: Optional[int], crawl_id: Optional[int], portal: Optional[str],
                       portal_region: Optional[str], version: int, parser_version: Optional[str] = None) -> int:
        site = report.get("site") or {}
        if not isinstance(site, dict):
            site = {}
        portal_id = self._portal_id(portal, region=portal_region)
        if portal_region is None and portal_id is not None:
            portal_region = self._portals[portal][2]  # the row's region (_portal_id just cached it)
        region = self._region(report.get("agency"), site.get("site_code"), site.get("icp"),
                              site.get("police_record"), portal_region)
        if page_id is None:
            row = self.conn.execute("SELECT id FROM pages WHERE url = ? ORDER BY id DESC LIMIT 1", (url,)).fetchone()
            page_id = row[0] if row else None
        checks = [c for c in (report.get("checks") or []) if isinstance(c, dict)]
        failed = sum(1 for c in checks if not c.get("ok"))
        has_tables = any(report.get(t) for t in ("table2", "table3", "table4"))
        check_status = "failed" if failed else ("passed" if checks else ("unchecked" if has_tables else "no tables"))
        text = report.get("text") or ""
        doubts = doubts_of(report)
        extra = {k: v for k, v in report.items() if k not in KNOWN_REPORT_KEYS}
        row = {
            "url": url, "version": version, "is_current": 1,
            "title": report.get("title"), "year": year, "agency": report.get("agency"),
            "agency_kind": report.get("agency_kind"), "published": report.get("published"),
            "template": report.get("template"), "format": report.get("format"),
            **region,
            "check_status": check_status, "failed_checks": failed, "checks_total": len(checks),
            "first_seen": when, "last_seen": when,
            "archived_copy": f"/-/archived/{page_id}" if page_id is not None else None,
            "portal_id": portal_id, "page_id": page_id, "crawl_id": crawl_id,
            "icp": site.get("icp"), "police_record": site.get("police_record"),
            "site_code": site.get("site_code"), "index_no": site.get("index_no"),
            "notes": _json(report.get("notes") or None), "content_hash": chash,
            "text_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "extra": _json(extra or None), "text": text,
            "needs_review": 1 if (doubts or report.get("needs_review")) else 0,
            "doubts": _json(doubts), "parser_version": parser_version,
        }
        cur = self.conn.execute(_insert_sql("reports", tuple(row)), [_scalar(v) for v in row.values()])
        rid = int(cur.lastrowid)
        self._insert_table(rid, "table2", "row_key", report.get("table2"), TABLE2_LABELS, TABLE2_VALUE_KEYS)
        self._insert_table(rid, "table3", "row_key", report.get("table3"), TABLE3_LABELS, TABLE3_COLUMNS,
                           order=TABLE3_ROWS)
        self._insert_table(rid, "table4", "grp", report.get("table4"), TABLE4_LABELS, TABLE4_COLUMNS,
                           order=TABLE4_GROUPS)
        self.conn.executemany(
            "INSERT INTO checks (report_id, rule, [where], expected, found, ok) VALUES (?, ?, ?, ?, ?, ?)",
            [(rid, str(c.get("rule")), _scalar(c.get("where")), _scalar(c.get("expected")),
              _scalar(c.get("found")), 1 if c.get("ok") else 0) for c in checks])
        # indexed just before the transaction commits (once per batch in a batch's transaction)
        title, agency = report.get("title"), report.get("agency")
        self.db.defer(lambda: fts.index_report(self.conn, rid, title, agency, text))
        return rid

    def _region(self, agency: Any, site_code: Any, icp: Any, police_record: Any, portal_region: Any) -> dict:
        """derive_region(...).as_columns(), cached: a pure function of its arguments (cpca's static table)."""
        key = (agency, site_code, icp, police_record, portal_region)
        try:
            return self._regions[key]
        except (KeyError, TypeError):  # TypeError: an unhashable value from an odd report
            pass
        cols = derive_region(agency=agency, site_code=site_code, icp=icp, police_record=police_record,
                             portal_region=portal_region).as_columns()
        try:
            if len(self._regions) >= 8192:  # bounded: a long crawl sees many agencies
                self._regions.clear()
            self._regions[key] = cols
        except TypeError:
            pass
        return cols

    def _insert_table(self, rid: int, table: str, key_col: str, data: Any, labels: dict, columns: tuple,
                      order: tuple = ()) -> None:
        if not isinstance(data, dict):
            return
        keys = [k for k in order if k in data] + [k for k in data if k not in order]
        known = _column_set(columns)
        rows = []
        for key in keys:
            values = data.get(key) or {}
            if not isinstance(values, dict):
                values = {"value": values}
            extra = {k: v for k, v in values.items() if k not in known}
            rows.append([rid, key, labels.get(key), *[_scalar(values.get(c)) for c in columns], _json(extra or None)])
        self.conn.executemany(_insert_sql(table, ("report_id", key_col, "label", *columns, "extra")), rows)

    def mark_removed(self, url: str, when: Optional[str] = None, crawl_id: Optional[int] = None) -> bool:
        """Stamp the current version of `url` as removed (rows kept). False if none is live."""
        when = when or now_iso()
        with self.db.atomic():
            row = self.conn.execute(
                "SELECT id FROM reports WHERE url = ? AND +is_current = 1 AND removed_at IS NULL", (url,)).fetchone()
            if not row:
                return False
            self.conn.execute("UPDATE reports SET removed_at = ? WHERE id = ?", (when, row[0]))
            self.conn.execute("INSERT INTO removals (report_id, url, removed_at, crawl_id) VALUES (?, ?, ?, ?)",
                              (row[0], url, when, crawl_id))
            self._bump(crawl_id, "reports_removed")
            return True

    def live_report_urls(self, host: Optional[str] = None) -> set[str]:
        urls = {r[0] for r in self.conn.execute(
            "SELECT url FROM reports WHERE is_current = 1 AND removed_at IS NULL")}
        if host is None:
            return urls
        host = host.lower()
        out = set()
        for u in urls:
            parts = urlsplit(u)
            netloc = parts.netloc.lower()
            try:
                port = parts.port
            except ValueError:
                continue
            # "host" alone means the scheme's default port: http://h/ is not http://h:8801/
            # (comparing host names only marked another port's reports removed)
            if netloc == host or (port in (None, {"http": 80, "https": 443}.get(parts.scheme))
                                  and (parts.hostname or "") == host.strip("[]")):
                out.add(u)
        return out

    # ---- maintenance --------------------------------------------------------------------
    def integrity_check(self) -> list[str]:
        """[] when sound: SQLite integrity, foreign keys, FTS index."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in self.conn.execute("PRAGMA foreign_key_check")]
        try:
            self.conn.execute("INSERT INTO reports_fts(reports_fts, rank) VALUES ('integrity-check', 0)")
        except Exception as e:  # noqa: BLE001 - reported, not raised
            problems.append(f"fts: {e}")
        finally:
            if self.conn.in_transaction:
                self.conn.rollback()
                self._forget()
        return problems

    def optimize(self) -> None:
        """Merge the FTS index into one segment and refresh the planner's statistics (after bulk loads)."""
        with self.db.atomic():
            self.conn.execute("INSERT INTO reports_fts(reports_fts) VALUES ('optimize')")
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA optimize")

    def checkpoint(self) -> None:
        if self.conn.in_transaction:
            self.db.run_deferred()  # a batch's FTS rows go with its reports
            self.conn.commit()
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Checkpoint the WAL into the main file (so an immutable reader sees everything) and close."""
        try:
            self.checkpoint()
        finally:
            self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def decompress(blob: Optional[bytes], compression: Optional[str]) -> Optional[bytes]:
    if blob is None:
        return None
    if compression == "zlib":
        return zlib.decompress(blob)
    return bytes(blob)
