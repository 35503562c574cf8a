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

REAL = __import__("pathlib").Path(__file__).parent / "fixtures" / "real"

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
    report = parsers.parse_bytes(cut, "file:///mmj/2021-cut.pdf")  # qpdf rebuilds what arrived
    assert [(d.kind, d.where) for d in report.doubts] == [("truncated_source", "pdf")]
    assert "qpdf" in report.doubts[0].detail and report.needs_review
    assert report.table3["new_received"]["total"] == 15  # what did arrive is still read


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


def test_a_real_text_copy_that_lost_a_table2_column_is_doubted_where_it_lost_it():
    """上海市人民政府办公厅 2025, as a PDF-to-text tool left it (tests/fixtures/real/
    shanghai_office_2025.provenance.txt): labels on other lines than their figures, group labels
    cut over two cells, and table 2's 本年废止件数 column gone from both of its pipe rows."""
    from parsers.tables.templates import T3_COLUMNS, T4_FIELDS, T4_GROUPS

    report = parsers.parse_path(REAL / "shanghai_office_2025.txt")
    t3 = {
        "new_received": [1259, 36, 0, 0, 0, 0, 1295], "carried_over": [170, 15, 0, 0, 4, 0, 189],
        "granted": [201, 5, 0, 0, 0, 0, 206], "partially_granted": [2, 0, 0, 0, 0, 0, 2],
        "denied_state_secret": [4, 0, 0, 0, 0, 0, 4], "denied_prohibited_by_law": [0] * 7,
        "denied_security_stability": [1, 0, 0, 0, 0, 0, 1], "denied_third_party": [0] * 7,
        "denied_internal_affairs": [8, 0, 0, 0, 1, 0, 9], "denied_process_info": [1, 0, 0, 0, 0, 0, 1],
        "denied_enforcement_files": [0] * 7, "denied_inquiry": [5, 0, 0, 0, 0, 0, 5],
        "unavailable_not_held": [484, 28, 0, 0, 1, 0, 513], "unavailable_needs_creation": [47, 1, 0, 0, 0, 0, 48],
        "unavailable_unclear": [3, 0, 0, 0, 0, 0, 3], "rejected_petition": [61, 1, 0, 0, 0, 0, 62],
        "rejected_repeat": [16, 0, 0, 0, 0, 0, 16], "rejected_publication": [1, 0, 0, 0, 0, 0, 1],
        "rejected_excessive": [1, 0, 0, 0, 0, 0, 1], "rejected_confirmation": [0] * 7,
        "other_no_correction": [40, 1, 0, 0, 2, 0, 43], "other_fee_unpaid": [0] * 7,
        "other_misc": [264, 12, 0, 0, 0, 0, 276], "total_processed": [1139, 48, 0, 0, 4, 0, 1191],
        "carried_forward": [290, 3, 0, 0, 0, 0, 293],
    }
    assert report.table3 == {k: dict(zip(T3_COLUMNS, v)) for k, v in t3.items()}
    t4 = [[40, 0, 10, 5, 55], [2, 0, 4, 6, 12], [6, 0, 9, 7, 22]]
    assert report.table4 == {g: dict(zip(T4_FIELDS, v)) for g, v in zip(T4_GROUPS, t4)}
    assert (report.year, report.template) == (2025, "2021")
    assert all(c.ok for c in report.checks)
    # what this copy prints for sure in table 2 …
    assert report.table2["regulations"]["made"] == 22 and report.table2["normative_documents"]["made"] == 34
    assert [report.table2[k] for k in ("licensing", "punishment", "coercion", "fees")] == [
        {"decisions": 0}, {"decisions": 0}, {"decisions": 0}, {"amount": 0}]
    # … and where it cannot be sure: two figures under three columns
    assert [(d.kind, d.where) for d in report.doubts] == [
        ("placed_by_position", "table2.regulations"), ("placed_by_position", "table2.normative_documents")]
    assert report.needs_review


def test_a_real_text_copy_with_cells_run_together_is_split_by_its_arithmetic():
    """平潭综合实验区 2024 as the pingtan archive's page.txt keeps it: every cell of the tables run
    together ("…申请数量21710000218二、…"). A row's digits are split only where exactly one cut
    adds up; the one row with no sum to decide it is doubted, not guessed."""
    from parsers.tables.templates import T3_COLUMNS, T4_FIELDS, T4_GROUPS

    report = parsers.parse_path(REAL / "pingtan_2024_runon.txt")
    z = [0] * 7
    t3 = {k: z for k in report.table3}
    t3.update({
        "new_received": [217, 1, 0, 0, 0, 0, 218], "granted": [71, 0, 0, 0, 0, 0, 71],
        "partially_granted": [29, 0, 0, 0, 0, 0, 29], "denied_state_secret": [4, 0, 0, 0, 0, 0, 4],
        "denied_third_party": [3, 0, 0, 0, 0, 0, 3], "denied_internal_affairs": [32, 0, 0, 0, 0, 0, 32],
        "unavailable_not_held": [75, 0, 0, 0, 0, 0, 75], "rejected_repeat": [1, 0, 0, 0, 0, 0, 1],
        "other_no_correction": [1, 0, 0, 0, 0, 0, 1], "other_misc": [1, 1, 0, 0, 0, 0, 2],
        "total_processed": [217, 1, 0, 0, 0, 0, 218],
    })
    assert len(report.table3) == 25
    assert report.table3 == {k: dict(zip(T3_COLUMNS, v)) for k, v in t3.items()}
    t4 = [[2, 1, 3, 1, 7], [0, 0, 0, 0, 0], [13, 2, 4, 0, 19]]
    assert report.table4 == {g: dict(zip(T4_FIELDS, v)) for g, v in zip(T4_GROUPS, t4)}
    assert report.table2 == {
        "regulations": {"made": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"made": None, "repealed": None, "in_force": None},
        "licensing": {"decisions": 4529}, "punishment": {"decisions": 1100}, "coercion": {"decisions": 65},
        "fees": {"amount": 18651.06}}
    assert all(c.ok for c in report.checks)
    assert [(d.kind, d.where) for d in report.doubts] == [("column_ambiguous", "table2: 行政规范性文件")]


def test_run_together_figures_are_split_only_one_way():
    from parsers.tables.run_on import split_summed

    assert split_summed("21710000218", 1, 7) == [217, 1, 0, 0, 0, 0, 218]
    assert split_summed("0000000", 1, 7) == [0] * 7
    assert split_summed("1111114", 1, 7) is None  # 1+1+1+1+1+1 ≠ 4: no cut adds up
    assert split_summed("111111111", 1, 7) is None  # no cut at all adds up
    assert split_summed("21317000001324019", 3, 5) == [2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19]
