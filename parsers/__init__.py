"""Parse 政府信息公开工作年度报告 from any source into the contract's canonical, checked data.

    parse_bytes(data, url, content_type=None) -> Report
    parse_path(path) -> Report
    parse_source("https://…" or "file.pdf") -> Report

All raise `ParseError` (one line, no traceback) for input that is not a readable report.
"""
from __future__ import annotations

import os
from pathlib import Path

from parsers.model import Check, Document, ParseError, Report, SiteFacts

__all__ = ["parse_bytes", "parse_path", "parse_source", "ParseError", "Report", "Check",
           "SiteFacts", "Document"]

MAX_FILE_BYTES = 200 * 1024 * 1024


def parse_bytes(data: bytes, url: str, content_type: str | None = None, pictures=None) -> Report:
    """`pictures`: where an HTML page's <img>s come from (parsers/extract/ocr_sources.py);
    None reads no pictures of a page (a PDF's scanned pages are OCR'd regardless)."""
    from parsers.extract import extract
    from parsers.report import build_report
    doc = extract(data, url, content_type, pictures)
    if doc.ocr_cells:
        from parsers.extract.ocr_arith import settle
        settle(doc)
    return build_report(doc)


def parse_fetched(data: bytes, url: str, content_type: str | None = None) -> Report:
    """A page fetched from `url` (the crawler's parse workers): its pictures are fetched from
    the same host when its tables are pictures."""
    from parsers.extract.ocr_sources import web_pictures
    return parse_bytes(data, url, content_type, pictures=web_pictures(url))


def parse_path(path: str | os.PathLike) -> Report:
    p = Path(path)
    try:
        if p.is_dir():
            raise ParseError("is a directory")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ParseError(f"file larger than {MAX_FILE_BYTES // 1048576} MB")
        data = p.read_bytes()
    except FileNotFoundError:
        raise ParseError("no such file") from None
    except PermissionError:
        raise ParseError("permission denied") from None
    content_type = "text/plain" if p.suffix.lower() == ".txt" else None
    from parsers.extract.ocr_sources import local_pictures
    return parse_bytes(data, str(p), content_type, pictures=local_pictures(p))


def parse_source(source: str, timeout: float = 30.0) -> Report:
    """A URL (http/https only) or a local path."""
    if "://" in source or source.lower().startswith(("javascript:", "data:", "mailto:")):
        from parsers.fetch import fetch
        from parsers.extract.ocr_sources import web_pictures
        fetched = fetch(source, timeout=timeout)
        return parse_bytes(fetched.body, source, fetched.content_type,
                           pictures=web_pictures(fetched.url, timeout=timeout))
    return parse_path(source)
