"""Rows (from any source) → the contract's table2 / table3 / table4.

Rows arrive as one stream in document order, so a table cut in two by a page break is just
more rows. Each row is matched by its label to a template row key; its values are the cells
after its last label cell, read by the header's columns where a grid header was found and by
position otherwise. Blank cells keep their place, so a blank column never shifts the others.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from parsers.model import Number, Row
from parsers.normalise import fold, is_blank, is_value, label_key, parse_cell
from parsers.tables import templates as T

Table = dict[str, dict[str, Optional[Number]]]

_GROUP_MARK = re.compile(r"[(（]\s*([一二三四五六七])\s*[)）]")


@dataclass
class TableRow:
    cells: Row  # grid slots: None where a colspan of the cell to the left covers it
    grid: int = 0  # which source table the row came from


@dataclass
class Tables:
    table2: Optional[Table] = None
    table3: Optional[Table] = None
    table4: Optional[Table] = None
    t2_layout: Optional[str] = None  # "2019" or "2021", from table 2's headers
    notes: list[str] = field(default_factory=list)


def _logical(cells: Row) -> list[tuple[int, str]]:
    return [(i, c) for i, c in enumerate(cells) if c is not None]


def _split(cells: Row) -> tuple[list[str], list[tuple[int, str]]]:
    """Label cells, and the value cells (with grid column) after the last label."""
    logical = _logical(cells)
    last_label = -1
    for n, (_, text) in enumerate(logical):
        if not is_value(text):
            last_label = n
    labels = [t for _, t in logical[: last_label + 1] if not is_value(t)]
    return labels, logical[last_label + 1:]


def _match_spec(label: str, specs) -> Optional[str]:
    key = label_key(label)
    for spec in specs:
        if any(p in key for p in spec.phrases):
            return spec.key
    return None


def _column_intervals(cells: Row, names: dict[str, tuple[str, ...]]) -> dict[str, tuple[int, int]]:
    """Header row → {column key: (first grid column, last grid column + 1)}."""
    found: dict[str, tuple[int, int]] = {}
    for i, text in enumerate(cells):
        if text is None:
            continue
        end = i + 1
        while end < len(cells) and cells[end] is None:
            end += 1
        key = fold(text)
        for col, labels in names.items():
            if col not in found and any(key == lb or key.endswith(lb) for lb in labels):
                found[col] = (i, end)
                break
    return found


def _values_by_header(values: list[tuple[int, str]], header: dict[str, tuple[int, int]],
                      columns: tuple[str, ...]) -> Optional[list[Optional[str]]]:
    picked: dict[str, str] = {}
    for col_index, text in values:
        owners = [c for c, (a, b) in header.items() if a <= col_index < b]
        if not owners and is_blank(text):  # a spacer column under no header: nothing printed there
            continue
        if len(owners) != 1:
            return None
        owner = owners[0]
        if owner in picked:  # two slots under one header: a spacer; keep the printed one
            if is_blank(text):
                continue
            if not is_blank(picked[owner]):
                return None
        picked[owner] = text
    if len(picked) < len(columns) - 1:  # tolerate one slot the grid lost, never more
        return None
    return [picked.get(c) for c in columns]


def _numbers(texts: list[Optional[str]], count: int, where: str, notes: list[str]) -> dict:
    raw = list(texts[:count])
    if len(raw) < count:
        notes.append(f"{where}: {len(raw)} of {count} cells printed; the rest are null")
        raw += [None] * (count - len(raw))
    return raw


def _cells_to_numbers(raw: list[Optional[str]]) -> list[Optional[Number]]:
    return [parse_cell(t) for t in raw]


class _T3Header:
    def __init__(self):
        self.by_grid: dict[int, dict[str, tuple[int, int]]] = {}
        self.last: Optional[tuple[int, int]] = None  # (grid, width) of the last header seen

    def for_row(self, row: TableRow) -> Optional[dict[str, tuple[int, int]]]:
        """The row's own grid's header; else, for a continuation table cut by a page break,
        the previous table's header when the rows are exactly as wide."""
        if row.grid in self.by_grid:
            return self.by_grid[row.grid]
        if self.last and row.grid > self.last[0] and len(row.cells) == self.last[1]:
            return self.by_grid[self.last[0]]
        return None

    def see(self, row: TableRow) -> bool:
        """Remember a table-3 column header row; True if the row is one."""
        intervals = _column_intervals(row.cells, T.T3_COLUMN_LABELS)
        if len(intervals) >= 5 and "natural_person" in intervals:
            previous = self.by_grid.get(row.grid, {})
            previous.update(intervals)
            self.by_grid[row.grid] = previous
            self.last = (row.grid, len(row.cells))
            return True
        return False


