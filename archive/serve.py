"""`nianbao serve`: the archive in Datasette, read-only, with metadata.json and the archive's plugin.

By default the file is opened *immutable* (no locking, counts computed once, nothing can write).
Because an immutable reader ignores a WAL file, any pending WAL is checkpointed first; if that
is impossible (a crawl is writing right now) or `--live` is given, the file is served read-only
but not immutable, so new rows appear as the crawler commits them. Before an immutable start the
planner statistics are written if missing (`refresh_statistics`: search speed depends on them).
"""
from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_METADATA = REPO_ROOT / "metadata.json"
SETTINGS = {
    "truncate_cells_html": 300,     # report bodies are long: the row page shows them whole
    "sql_time_limit_ms": 5000,      # canned aggregate queries over 100k reports
    "facet_time_limit_ms": 100,     # a facet that takes longer is left out ("These facets timed out")
    "default_page_size": 50,
    "allow_csv_stream": True,
    "suggest_facets": False,        # suggestions scan every column of the result: 10x the search itself
}


def register_plugin() -> None:
    from datasette.plugins import pm

    from . import datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="nianbao-archive")


def load_metadata(db_name: str, metadata_path: Optional[os.PathLike] = None) -> dict:
    """metadata.json with its database entry renamed to the file actually served."""
    path = Path(metadata_path or DEFAULT_METADATA)
    meta = json.loads(path.read_text(encoding="utf-8"))
    dbs = meta.get("databases") or {}
    if "archive" in dbs and db_name != "archive":
        dbs[db_name] = dbs.pop("archive")
        if "description_html" in meta:
            meta["description_html"] = meta["description_html"].replace('"/archive/', f'"/{db_name}/')
    return copy.deepcopy(meta)


def checkpoint(db_path: str) -> bool:
    """Fold a pending WAL into the main file. False if the file is busy or not writable."""
    wal = db_path + "-wal"
    if not os.path.exists(wal) or os.path.getsize(wal) == 0:
        return True
    from sqlite_utils.utils import sqlite3

    try:
        conn = sqlite3.connect(db_path, timeout=2)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
        return not busy and (not os.path.exists(wal) or os.path.getsize(wal) == 0)
    except Exception:  # noqa: BLE001 - any failure means: serve it live instead
        return False


def refresh_statistics(db_path: str) -> bool:
    """Give the query planner statistics if the archive has none for the search index (sampled ANALYZE,
    ~1 s per 100,000 reports, once). Without them SQLite looks each search match up in the wide `reports`
    rows instead of the narrow covering index `idx_reports_search`. False if the file is busy or read-only."""
    from sqlite_utils.utils import sqlite3

    try:
        conn = sqlite3.connect(db_path, timeout=2)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_reports_search'").fetchone()
            stat = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
            if not has or (stat and conn.execute(
                    "SELECT 1 FROM sqlite_stat1 WHERE idx = 'idx_reports_search'").fetchone()):
                return True
            if not conn.execute("SELECT 1 FROM reports LIMIT 1").fetchone():
                return True  # empty: nothing to measure yet
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE")
            conn.commit()
            return True
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - serving without statistics is slower, never wrong
        return False


def make_datasette(db_path: str, metadata_path: Optional[os.PathLike] = None, immutable: bool = True,
                   settings: Optional[dict] = None):
    """A configured `datasette.app.Datasette` for the archive (tests use its `.client`)."""
    from datasette.app import Datasette

    db_path = str(db_path)
    if not os.path.exists(db_path):
        raise FileNotFoundError(f"archive not found: {db_path}")
    register_plugin()
    if immutable and not checkpoint(db_path):
        immutable = False
    if immutable:
        refresh_statistics(db_path)
    name = Path(db_path).stem
    kwargs = {"immutables": [db_path]} if immutable else {"files": [db_path]}
    return Datasette(metadata=load_metadata(name, metadata_path), settings={**SETTINGS, **(settings or {})},
                     **kwargs)


def serve(db_path: str, port: int = 8001, host: str = "127.0.0.1", live: bool = False,
          metadata_path: Optional[os.PathLike] = None) -> int:
    import uvicorn

    try:
        ds = make_datasette(db_path, metadata_path, immutable=not live)
    except (FileNotFoundError, json.JSONDecodeError) as e:
        print(f"nianbao serve: {e}", file=sys.stderr)
        return 2
    print(f"nianbao serve: http://{host}:{port}/ ({'live' if live else 'immutable'}: {db_path})", file=sys.stderr)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
    return 0
