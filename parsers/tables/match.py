"""Rows (from any source) → the contract's table2 / table3 / table4.

Rows arrive as one stream in document order, so a table cut in two by a page break is just
more rows. The printed rows of tables 2 and 3 are aligned to the template's row sequence
(parsers/tables/align.py: key phrases, label similarity and order); a row's values are the cells
after its last label cell, read by the header's columns where a grid header was found (merged
or not, one header row or several) and by position otherwise, the arithmetic choosing between
positions where blank label columns make them ambiguous. Blank cells keep their place, so a
blank column never shifts the others. What the parser is unsure of goes to `Tables.doubts`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from parsers.model import Doubt, Number, Row
from parsers.normalise import cell_note, fold, is_blank, is_value, label_key, parse_cell
from parsers.tables import templates as T
from parsers.tables.align import EXACT, SURE, WEAK, Candidate, align, own_label, similarity

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
    doubts: list[Doubt] = field(default_factory=list)
    # table-3 rows whose cells were placed by position alone with a slot count other than the
    # table's (cut short or padded): right only if the table's arithmetic says so (report.py)
    unsure_rows: list[str] = field(default_factory=list)
    t4_unsure: bool = False  # table 4's figures did not come as one row of 15
    t3_headerless_grid: bool = False  # table 3 came from a grid whose column header was not read


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


def _figure(text: Optional[str]) -> Optional[Number]:
    return parse_cell(text) if is_value(text) else None


def _windows(texts: list[str], width: int) -> list[int]:
    """Offsets at which `width` slots can be read out of a longer row: the slots left out on
    either side must be blank (label columns left empty, spacer columns)."""
    return [o for o in range(len(texts) - width + 1)
            if all(is_blank(t) for t in texts[:o]) and all(is_blank(t) for t in texts[o + width:])]


def _adds_up(texts: list[str]) -> bool:
    """Table 3 row arithmetic: the 总计 slot printed and equal to the sum of the six others."""
    nums = [_figure(t) for t in texts]
    if nums[6] is None or all(v is None for v in nums[:6]):
        return False
    return abs(sum(v for v in nums[:6] if v is not None) - nums[6]) < 1e-6


def _numbers(texts: list[Optional[str]], count: int, where: str, notes: list[str]) -> dict:
    raw = list(texts[:count])
    if len(raw) < count:
        notes.append(f"{where}: {len(raw)} of {count} cells printed; the rest are null")
        raw += [None] * (count - len(raw))
    return raw


def _cells_to_numbers(raw: list[Optional[str]], where: str = "", fields=(),
                      notes: Optional[list[str]] = None) -> list[Optional[Number]]:
    """Printed cells → numbers; a note printed inside a cell ("22（其中修订16件）") goes to notes."""
    out = []
    for i, t in enumerate(raw):
        out.append(parse_cell(t))
        note = cell_note(t)
        if note and notes is not None:
            name = fields[i] if i < len(fields) else str(i)
            notes.append(f"{where}.{name}: printed {t.strip()!r}; the note is not part of the value")
    return out


class _T3Header:
    def __init__(self):
        self.by_grid: dict[int, dict[str, tuple[int, int]]] = {}
        self.last: Optional[tuple[int, int]] = None  # (grid, width) of the last header seen
        self.pending: dict[int, dict[str, tuple[int, int]]] = {}  # header pieces not yet enough
        self.missing = False  # a grid's table-3 rows were read without a header
        self.widths: dict[int, int] = {}  # grid → slots per header row

    def for_row(self, row: TableRow) -> Optional[dict[str, tuple[int, int]]]:
        """The row's own grid's header; else, for a continuation table cut by a page break,
        the previous table's header when the rows are exactly as wide."""
        if row.grid in self.by_grid:
            return self.by_grid[row.grid]
        if self.last and row.grid > self.last[0] and len(row.cells) == self.last[1]:
            return self.by_grid[self.last[0]]
        return None

    def width_for(self, row: TableRow) -> int:
        if row.grid in self.by_grid:
            return self.widths.get(row.grid, len(row.cells))
        return self.last[1] if self.last else len(row.cells)

    def see(self, row: TableRow) -> bool:
        """Remember a table-3 column header row; True if the row is one.

        A header may come in pieces over two or three rows, merged or not: 自然人 / 法人或其他组织
        / 总计 on one row and the five kinds of organisation on the next, with blank cells (not
        spans) over the label columns. The pieces add up per grid; the header counts once it
        names at least five columns including 自然人."""
        intervals = _column_intervals(row.cells, T.T3_COLUMN_LABELS)
        texts = [fold(c) for c in row.cells if c]
        orgs = any(t in ("法人或其他组织", "申请人情况") for t in texts)
        if any(_figure(c) is not None for c in row.cells if c):
            return False  # a row with figures is never a header
        if not (len(intervals) >= 5 and "natural_person" in intervals) and not (
                len(intervals) >= 2 or (orgs and intervals)):
            return False
        previous = self.pending.get(row.grid, {}) if row.grid not in self.by_grid else dict(self.by_grid[row.grid])
        previous.update(intervals)
        self.widths[row.grid] = len(row.cells)
        if len(previous) >= 5 and "natural_person" in previous:
            self.by_grid[row.grid] = previous
            self.pending.pop(row.grid, None)
            self.last = (row.grid, len(row.cells))
        else:
            self.pending[row.grid] = previous
        return True


