"""Is the parser's doubt where its mistakes are? Corpora with known truth, clean and damaged.

A report whose checks fail *because of the parser* (rules failing that do not fail in the
truth) must never be marked sure (`needs_review` False); a report read exactly, whose checks
agree with the truth, should not be doubted either (a badge that is always on means nothing).

Corpora: the generated layouts (tests/layouts, truth decided by the generator), each also in
damaged variants made on the extracted Document (the damage and what it does to the truth
are below), plus the seeds and the hand-read real/HTML fixtures (clean only).

    python tests/doubt_corpus.py [N]    # rates over generated seeds 0..N-1, every variant
"""
from __future__ import annotations

import copy
import json
import pathlib
import random
import sys
from collections import Counter
from dataclasses import dataclass

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from layouts import generate  # noqa: E402

from parsers import ParseError  # noqa: E402
from parsers.extract import extract  # noqa: E402
from parsers.normalise import fold, is_value, parse_cell  # noqa: E402
from parsers.report import build_report  # noqa: E402

_HEADER_WORDS = {"自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "法人或其他组织", "申请人情况"}


def _is_t3_grid(grid) -> bool:
    return any("本年新收" in (c or "") or "结转下年" in (c or "") for row in grid for c in row)


def _figures(row) -> int:
    return sum(1 for c in row if c and is_value(c) and parse_cell(c) is not None)


# --- damage: each takes a Document (copied) and a Random, returns a name or None if not applicable

def no_header(doc, rng):
    """The table-3 column header lost (pasted as a picture, or never typed)."""
    hit = False
    for grid in doc.tables:
        if _is_t3_grid(grid):
            keep = [r for r in grid if not any(fold(c or "") in _HEADER_WORDS for c in r)]
            hit |= len(keep) != len(grid)
            grid[:] = keep
    return hit


def cell_dropped(doc, rng):
    """One figure cell of a table-3 row lost by a bad conversion: the rest of the row shifts."""
    rows = [r for g in doc.tables if _is_t3_grid(g) for r in g if _figures(r) >= 3]
    if not rows:
        return False
    row = rng.choice(rows)
    idx = [i for i, c in enumerate(row) if c and is_value(c) and parse_cell(c) is not None]
    del row[rng.choice(idx)]
    return True


def cut_short(doc, rng):
    """Table 3 cut after a random row (a download or a page lost): its tail never arrives."""
    for gi, grid in enumerate(doc.tables):
        if _is_t3_grid(grid):
            body = [i for i, r in enumerate(grid) if _figures(r)]
            if len(body) < 6:
                return False
            cut = rng.choice(body[2:-2])
            grid[:] = grid[:cut]
            del doc.tables[gi + 1:]
            return True
    return False


def label_typos(doc, rng):
    """A character dropped from three row labels of table 3 (the figures are untouched)."""
    rows = [r for g in doc.tables if _is_t3_grid(g) for r in g if _figures(r)]
    hit = False
    for row in rng.sample(rows, min(3, len(rows))):
        i = max((k for k, c in enumerate(row) if c and not is_value(c)), default=None)
        if i is not None and len(row[i]) > 4:
            k = rng.randrange(2, len(row[i]))
            row[i] = row[i][:k] + row[i][k + 1:]
            hit = True
    return hit


def t4_cell_dropped(doc, rng):
    """One figure of table 4's row of fifteen lost."""
    for grid in reversed(doc.tables):
        for row in grid:
            if _figures(row) >= 15 and not any(c and not is_value(c) for c in row):
                idx = [i for i, c in enumerate(row) if c and parse_cell(c) is not None]
                del row[rng.choice(idx)]
                return True
    return False


DAMAGES = {"no_header": no_header, "cell_dropped": cell_dropped, "cut_short": cut_short,
           "label_typos": label_typos, "t4_cell_dropped": t4_cell_dropped}


@dataclass
class Outcome:
    corpus: str
    name: str
    exact: bool  # every table cell as the truth (for damaged data: as the undamaged truth)
    parser_failures: bool  # checks failing that do not fail in the truth
    needs_review: bool
    doubts: list


def _tables_equal(expected, got) -> bool:
    if expected is None or got is None:
        return expected is got
    for row in set(expected) | set(got):
        e, g = expected.get(row), got.get(row)
        if e is None and g is not None and all(v is None for v in g.values()):
            continue
        if g is None and e is not None and all(v is None for v in e.values()):
            continue
        if e is None or g is None:
            return False
        for col in set(e) | set(g):
            a, b = e.get(col, "<absent>"), g.get(col, "<absent>")
            if a is None or b is None:
                if a is not b:
                    return False
            elif a == "<absent>" or b == "<absent>" or abs(a - b) > 1e-9:
                return False
    return True


def _outcome(corpus, name, report, truth) -> Outcome:
    failing = {c.rule for c in report.checks if not c.ok and c.rule != "published_on_time"}
    truth_failing = set(truth["failing_rules"]) - {"published_on_time"}
    exact = all(_tables_equal(truth.get(t), getattr(report, t)) for t in ("table2", "table3", "table4"))
    return Outcome(corpus, name, exact, bool(failing - truth_failing), report.needs_review,
                   [(d.kind, d.where) for d in report.doubts])


def generated(seeds, damages=tuple(DAMAGES)):
    """Outcomes of every seed, clean and in each damaged variant that applies to it."""
    for seed in seeds:
        case = generate(seed)
        try:
            doc = extract(case.html, case.url)
        except ParseError:
            continue
        yield _outcome("generated", f"seed {seed}", build_report(copy.deepcopy(doc)), case.truth)
        for dname in damages:
            d = copy.deepcopy(doc)
            if not DAMAGES[dname](d, random.Random(seed)):
                continue
            try:
                report = build_report(d)
            except ParseError:
                continue
            yield _outcome(f"damaged:{dname}", f"seed {seed}", report, case.truth)


def fixtures():
    """The hand-read fixtures: real portal pages and synthetic HTML (truth in *.expected.json)."""
    import parsers

    root = pathlib.Path(__file__).parent / "fixtures"
    for exp in sorted(list((root / "real").glob("*.expected.json")) + list((root / "html").glob("*.expected.json"))):
        expected = json.loads(exp.read_text(encoding="utf-8"))
        if expected.get("not_a_report"):
            continue
        src = exp.with_name(expected.get("source_file") or exp.name.replace(".expected.json", ".html"))
        report = parsers.parse_bytes(src.read_bytes(), url=expected["url"])
        yield _outcome(f"fixture:{exp.parent.name}", exp.name, report, expected)


def rates(outcomes) -> dict[str, Counter]:
    by: dict[str, Counter] = {}
    for o in outcomes:
        for key in (o.corpus, "ALL"):
            c = by.setdefault(key, Counter())
            c["reports"] += 1
            c["parser_failures"] += o.parser_failures
            c["parser_failures_unflagged"] += o.parser_failures and not o.needs_review
            c["exact_clean"] += o.exact and not o.parser_failures
            c["false_alarms"] += o.exact and not o.parser_failures and o.needs_review
            c["inexact"] += not o.exact
            c["inexact_flagged"] += (not o.exact) and o.needs_review
    return by


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    outs = list(fixtures()) + list(generated(range(n)))
    print(f"{'corpus':24} reports  parser-caused check failures (unflagged)  exact: doubted/all  inexact: flagged/all")
    for corpus, c in sorted(rates(outs).items()):
        print(f"{corpus:24} {c['reports']:7}  {c['parser_failures']:10} ({c['parser_failures_unflagged']})"
              f"{'':22}{c['false_alarms']:5}/{c['exact_clean']:<5}      {c['inexact_flagged']:5}/{c['inexact']}")
    for o in outs:
        if o.parser_failures and not o.needs_review:
            print("UNFLAGGED", o.corpus, o.name)
        elif o.exact and not o.parser_failures and o.needs_review:
            print("FALSE ALARM", o.corpus, o.name, o.doubts)