def _t3_key(labels: list[str], group: str) -> Optional[str]:
    last = labels[-1]
    key = _match_spec(last, T.T3_ROW_SPECS)
    if key:
        return key
    last_key = label_key(last)
    if last_key.lstrip("0123456789") in ("其他", "其它") and group == "六":
        return "other_misc"
    if "其他处理" in last_key or "其它处理" in last_key:
        return "other_handling"
    return None


def _group_of(labels: list[str], current: str) -> str:
    for text in labels:
        m = _GROUP_MARK.search(unicodedata.normalize("NFKC", text))
        if m:
            current = m.group(1)
    return current


_T3_OPENERS = ("new_received", "carried_over", "granted", "partially_granted")
_HEADER_WORDS = {lb for labels in T.T3_COLUMN_LABELS.values() for lb in labels} | {"申请人情况"}


def match_tables(rows: list[TableRow]) -> Tables:
    out = Tables()
    notes = out.notes
    t2_raw: dict[str, list[Optional[str]]] = {}
    t3_raw: dict[str, list[Optional[str]]] = {}
    t4_raw: Optional[list[Optional[str]]] = None
    header = _T3Header()
    state = "t2"
    group = ""
    layout_votes = {"2019": 0, "2021": 0}

    for row in rows:
        labels, values = _split(row.cells)
        label_keys = [label_key(t) for t in labels]
        joined = "".join(label_keys)
        layout_votes["2021"] += sum(1 for h in T.T2_2021_HEADERS if h in joined)
        layout_votes["2019"] += sum(1 for h in T.T2_2019_HEADERS if h in joined)
        printed = [t for _, t in values if parse_cell(t) is not None]

        if row.grid >= 0 and state != "t4" and header.see(row):
            continue
        if labels and state != "t4":
            group_here = _group_of(labels, group)
            t3_key = _t3_key(labels, group_here)
            bare_header = label_keys[-1] in _HEADER_WORDS and not printed
            if t3_key and not bare_header and (state == "t3" or t3_key in _T3_OPENERS):
                state, group = "t3", group_here
                if t3_key in t3_raw:
                    notes.append(f"table3.{t3_key}: printed twice; the first is kept")
                    continue
                hdr = header.for_row(row)
                picked = _values_by_header(values, hdr, T.T3_COLUMNS) if hdr else None
                texts = picked if picked is not None else [t for _, t in values]
                t3_raw[t3_key] = _numbers(texts, 7, f"table3.{t3_key}", notes)
                if t3_key == "carried_forward":
                    state = "t4"
                continue
        if state == "t2" and labels:
            t2_key = _match_spec(labels[-1], T.T2_ROW_SPECS)
            if t2_key and values and t2_key not in t2_raw:
                t2_raw[t2_key] = [t for _, t in values]
                continue
        if state == "t3" and any("行政复议" in k for k in label_keys):
            state = "t4"
        if t4_raw is None and printed and (
                (state == "t4" and len(values) >= 5) or (t3_raw and not labels and len(values) >= 10)):
            t4_raw = [t for _, t in values]

    if t2_raw:
        layout = "2021" if layout_votes["2021"] > layout_votes["2019"] else "2019"
        if layout_votes["2021"] == layout_votes["2019"]:
            layout = "2019" if {"other_services", "procurement"} & set(t2_raw) else "2021"
        out.t2_layout = layout
        spec = T.T2_ROWS_2021 if layout == "2021" else T.T2_ROWS_2019
        out.table2 = {}
        for key, fields in spec.items():
            if key not in t2_raw:
                notes.append(f"table2.{key}: row not found")
            raw = _numbers(t2_raw.get(key, []), len(fields), f"table2.{key}", notes) \
                if key in t2_raw else [None] * len(fields)
            out.table2[key] = dict(zip(fields, _cells_to_numbers(raw)))
    if t3_raw:
        out.table3 = {key: dict(zip(T.T3_COLUMNS, _cells_to_numbers(raw))) for key, raw in t3_raw.items()}
    if t4_raw is not None:
        raw = _numbers(t4_raw, 15, "table4", notes)
        numbers = _cells_to_numbers(raw)
        out.table4 = {g: dict(zip(T.T4_FIELDS, numbers[i * 5:(i + 1) * 5]))
                      for i, g in enumerate(T.T4_GROUPS)}
    return out


def complete_table3(found: Table, template: str, notes: list[str]) -> Table:
    """All of the template's rows in canonical order; rows it did not print are null."""
    keys = list(T.t3_row_keys(template))
    for extra in found:
        if extra not in keys:
            keys.insert(keys.index("total_processed"), extra)
    out: Table = {}
    for key in keys:
        if key in found:
            out[key] = found[key]
        else:
            notes.append(f"table3.{key}: row not found")
            out[key] = {c: None for c in T.T3_COLUMNS}
    return out