def _t3_key(labels: list[str], group: str) -> Optional[str]:
    """The row key a key phrase of the last label names (sure), else None."""
    last = labels[-1]
    own = own_label(last)
    key = _match_spec(own, T.T3_ROW_SPECS) or _match_spec(last, T.T3_ROW_SPECS)
    if not key and len(labels) > 1:
        # a label a PDF-to-text tool cut over two cells: "缴纳费用、" | "行政机关不再处理其政"
        key = _match_spec("".join(labels[-2:]), T.T3_ROW_SPECS)
    if key:
        return key
    last_key = label_key(last)
    if (own == "其他" or last_key.lstrip("0123456789") in ("其他", "其它")) and group == "六":
        return "other_misc"  # also "三、本年度办理结果（六）其他处理3.其他" flattened into one cell
    if "其他处理" in last_key or "其它处理" in last_key:
        return "other_handling"
    return None


def _t3_scores(labels: list[str], group: str) -> dict[str, float]:
    """Similarity of the row's own label to every template row; a row whose group marker
    disagrees with the key's group scores less."""
    own = own_label(labels[-1])
    if not own:
        return {}
    marked = _GROUP_MARK.search(unicodedata.normalize("NFKC", labels[-1]))
    out = {}
    for key, text in T.T3_LABELS.items():
        s = similarity(own, text)
        if group and T.T3_GROUP_OF.get(key) and T.T3_GROUP_OF[key] != group:
            s *= 0.8
        elif marked and T.T3_GROUP_OF.get(key) == marked.group(1):
            s = min(0.99, s + 0.15)  # its own (七) mark backs "总" up as (七)总计
        if s >= WEAK:
            out[key] = s
    return out


def _t2_scores(label: str) -> dict[str, float]:
    own = own_label(label)
    if len(own) < 2:
        return {}
    scores = {key: similarity(own, text) for key, text in T.T2_LABELS.items()}
    return {k: s for k, s in scores.items() if s >= 0.6}


def _group_of(labels: list[str], current: str) -> str:
    for text in labels:
        m = _GROUP_MARK.search(unicodedata.normalize("NFKC", text))
        if m:
            current = m.group(1)
    return current


_UNLABELLED = 0.6  # score of a row without label for any key: fills a gap, never beats a label

_T3_OPENERS = ("new_received", "carried_over", "granted", "partially_granted")
_HEADER_WORDS = {lb for labels in T.T3_COLUMN_LABELS.values() for lb in labels} | {"申请人情况"}


@dataclass
class _Printed:
    """A printed row of table 2 or 3 waiting for the alignment."""

    scores: dict[str, float]
    texts: list[Optional[str]]  # value slots, in the template's column order where known
    label: str
    grid: int
    windows: list[int] = field(default_factory=list)  # table 3: candidate offsets, when ambiguous
    unsure: bool = False  # placed by position with a slot count other than the template's
    unlabelled: bool = False  # no label printed beside the figures: placed by order alone


def _join_fragment(p: "_Printed", fragment: str, group: str) -> None:
    """A label-only row right after a row whose label named no key: if the two labels together
    name one ("4.保护第三" + "方合法权益"), the row above is that key, surely."""
    if EXACT in p.scores.values():
        return
    key = _t3_key([p.label + fragment], group)
    if key:
        p.scores, p.label = {key: EXACT}, p.label + fragment


