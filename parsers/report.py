"""Document → Report: tables, metadata, chrome facts, template, checks."""
from __future__ import annotations

from parsers.checks import run_checks
from parsers.chrome import site_facts, strip_chrome
from parsers.classify import is_notice_title, looks_like_report
from parsers.metadata import read_metadata
from parsers.model import Check, Document, Doubt, ParseError, Report
from parsers.tables import templates as T
from parsers.tables.match import Tables, complete_table3
from parsers.tables.read import read_tables


def choose_template(tables: Tables, year: int | None) -> str:
    if tables.t2_layout:
        return tables.t2_layout
    if tables.table3:
        if "other_handling" in tables.table3:
            return "2019"
        if {"other_no_correction", "other_fee_unpaid", "other_misc"} & set(tables.table3):
            return "2021"
    if not (tables.table2 or tables.table3 or tables.table4):
        if year is None or year < 2019:
            return "legacy"
    if year is not None:
        return "2021" if year >= 2021 else "2019" if year >= 2019 else "legacy"
    return "2021"


def _rows_checked(check: Check) -> set[str]:
    """The table-3 rows whose cells a check adds up."""
    if check.rule == "t3_balance":
        return {"new_received", "carried_over", "total_processed", "carried_forward"}
    if check.rule == "t3_results_sum":
        return set(T.T3_RESULT_ROWS) | {"total_processed"}
    if check.rule == "t3_row_total":
        return {check.where}
    return set()


def table_doubts(tables: Tables, table3, table4, checks: list[Check]) -> list[Doubt]:
    """The matcher's doubts, plus positions the arithmetic does not confirm: cells placed by
    position alone (a row cut short, a slot count other than the template's) are taken as
    right while every check over their cells holds, and as doubt once one fails."""
    doubts = list(tables.doubts)
    failed = {c.rule for c in checks if not c.ok}
    unsure = set(tables.unsure_rows)
    if unsure and any(unsure & _rows_checked(c) for c in checks if not c.ok):
        kind = "no_header" if tables.t3_headerless_grid else "placed_by_position"
        doubts.append(Doubt(kind, "table3", "cells of " + ", ".join(tables.unsure_rows)
                            + " placed by position; the table's checks fail"))
    if table4 is not None and tables.t4_unsure and "t4_total" in failed:
        doubts.append(Doubt("placed_by_position", "table4",
                            "figures not printed as one row of 15; the totals fail"))
    if table3 is not None and not {"total_processed", "carried_forward"} & set(tables.table3 or {}):
        doubts.append(Doubt("table_cut_short", "table3", "neither (七)总计 nor 四、结转下年度 was found"))
    return doubts


def build_report(doc: Document) -> Report:
    tables = read_tables(doc)
    text = strip_chrome(doc.text)
    raw = doc.raw_text or doc.text
    md = read_metadata(text, raw, doc.meta, doc.title_hints or [doc.title_hint])
    has_tables = bool(tables.table2 or tables.table3 or tables.table4)
    hints = (doc.title_hints or [doc.title_hint])[:4]
    if not has_tables and any(is_notice_title(h) for h in hints if h) and not md.title:
        raise ParseError(f"not an annual report: {next(h for h in hints if h and is_notice_title(h))!r}")
    if not has_tables and not looks_like_report(text):
        if md.title and md.year and len(text) < 300:
            if "附件" in text:  # "详见附件": the report is the attached PDF/DOC(X), not this page
                raise ParseError(f"not an annual report page: {md.title!r} is in its attachment")
            raise ParseError(f"no report body under the title {md.title!r} (truncated page?)")
        if not (md.title and md.year):
            raise ParseError("not an annual report (no 政府信息公开 report sections or tables found)")
    template = choose_template(tables, md.year)
    notes = list(tables.notes)
    table3 = complete_table3(tables.table3, template, notes) if tables.table3 else None
    if template == "legacy":
        table2 = table3 = table4 = None
    else:
        table2, table4 = tables.table2, tables.table4
        if not has_tables:
            notes.append("no standard tables found")
    checks = run_checks(table3, table4, md.year, md.published, md.agency_kind)
    doubts = list(doc.doubts)
    if template != "legacy":
        doubts += table_doubts(tables, table3, table4, checks)
    return Report(
        url=doc.url, title=md.title, year=md.year, agency=md.agency, published=md.published,
        template=template, text=text, site=site_facts(raw, doc.meta),
        table2=table2, table3=table3, table4=table4,
        checks=checks, notes=notes, format=doc.format, agency_kind=md.agency_kind,
        doubts=doubts,
    )
