"""The archive's SQLite schema: tables, indexes, foreign keys, and numbered migrations.

`migrate(db)` brings any archive file (new or older) to `SCHEMA_VERSION`, one migration per
transaction, and records each in `schema_migrations`. Migrations only ever add: an archive is
never rewritten or emptied by an upgrade.

Column names follow ../shared/spec/report-schema.md (the contract) so journalists see the
same keys as `nianbao parse --format json`.
"""
from __future__ import annotations

import datetime as _dt

from parsers.tables import templates as T

# Value columns of the contract's tables, in display order.
# The contract's keys come from the parser's templates: one list for both sides of the pipe.
TABLE2_VALUE_KEYS = tuple(dict.fromkeys(
    k for rows in (T.T2_ROWS_2021, T.T2_ROWS_2019) for keys in rows.values() for k in keys))
TABLE3_COLUMNS = T.T3_COLUMNS
TABLE3_ROWS = T.T3_ROWS_COMMON + T.T3_OTHER_2019 + T.T3_OTHER_2021 + T.T3_TAIL
TABLE4_GROUPS = T.T4_GROUPS
TABLE4_COLUMNS = T.T4_FIELDS

_T2 = ",\n    ".join(f"[{k}] NUMERIC" for k in TABLE2_VALUE_KEYS)
_T3 = ",\n    ".join(f"[{k}] NUMERIC" for k in TABLE3_COLUMNS)
_T4 = ",\n    ".join(f"[{k}] NUMERIC" for k in TABLE4_COLUMNS)