def _t3_values(row: TableRow, values: list[tuple[int, str]], header: _T3Header) -> _Printed:
    hdr = header.for_row(row)
    picked = _values_by_header(values, hdr, T.T3_COLUMNS) if hdr else None
    if picked is not None:
        # a row narrower or wider than its header lost or gained a slot: the header's columns
        # no longer say for sure which figure is whose
        short = len(row.cells) != header.width_for(row) or sum(t is not None for t in picked) < 7
        return _Printed({}, picked, "", row.grid, unsure=short)
    if row.grid >= 0 and not hdr:
        header.missing = True
    texts = [t for _, t in values]
    if len(texts) <= 7:
        return _Printed({}, texts, "", row.grid, unsure=len(texts) < 7 and any(
            _figure(t) is not None for t in texts))
    windows = _windows(texts, 7)
    if len(windows) == 1:
        o = windows[0]
        return _Printed({}, texts[o:o + 7], "", row.grid)
    if windows:
        fits = [o for o in windows if _adds_up(texts[o:o + 7])]
        if len(fits) == 1:
            return _Printed({}, texts[fits[0]:fits[0] + 7], "", row.grid)
        readings = {tuple(_figure(t) for t in texts[o:o + 7]) for o in windows}
        if len(readings) == 1:
            return _Printed({}, texts[windows[0]:windows[0] + 7], "", row.grid)
        return _Printed({}, texts, "", row.grid, windows=windows)
    return _Printed({}, texts[:7], "", row.grid, unsure=True)


def _resolve_windows(printed: list[_Printed], out: Tables, where: dict[int, str]) -> None:
    """Rows whose blank slots leave their columns open (blank label columns on the left, spacer
    columns on the right, no header): the row arithmetic decides; else, when the grid's other
    rows came with seven slots after their labels, the extra slots are label columns left blank
    (taken as such, but unsure: report.py doubts it if a check over the row fails); else doubt."""
    for i, p in enumerate(printed):
        if not p.windows:
            continue
        fits = [o for o in p.windows if _adds_up(p.texts[o:o + 7])]
        choice = fits[0] if len(fits) == 1 else None
        if choice is None:
            ends = {len(q.texts) for q in printed if q.grid == p.grid and not q.windows}
            # the other rows of the grid came with 7 slots after their labels: this row's
            # extra slots are label columns left blank, on the left
            right = len(p.texts) - 7
            if ends == {7} and right in p.windows:
                choice = right
                p.unsure = True
        if choice is None:
            out.doubts.append(Doubt("column_ambiguous", f"table3.{where.get(i, '?')}",
                                    f"{len(p.windows)} column readings fit equally; cells left null"))
            p.texts = [None] * 7
        else:
            p.texts = p.texts[choice:choice + 7]
        p.windows = []


