"""Is this file a nianbao archive? Asked before opening one to write into it.

`Archive(path)` creates its tables in whatever SQLite file it is given, and an unreadable file
surfaces as a traceback deep inside sqlite-utils: a wrong `--db` should instead be one line that
names the file, and never turn another program's database into an archive.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

_SQLITE_MAGIC = b"SQLite format 3\x00"
_ARCHIVE_TABLES = {"pages", "reports", "crawls"}


def archive_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be used as a nianbao archive, or None when it can (an archive, an empty
    SQLite database, or no file yet: those become one)."""
    p = Path(path)
    if not p.exists():
        return None
    if p.is_dir():
        return "is a directory, not an archive file"
    try:
        with p.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not head:
        return None  # an empty file: SQLite makes it a database
    if head != _SQLITE_MAGIC:
        return "is not a nianbao archive (not an SQLite database)"
    try:
        con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"is not a readable SQLite database ({exc})"
    if tables and not _ARCHIVE_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        return f"is an SQLite database of something else (tables: {shown}), not a nianbao archive"
    return None
