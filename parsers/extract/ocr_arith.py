"""The table's arithmetic chooses among a figure's OCR readings, and says which cells to doubt.

Runs after extraction and before the report is built (parsers.parse_bytes), on a Document
whose `ocr_cells` list the cells read by OCR. It treats the table matcher and the checks as a
black box (parsers/tables/read.py, parsers/checks.py), so it follows them whatever
alignment they use:

1. Settle: while checks fail, try each doubtful figure's runner-up readings (least sure
   first) and keep one that makes fewer checks fail.
2. Trace: change each OCR'd figure in turn and see which report cell and which checks move;
   that names the cell (table3 granted/natural_person) and the checks that cover it.
3. Doubt (kind `ocr_cell`): a figure covered by a check that still fails; a figure no check
   covers that was read with less than UNCHECKED_CONFIDENT. A low-confidence figure whose
   checks all pass is confirmed by the arithmetic and not doubted.
"""
from __future__ import annotations

from typing import Optional

from parsers.checks import check_table3, check_table4
from parsers.extract.ocr import CONFIDENT, looks_like_figure
from parsers.model import Doubt, Document
from parsers.normalise import parse_cell
from parsers.tables import templates as T
from parsers.tables.read import read_tables

UNCHECKED_CONFIDENT = 0.98  # no sum covers the cell: only a very sure reading goes undoubted
BLANK_AS_ONE = 0.99  # a lone "1" read with less than this may be a blank mark ("/", "-", "|")
_PROBE = "9999917"  # a figure no report prints: where it lands names the cell


def _flat(tables) -> dict[tuple[str, str, str], object]:
    out = {}
    for name in ("table2", "table3", "table4"):
        for row, cells in (getattr(tables, name) or {}).items():
            for col, v in (cells or {}).items():
                out[(name, row, col)] = v
    return out


def _checks(tables) -> dict[tuple[str, str], tuple]:
    found = (check_table3(tables.table3) if tables.table3 else []) + \
        (check_table4(tables.table4) if tables.table4 else [])
    return {(c.rule, c.where): (c.ok, c.expected, c.found) for c in found}


def _failed(checks: dict) -> set:
    return {k for k, v in checks.items() if not v[0]}


def _number(text: str):
    try:
        return parse_cell(text)
    except Exception:  # noqa: BLE001 - NotANumber and odd readings: not a figure
        return None


def _values_in(failed: set, flat: dict) -> set:
    """The values printed in the cells that the failing checks add up (checks.py's rules)."""
    keys = set()
    for rule, where in failed:
        if rule == "t3_row_total":
            keys |= {("table3", where, col) for col in T.T3_COLUMNS}
        elif rule == "t3_balance":
            keys |= {("table3", r, where) for r in ("new_received", "carried_over", "total_processed",
                                                     "carried_forward")}
        elif rule == "t3_results_sum":
            keys |= {("table3", r, where) for r in T.T3_RESULT_ROWS + ("total_processed",)}
        elif rule == "t4_total":
            keys |= {("table4", where, f) for f in T.T4_FIELDS}
    return {flat.get(k) for k in keys} - {None}


def settle(doc: Document) -> Document:
    cells = [c for c in doc.ocr_cells if looks_like_figure(c.text) and 0 <= c.table < len(doc.tables)]
    if not cells:
        return doc
    for c in cells:
        if c.text == "1" and c.confidence < BLANK_AS_ONE and "-" not in c.alternatives:
            c.alternatives.append("-")  # a slash or a dash in a blank cell reads as 1 once scanned

    def slot(c):
        return doc.tables[c.table], c.row, c.col

    def put(c, text: str) -> None:
        grid, r, k = slot(c)
        if r < len(grid) and k < len(grid[r]):
            # a vertically merged cell repeats its text downward: change every copy
            old = grid[r][k]
            grid[r][k] = text
            rr = r + 1
            while rr < len(grid) and k < len(grid[rr]) and grid[rr][k] == old and old:
                grid[rr][k] = text
                rr += 1

    def evaluate():
        t = read_tables(doc)
        return t, _checks(t)

    tables, checks = evaluate()
    failed = _failed(checks)
    settled: list[tuple] = []
    if failed:
        for c in sorted((c for c in cells if c.alternatives), key=lambda c: c.confidence):
            if not failed:
                break
            base = c.text
            for alt in c.alternatives:
                put(c, alt)
                _, ch = evaluate()
                f = _failed(ch)
                if len(f) < len(failed):
                    settled.append((c, base, alt))
                    c.text, c.alternatives, failed = alt, [base] + [a for a in c.alternatives if a != alt], f
                    break
                put(c, base)
        tables, checks = evaluate()
        failed = _failed(checks)

    # trace: which report cell a figure became and which checks cover it, by changing it
    # alone. Only figures that may need a word are traced: the unsure ones, and those whose
    # value sits in a failing check (a sure misreading shows only there)
    before = _flat(tables)
    suspects = _values_in(failed, before)
    for c in cells:
        if c.confidence >= UNCHECKED_CONFIDENT and _number(c.text) not in suspects:
            continue
        put(c, _PROBE)
        t2, ch2 = evaluate()
        put(c, c.text)
        after = _flat(t2)
        key = next((k for k, v in after.items() if v != before.get(k) and v == int(_PROBE)), None)
        covering = [k for k, v in ch2.items() if checks.get(k) is None or v[1:] != checks[k][1:]]
        name = f"{key[0]} {key[1]}/{key[2]}" if key else f"grid {c.table} r{c.row} c{c.col}"
        failing = [k for k in covering if k in failed]
        why: Optional[str] = None
        if failing:
            rules = ", ".join(f"{r}[{w}]" for r, w in failing[:3])
            why = f"OCR read {c.text!r} (confidence {c.confidence:.2f}); check {rules} fails"
        elif not covering and c.confidence < UNCHECKED_CONFIDENT and key is not None:
            why = f"OCR read {c.text!r} (confidence {c.confidence:.2f}); no sum checks this cell"
            if c.alternatives:
                why += f"; or {' / '.join(map(repr, c.alternatives[:3]))}"
        elif not covering and c.confidence < CONFIDENT:
            why = f"OCR read {c.text!r} (confidence {c.confidence:.2f}); not placed in a report table"
        if why:
            doc.doubts.append(Doubt(kind="ocr_cell", where=name, detail=why))
    for c, base, alt in settled:
        # not a doubt: the arithmetic chose; kept visible beside the picture's ocr_page doubt
        doc.doubts.append(Doubt(kind="ocr_page", where=f"grid {c.table} r{c.row} c{c.col}",
                                detail=f"OCR read {base!r}, the table's sums chose {alt!r}"))
    return doc
