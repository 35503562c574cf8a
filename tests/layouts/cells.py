"""How one cell is written: the <td> markup of each CMS/editor, labels split across spans,
numbers with full-width digits, thousands separators and units, and the blank marks."""
from __future__ import annotations

import random
import re

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
BLANK_MARKS = ("", "&nbsp;", "/", "—", "-", "／", " ")


def _attrs(rowspan: int, colspan: int, quote: str = '"') -> str:
    a = ""
    if rowspan > 1:
        a += f" rowspan={quote}{rowspan}{quote}"
    if colspan > 1:
        a += f" colspan={quote}{colspan}{quote}"
    return a


class CellStyle:
    """One editor's way of writing cells. `name` is one of clean, th_head, p_in_td, old, word."""

    def __init__(self, name: str, rng: random.Random):
        self.name = name
        self.rng = rng

    def td(self, text: str, rowspan: int = 1, colspan: int = 1, head: bool = False) -> str:
        n = self.name
        if n == "word":
            w = self.rng.choice((38, 47, 56, 72))
            a = _attrs(rowspan, colspan, "")
            return (f"<td width={w}{a} valign=center style='width:{w * 0.75:.1f}pt;border:solid windowtext 1.0pt;"
                    "border-top:none;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>"
                    "<p class=MsoNormal align=center style='text-align:center;line-height:15.0pt'>"
                    "<span style='font-size:10.5pt;font-family:仿宋_GB2312;mso-hansi-font-family:\"Times New Roman\"'>"
                    f"{text}<span lang=EN-US><o:p></o:p></span></span></p></td>")
        if n == "old":
            return (f'<td{_attrs(rowspan, colspan)} align="center" bgcolor="#FFFFFF" class="font12">'
                    f'<font face="宋体">{text}</font></td>')
        if n == "p_in_td":
            return f'<td{_attrs(rowspan, colspan)} style="text-align:center"><p style="text-align:center">{text}</p></td>'
        if n == "th_head" and head:
            return f"<th{_attrs(rowspan, colspan)}>{text}</th>"
        return f"<td{_attrs(rowspan, colspan)}>{text}</td>"

    def tr(self, cells: list[str]) -> str:
        if self.name == "word":
            return "<tr style='height:20.0pt'>" + "".join(cells) + "</tr>\n"
        return "<tr>" + "".join(cells) + "</tr>\n"

    def open_table(self) -> str:
        n = self.name
        if n == "word":
            return ("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=568 "
                    "style='width:426.1pt;border-collapse:collapse;border:none;mso-yfti-tbllook:1184'>\n")
        if n == "old":
            return '<table width="96%" border="0" cellpadding="3" cellspacing="1" bgcolor="#999999" align="center">\n'
        return self.rng.choice((
            '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse" width="600">\n',
            '<table class="xxgk-table" border="1" cellspacing="0" cellpadding="4"><tbody>\n',
            '<table style="width:100%;border-collapse:collapse" border="1">\n',
        ))

    def close_table(self, opened: str) -> str:
        return "</tbody></table>\n" if "<tbody>" in opened else "</table>\n"

    def page_break(self) -> str:
        if self.name == "word":
            return ("<span lang=EN-US style='font-size:10.5pt;font-family:仿宋_GB2312'><br clear=all "
                    "style='page-break-before:always'>\n</span>\n<p class=MsoNormal><span lang=EN-US>&nbsp;"
                    "<o:p></o:p></span></p>\n")
        return self.rng.choice(("", "<p>&nbsp;</p>\n", '<div style="page-break-after:always"></div>\n'))


_SPLITS_WORD = ("<span lang=EN-US>&nbsp;</span>", "<span style='mso-spacerun:yes'> </span>",
                "</span><span style='font-size:10.5pt;font-family:仿宋_GB2312'>",
                "<span lang=EN-US>&nbsp;&nbsp; </span>", "<span>&nbsp;</span>")
_SPLITS_PLAIN = (" ", "&nbsp;", "<br>", "　")


def split_label(text: str, style: CellStyle, rng: random.Random, p: float) -> tuple[str, bool]:
    """Insert a span break / space inside a label (never inside a run of digits), as Word and
    hand-edited pages do: 商业<span>&nbsp;</span>企业. Returns (markup, was it split)."""
    if rng.random() >= p or len(text) < 2:
        return text, False
    inside = set()  # positions inside a tag or an entity: never split there
    for m in re.finditer(r"<[^>]*>|&[a-z#0-9]+;", text):
        inside.update(range(m.start() + 1, m.end()))
    slots = [i for i in range(1, len(text)) if i not in inside
             and not (text[i - 1].isdigit() and text[i].isdigit())]
    if not slots:
        return text, False
    i = rng.choice(slots)
    mark = rng.choice(_SPLITS_WORD if style.name == "word" else _SPLITS_PLAIN)
    return text[:i] + mark + text[i:], True


def fmt_number(value, *, unit: str = "", thousands: bool = False, fullwidth: bool = False) -> str:
    if isinstance(value, float):
        s = f"{value:,.2f}" if thousands else f"{value:.2f}"
        s = s.rstrip("0").rstrip(".") if "." in s else s
    else:
        s = f"{value:,}" if thousands else str(value)
    if fullwidth:
        s = s.translate(FULLWIDTH)
    return s + unit


def is_plain_digits(s: str) -> bool:
    return bool(re.fullmatch(r"[0-9]+", s))
