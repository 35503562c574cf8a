"""Sub-commands of the archive: `archive add`, `archive check`, `reparse`, `serve`, `export-warc`, `export`."""
from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
from pathlib import Path

_TYPES = {".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".txt": "text/plain; charset=utf-8",
          ".pdf": "application/pdf", ".doc": "application/msword",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def register(subparsers) -> None:
    p = subparsers.add_parser("archive", help="store parsed reports in the archive (SQLite)")
    asub = p.add_subparsers(dest="archive_command", required=True)

    add = asub.add_parser("add", help="parse files and store the reports (a .json file holds report dicts)")
    add.add_argument("files", nargs="+", metavar="FILE")
    add.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    add.add_argument("--portal", help="portal name to file the reports under")
    add.add_argument("--portal-region", help="the portal's region, e.g. 福建省 (disambiguates place names)")
    add.set_defaults(func=cmd_add)

    chk = asub.add_parser("check", help="integrity check of an archive file")
    chk.add_argument("--db", default="archive.db")
    chk.set_defaults(func=cmd_check)

    r = subparsers.add_parser("reparse", help="read every archived report again with the current parser "
                                               "(from the archived bytes; nothing is fetched)")
    r.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    r.add_argument("--since", metavar="DATE", help="only reports fetched on or after DATE (YYYY-MM-DD)")
    r.add_argument("--workers", type=int, default=0, help="parser processes (default: one per core)")
    r.set_defaults(func=cmd_reparse)

    s = subparsers.add_parser("serve", help="publish the archive with Datasette (read-only)")
    s.add_argument("--db", default="archive.db", help="archive file (default: archive.db)")
    s.add_argument("--port", type=int, default=8001)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--live", action="store_true", help="not immutable: show rows a running crawl adds")
    s.add_argument("--metadata", help="metadata.json to use (default: the repository's)")
    s.set_defaults(func=cmd_serve)

    w = subparsers.add_parser("export-warc", help="write the archived fetches as a WARC file")
    w.add_argument("--db", default="archive.db")
    w.add_argument("out", metavar="OUT.warc.gz")
    w.set_defaults(func=cmd_export_warc)

    from .export import register as register_export
    register_export(subparsers)


def _reports_from_file(path: Path) -> list[dict]:
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(x, dict) for x in items):
            raise ValueError("not a report object or list of report objects")
        return items
    try:
        from parsers import parse_path
    except ImportError as e:
        raise ValueError(f"the parser is not available ({e})") from None
    report = parse_path(str(path))
    return [report.to_dict() if hasattr(report, "to_dict") else report]


def cmd_add(args) -> int:
    from .store import Archive

    failures = 0
    counts: dict[str, int] = {}
    with Archive(args.db) as db:
        for name in args.files:
            path = Path(name)
            try:
                if not path.is_file():
                    raise ValueError("no such file")
                reports = _reports_from_file(path)
                body = path.read_bytes()
                ctype = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(name)[0]
                for rep in reports:
                    url = rep.get("url") or str(path)
                    rep.setdefault("url", url)
                    page_id = None
                    if path.suffix.lower() != ".json":
                        page_id = db.record_page(url=url, status=200, headers={}, body=body, content_type=ctype)
                    # report dicts from a .json file: which parser made them is not known
                    version = {"parser_version": None} if path.suffix.lower() == ".json" else {}
                    status, rid = db.add_report(rep, page_id=page_id, portal=args.portal,
                                                portal_region=args.portal_region, **version)
                    counts[status] = counts.get(status, 0) + 1
                    print(f"{status}\t{rid}\t{name}")
            except Exception as e:  # noqa: BLE001 - one line per bad input, keep going
                failures += 1
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                print(f"nianbao archive add: {name}: {msg}", file=sys.stderr)
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing stored"
    print(f"{args.db}: {summary}" + (f"; {failures} file(s) failed" if failures else ""), file=sys.stderr)
    return 1 if failures else 0


def cmd_check(args) -> int:
    from .store import Archive

    from .dbfile import archive_problem

    if not os.path.exists(args.db):
        print(f"nianbao archive check: {args.db}: no such file", file=sys.stderr)
        return 2
    problem = archive_problem(args.db)
    if problem:
        print(f"nianbao archive check: {args.db} {problem}", file=sys.stderr)
        return 2
    with Archive(args.db) as db:
        problems = db.integrity_check()
    for p in problems:
        print(p)
    print(f"{args.db}: {'ok' if not problems else str(len(problems)) + ' problem(s)'}", file=sys.stderr)
    return 1 if problems else 0


def cmd_reparse(args) -> int:
    from .reparse import cmd_reparse as run

    return run(args)


def cmd_serve(args) -> int:
    from .serve import serve

    return serve(args.db, port=args.port, host=args.host, live=args.live, metadata_path=args.metadata)


def cmd_export_warc(args) -> int:
    from .warc import export_warc

    if not os.path.exists(args.db):
        print(f"nianbao export-warc: {args.db}: no such file", file=sys.stderr)
        return 2
    counts = export_warc(args.db, args.out)
    print(f"{args.out}: {counts['records']} response record(s), {counts['skipped']} fetch(es) without body skipped",
          file=sys.stderr)
    return 0
