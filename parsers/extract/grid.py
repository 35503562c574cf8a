"""Shared helpers for the document extractors (PDF, DOCX, DOC): cell text and span grids.

A table is first described as a list of `SpanCell` (top-left slot, row and column span, text),
which is what both pdfplumber's cell boxes and Word's gridSpan/vMerge give, then laid out by
`build_grid` into the `Document.tables` convention of parsers/model.py:

- the text sits in the first (left-most) slot of a horizontally merged cell, the slots it
  covers to the right are `None`;
- a vertically merged cell repeats its text downward (and its `None`s, if it is also wide);
- a slot no cell covers, or an empty cell, is "".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Optional

from parsers.model import Row


@dataclass
class SpanCell:
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    text: str = ""


def build_grid(cells: Iterable[SpanCell], nrows: Optional[int] = None,
               ncols: Optional[int] = None) -> list[Row]:
    """Lay SpanCells out as a rectangular grid (see module docstring).

    Where cells overlap (broken source tables), the cell placed first in (row, col) order
    keeps the slot. Rows that are empty from end to end are dropped.
    """
    cells = sorted(cells, key=lambda c: (c.row, c.col))
    if not cells:
        return []
    nrows = max(nrows or 0, max(c.row + max(c.rowspan, 1) for c in cells))
    ncols = max(ncols or 0, max(c.col + max(c.colspan, 1) for c in cells))
    unset = object()
    grid: list[list] = [[unset] * ncols for _ in range(nrows)]
    for c in cells:
        for dr in range(max(c.rowspan, 1)):
            for dc in range(max(c.colspan, 1)):
                r, k = c.row + dr, c.col + dc
                if grid[r][k] is unset:
                    grid[r][k] = c.text if dc == 0 else None
    out: list[Row] = []
    for row in grid:
        row = ["" if v is unset else v for v in row]
        if any(v for v in row):
            out.append(row)
    return out


def pipe_lines(cells: Iterable[SpanCell]) -> list[str]:
    """The table as text rows "a | b | c", each cell written once, in the row where it starts
    (the way trafilatura writes HTML tables)."""
    by_row: dict[int, list[SpanCell]] = {}
    for c in cells:
        by_row.setdefault(c.row, []).append(c)
    lines = []
    for r in sorted(by_row):
        texts = [c.text for c in sorted(by_row[r], key=lambda c: c.col)]
        if any(texts):
            lines.append(" | ".join(texts))
    return lines


# --- text --------------------------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WS = re.compile(r"[\s\u00a0\u3000]+")


def _is_wide(ch: str) -> bool:
    """CJK ideograph, kana, or full-width/CJK punctuation: no space is wanted next to it."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x20000 <= o <= 0x3FFFF
        or ch in "“”‘’、。，；：（）《》【】"
    )


def _is_cjk_ideograph(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def fix_lookalikes(s: str) -> str:
    """Map Kangxi radicals / CJK radicals supplement / compatibility ideographs (which PDFs
    made from Word often contain instead of the ordinary ideographs: ⼀ for 一, ⽉ for 月)
    to the unified ideographs. Everything else (full-width digits, parentheses) is kept as
    printed; the table parser normalises those."""
    if not any(0x2E80 <= ord(ch) <= 0x2FDF or 0xF900 <= ord(ch) <= 0xFAFF for ch in s):
        return s
    return "".join(
        unicodedata.normalize("NFKC", ch)
        if (0x2E80 <= ord(ch) <= 0x2FDF or 0xF900 <= ord(ch) <= 0xFAFF) else ch
        for ch in s
    )


def join_lines(lines: Iterable[str]) -> str:
    """Join the wrapped lines of one cell: no space where a line break falls next to Chinese
    text or inside a number, one space between Latin words."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out:
            a, b = out[-1], line[0]
            if _is_wide(a) or _is_wide(b) or (a.isdigit() and (b.isdigit() or b in ".,")) \
                    or (a in ".," and b.isdigit()):
                out += line
            else:
                out += " " + line
        else:
            out = line
    return out


def clean_cell(text: Optional[str], squeeze_cjk_spaces: bool = False) -> str:
    """One cell's text on one line: zero-width characters removed, lines joined, runs of
    whitespace (including U+3000 and NBSP) made one space. With `squeeze_cjk_spaces` (PDF
    cells, where a gap in justified text comes out as a space) spaces between two Chinese
    characters are removed too."""
    if not text:
        return ""
    text = fix_lookalikes(text.translate(_ZERO_WIDTH))
    text = join_lines(text.replace("\r", "\n").split("\n"))
    text = _WS.sub(" ", text).strip()
    if squeeze_cjk_spaces and " " in text:
        text = re.sub(r"(?<=[\u3400-\u9fff\uff08\uff09（）]) (?=[\u3400-\u9fff\uff08\uff09（）])", "", text)
    return text


def clean_text_block(text: str) -> str:
    """Page/body text: lookalikes fixed, zero-width characters removed, trailing spaces and
    runs of blank lines trimmed. Line structure is kept."""
    text = fix_lookalikes(text.translate(_ZERO_WIDTH)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.replace("\u00a0", " ").rstrip() for ln in text.split("\n")]
    out: list[str] = []
    for ln in lines:
        if not ln.strip() and (not out or not out[-1].strip()):
            continue
        out.append(ln)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


_TITLE_WORDS = ("年度报告", "年报")


def title_hint(text: str) -> str:
    """The first non-empty line that looks like a report title (contains 年度报告 or 年报,
    and is short enough to be a title), else the first non-empty line."""
    first = ""
    prev = ""
    for i, line in enumerate(text.split("\n")):
        line = line.strip()
        if not line:
            continue
        if not first:
            first = line
        if i > 80:
            break
        if len(line) <= 80 and any(w in line for w in _TITLE_WORDS) and "|" not in line:
            # a centred title wrapped on the page: "某某局2021年政府信息公开工作" / "年度报告"
            if len(line) <= 8 and prev and len(prev) <= 40 and prev[-1] not in "。；;:：,，":
                return prev + line
            return line
        prev = line
    return first[:200]


def is_numberish(s: Optional[str]) -> bool:
    """A cell that holds a figure: 12, １２, 1,234, 18651.06, 251000元, 12件, 0."""
    if not s:
        return False
    t = unicodedata.normalize("NFKC", s).replace(",", "").replace(" ", "")
    return bool(re.fullmatch(r"-?\d+(\.\d+)?(万元|元|件|个|项|次|条|%)?", t))
