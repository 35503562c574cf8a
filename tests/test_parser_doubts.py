"""The parser says when it may be wrong, and only then.

A journalist reads a failed check as the agency's inconsistency unless the report says the
parser was unsure (`needs_review`). So: on every corpus with known truth, clean and damaged,
no report whose checks fail because of the parser is marked sure; and reports read exactly
are not doubted (a badge that is always on means nothing). The extractors' own doubts
(a PDF cut short or with unreadable pages, DOCX numbering lost) reach the report.
"""
from __future__ import annotations

import io

import pytest

import parsers
from doubt_corpus import DAMAGES, fixtures, generated, rates
from parsers.model import DOUBT_KINDS

from conftest import SEEDS

# generated layouts covering every CMS, template, header shape and label-column count of
# tests/layouts in the first seeds; each also damaged five ways
GENERATED = range(24)


@pytest.fixture(scope="module")
def outcomes():
    return list(fixtures()) + list(generated(GENERATED))


def test_no_report_failing_because_of_the_parser_is_marked_sure(outcomes):
    unflagged = [(o.corpus, o.name) for o in outcomes if o.parser_failures and not o.needs_review]
    assert not unflagged, f"checks fail because of the parser, yet marked sure: {unflagged}"
    by = rates(outcomes)
    # the damage did make the parser fail (the property is not vacuous) …
    assert by["damaged:cell_dropped"]["parser_failures"] >= 3
    assert by["damaged:t4_cell_dropped"]["parser_failures"] >= 3
    # … and every damaged variant ran
    assert set(DAMAGES) <= {k.split(":", 1)[1] for k in by if k.startswith("damaged:")}
    # a table cut short is always said, whatever its checks say
    assert all(("table_cut_short", "table3") in o.doubts for o in outcomes if o.corpus == "damaged:cut_short")


def test_exact_reports_are_not_doubted(outcomes):
    clean = [o for o in outcomes if o.corpus in ("generated", "fixture:real", "fixture:html", "damaged:no_header")
             and o.exact and not o.parser_failures]
    alarms = [(o.corpus, o.name, o.doubts) for o in clean if o.needs_review]
    assert len(clean) >= 50 and not alarms, alarms
    # a dropped character in a label is read without doubt in nearly every case
    typos = [o for o in outcomes if o.corpus == "damaged:label_typos"]
    assert sum(o.exact for o in typos) >= len(typos) - 1
    assert sum(o.needs_review for o in typos if o.exact) <= 1


def test_the_seed_reports_are_sure_of_themselves():
    for path in sorted(SEEDS.glob("*.txt")):
        report = parsers.parse_path(path)
        assert report.doubts == [] and report.needs_review is False, (path.name, report.doubts)
        assert report.to_dict()["needs_review"] is False


def test_pdf_pages_not_read_reach_the_report(monkeypatch):
    from make_documents import make_report_pdf
    from parsers.extract import pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "MAX_PAGES", 1)
    report = parsers.parse_bytes(make_report_pdf(), "file:///mmj/2021.pdf")
    assert [(d.kind, d.where, d.detail) for d in report.doubts][0] == (
        "truncated_source", "pdf", "read the first 1 of 2 pages")
    assert report.needs_review and report.to_dict()["doubts"][0]["kind"] == "truncated_source"


def test_a_pdf_download_cut_short_is_doubted():
    from make_documents import make_report_pdf

    data = make_report_pdf()
    cut = data[: data.rindex(b"%%EOF") - 200]  # the trailer and the last bytes never arrived
    try:
        report = parsers.parse_bytes(cut, "file:///mmj/2021-cut.pdf")
    except parsers.ParseError as e:  # too broken to read at all is a one-line error instead
        assert "\n" not in str(e)
        return
    assert "truncated_source" in {d.kind for d in report.doubts} and report.needs_review


def test_docx_numbering_lost_reaches_the_report():
    import docx
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    d = docx.Document()
    d.add_paragraph("某某局2021年政府信息公开工作年度报告")
    p = d.add_paragraph("总体情况")
    # a numbered paragraph whose list definition is missing from numbering.xml
    ppr = p._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    for tag, val in (("w:ilvl", "0"), ("w:numId", "77")):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        numpr.append(el)
    ppr.append(numpr)
    d.add_paragraph("2021年，某某局认真贯彻落实《条例》。主动公开政府信息情况。依申请公开。")
    buf = io.BytesIO()
    d.save(buf)
    from parsers.extract import extract

    doc = extract(buf.getvalue(), "file:///mmj/2021.docx")
    assert [(x.kind, x.where) for x in doc.doubts] == [("numbering_lost", "docx")]
    assert "1 numbered paragraph" in doc.doubts[0].detail


def test_every_doubt_kind_is_declared(outcomes):
    kinds = {k for o in outcomes for k, _ in o.doubts}
    assert kinds and kinds <= set(DOUBT_KINDS)
