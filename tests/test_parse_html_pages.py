"""HTML report pages against hand-read ground truth.

Fixtures: tests/fixtures/html/*.html (synthetic, built by _build.py) and
tests/fixtures/real/*.html (real portal pages, provenance in *.provenance.txt). Each has a
`<name>.expected.json` whose values were read off the page tables by a person, cell by cell:
the parser is judged against them, never the other way round.
"""
from __future__ import annotations

import json
import pathlib

import pytest

from fixture_server import serve

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CASES = sorted(list((FIXTURES / "html").glob("*.expected.json")) + list((FIXTURES / "real").glob("*.expected.json")))
SITE_KEYS = ("icp", "police_record", "site_code", "index_no")


def _source(exp_path: pathlib.Path, expected: dict) -> pathlib.Path:
    """The page beside its expected values: <name>.html, or the file `source_file` names
    (a text copy, a PDF)."""
    return exp_path.with_name(expected.get("source_file") or exp_path.name.replace(".expected.json", ".html"))


def _load(exp_path: pathlib.Path):
    expected = json.loads(exp_path.read_text(encoding="utf-8"))
    return expected, _source(exp_path, expected).read_bytes()


def _case_id(p: pathlib.Path) -> str:
    return f"{p.parent.name}/{p.name.replace('.expected.json', '')}"


def _table_diff(name, expected, got) -> list[str]:
    """Cell-by-cell differences, so a failure names every wrong cell."""
    if expected is None or got is None:
        return [] if expected == got else [f"{name}: expected {expected!r}, got {got!r}"]
    out = []
    for row in sorted(set(expected) | set(got)):
        e_row, g_row = expected.get(row), got.get(row)
        if e_row is None or g_row is None:
            out.append(f"{name}.{row}: expected {e_row!r}, got {g_row!r}")
            continue
        for col in sorted(set(e_row) | set(g_row)):
            e, g = e_row.get(col, "<absent>"), g_row.get(col, "<absent>")
            if e != g or type(e) is not type(g) and not (isinstance(e, (int, float)) and isinstance(g, (int, float))):
                out.append(f"{name}.{row}.{col}: expected {e!r}, got {g!r}")
    return out


def _report_errors(report, expected) -> list[str]:
    errors = []
    for key in ("title", "year", "agency", "published", "template"):
        if key in expected and getattr(report, key) != expected[key]:
            errors.append(f"{key}: expected {expected[key]!r}, got {getattr(report, key)!r}")
    site = {k: getattr(report.site, k) for k in SITE_KEYS}
    for k in SITE_KEYS:
        if k in expected["site"] and site[k] != expected["site"][k]:  # real pages list only what was read
            errors.append(f"site.{k}: expected {expected['site'][k]!r}, got {site[k]!r}")
    for t in ("table2", "table3", "table4"):
        errors += _table_diff(t, expected.get(t), getattr(report, t))
    failing = sorted({c.rule for c in report.checks if not c.ok})
    if failing != expected["failing_rules"]:
        errors.append(f"failing_rules: expected {expected['failing_rules']}, got {failing}")
    for s in expected.get("text_contains", []):
        if s not in report.text:
            errors.append(f"text lacks report content {s!r}")
    for s in expected.get("text_absent", []):
        if s in report.text:
            errors.append(f"text keeps chrome {s!r}")
    return errors


@pytest.mark.parametrize("exp_path", CASES, ids=_case_id)
def test_html_page(exp_path):
    import parsers
    from parsers.model import ParseError

    expected = json.loads(exp_path.read_text(encoding="utf-8"))
    assert _source(exp_path, expected).exists(), f"{exp_path.name}: its page is missing beside it"
    expected, data = _load(exp_path)
    if expected.get("not_a_report"):
        with pytest.raises(ParseError, match=expected["error_contains"]):
            parsers.parse_bytes(data, url=expected["url"])
        return
    report = parsers.parse_bytes(data, url=expected["url"])
    assert report.url == expected["url"]
    errors = _report_errors(report, expected)
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors)


def test_every_fixture_has_its_page():
    names = [p.name for p in CASES]
    assert "word_export_gbk_split.expected.json" in names and len(CASES) >= 6
    for p in CASES:
        if p.parent.name == "html":
            assert p.with_name(p.name.replace(".expected.json", ".html")).exists(), p


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_gbk_page_over_http_without_charset_header(no_proxy):
    import parsers

    expected, data = _load(FIXTURES / "html" / "word_export_gbk_split.expected.json")
    assert b"charset=gb2312" in data  # only the <meta> says GBK
    with serve({"/jtj/nb/2021.htm": (data, "text/html")}) as base:
        url = base + "/jtj/nb/2021.htm"
        report = parsers.parse_source(url)
    expected = dict(expected, url=url)
    assert report.url == url
    errors = _report_errors(report, expected)
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors)


def test_url_404_is_a_clear_parse_error(no_proxy):
    import parsers
    from parsers.model import ParseError

    with serve({}) as base:
        url = base + "/missing/report.html"
        with pytest.raises(ParseError) as err:
            parsers.parse_source(url)
    msg = str(err.value)
    assert "404" in msg and "\n" not in msg.strip()