# Each migration: (version, description, [SQL statements]). Append only; never edit a shipped one.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "initial schema: portals, crawls, errors, pages, reports, table2-4, checks, removals, crossyear, FTS", [
        """CREATE TABLE portals (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT,
    region TEXT,
    province TEXT,
    city TEXT,
    county TEXT,
    region_code TEXT,
    added_at TEXT
)""",
        """CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    start_urls TEXT,
    settings TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    reports_new INTEGER NOT NULL DEFAULT 0,
    reports_changed INTEGER NOT NULL DEFAULT 0,
    reports_unchanged INTEGER NOT NULL DEFAULT 0,
    reports_removed INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    stats TEXT
)""",
        """CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER REFERENCES crawls(id),
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
)""",
        """CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    status INTEGER,
    fetched_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    content_type TEXT,
    headers TEXT,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    size INTEGER,
    compression TEXT,
    body BLOB,
    error TEXT
)""",
        """CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    version INTEGER NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 1,
    superseded_by INTEGER REFERENCES reports(id),
    title TEXT,
    year INTEGER,
    agency TEXT,
    agency_kind TEXT,
    published TEXT,
    template TEXT,
    format TEXT,
    province TEXT,
    city TEXT,
    county TEXT,
    region_code TEXT,
    region_source TEXT,
    check_status TEXT,
    failed_checks INTEGER NOT NULL DEFAULT 0,
    checks_total INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    removed_at TEXT,
    archived_copy TEXT,
    portal_id INTEGER REFERENCES portals(id),
    page_id INTEGER REFERENCES pages(id),
    crawl_id INTEGER REFERENCES crawls(id),
    icp TEXT,
    police_record TEXT,
    site_code TEXT,
    index_no TEXT,
    notes TEXT,
    content_hash TEXT NOT NULL,
    text_hash TEXT,
    extra TEXT,
    text TEXT
)""",
        f"""CREATE TABLE table2 (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    row_key TEXT NOT NULL,
    label TEXT,
    {_T2},
    extra TEXT,
    UNIQUE (report_id, row_key)
)""",
        f"""CREATE TABLE table3 (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    row_key TEXT NOT NULL,
    label TEXT,
    {_T3},
    extra TEXT,
    UNIQUE (report_id, row_key)
)""",
        f"""CREATE TABLE table4 (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    grp TEXT NOT NULL,
    label TEXT,
    {_T4},
    extra TEXT,
    UNIQUE (report_id, grp)
)""",
        """CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    rule TEXT NOT NULL,
    [where] TEXT,
    expected NUMERIC,
    found NUMERIC,
    ok INTEGER NOT NULL
)""",
        """CREATE TABLE removals (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    url TEXT NOT NULL,
    removed_at TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    restored_at TEXT
)""",
        """CREATE TABLE crossyear (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    previous_report_id INTEGER NOT NULL REFERENCES reports(id),
    agency TEXT,
    year INTEGER,
    rule TEXT NOT NULL,
    [where] TEXT,
    expected NUMERIC,
    found NUMERIC,
    ok INTEGER NOT NULL,
    UNIQUE (report_id, previous_report_id, rule, [where])
)""",
        "CREATE INDEX idx_pages_url ON pages(url, fetched_at)",
        "CREATE INDEX idx_pages_crawl ON pages(crawl_id)",
        "CREATE INDEX idx_errors_crawl ON errors(crawl_id)",
        "CREATE UNIQUE INDEX idx_reports_url_version ON reports(url, version)",
        "CREATE INDEX idx_reports_current ON reports(is_current, removed_at)",
        "CREATE INDEX idx_reports_agency_year ON reports(agency, year)",
        "CREATE INDEX idx_reports_region ON reports(province, city, year)",
        "CREATE INDEX idx_reports_year ON reports(year)",
        "CREATE INDEX idx_reports_published ON reports(published)",
        "CREATE INDEX idx_reports_check_status ON reports(check_status)",
        "CREATE INDEX idx_reports_template ON reports(template)",
        "CREATE INDEX idx_reports_page ON reports(page_id)",
        "CREATE INDEX idx_checks_report ON checks(report_id)",
        "CREATE INDEX idx_checks_failed ON checks(ok, rule)",
        "CREATE INDEX idx_removals_report ON removals(report_id)",
        "CREATE INDEX idx_crossyear_report ON crossyear(report_id)",
        "CREATE INDEX idx_crossyear_prev ON crossyear(previous_report_id)",
        # Contentless FTS5 over title/agency/text pre-split into character bigrams (archive/fts.py);
        # rowid = reports.id. Contentless: the text is stored once, in reports.
        "CREATE VIRTUAL TABLE reports_fts USING fts5(title, agency, text, content='', tokenize='unicode61')",
    ]),
    (2, "index for the current version of a url (the low-selectivity is_current index made lookups scan)", [
        "DROP INDEX IF EXISTS idx_reports_current",
        "CREATE INDEX idx_reports_url_current ON reports(url, is_current)",
        "CREATE INDEX idx_reports_removed ON reports(removed_at)",
    ]),
    (3, "covering index for search counts and facets (reports rows are wide: the body text is inline)", [
        # Datasette's `_search` runs `id IN (SELECT rowid FROM reports_fts WHERE … MATCH …)`; its count and
        # its facets (province, city, year, template, check_status) then look every match up by id. With this
        # index, leading with the id, those lookups read a ~60-byte index entry instead of a ~6 KB table row.
        "CREATE INDEX idx_reports_search ON reports(id, is_current, province, city, year, template, check_status)",
    ]),
    (4, "parser doubt kept apart from the report's own errors: needs_review, doubts; the parser version", [
        # needs_review = 1: the parser is not sure of every value (contract `needs_review`); a failed check on
        # such a report may be the parser's, so "numbers that don't add up" leaves it out. Rows stored before
        # this migration keep 0 and NULL: `nianbao reparse` re-derives them from their archived bytes.
        "ALTER TABLE reports ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE reports ADD COLUMN doubts TEXT",  # JSON list of {kind, where, detail}
        "ALTER TABLE reports ADD COLUMN parser_version TEXT",
        "CREATE INDEX idx_reports_review ON reports(is_current, needs_review, failed_checks)",
    ]),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(conn) -> int:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if not row:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(conn) -> int:
    """Apply every pending migration, each in its own transaction. Returns the new version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)"
    )
    conn.commit()
    have = current_version(conn)
    if have > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {have} is newer than this program's {SCHEMA_VERSION}; upgrade nianbao"
        )
    for version, description, statements in MIGRATIONS:
        if version <= have:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql in statements:
                conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (version, description, _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return current_version(conn)