def match_tables(rows: list[TableRow]) -> Tables:
    out = Tables()
    notes = out.notes
    t2_rows: list[_Printed] = []
    t3_rows: list[_Printed] = []
    t4_raw: Optional[list[Optional[str]]] = None
    t4_part = False  # table 4 came as a row of 5 (or 10) figures: the next group's may follow
    header = _T3Header()
    state = "t2"
    group = ""
    fragment = ""  # a label-only row in table 3: maybe the first half of the next row's label
    layout_votes = {"2019": 0, "2021": 0}

    for row in rows:
        labels, values = _split(row.cells)
        label_keys = [label_key(t) for t in labels]
        joined = "".join(label_keys)
        layout_votes["2021"] += sum(1 for h in T.T2_2021_HEADERS if h in joined)
        layout_votes["2019"] += sum(1 for h in T.T2_2019_HEADERS if h in joined)
        printed = [t for _, t in values if _figure(t) is not None]

        if row.grid >= 0 and state != "t4" and header.see(row):
            continue
        if labels and state != "t4":
            group_here = _group_of(labels, group)
            exact = _t3_key(labels, group_here)
            bare_header = label_keys[-1] in _HEADER_WORDS and not printed
            scores = {exact: EXACT} if exact else {}
            if not exact and printed and not bare_header and not any(
                    "行政复议" in k or "行政诉讼" in k for k in label_keys):
                scores = _t3_scores(labels, group_here)
            best = max(scores, key=scores.get) if scores else None
            opens = best in _T3_OPENERS and scores[best] >= SURE
            if state == "t3" and t3_rows and not printed and not exact:
                # the rest of a label cut by a page break or wrapped into a row of its own
                _join_fragment(t3_rows[-1], labels[-1], group)
            if state == "t3" and not exact and fragment and printed:
                joined_key = _t3_key([fragment + labels[-1]], group_here)
                if joined_key:  # "4.保护第三" on one page, "方合法权益" and its figures on the next
                    scores, best = {joined_key: EXACT}, joined_key
            fragment = labels[-1] if (state == "t3" and not printed and not exact) else ""
            if state == "t3":
                group = group_here  # a group heading on a row of its own: "（五）不予处理"
            if state == "t3" and not best and printed and not bare_header and not any(
                    "行政复议" in k or "行政诉讼" in k for k in label_keys):
                # a label like no template row ("行政机关不再处理其政府信息公"): the row order
                # alone may still place it, a little behind a row printed without a label
                scores = {k: _UNLABELLED * 0.95 for k in T.T3_ALIGN_ORDER if k != "other_handling"}
                best = "?"
            if best and not bare_header and (state == "t3" or opens):
                state, group = "t3", group_here
                p = _t3_values(row, values, header)
                # a row with no figure yields its key to a row with figures (a label cut by a
                # page break: "2.没有现成信息需" alone, "要另行制作" with the figures)
                p.scores = scores if printed else {k: v * 0.75 for k, v in scores.items()}
                p.label = labels[-1]
                p.unlabelled = best == "?"
                t3_rows.append(p)
                if best == "carried_forward":
                    state = "t4"
                continue
        if state == "t3" and not labels and 7 <= len(values) <= 8 and printed:
            # figures whose label a PDF-to-text tool put on another line: only the order of
            # the rows around them can place them (any free key scores the same)
            p = _t3_values(row, values, header)
            p.scores = {k: _UNLABELLED for k in T.T3_ALIGN_ORDER if k != "other_handling"}
            p.label, p.unlabelled = "", True
            t3_rows.append(p)
            continue
        if state == "t2" and labels and values:
            t2_key = _match_spec(labels[-1], T.T2_ROW_SPECS)
            scores = {t2_key: EXACT} if t2_key else (_t2_scores(labels[-1]) if printed else {})
            if scores:
                t2_rows.append(_Printed(scores, [t for _, t in values], labels[-1], row.grid))
                continue
        if state == "t3" and any("行政复议" in k for k in label_keys):
            state = "t4"
        texts = [t for _, t in values]
        if len(texts) in (6, 11, 16) and is_blank(texts[-1]):
            texts.pop()  # one empty slot too many: a spacer column on the right
        if t4_part and printed and not labels and len(texts) == 5:
            t4_raw += texts  # table 4 printed group by group: 行政复议, then each 行政诉讼
            t4_part = len(t4_raw) < 15
            continue
        if printed:
            t4_part = False  # header rows between the groups keep it open; other figures close it
        if t4_raw is None and printed and (
                (state == "t4" and len(values) >= 5) or (t3_rows and not labels and len(values) >= 10)):
            t4_raw = [t for _, t in values]
            if len(texts) in (5, 10) and not labels:
                t4_raw, t4_part = texts, True

    t2_raw = _place_t2(t2_rows, out)
    t3_keys = align([Candidate(p.scores) for p in t3_rows], T.T3_ALIGN_ORDER)
    _resolve_windows(t3_rows, out, {i: k for i, k in enumerate(t3_keys) if k})
    t3_raw = _placed(t3_rows, t3_keys, "table3", out)
    for key, p in t3_raw.items():
        if p.unsure:
            out.unsure_rows.append(key)
    out.t3_headerless_grid = header.missing

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
            raw = _numbers(t2_raw[key].texts, len(fields), f"table2.{key}", notes) \
                if key in t2_raw else [None] * len(fields)
            if key in t2_raw and len(fields) > 1 and 0 < len(t2_raw[key].texts) < len(fields):
                # "| 规章 | 22 | 235 |" under three headers: which one was left out is unknown
                out.doubts.append(Doubt("placed_by_position", f"table2.{key}",
                                        f"{len(t2_raw[key].texts)} figures under {len(fields)} columns"))
            out.table2[key] = dict(zip(fields, _cells_to_numbers(raw, f"table2.{key}", fields, notes)))
        for key in set(t2_raw) - set(spec):
            if any(_figure(t) is not None for t in t2_raw[key].texts):
                out.doubts.append(Doubt("not_placed", f"table2.{key}",
                                        f"row {t2_raw[key].label!r} is not in the {layout} template"))
    if t3_raw:
        out.table3 = {}
        for key, p in t3_raw.items():
            raw = _numbers(p.texts, 7, f"table3.{key}", notes)
            out.table3[key] = dict(zip(T.T3_COLUMNS, _cells_to_numbers(raw, f"table3.{key}", T.T3_COLUMNS, notes)))
    if t4_raw is not None:
        if len(t4_raw) == 16 and is_blank(t4_raw[-1]):
            t4_raw = t4_raw[:15]
        if len(t4_raw) != 15:
            out.t4_unsure = True
        raw = _numbers(t4_raw, 15, "table4", notes)
        numbers = _cells_to_numbers(raw, "table4", [f"{g}.{f}" for g in T.T4_GROUPS for f in T.T4_FIELDS], notes)
        out.table4 = {g: dict(zip(T.T4_FIELDS, numbers[i * 5:(i + 1) * 5]))
                      for i, g in enumerate(T.T4_GROUPS)}
    return out


