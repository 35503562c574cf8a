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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]
