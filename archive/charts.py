"""Small SVG bar charts drawn on the server (no JavaScript) that do not mislead:

* every year between the first and the last is on the axis; a year without a value is drawn as a
  gap (a dashed empty slot marked 无), never closed up;
* under each bar: how many reports the point covers (n=…);
* several series (an agency's figures, or one per level of government) are drawn side by side,
  never added together.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Optional

COLOURS = ("#4a78b5", "#d9822b", "#5a9e5a", "#a05195", "#8c8c8c")


@dataclass
class Series:
    name: str
    points: dict[int, tuple[Optional[float], int]] = field(default_factory=dict)  # year -> (value, reports)


def _fmt(v: float) -> str:
    return f"{v:.1f}" if isinstance(v, float) and not v.is_integer() else f"{int(v)}"


def year_bars(series: list[Series], title: str, unit: str = "", width: int = 720, height: int = 260) -> str:
    years = sorted({y for s in series for y in s.points})
    if not years:
        return '<p class="nochart">没有可画的数据 No data to chart.</p>'
    years = list(range(years[0], years[-1] + 1))
    pad_l, pad_r, pad_t, pad_b = 40, 10, 30, 48
    top = max((v for s in series for v, _ in s.points.values() if v is not None), default=0) or 1
    slot = (width - pad_l - pad_r) / len(years)
    bw = slot * 0.8 / max(1, len(series))
    base = height - pad_b
    scale = (base - pad_t) / top
    parts = [f'<line x1="{pad_l}" y1="{base}" x2="{width - pad_r}" y2="{base}" stroke="#333"/>']
    for i, y in enumerate(years):
        x0 = pad_l + i * slot + slot * 0.1
        parts.append(f'<text x="{pad_l + i * slot + slot / 2:.1f}" y="{base + 15}" text-anchor="middle" '
                     f'font-size="11">{y}</text>')
        for j, s in enumerate(series):
            x = x0 + j * bw
            v, n = s.points.get(y, (None, 0))
            if v is None:
                parts.append(f'<rect class="gap" x="{x:.1f}" y="{pad_t}" width="{bw:.1f}" height="{base - pad_t}" '
                             f'fill="none" stroke="#bbb" stroke-dasharray="3,3"><title>{y} {html.escape(s.name)}：'
                             f'无数据 no data</title></rect>'
                             f'<text x="{x + bw / 2:.1f}" y="{base - 4}" text-anchor="middle" font-size="10" '
                             f'fill="#999">无</text>')
                continue
            h = v * scale
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[j % len(COLOURS)]}"><title>{y} {html.escape(s.name)}：{_fmt(v)}{unit}'
                         f'（{n} 份报告 reports）</title></rect>'
                         f'<text x="{x + bw / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" '
                         f'font-size="10">{_fmt(v)}</text>'
                         f'<text class="n" x="{x + bw / 2:.1f}" y="{base + 28}" text-anchor="middle" font-size="9" '
                         f'fill="#666">n={n}</text>')
    legend = "".join(
        f'<rect x="{pad_l + k * 170}" y="6" width="10" height="10" fill="{COLOURS[k % len(COLOURS)]}"/>'
        f'<text x="{pad_l + k * 170 + 14}" y="15" font-size="11">{html.escape(s.name)}</text>'
        for k, s in enumerate(series)) if len(series) > 1 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(title)}">{legend}{"".join(parts)}</svg>')
