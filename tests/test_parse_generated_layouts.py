"""Generated report pages (tests/layouts): the parser must read the figures, not positions.

Each seed is one page in one portal's chrome, encoding and table layout, with its ground truth
decided by the generator (never read back from the page). Every cell of tables 2-4 is
asserted, plus template, year, agency, title, published and the set of failing checks.

    python tests/test_parse_generated_layouts.py [N]   # pass rate by quirk over seeds 0..N-1
    python tests/test_parse_generated_layouts.py --seed 17   # one seed's diff and its page in /tmp
"""
from __future__ import annotations

import pathlib
import sys
from collections import Counter

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from layouts import generate  # noqa: E402

from parsers import ParseError, parse_bytes  # noqa: E402

SEEDS = range(150)

# Hand-checked seeds (page opened in a browser, every table cell compared with `case.truth` by
# a person). What each one exercises is asserted below so a generator change cannot silently
# turn them into something else.
SMOKE = {
    # TRS WCM, UTF-8, template 2021, clean cells, 3 label columns, 3-row header, other columns
    # blank; full-width digits; no check fails
    18: {"cms:trs", "template:2021", "cells:clean", "t3:label-cols-3", "t3:header-3", "t3:blank-columns",
         "num:fullwidth"},
    # Word export in a Hanweb page, GBK bytes declared as UTF-8, labels split across spans, one
    # label column with the group on the first member, table 3 cut by a page break, units 件/万元
    49: {"cells:word", "enc:gbk-declared-utf-8", "label:split", "t3:label-cols-1", "t3:one-col-prefix",
         "t3:split", "num:unit-万元"},
    # 2020 report printing the three 2021 (六) rows on a 2019-style table; column 其它; typo
    26: {"template:2021rows_on_2019", "t3:col-其它", "values:typo", "checks:fail"},
    # old table-layout portal, applicant columns blank (／ / — empty), table 3 split with the
    # header repeated and merged label cells restarted, published late
    74: {"cms:table_layout", "t3:blank-columns", "t3:split+header", "t3:split-restarted-merge",
         "published:late", "template:2019"},
}


def _eq(e, g) -> bool:
    if e is None or g is None:
        return e is g
    return isinstance(g, (int, float)) and abs(e - g) < 1e-9


def _table_diff(name: str, expected, got, tolerate_null_rows: bool) -> list[str]:
    if expected is None or got is None:
        return [] if expected is got else [f"{name}: expected {expected!r}, got {got!r}"]
    out = []
    for row in list(expected) + [r for r in got if r not in expected]:
        e_row, g_row = expected.get(row), got.get(row)
        if tolerate_null_rows:  # a row neither printed nor returned, or returned all-null: same data
            e_row = e_row if e_row is not None else {c: None for c in (g_row or {})}
            g_row = g_row if g_row is not None else {c: None for c in e_row}
        if e_row is None or g_row is None:
            out.append(f"{name}.{row}: expected {e_row!r}, got {g_row!r}")
            continue
        for col in list(e_row) + [c for c in g_row if c not in e_row]:
            e, g = e_row.get(col, "<absent>"), g_row.get(col, "<absent>")
            if e == "<absent>" or g == "<absent>" or not _eq(e, g):
                out.append(f"{name}.{row}.{col}: expected {e!r}, got {g!r}")
    return out


def case_errors(case) -> list[str]:
    try:
        report = parse_bytes(case.html, case.url)
    except ParseError as exc:
        return [f"ParseError: {exc}"]
    t = case.truth
    errors = []
    for key in ("template", "year", "agency", "title", "published"):
        if getattr(report, key) != t[key]:
            errors.append(f"{key}: expected {t[key]!r}, got {getattr(report, key)!r}")
    errors += _table_diff("table2", t["table2"], report.table2, tolerate_null_rows=False)
    errors += _table_diff("table3", t["table3"], report.table3, tolerate_null_rows=True)
    errors += _table_diff("table4", t["table4"], report.table4, tolerate_null_rows=False)
    failing = sorted({c.rule for c in report.checks if not c.ok})
    if failing != t["failing_rules"]:
        errors.append(f"failing rules: expected {t['failing_rules']}, got {failing}")
    return errors


def _fail_message(case, errors) -> str:
    head = f"seed {case.seed} ({', '.join(sorted(case.quirks))}): {len(errors)} difference(s)"
    return "\n".join([head] + errors[:60] + (["…"] if len(errors) > 60 else []))


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_layout(seed):
    case = generate(seed)
    errors = case_errors(case)
    assert not errors, _fail_message(case, errors)


@pytest.mark.parametrize("seed", sorted(SMOKE))
def test_smoke_seed(seed):
    case = generate(seed)
    missing = SMOKE[seed] - case.quirks
    assert not missing, f"seed {seed} no longer exercises {sorted(missing)}: re-pick the smoke seeds"
    errors = case_errors(case)
    assert not errors, _fail_message(case, errors)


def test_generator_is_deterministic_and_varied():
    a, b = generate(123), generate(123)
    assert a.html == b.html and a.truth == b.truth
    seen = Counter(q for s in SEEDS for q in generate(s).quirks)
    for q in ("cms:trs", "cms:ucap", "cms:jcms", "cms:hanweb", "cms:table_layout", "cms:word_page",
              "enc:gbk", "enc:gbk-undeclared", "enc:utf-8", "template:2021", "template:2019",
              "template:2021rows_on_2019", "cells:word", "label:split", "t3:label-cols-1",
              "t3:label-cols-2", "t3:label-cols-3", "t3:header-2", "t3:header-3", "t3:split",
              "t3:split+header", "t3:blank-columns", "t3:total-partial", "num:fullwidth",
              "num:thousands", "t4:header-2", "t4:header-3", "checks:fail", "published:late"):
        assert seen[q] >= 2, f"quirk {q} occurs in {seen[q]} of {len(SEEDS)} seeds"


# --------------------------------------------------------------------------- pass rate by quirk
def pass_rates(n: int) -> None:
    total, failed = Counter(), Counter()
    field_fail = Counter()
    for seed in range(n):
        case = generate(seed)
        errors = case_errors(case)
        for q in case.quirks | {"ALL"}:
            total[q] += 1
            failed[q] += bool(errors)
        for e in errors:
            field_fail[e.split(":")[0].rsplit(".", 1)[0] if e.startswith("table") else e.split(":")[0]] += 1
    print(f"{'quirk':34} pass/total")
    for q in sorted(total, key=lambda q: (failed[q] / total[q], q)):
        print(f"{q:34} {total[q] - failed[q]:4}/{total[q]:<4} {100 * (total[q] - failed[q]) / total[q]:5.1f}%")
    print("\nwrong fields (count of wrong cells/fields):")
    for k, v in field_fail.most_common(30):
        print(f"  {k:40} {v}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--seed":
        c = generate(int(sys.argv[2]))
        pathlib.Path(f"/tmp/layout_{c.seed}.html").write_bytes(c.html)
        print(_fail_message(c, case_errors(c)))
    else:
        pass_rates(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
