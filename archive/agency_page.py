"""The page of one agency: every year's key figures in one table and one chart, gaps shown, each
year linking to its report page, and the other names the same body published under.

Key figures per report (current versions): applications (一、本年新收, 总计), granted (三、(一)),
denied (三、(三) 1–8), reviews and lawsuits (table 4 totals), published on time. A blank 总计 is
read as the sum of the applicant columns, as the canned queries do.

"Other names": a renamed or merged body usually keeps its website and its place, so names of current
reports that share one of this agency's 政府网站标识码 (site_code) and its region (down to the division
code), and never reported in a year this name did, are listed as possibly the same body.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from markupsafe import Markup

from . import labels as L
from .charts import Series, year_bars
from .report_page import deadline_verdict

Query = Callable[[str, Any], Awaitable[list[dict]]]

_T3_TOTAL = ("COALESCE(t.total, COALESCE(t.natural_person,0)+COALESCE(t.commercial,0)+COALESCE(t.research,0)"
             "+COALESCE(t.social_welfare,0)+COALESCE(t.legal_service,0)+COALESCE(t.other_org,0))")
FIGURES_SQL = f"""
SELECT r.id, r.year, r.title, r.published, r.agency_kind, r.check_status, r.failed_checks, r.template,
  r.site_code, r.province, r.city, r.county, r.region_code,
  (SELECT {_T3_TOTAL} FROM table3 t WHERE t.report_id = r.id AND t.row_key = 'new_received') AS applications,
  (SELECT {_T3_TOTAL} FROM table3 t WHERE t.report_id = r.id AND t.row_key = 'granted') AS granted,
  (SELECT SUM({_T3_TOTAL}) FROM table3 t WHERE t.report_id = r.id AND t.row_key LIKE 'denied\\_%' ESCAPE '\\')
     AS denied,
  (SELECT total FROM table4 t WHERE t.report_id = r.id AND t.grp = 'review') AS reviews,
  (SELECT SUM(total) FROM table4 t WHERE t.report_id = r.id AND t.grp IN ('litigation_direct',
     'litigation_after_review')) AS litigation
FROM reports r WHERE r.agency = ? AND r.is_current = 1
ORDER BY r.year, r.published
"""
FIGURES = (("applications", "新收申请", "applications"), ("granted", "予以公开", "granted"),
           ("denied", "不予公开", "denied"), ("reviews", "行政复议", "reviews"),
           ("litigation", "行政诉讼", "lawsuits"))


async def agency_context(q: Query, name: str) -> Optional[dict]:
    reports = [dict(r) for r in await q(FIGURES_SQL, [name])]
    if not reports:
        return None
    for r in reports:
        r["verdict"] = deadline_verdict(r["year"], r["agency_kind"], r["published"])
        r["status_zh"] = L.CHECK_STATUS_LABELS.get(r["check_status"] or "", r["check_status"] or "")
    dated = [r for r in reports if r["year"]]
    rows: list[dict] = []
    if dated:
        by_year: dict[int, list[dict]] = {}
        for r in dated:
            by_year.setdefault(r["year"], []).append(r)
        for y in range(dated[0]["year"], dated[-1]["year"] + 1):
            rows += [{"year": y, "report": r} for r in by_year.get(y, [])] or [{"year": y, "report": None}]
    undated = [r for r in reports if not r["year"]]

    series = Series("新收申请 applications")
    for y, group in _by_year(dated).items():
        vals = [r["applications"] for r in group if r["applications"] is not None]
        # several reports for one year (e.g. re-published at a new address): the newest one, not a sum
        series.points[y] = (vals[-1] if vals else None, len(group))
    chart = Markup(year_bars([series], f"{name}：每年新收申请", unit=" 件"))  # SVG built from escaped parts

    codes = sorted({r["site_code"] for r in reports if r["site_code"]})
    others: list[dict] = []
    if codes:
        first = reports[0]
        marks = ",".join("?" for _ in codes)
        mine = {r["year"] for r in reports if r["year"]}
        # a city portal carries many bodies under one site code: a former name shares the code and the place
        # (county and division code) and never reported in the same year as this name
        for o in await q(
                f"SELECT agency, MIN(year) AS first_year, MAX(year) AS last_year, COUNT(*) AS reports, "
                f"group_concat(year) AS years FROM reports "
                f"WHERE province IS ? AND city IS ? AND county IS ? AND region_code IS ? AND is_current = 1 "
                f"AND site_code IN ({marks}) AND agency != ? GROUP BY agency ORDER BY first_year",
                [first["province"], first["city"], first["county"], first.get("region_code"), *codes, name]):
            years = {int(y) for y in (o["years"] or "").split(",") if y}
            if not years & mine:
                others.append(dict(o))
    first = reports[-1]
    return {"name": name, "rows": rows, "undated": undated, "reports": reports, "chart": chart,
            "figures": FIGURES, "others": others, "site_codes": codes,
            "region": " ".join(x for x in (first["province"], first["city"], first["county"]) if x),
            "kind_zh": L.AGENCY_KIND_LABELS.get(first["agency_kind"] or "", "类型不明")}


def _by_year(reports: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for r in reports:
        out.setdefault(r["year"], []).append(r)
    return out
