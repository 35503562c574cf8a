"""The archive: one SQLite file (sqlite-utils, WAL, versioned schema) and its Datasette publication.

`archive.store.Archive` is the writer interface (docs/archive-api.md); `archive.serve` publishes it.
"""
