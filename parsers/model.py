"""Typed values that cross the parser's boundaries.

`Document` is what an extractor (HTML, text, PDF, DOCX, DOC) hands to the report builder;
`Report` is the output contract of ../shared/spec/report-schema.md (keys kept as written there).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

Cell = Optional[str]  # None marks a grid slot covered by a colspan of the cell to its left
Row = list[Cell]
Number = int | float


class ParseError(Exception):
    """Bad input: the message is one line meant for the user (no traceback)."""


@dataclass
class Doubt:
    """Why the parser is unsure of something it outputs (contract: `doubts`).

    Kept apart from `checks`: a check says the *report's* numbers disagree; a doubt says the
    *parser* may be wrong. `kind` is one of DOUBT_KINDS; `where` names the table/row/cell or page;
    `detail` is a short human reason.
    """

    kind: str
    where: str = ""
    detail: str = ""


# Every kind a doubt can have; each one makes the report `needs_review`.
DOUBT_KINDS = (
    "placed_by_position",   # a cell placed by its position only (no readable header)
    "not_placed",           # a printed value that could not be placed on a key
    "no_header",            # a table whose column header was not found
    "table_cut_short",      # rows of a table missing (e.g. (七)总计 or 四、 never printed)
    "column_ambiguous",     # two column assignments fit the arithmetic equally well
    "row_uncertain",        # a row matched by a weak label similarity
    "truncated_source",     # truncated PDF/DOCX/HTML
    "unreadable_page",      # a PDF page that could not be read
    "numbering_lost",       # DOCX automatic numbering not recovered
    "ocr_cell",             # a cell read by OCR with low confidence
    "ocr_page",             # a page or picture read by OCR
)


@dataclass
class Document:
    """A source reduced to text and table grids, before any report logic."""

    url: str
    format: str  # "html", "text", "pdf", "docx", "doc"
    text: str  # body text in reading order (tables as pipe rows, as trafilatura writes them)
    tables: list[list[Row]] = field(default_factory=list)  # grids, spans expanded
    meta: dict[str, str] = field(default_factory=dict)  # <meta> facts: title, pubdate, source, site_code
    raw_text: str = ""  # everything visible on the page, chrome included (for `site` facts)
    title_hint: str = ""  # <title> or first heading
    title_hints: list[str] = field(default_factory=list)  # candidates for the title, best first
    doubts: list[Doubt] = field(default_factory=list)  # the extractor's own doubts (truncated, unreadable page …)
    ocr_cells: list[Any] = field(default_factory=list)  # cells of `tables` read by OCR (parsers.extract.ocr.OcrCell)


@dataclass
class SiteFacts:
    icp: Optional[str] = None
    police_record: Optional[str] = None
    site_code: Optional[str] = None
    index_no: Optional[str] = None


@dataclass
class Check:
    rule: str
    where: str
    expected: Any
    found: Any
    ok: bool


@dataclass
class Report:
    url: str
    title: Optional[str]
    year: Optional[int]
    agency: Optional[str]
    published: Optional[str]
    template: str  # "2019", "2021", "legacy"
    text: str
    site: SiteFacts
    table2: Optional[dict[str, dict[str, Optional[Number]]]]
    table3: Optional[dict[str, dict[str, Optional[Number]]]]
    table4: Optional[dict[str, dict[str, Optional[Number]]]]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why a cell is null, what was guessed
    format: str = "html"
    agency_kind: Optional[str] = None  # "government" or "department": picks the legal deadline
    doubts: list[Doubt] = field(default_factory=list)  # why the parser is unsure; empty when sure

    @property
    def needs_review(self) -> bool:
        """True when the parser is not sure of every value it gives (contract: `needs_review`)."""
        return bool(self.doubts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["needs_review"] = self.needs_review
        return d

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]
