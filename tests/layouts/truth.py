"""The contract's checks, written again from report-schema.md (not from parsers/checks.py).

"Sums treat null as 0, but a comparison is made only when its target cell and at least one of
its addends were printed; otherwise it is skipped, not failed."
"""
from __future__ import annotations

from datetime import date

from .vocab import RESULT_KEYS, T3_APPLICANTS, T3_COLS, T4_FIELDS


def _printed(values) -> bool:
    return any(v is not None for v in values)


def _total(values):
    s = sum(v for v in values if v is not None)
    return round(s, 6) if isinstance(s, float) else s


def _fails(target, addends) -> bool:
    """True when the comparison is made and does not hold."""
    if not (_printed(target) and _printed(addends)):
        return False
    return abs(_total(target) - _total(addends)) > 1e-6


def failing_rules(t3, t4, year, published, kind) -> set[str]:
    out: set[str] = set()
    if t3:
        def cell(row, col):
            return (t3.get(row) or {}).get(col)

        for col in T3_COLS:
            if _fails([cell("total_processed", col), cell("carried_forward", col)],
                      [cell("new_received", col), cell("carried_over", col)]):
                out.add("t3_balance")
            if _fails([cell("total_processed", col)], [cell(r, col) for r in RESULT_KEYS]):
                out.add("t3_results_sum")
        for row in t3.values():
            if _fails([row["total"]], [row[c] for c in T3_APPLICANTS]):
                out.add("t3_row_total")
    if t4:
        for row in t4.values():
            if _fails([row["total"]], [row[f] for f in T4_FIELDS[:-1]]):
                out.add("t4_total")
    if year and published and kind:
        deadline = date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)
        if date.fromisoformat(published) > deadline:
            out.add("published_on_time")
    return out
