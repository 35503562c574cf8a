"""A stored report as the contract's dict (report-schema.md), for feeds of reports a crawl saw but did not
re-parse (a 304 Not Modified re-crawl): `nianbao crawl -O` then still writes every report it saw."""
from __future__ import annotations

import json
from typing import Any, Optional

from .schema import TABLE2_VALUE_KEYS, TABLE3_COLUMNS, TABLE4_COLUMNS

_FIELDS = ("url", "title", "year", "agency", "agency_kind", "published", "template", "text")


def _table(conn, table: str, key: str, cols: tuple, rid: int) -> Optional[dict]:
    cur = conn.execute(f"SELECT [{key}], {', '.join(f'[{c}]' for c in cols)} FROM [{table}] WHERE report_id = ? "
                       f"ORDER BY id", (rid,))
    rows = {r[0]: {c: v for c, v in zip(cols, r[1:]) if v is not None or table != "table2"} for r in cur}
    return rows or None


def current_report(conn, url: str) -> Optional[dict[str, Any]]:
    """The current stored version at `url` as a report dict (plus `report_id`), or None."""
    cur = conn.execute("SELECT * FROM reports WHERE url = ? AND is_current = 1 ORDER BY version DESC LIMIT 1", (url,))
    row = cur.fetchone()
    if row is None:
        return None
    r = dict(zip([d[0] for d in cur.description], row))
    out: dict[str, Any] = {k: r.get(k) for k in _FIELDS}
    out["site"] = {k: r.get(k) for k in ("icp", "police_record", "site_code", "index_no")}
    out["table2"] = _table(conn, "table2", "row_key", TABLE2_VALUE_KEYS, r["id"])
    out["table3"] = _table(conn, "table3", "row_key", TABLE3_COLUMNS, r["id"])
    out["table4"] = _table(conn, "table4", "grp", TABLE4_COLUMNS, r["id"])
    out["checks"] = [{"rule": c[0], "where": c[1], "expected": c[2], "found": c[3], "ok": bool(c[4])}
                     for c in conn.execute('SELECT rule, [where], expected, found, ok FROM checks WHERE report_id = ? '
                                           'ORDER BY id', (r["id"],))]
    out["needs_review"] = bool(r.get("needs_review"))
    try:
        out["doubts"] = json.loads(r["doubts"]) if r.get("doubts") else []
    except ValueError:
        out["doubts"] = []
    out["report_id"] = r["id"]
    return out
