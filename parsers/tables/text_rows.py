"""Table rows recovered from extracted text, for sources that are text already.

Two shapes occur in text taken off portals (see ../shared/seeds/):
- pipe rows, one table row per line: ``规章 | 0 | 0 | 0 |``;
- one cell per line, cells separated by a blank line, where each extra blank line stands for
  an empty cell (``16`` then six blank lines then ``16`` is 16, five empty cells, 16).
Rows are returned as lists of cell strings; labels and values are told apart later.
"""
from __future__ import annotations

import re

from parsers.model import Row
from parsers.normalise import is_value

_PIPE_ROW = re.compile(r"\|")
# Where the tables live: from table 2's heading to the heading after table 4.
_ZONE_START = re.compile(r"主动公开政府信息情况|第二十条第|收到和处理政府信息公开申请")
_ZONE_END = re.compile(r"^\s*[五5][、.．]\s*\S*(问题|改进|其他需要)")


def _table_zone(lines: list[str]) -> list[str]:
    start = next((i for i, ln in enumerate(lines) if _ZONE_START.search(ln)), 0)
    seen_t4 = False
    for i in range(start, len(lines)):
        if "行政复议" in lines[i]:
            seen_t4 = True
        if seen_t4 and _ZONE_END.search(lines[i]):
            return lines[start:i]
    return lines[start:]


# "行政许可 97": a table-2 row a PDF-to-text tool wrote as a line of text beside the pipe tables
_LABEL_AND_FIGURE = re.compile(r"^([^\d|（(]{2,20})[ \t\u3000]+([\d,]+(?:\.\d+)?)$")


def pipe_rows(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        if "|" not in line:
            m = _LABEL_AND_FIGURE.match(line.strip())
            if m:
                rows.append([m.group(1).strip(), m.group(2)])
            continue
        cells = [c.strip() for c in _PIPE_ROW.split(line)]
        if line.lstrip().startswith("|"):
            cells = cells[1:]  # trafilatura writes a leading bar
        if line.rstrip().endswith("|") and len(cells) > 1 and not cells[-1]:
            cells = cells[:-1]  # … and a trailing one: no cell after it
        rows.append(cells)
    return rows


def cell_per_line_rows(lines: list[str]) -> list[Row]:
    """Rebuild rows from one-cell-per-line text: a label cell after a value cell opens a row."""
    cells: list[str] = []
    blank_run = 0
    for line in lines:
        if line.strip() == "" and "\u00a0" not in line and "\u3000" not in line:
            blank_run += 1
            continue
        if cells and blank_run > 1:
            cells.extend([""] * (blank_run - 1))
        blank_run = 0
        cells.append(line.strip())
    rows: list[Row] = []
    current: Row = []
    previous_was_value = False
    for cell in cells:
        value = is_value(cell)
        if not value and previous_was_value and current:
            rows.append(current)
            current = []
        current.append(cell)
        previous_was_value = value
    if current:
        rows.append(current)
    return rows


# "4.保护第三方合法权益 1 0 0 0 0 0 1" or "0 1 0 0 1 …": a row as a PDF's text layer gives it
# when the table had no rules to find, figures separated by spaces
_SPACED_ROW = re.compile(r"^(\S*?\D)?\s*((?:[\d０-９][\d０-９,.]*\s+){2,}[\d０-９][\d０-９,.]*)$")


def spaced_rows(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        m = _SPACED_ROW.match(line.strip())
        single = _LABEL_AND_FIGURE.match(line.strip())
        if m:
            label = (m.group(1) or "").strip()
            rows.append(([label] if label else []) + m.group(2).split())
        elif single:
            rows.append([single.group(1).strip(), single.group(2)])
        elif line.strip():
            rows.append([line.strip()])
    return rows


def rows_from_text(text: str) -> list[Row]:
    lines = _table_zone(text.splitlines())
    piped = sum(1 for ln in lines if ln.count("|") >= 2)
    if piped >= 5:
        return pipe_rows(lines)
    if sum(1 for ln in lines if _SPACED_ROW.match(ln.strip())) >= 5:
        return spaced_rows(lines)
    return cell_per_line_rows(lines)
