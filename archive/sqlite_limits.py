"""A cap on the size of any one value a Datasette connection's SQL can make (SQLITE_LIMIT_LENGTH).

`/archive.json?sql=select randomblob(1000000000)` is one SQLite step: `sql_time_limit_ms` (a
progress handler between steps) cannot stop it, and it took 169 s and 6.4 GB while other requests
waited. With the length limit SQLite refuses it at once ("string or blob too big"), as it refuses
`zeroblob`, `printf('%.*c', …)`, `replace()` or `||` chains growing past the limit.

The limit must stay above the largest value the archive holds (pages.body: attachments up to
DOWNLOAD_MAXSIZE, 64 MB), since SQLite applies it to values read as well as made.

Python's sqlite3 has `Connection.setlimit` (3.11+); pysqlite3, which Datasette prefers when
installed, does not, so there the C function `sqlite3_limit` of the library pysqlite3 itself
carries is called through ctypes on the connection's `sqlite3*` handle. The handle is the first
field after the object header in pysqlite3's (and CPython's) connection struct; it is used only
after `sqlite3_db_filename` through it names the same file as `PRAGMA database_list`, so a
different layout leaves the connection unlimited (logged) rather than crashing.
"""
from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, Optional

log = logging.getLogger(__name__)

MAX_VALUE_BYTES = 80 * 1024 * 1024
SQLITE_LIMIT_LENGTH = 0
_lib: Optional[ctypes.CDLL] = None


def _library(conn: Any) -> Optional[ctypes.CDLL]:
    global _lib  # noqa: PLW0603 - the loaded library, once per process (a cache, not state)
    if _lib is None:
        mod = sys.modules.get(type(conn).__module__.rsplit(".", 1)[0] + "._sqlite3")
        path = getattr(mod, "__file__", None)
        if not path:
            return None
        lib = ctypes.CDLL(path)
        lib.sqlite3_limit.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.sqlite3_limit.restype = ctypes.c_int
        lib.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.sqlite3_db_filename.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def limit_value_length(conn: Any, max_bytes: int = MAX_VALUE_BYTES) -> bool:
    """Cap the length of any string or blob on `conn`. False if it could not be set."""
    if hasattr(conn, "setlimit"):
        conn.setlimit(SQLITE_LIMIT_LENGTH, max_bytes)
        return True
    try:
        lib = _library(conn)
        main = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), None)
        if lib is None or not main:
            return False  # :memory: or an unknown driver: nothing to verify the handle against
        handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
        if not handle or (lib.sqlite3_db_filename(handle, b"main") or b"").decode("utf-8", "replace") != main:
            log.warning("SQLITE_LIMIT_LENGTH not set: unexpected sqlite connection layout")
            return False
        lib.sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, max_bytes)
        return True
    except Exception as e:  # noqa: BLE001 - serving without the limit beats not serving
        log.warning("SQLITE_LIMIT_LENGTH not set: %s", e)
        return False
