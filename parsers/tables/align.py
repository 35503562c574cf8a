"""Printed rows → template row keys by monotone alignment (label similarity and order).

Real reports print the national template's rows in its order, but not always its words: a
character dropped or doubled, a label cut by a page break, 1./1、/（1） numbering, a group label
flattened into the row's own ("三、本年度办理结果（六）其他处理3.其他"), a row left out. So every
printed row is scored against every template row (a key phrase of the label: sure; otherwise
character similarity of the labels with numbering stripped) and the sequence of printed rows is
aligned to the template's sequence by dynamic programming: the assignment with the highest total
score in which keys never go backwards. A row no key fits well enough stays unplaced.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Optional

from parsers.normalise import label_key

EXACT = 2.0  # a key phrase matched: beats any similarity
SURE = 0.8  # similarity at or above this places a row without doubt
WEAK = 0.55  # below this a row is not placed at all

# A numbering marker: 三、 （六） (6) 3. 3．3、 ①
_MARKER = re.compile(r"(?:[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|(?<![\d.])[一二三四五六七八九十]+\s*[、.．]"
                     r"|(?<![\d.])\d{1,2}\s*[、.．](?!\d)|[①②③④⑤⑥⑦⑧⑨])")


_REMARK = re.compile(r"[(（][^()（）]{5,}[)）]")


def own_label(text: str) -> str:
    """The row's own words: the part after the last numbering marker, folded for comparison
    ("三、本年度办理结果（六）其他处理3.其他" → "其他"; "（三）不予公开1．属于国家秘密" → "属于国家秘密")."""
    s = unicodedata.normalize("NFKC", text or "")
    # the template's own remarks in brackets: "(区分处理的,只计这一情形,不计其他情形)"
    bare = _REMARK.sub("", s)
    s = bare if label_key(bare) else s
    parts = [p for p in _MARKER.split(s) if label_key(p)]
    last = parts[-1] if parts else s
    return label_key(last).replace("其它", "其他")


def similarity(printed: str, template: str) -> float:
    if not printed or not template:
        return 0.0
    if printed == template:
        return 1.0
    return SequenceMatcher(None, printed, template, autojunk=False).ratio()


@dataclass
class Candidate:
    """One printed row offered to the alignment."""

    scores: dict[str, float]  # template key → score (EXACT for a key-phrase match)
    payload: object = None


def align(rows: list[Candidate], order: tuple[str, ...]) -> list[Optional[str]]:
    """Key for each row (or None), keys strictly increasing in `order`, total score maximal.

    Ties keep the earlier row (a row printed twice: the first is kept)."""
    n, m = len(rows), len(order)
    if not n:
        return []
    score = [[_points(rows[i].scores.get(order[j], 0.0)) for j in range(m)] for i in range(n)]
    # best[i][j]: best total aligning rows[i:] with order[j:]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            b = max(best[i + 1][j], best[i][j + 1])
            if score[i][j] > 0:
                b = max(b, score[i][j] + best[i + 1][j + 1])
            best[i][j] = b
    out: list[Optional[str]] = [None] * n
    i = j = 0
    while i < n and j < m:
        if score[i][j] > 0 and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            out[i] = order[j]
            i, j = i + 1, j + 1
        elif best[i][j] == best[i][j + 1]:
            j += 1
        else:
            i += 1
    return out


def _points(s: float) -> int:
    return int(round(s * 1000)) if s >= WEAK else 0
