"""`nianbao parse SOURCE... [--format json|jsonl|csv|text]`."""
from __future__ import annotations

import csv
import json
import logging
import sys
import unicodedata
from typing import Iterable

from parsers.model import ParseError, Report
from parsers.tables import templates as T


def register(sub) -> None:
    p = sub.add_parser("parse", help="parse annual reports (URLs or files) into canonical data",
                       description="Parse 政府信息公开工作年度报告 from URLs or files "
                                   "(.html/.htm in any encoding, .txt, .pdf, .docx, .doc).")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="http(s) URL or local file")
    p.add_argument("--format", choices=("json", "jsonl", "csv", "text"), default="json")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per URL (default 30)")
    p.set_defaults(func=run)


def run(args) -> int:
    from parsers import parse_source

    # pdfminer warns "Could not get FontBBox …" once per font of many real PDFs: noise on stderr,
    # where each source that failed gets its one line
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    out = sys.stdout
    failed = 0
    json_items = []
    writer = csv.writer(out, lineterminator="\n") if args.format == "csv" else None
    if writer:
        writer.writerow(["source", "table", "row", "column", "value"])
    for source in args.sources:
        try:
            report = parse_source(source, timeout=args.timeout)
        except ParseError as exc:
            failed += 1
            print(f"nianbao parse: {source}: {exc}", file=sys.stderr)
            continue
        except Exception as exc:  # a parser bug must not lose the other sources
            failed += 1
            print(f"nianbao parse: {source}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        if args.format == "json":
            json_items.append(report.to_dict())
        elif args.format == "jsonl":
            out.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
        elif args.format == "csv":
            writer.writerows(long_rows(source, report))
        else:
            out.write(render_text(report) + "\n")
    if args.format == "json" and json_items:
        payload = json_items[0] if len(args.sources) == 1 else json_items
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return 1 if failed else 0


def long_rows(source: str, report: Report) -> Iterable[list]:
    for name in ("table2", "table3", "table4"):
        table = getattr(report, name)
        for row, cells in (table or {}).items():
            for col, value in cells.items():
                yield [source, name, row, col, "" if value is None else value]


# --- text layout -------------------------------------------------------------------------
T3_LABELS = {
    "new_received": "一、本年新收", "carried_over": "二、上年结转", "granted": "(一)予以公开",
    "partially_granted": "(二)部分公开", "denied_state_secret": "(三)1.国家秘密",
    "denied_prohibited_by_law": "(三)2.法律法规禁止", "denied_security_stability": "(三)3.三安全一稳定",
    "denied_third_party": "(三)4.第三方权益", "denied_internal_affairs": "(三)5.内部事务",
    "denied_process_info": "(三)6.过程性信息", "denied_enforcement_files": "(三)7.执法案卷",
    "denied_inquiry": "(三)8.行政查询", "unavailable_not_held": "(四)1.不掌握",
    "unavailable_needs_creation": "(四)2.需另行制作", "unavailable_unclear": "(四)3.仍不明确",
    "rejected_petition": "(五)1.信访举报投诉", "rejected_repeat": "(五)2.重复申请",
    "rejected_publication": "(五)3.公开出版物", "rejected_excessive": "(五)4.大量反复",
    "rejected_confirmation": "(五)5.确认或重新出具", "other_handling": "(六)其他处理",
    "other_no_correction": "(六)1.逾期不补正", "other_fee_unpaid": "(六)2.逾期未缴费",
    "other_misc": "(六)3.其他", "total_processed": "(七)总计", "carried_forward": "四、结转下年度",
}
T3_HEAD = ("自然人", "商业企业", "科研机构", "公益组织", "法律服务", "其他", "总计")
T4_HEAD = ("维持", "纠正", "其他", "未审结", "总计")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(s))
    return gap + s if right else s + gap


def _fmt(v) -> str:
    return "—" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def _grid(rows: list[list[str]], head: list[str], flags: list[bool]) -> list[str]:
    cols = [max(_width(r[i]) for r in rows + [head]) for i in range(len(head))]
    lines = ["  " + "  ".join(_pad(h, cols[i], i > 0) for i, h in enumerate(head))]
    for row, flag in zip(rows, flags):
        lines.append(("! " if flag else "  ") + "  ".join(_pad(c, cols[i], i > 0) for i, c in enumerate(row)))
    return lines


def render_text(r: Report) -> str:
    failed_where = {(c.rule, c.where) for c in r.failed_checks}
    bad_rows = {w for rule, w in failed_where if rule == "t3_row_total"}
    out = [f"{r.title or '(no title)'}",
           f"  agency {r.agency or '?'} · year {r.year or '?'} · template {r.template} · "
           f"published {r.published or '?'}",
           f"  source {r.url}"]
    site = {k: v for k, v in vars(r.site).items() if v}
    if site:
        out.append("  site " + " · ".join(f"{k} {v}" for k, v in site.items()))
    if r.table2:
        out.append("\n表二 主动公开政府信息情况 (table2)")
        for row, cells in r.table2.items():
            out.append(f"  {row:22s} " + "  ".join(f"{k}={_fmt(v)}" for k, v in cells.items()))
    if r.table3:
        out.append("\n表三 收到和处理政府信息公开申请情况 (table3)")
        rows = [[T3_LABELS.get(k, k)] + [_fmt(cells.get(c)) for c in T.T3_COLUMNS] for k, cells in r.table3.items()]
        out += _grid(rows, ["", *T3_HEAD], [k in bad_rows for k in r.table3])
    if r.table4:
        out.append("\n表四 行政复议、行政诉讼情况 (table4)")
        names = {"review": "行政复议", "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉"}
        rows = [[names[g]] + [_fmt(cells.get(f)) for f in T.T4_FIELDS] for g, cells in r.table4.items()]
        out += _grid(rows, ["", *T4_HEAD], [("t4_total", g) in failed_where for g in r.table4])
    if r.template == "legacy":
        out.append("\n(legacy report: no standard tables)")
    out.append("\nchecks: " + (f"{len(r.checks) - len(r.failed_checks)} passed, {len(r.failed_checks)} failed"
                              if r.checks else "none applicable"))
    for c in r.failed_checks:
        out.append(f"  ✗ {c.rule} [{c.where}]: expected {c.expected}, found {c.found}")
    for note in r.notes:
        out.append(f"  note: {note}")
    return "\n".join(out)