def _place_t2(printed: list[_Printed], out: Tables) -> dict[str, _Printed]:
    """Table 2's key phrases are unique and its parts may come in any order (a text copy puts
    "行政许可 97" lines before the pipe table of 规章): phrase rows are placed as found, the
    others aligned by order among the keys left."""
    placed: dict[str, _Printed] = {}
    rest = []
    for p in printed:
        key = next((k for k, v in p.scores.items() if v >= EXACT), None)
        if key and key not in placed:
            placed[key] = p
        elif not key:
            rest.append(p)
    order = tuple(k for k in T.T2_ALIGN_ORDER if k not in placed)
    placed.update(_place(rest, order, "table2", out))
    return placed


def _place(printed: list[_Printed], order: tuple[str, ...], table: str, out: Tables) -> dict[str, _Printed]:
    keys = align([Candidate(p.scores) for p in printed], order)
    return _placed(printed, keys, table, out)


def _placed(printed: list[_Printed], keys: list[Optional[str]], table: str, out: Tables) -> dict[str, _Printed]:
    """Rows by their aligned key; what was placed by similarity, or not at all, is said."""
    placed: dict[str, _Printed] = {}
    for p, key in zip(printed, keys):
        if key is None:
            continue
        placed[key] = p
        score = p.scores.get(key, 0.0)
        if p.unlabelled:
            p.unsure = True  # right only if the table's arithmetic says so (report.py)
            how = f"label {p.label!r} like no template row" if p.label else "figures printed without their label"
            out.notes.append(f"{table}.{key}: {how}, placed by row order")
            continue
        if score < 1.0:  # not a key phrase (those score EXACT, or 0.75 × EXACT on a blank row)
            if score >= SURE:
                out.notes.append(f"{table}.{key}: label {p.label!r} matched by similarity ({score:.2f})")
            else:
                out.doubts.append(Doubt("row_uncertain", f"{table}.{key}",
                                        f"label {p.label!r} is only {score:.0%} like the template's"))
    for p, key in zip(printed, keys):
        if key is not None or not any(_figure(t) is not None for t in p.texts):
            continue
        twin = next((k for k, q in placed.items() if k in p.scores and q.texts == p.texts), None)
        if twin:
            out.notes.append(f"{table}.{twin}: printed twice; the first is kept")
        else:
            out.doubts.append(Doubt("not_placed", table, f"row {p.label!r}: figures not placed on any row"))
    return placed


def complete_table3(found: Table, template: str, notes: list[str]) -> Table:
    """All of the template's rows in canonical order; rows it did not print are null."""
    keys = list(T.t3_row_keys(template))
    if "other_handling" in found and not set(T.T3_OTHER_2021) & set(found):
        # (六) printed as one row: the 2021 template's three items were never printed apart
        keys = [k for k in keys if k not in T.T3_OTHER_2021]
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
