"""Chinese full-text search through Datasette's own `_search`: character bigrams.

Design (see archive/README.md):

* The index `reports_fts` is a contentless FTS5 table with the stock `unicode61` tokenizer, whose
  rowid is `reports.id`. What goes into it is not the raw text but the text *pre-split* by
  `bigram_text()`: every run of Han characters becomes its overlapping 2-character words plus its
  last character (平潭综合实验区 → 平潭 潭综 综合 合实 实验 验区 区). Everything else (Latin
  words, digits) is left to unicode61 as usual; Chinese punctuation separates tokens.
* A query is split the same way by `bigram_query()` into an FTS5 phrase of consecutive bigrams:
  平潭 → "平潭"; 教育局 → "教育 育局"; 2021年度 → "2021 年度"; one character 教 → "教"*
  (prefix: every occurrence of a character starts a bigram or is a run's last character).
* Datasette builds `_search` as `match escape_fts(:search)`. The plugin
  (archive/datasette_plugin.py) registers its own `escape_fts` on the archive's connections,
  after Datasette's, so the table page's ordinary search box, `?_search=` and
  `?_search_title=` all go through `bigram_query()`, while the box keeps showing what the
  person typed.

Why not trigram: SQLite 3.51's trigram tokenizer answers 3+ characters from the index but
2-character words (平潭, 教育: the commonest Chinese words) only through a full LIKE scan.
"""
from __future__ import annotations

import re
import sys
from array import array

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_RUN_RE = re.compile(f"([{_HAN}]+)|([^{_HAN}]+)")
_QUERY_BITS_RE = re.compile(r'\s+|(".*?")')
_HAN_SPLIT_RE = re.compile(f"([{_HAN}]+)")
_STRADDLE_RE = re.compile("\0 \0[^ ] ")  # bigram_text(): the pair across two runs, and the space after it
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"  # the machine's order, as array's
_UTF32_SPACE = " ".encode(_UTF32)
_U32 = next(t for t in "IL" if array(t).itemsize == 4)  # an array typecode of 4-byte items


def _split(text: str) -> list[tuple[bool, str]]:
    return [(bool(m.group(1)), m.group(0)) for m in _RUN_RE.finditer(text)]


def _run_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]


def bigram_text(text: str | None) -> str:
    """Text as it is indexed: Han runs → overlapping bigrams + last character; rest unchanged.

    The same string as joining `_run_tokens()` of every `_split()` piece with spaces, built with
    no Python step per run or per character (the archive writer runs this on every report, with
    a few thousand Han runs each): the runs are joined by NUL into one NUL-terminated string J,
    then "J[i] J[i+1] space" is laid out for every i by strided copies of J's UTF-32 code units:
    平潭综 + 合实 → "平潭 潭综 综<NUL> <NUL>合 合实 实<NUL>". Cutting every "<NUL> <NUL>X " (the
    pair straddling two runs) down to one NUL leaves each run's tokens, NUL-separated."""
    if not text:
        return ""
    pieces = _HAN_SPLIT_RE.split(text)  # [other, han, other, han, …, other]; only the ends may be ""
    runs = pieces[1::2]
    if not runs:
        return text
    joined = array(_U32, ("\0".join(runs) + "\0").encode(_UTF32))
    n = len(joined) - 1
    laid = array(_U32, _UTF32_SPACE) * (3 * n)
    laid[0::3] = joined[:-1]
    laid[1::3] = joined[1:]
    tokens = _STRADDLE_RE.sub("\0", laid.tobytes().decode(_UTF32)[:-1]).split("\0")
    tokens.pop()  # after the last run's final NUL
    pieces[1::2] = tokens
    if not pieces[-1]:
        pieces.pop()
    if pieces and not pieces[0]:
        del pieces[0]
    return " ".join(pieces)


_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def _term_phrase(term: str) -> str | None:
    """One search term (no white space) → one FTS5 phrase (or prefix phrase)."""
    tokens: list[str] = []
    pieces = _split(term.replace('"', " "))
    prefix = False
    for i, (is_han, piece) in enumerate(pieces):
        last = i == len(pieces) - 1
        if is_han:
            run = _run_tokens(piece)
            if last:
                if len(piece) == 1:
                    prefix = True  # a lone final character: any bigram starting with it, or itself
                else:
                    run = run[:-1]  # the document's run may go on past the query's end
            tokens.extend(run)
        else:
            # what unicode61 would make of it: words of letters/digits; punctuation separates
            toks = [t for t in _TOKEN_RE.findall(piece) if t != "_"]
            tokens.extend(t.replace("_", " ") for t in toks)
    tokens = [t for t in " ".join(tokens).split() if t]
    if not tokens:
        return None
    phrase = '"' + " ".join(tokens) + '"'
    return phrase + "*" if prefix else phrase


def bigram_query(query: str | None) -> str:
    """What a person typed → an FTS5 query over the bigram index (terms ANDed).

    White space separates terms; a "quoted phrase" is one term. Never raises on odd input:
    FTS5 operators and quotes are neutralised, as Datasette's own escape_fts does.
    """
    if not query:
        return '""'
    if query.count('"') % 2:
        query += '"'
    phrases = []
    for bit in _QUERY_BITS_RE.split(query):
        if not bit or bit == '""':
            continue
        p = _term_phrase(bit.strip('"'))
        if p:
            phrases.append(p)
    return " ".join(phrases) if phrases else '""'


def index_report(conn, report_id: int, title: str | None, agency: str | None, text: str | None) -> None:
    conn.execute(
        "INSERT INTO reports_fts (rowid, title, agency, text) VALUES (?, ?, ?, ?)",
        (report_id, bigram_text(title), bigram_text(agency), bigram_text(text)),
    )


def search_ids(conn, query: str, limit: int = 100) -> list[int]:
    """The rowids (reports.id) matching `query`, for code and tests outside Datasette."""
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? LIMIT ?", (bigram_query(query), limit)
    )]
