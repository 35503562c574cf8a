"""Tables whose cells were run together: "一、本年新收政府信息公开申请数量21710000218二、…".

Some machine-made text copies of portal pages join every cell of a table without a separator.
The labels still stand between the figures, but each row's figures are one string of digits.
The table's own arithmetic splits them: a table-3 row is six figures and their 总计, a table-4
group four figures and their 总计. A split is used only when exactly one way of cutting the
digits (no figure with a leading zero) adds up; a table-2 row has no sum to check, so only a
row whose digits can be cut one way is read. Everything else stays null, and is said.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from parsers.model import Row

# a run of figures between two labels; a trailing "2." before a label is that label's numbering
_RUN = re.compile(r"(\d[\d.]*)")
_T3_START = "本年新收政府信息公开申请数量"
_T4_HEADER_END = re.compile(r"尚未审结\s*总计(?=\s*\d)")


def _splits(digits: str, n: int) -> list[tuple[int, ...]]:
    """Every way to cut `digits` into n integers without leading zeros."""
    @lru_cache(maxsize=None)
    def go(i: int, k: int) -> tuple[tuple[int, ...], ...]:
        if k == 0:
            return ((),) if i == len(digits) else ()
        out = []
        for j in range(i + 1, len(digits) - k + 2):
            part = digits[i:j]
            if len(part) > 1 and part[0] == "0":
                break
            for rest in go(j, k - 1):
                out.append((int(part),) + rest)
        return tuple(out)

    return list(go(0, n))


def split_summed(digits: str, groups: int, size: int) -> Optional[list[int]]:
    """The one cut of `digits` into `groups` groups of `size` figures, each group's last figure
    the sum of the others; None when no cut or several do."""
    if len(digits) < groups * size or len(digits) > groups * size * 7:
        return None
    found = [cut for cut in _splits(digits, groups * size)
             if all(sum(cut[g * size:(g + 1) * size - 1]) == cut[(g + 1) * size - 1] for g in range(groups))]
    return list(found[0]) if len(found) == 1 else None


def run_on_rows(text: str, t2_fields: dict[str, int]) -> tuple[list[Row], list[str]]:
    """Rows [label, figure…] rebuilt from run-together text, and what could not be split.

    `t2_fields` gives, per table-2 label, how many figures its row has."""
    t3_at = text.find(_T3_START)
    # table 2 starts at its first 第二十条第 item (the preface names the heading too)
    start = text.rfind("第二十条第", 0, t3_at) if t3_at >= 0 else -1
    start = text.find("第二十条第") if start >= 0 else text.rfind("主动公开政府信息情况", 0, t3_at)
    if start < 0 or t3_at < 0:
        return [], []
    body = text[start:]
    end = _T4_HEADER_END.search(body)
    t4_digits = None
    if end:
        m = re.match(r"\s*(\d+)", body[end.end():])
        t4_digits = m.group(1) if m else None
        body = body[:end.start()]
    rows: list[Row] = []
    unsplit: list[str] = []
    pieces = _RUN.split(body)
    label = pieces[0]
    in_t3 = False
    for k in range(1, len(pieces), 2):
        run, after = pieces[k], pieces[k + 1]
        numbering = ""
        m = re.match(r"^(.*?)(\d)\.$", run)
        if m and after and not after[0].isdigit():  # "40000042." then "其他法律…": 2. numbers the next row
            run, numbering = m.group(1), m.group(2) + "."
        name = label.strip()
        in_t3 = in_t3 or _T3_START in name
        if run and name:
            if in_t3:
                cut = split_summed(run, 1, 7)
                if cut is None:
                    unsplit.append(f"table3: {name[-16:]}")
                rows.append([name] + ([str(v) for v in cut] if cut else [""] * 7))
            else:
                n = next((f for lab, f in t2_fields.items() if name.endswith(lab)), 0)
                cuts = _splits(run, n) if n > 1 and "." not in run else []
                if n == 1:
                    rows.append([name, run])
                elif len(cuts) == 1:
                    rows.append([name] + [str(v) for v in cuts[0]])
                elif n:
                    unsplit.append(f"table2: {name[-16:]}")
                    rows.append([name] + [""] * n)
        label = numbering + after
    if t4_digits:
        cut = split_summed(t4_digits, 3, 5)
        if cut is None:
            unsplit.append("table4")
        rows.append([str(v) for v in cut] if cut else [""] * 15)
    return rows, unsplit
