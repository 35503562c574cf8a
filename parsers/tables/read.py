"""Document → Tables: which rows of a document are its report tables.

The one reading of a Document's tables, shared by the report (parsers/report.py) and by OCR,
which reads them again to see which tables a picture's cells reach (parsers/extract/ocr.py)
and which figures the sums confirm (parsers/extract/ocr_arith.py).
"""
from __future__ import annotations

from typing import Optional

from parsers.model import Document, Doubt
from parsers.tables import templates as T
from parsers.tables.match import TableRow, Tables, match_tables
from parsers.tables.run_on import run_on_rows
from parsers.tables.text_rows import rows_from_text


def read_tables(doc: Document) -> Tables:
    """Grids first (they keep spans); the text's own rows when the grids hold no report table."""
    if doc.tables:
        rows = [TableRow(cells=row, grid=i) for i, grid in enumerate(doc.tables) for row in grid]
        found = match_tables(rows)
        if found.table3 or found.table2:
            return found
    found = match_tables([TableRow(cells=row, grid=-1) for row in rows_from_text(doc.text)])
    if _any_figure(found.table3) or _any_figure(found.table2):
        return found
    return _run_on_tables(doc.text) or found


def _any_figure(table) -> bool:
    return any(v is not None for row in (table or {}).values() for v in row.values())


def _run_on_tables(text: str) -> Optional[Tables]:
    """Last resort: cells run together without separators, split by the tables' arithmetic."""
    fields = T.T2_ROWS_2021 if "本年制发件数" in text else T.T2_ROWS_2019
    t2_fields = {T.T2_LABELS[k].replace("行政规范性文件", "规范性文件"): len(v) for k, v in fields.items()}
    rows, unsplit = run_on_rows(text, t2_fields)
    if not rows:
        return None
    found = match_tables([TableRow(cells=row, grid=-1) for row in rows])
    if not (found.table3 or found.table2):
        return None
    found.notes.append("table cells printed run together; figures split where the arithmetic allows one way only")
    for where in unsplit:
        found.doubts.append(Doubt("column_ambiguous", where, "figures run together; not exactly one way "
                                  "to split them adds up: left null"))
    return found
