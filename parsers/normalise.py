"""Cell values and labels as printed → canonical numbers and comparable label keys."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional, Union

Number = Union[int, float]

# What the contract calls "the source printed nothing".
BLANK_MARKS = {"", "/", "-", "—", "――", "--", "－", "／", "—/—", "\\", "无", "空"}

_UNIT = r"(?:万元|元|件|个|项|条|次|人|家|宗|份|篇|个数)"
_NUMBER_RE = re.compile(rf"^([+-]?)(\d+(?:,\d{{3}})*(?:\.\d+)?|\.\d+)\s*{_UNIT}?$")
_SPACE_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# A figure followed by a note in brackets: "22（其中修订16件）". The figure is the value; the
# note is kept by the caller (Report.notes), never folded into the number.
_NOTED_RE = re.compile(r"^([^()]*?\d[^()]*?)\(([^()]*\D[^()]*)\)$")


def fold(text: str) -> str:
    """NFKC (full-width digits and parentheses → ASCII) with all white space removed."""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", text))


class NotANumber(ValueError):
    pass


def parse_cell(text: Optional[str]) -> Optional[Number]:
    """A printed cell → int/float, or None when blank. Raises NotANumber for text."""
    if text is None:
        return None
    s = fold(text)
    if s in BLANK_MARKS or set(s) <= {"-", "—", "/", "－", "／", "―"}:
        return None
    m = _NUMBER_RE.match(s)
    if not m:
        noted = _NOTED_RE.match(s)
        m = _NUMBER_RE.match(noted.group(1)) if noted else None
    if not m:
        raise NotANumber(text)
    sign, digits = m.groups()
    digits = digits.replace(",", "")
    value: Number = float(digits) if "." in digits else int(digits)
    return -value if sign == "-" else value


def cell_note(text: Optional[str]) -> Optional[str]:
    """The bracketed note printed after a figure ("22（其中修订16件）" → "其中修订16件"), else None."""
    if not text:
        return None
    noted = _NOTED_RE.match(fold(text))
    if noted and _NUMBER_RE.match(noted.group(1)):
        return noted.group(2)
    return None


def is_value(text: Optional[str]) -> bool:
    """True for a number or a blank mark: anything that can sit in a value cell."""
    try:
        parse_cell(text)
        return True
    except NotANumber:
        return False


def is_blank(text: Optional[str]) -> bool:
    try:
        return parse_cell(text) is None
    except NotANumber:
        return False


_LABEL_STRIP = re.compile(r"[\s\u00a0\u3000()（）【】\[\]、.．,，:：;；\"“”'‘’「」·]")


def label_key(text: str) -> str:
    """A label reduced for matching: folded, numbering punctuation and quotes removed."""
    return _LABEL_STRIP.sub("", unicodedata.normalize("NFKC", text or ""))
