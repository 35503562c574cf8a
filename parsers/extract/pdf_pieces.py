"""Tables cut by page breaks: the pieces of a PDF's tables, page by page, joined into grids.

What the text-layer reader (parsers/extract/pdf.py) finds on each page, and what the reader of
scanned pages (parsers/extract/ocr_pdf.py) keeps from the pages that have a text layer, both
become grids here. A piece continues the table above it when that is safe: the table is the
last thing on its page, its continuation the first on the next (page numbers aside), both have
the same column boundaries; a header repeated on the continuation is dropped, and a label cell
left blank at the top of the continuation (Word leaves the rest of a vertically merged cell
empty on the next page) takes the label from above.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.extract.grid import SpanCell, build_grid, clean_cell, is_numberish

TOL = 3.0  # points: cell edges closer than this are the same grid line


@dataclass
class Piece:
    """One table found on one page, before the cross-page merge."""

    page: int
    cells: list[SpanCell]
    nrows: int
    ncols: int
    xs: list[float]  # left edges of the columns, then the right edge of the table
    top: float
    bottom: float
    first_on_page: bool = False
    last_on_page: bool = False
    clear_above: bool = False  # nothing but page furniture between page top and the table
    clear_below: bool = False  # nothing but page furniture between the table and page bottom


def pdf_tables(pieces: list[Piece]) -> list:
    """Each table's pieces joined, as grids in page order (empty grids left out)."""
    tables = [build_grid(cells, nrows, ncols) for cells, nrows, ncols in _merge_pieces(pieces)]
    return [t for t in tables if t]


def _row_texts(cells: list[SpanCell], r: int) -> list[tuple[int, str]]:
    return sorted((c.col, c.text) for c in cells if c.row == r)


def _continues(prev: Piece, nxt: Piece) -> bool:
    return (nxt.page == prev.page + 1 and prev.last_on_page and prev.clear_below
            and nxt.first_on_page and nxt.clear_above and prev.ncols == nxt.ncols
            and len(prev.xs) == len(nxt.xs)
            and all(abs(a - b) <= 2 * TOL for a, b in zip(prev.xs, nxt.xs)))


_MARKER = re.compile(r"^[（(]?[一二三四五六七八九十0-9０-９]+[)）、.．]")


def _glue_split_row(cells: list[SpanCell], nrows: int, pc: list[SpanCell]):
    """Word lets a row break across pages: the rest of its label ("规禁止公开" after
    "2.其他法律行政法") then opens the next page in a row of its own, without figures. Glue
    those fragments to the row above; return the continuation's cells and 1 if a row went."""
    last = {c.col: c for c in cells if c.row <= nrows - 1 < c.row + c.rowspan}
    numeric_cols = {col for col, c in last.items() if is_numberish(c.text)}
    top = [c for c in pc if c.row == 0]
    frags = [c for c in top if c.text]
    if not numeric_cols or not frags:
        return pc, 0
    if any(c.rowspan != 1 or is_numberish(c.text) or _MARKER.match(c.text) or c.col not in last
           or last[c.col].colspan != c.colspan for c in frags):
        return pc, 0
    if any(c.col in numeric_cols and c.text for c in top):
        return pc, 0
    for c in frags:
        last[c.col].text = clean_cell(last[c.col].text + "\n" + c.text)
    out = []
    for c in pc:
        if c.row == 0:
            if c.rowspan > 1:
                out.append(SpanCell(0, c.col, c.rowspan - 1, c.colspan, c.text))
        else:
            out.append(SpanCell(c.row - 1, c.col, c.rowspan, c.colspan, c.text))
    return out, 1


def _merge_pieces(pieces: list[Piece]):
    """Yield (cells, nrows, ncols) per table, pieces of one table joined."""
    groups: list[list[Piece]] = []
    for p in pieces:
        if groups and _continues(groups[-1][-1], p):
            groups[-1].append(p)
        else:
            groups.append([p])
    for group in groups:
        first = group[0]
        cells = list(first.cells)
        nrows = first.nrows
        for prev, p in zip(group, group[1:]):
            pc = [SpanCell(c.row, c.col, c.rowspan, c.colspan, c.text) for c in p.cells]
            # a header repeated on the continuation page: drop it
            k = 0
            while k < min(first.nrows, p.nrows) - 1 and _row_texts(pc, k) == _row_texts(first.cells, k) \
                    and any(t for _, t in _row_texts(pc, k)):
                k += 1
            if k:
                pc = [SpanCell(c.row - k, c.col, c.rowspan, c.colspan, c.text)
                      for c in pc if c.row >= k]
            pc, glued = _glue_split_row(cells, nrows, pc)
            k += glued
            # blank leading label cells continue the vertically merged label above them
            top_row = sorted((c for c in pc if c.row == 0), key=lambda c: c.col)
            above = {c.col: c for c in cells if c.row + c.rowspan == nrows}
            for c in top_row:
                if c.text:
                    break
                a = above.get(c.col)
                if a and a.colspan == c.colspan and a.text and not is_numberish(a.text):
                    c.text = a.text
            for c in pc:
                c.row += nrows
            cells.extend(pc)
            nrows += p.nrows - k
        yield cells, nrows, first.ncols
