"""`nianbao` command: each package registers its own sub-commands."""
from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes register(subparsers); a sub-command's handler is set with set_defaults(func=...).
COMMAND_MODULES = ("parsers.cli", "crawler.cli", "archive.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nianbao",
        description="Crawl, parse, archive and publish 政府信息公开工作年度报告.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a package without commands of its own yet
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("nianbao: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nianbao parse … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
