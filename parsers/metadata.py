"""Report metadata: title, the year reported on, agency, publication date, agency kind."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Iterator, Optional

from parsers.classify import is_report_title

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}

# A title names a body, a year and the report: 新前街道2020年度政府信息公开年度报告.
_TITLE = re.compile(
    r"(?P<agency>[\u4e00-\u9fa5（）()·]{2,40}?)\s*(?:关于)?\s*(?P<year>(?:19|20)\d{2})\s*年\s*(?:度)?\s*"
    r"(?:的)?\s*(?:政府)?信息公开\s*(?:工作)?\s*(?:的)?\s*(?:年度)?\s*(?:报告|年报)")
# 2022年度长春市教育局政府信息公开工作年度报告: the year first
_TITLE_YEAR_FIRST = re.compile(
    r"^\s*(?P<year>(?:19|20)\d{2})\s*年\s*(?:度)?\s*(?P<agency>[\u4e00-\u9fa5（）()·]{2,40}?)\s*"
    r"(?:政府)?信息公开\s*(?:工作)?\s*(?:的)?\s*(?:年度)?\s*(?:报告|年报)")
_TITLE_NO_AGENCY = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?:[\u4e00-\u9fa5（）()·]{2,40}?)?(?:政府)?信息公开\s*(?:工作)?\s*(?:的)?\s*"
    r"(?:年度)?\s*(?:报告|年报)")
_PUBLISH_SENTENCE = re.compile(r"(?:现|特)?(?:公布|发布|编制|形成)(?:了)?(?P<agency>[\u4e00-\u9fa5（）()]{2,40}?)"
                               r"(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?:政府)?信息公开\s*(?:工作)?\s*年度报告")
_PERIOD = re.compile(r"统计期限?(?:为|自|是)?\s*(?P<year>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_FIRST_SENTENCE = re.compile(
    r"^\s*(?P<year>(?:19|20)\d{2})\s*年(?:度)?\s*[,，、]?\s*(?:在[^,，。]{2,30}?下\s*[,，]\s*)?"
    r"(?P<agency>[\u4e00-\u9fa5]{2,30}?)(?:认真|坚持|深入|全面|严格|始终|按照|紧紧|紧密|围绕|持续|进一步|以|在|积极|扎实|高度|切实|不断|继续|聚焦|根据|依据|贯彻)")
_AGENCY_SUFFIX = re.compile(
    r"(人民政府|政府办公室|办公厅|办公室|委员会|管委会|管理委员会|局|厅|委|办|署|院|中心|街道办事处|街道|镇|乡|"
    r"苏木|区|县|市|州|盟|旗|省|自治区|公司|所|站|队|会)$")
_SOURCE_LINE = re.compile(r"(?:来源|发布机构|信息来源|发文机关)\s*[:：]\s*([\u4e00-\u9fa5（）()]{2,40})")
_DATE_LINE = re.compile(r"(?:发布日期|发布时间|公开日期|公开时间|成文日期|(?:^|(?<=[\s|【\[]))(?:日期|时间))"
                        r"\s*[:：]?\s*\|?\s*"
                        r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})", re.M)
_CN_DATE = re.compile(r"^\s*(?P<y>(?:19|20)\d{2}|二[〇○零O0][一二三四五六七八九〇○零O0]{2})\s*年\s*"
                      r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日\s*$")
# 本报告由漳州市人民政府办公室编制 / 本年度报告由…根据…编制
_COMPILED_BY = re.compile(r"(?:本|此)(?:年度)?报告(?:是)?由(?P<agency>[\u4e00-\u9fa5（）()]{2,40}?)"
                          r"(?:根据|依据|按照|依照|编制|制作|负责|汇总)")
# Relative names: 本市/我局/该县…, or a level word with no place before it (市政府办公室, 区教育局;
# 市场监督管理局 is a name). Bare level words: 市, 本区, 县政府, 市人民政府.
_RELATIVE = re.compile(r"^(?:本|我|该|全)|^(?:省|市(?!场)|区|县|州|旗|盟|镇|乡|街道)")
_BARE_LEVEL = re.compile(r"(?:本|我|该|全)?(?:省|市|区|县|州|旗|盟|镇|乡|街道|自治区|自治州|自治县)?"
                         r"(?:人民)?(?:政府)?(?:办公厅|办公室)?")
_SIGNATURE_NAME = re.compile(r"[\u4e00-\u9fa5（）()]{3,40}")
_ISO_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})")

# Bodies whose own report is a "level of government" report (due 31 March): 某某市/区/县 as a
# whole, or its 人民政府. Departments, 街道 and 乡镇 report by 31 January.
_GOVERNMENT = re.compile(r"(人民政府|[省市区县州盟旗]|自治区|自治州|自治县|新区|经济技术开发区|实验区|开发区)$")
_DEPARTMENT = re.compile(r"(局|厅|委员会|委|办公室|办|署|院|中心|街道办事处|街道|镇|乡|苏木|管委会|管理委员会|"
                         r"公司|所|站|队|会|部|处)$")


@dataclass
class Metadata:
    title: Optional[str]
    year: Optional[int]
    agency: Optional[str]
    published: Optional[str]
    agency_kind: Optional[str]


def _cn_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if len(s) == 4 or all(ch in _CN_DIGITS for ch in s) and len(s) > 2:
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    # 十一, 二十三, 十
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS[s]


def _iso(y: str, m: str, d: str) -> Optional[str]:
    try:
        return date(_cn_number(y), _cn_number(m), _cn_number(d)).isoformat()
    except (ValueError, KeyError):
        return None


def _clean_agency(name: str) -> str:
    name = re.sub(r"^(关于|现将|现|特|本|我|对|由)", "", name.strip())
    return name.strip("，,、 ")


def _title_candidates(lines: list[str], hints: list[str]) -> Iterator[str]:
    yield from hints
    head = [ln.strip() for ln in lines[:60]]
    yield from head
    # only when no line is a title by itself: one a PDF or a narrow page broke over two lines
    # (2025 年上海市人民政府办公厅政府信息公开 / 工作年度报告)
    for k in range(len(head) - 1):
        if not head[k].endswith(("。", "；", ";", "：", ":")) and len(head[k + 1]) <= 20:
            yield re.sub(r"(?<=\d)\s+(?=年)", "", head[k]) + head[k + 1]


def find_title(lines: list[str], hints: list[str]) -> Optional[str]:
    for cand in _title_candidates(lines, hints):
        c = unicodedata.normalize("NFKC", cand).strip()
        c = re.split(r"[_\-|｜—]{1,2}\s*[\u4e00-\u9fa5]*(?:网|政府|门户)", c)[0].strip()  # "<title>: 报告 - XX网"
        if len(c) > 80 and (m := _TITLE.search(c[:100_000])):
            c = c[m.start():m.end()]  # a title padded to 20,000 characters: its report title, not NULL
        if 6 <= len(c) <= 80 and (_TITLE.search(c) or _TITLE_YEAR_FIRST.search(c)) \
                and not c.startswith(("根据", "现", "按照")) and is_report_title(c):
            if _TITLE_YEAR_FIRST.search(c):
                return c
            m = _TITLE.search(c)
            return c[m.start():m.end()] if m.start() > 0 and len(c) - m.end() <= 2 else c
    return None


def find_year(title: Optional[str], text: str) -> Optional[int]:
    for pattern, source in ((_TITLE_NO_AGENCY, title or ""), (_PUBLISH_SENTENCE, text[:3000]),
                            (_TITLE_NO_AGENCY, text[:3000]), (_PERIOD, text), (_FIRST_SENTENCE, text[:3000])):
        for line in source.splitlines() or [source]:
            m = pattern.search(line) if pattern is not _FIRST_SENTENCE else pattern.match(line)
            if m:
                return int(m.group("year"))
    return None


def _relative(name: str) -> bool:
    """A name that says which body only relative to the reader: 本市, 我局, 市政府办公室, 区教育局.
    The report names itself in full elsewhere (title, opening sentence, signature) more often than not."""
    return bool(_RELATIVE.match(name))


def _fragment(name: str) -> bool:
    """Not a name at all: a bare level word (市, 本区, 县政府)."""
    return len(name) < 2 or bool(_BARE_LEVEL.fullmatch(name))


def _signatures(text: str) -> list[str]:
    """The signing body: the name on the line before the closing date (or on the date's own line)."""
    lines = [unicodedata.normalize("NFKC", ln).strip() for ln in text.splitlines()[-40:]]
    lines = [ln for ln in lines if ln]
    out = []
    for i, line in enumerate(lines):
        parts = line.split()
        if len(parts) >= 2 and _CN_DATE.match(parts[-1]):  # 漳州市人民政府办公室 2022年3月20日
            out.append(_clean_agency("".join(parts[:-1])))
        elif _CN_DATE.match(line) and i > 0:
            out.append(_clean_agency(lines[i - 1]))
    return [n for n in out if _SIGNATURE_NAME.fullmatch(n) and _AGENCY_SUFFIX.search(n)]


def agency_candidates(title: Optional[str], text: str, meta: dict[str, str]) -> list[str]:
    """Every name the report gives itself, in order of trust: title, 'publishes its report' sentence,
    the page's source, 本报告由…编制, the opening sentence, the signature."""
    out: list[str] = []
    for pattern in (_TITLE_YEAR_FIRST, _TITLE):
        if title and (m := pattern.search(title)):
            out.append(_clean_agency(m.group("agency")))
    head = text[:3000]
    if m := _PUBLISH_SENTENCE.search(head):
        out.append(_clean_agency(m.group("agency")))
    if meta.get("source", "").strip():
        out.append(meta["source"].strip())
    if m := _SOURCE_LINE.search(head):
        out.append(_clean_agency(m.group(1)))
    if m := _COMPILED_BY.search(head):
        out.append(_clean_agency(m.group("agency")))
    for line in head.splitlines():
        if m := _FIRST_SENTENCE.match(line):
            out.append(_clean_agency(m.group("agency")))
            break
    out += _signatures(text)
    return [n for n in dict.fromkeys(out) if _AGENCY_SUFFIX.search(n)]


def find_agency(title: Optional[str], text: str, meta: dict[str, str]) -> Optional[str]:
    """The body as the report names itself: the first full name; a relative one (市政府办公室) only
    when the report gives no other; never a fragment such as 市 (from 本市, 我市)."""
    names = [n for n in agency_candidates(title, text, meta) if not _fragment(n)]
    for name in names:
        if not _relative(name):
            return name
    return names[0] if names else None


def find_published(text: str, raw_text: str, meta: dict[str, str]) -> Optional[str]:
    if meta.get("pubdate"):
        if m := _ISO_DATE.search(meta["pubdate"]):
            if iso := _iso(m["y"], m["m"], m["d"]):
                return iso
    for source in (raw_text, text):
        if m := _DATE_LINE.search(source[:5000]):
            if iso := _iso(m["y"], m["m"], m["d"]):
                return iso
    # the signature date: the last full date standing alone on a line
    for line in reversed(text.splitlines()[-40:]):
        if m := _CN_DATE.match(unicodedata.normalize("NFKC", line)):
            if iso := _iso(m["y"], m["m"], m["d"]):
                return iso
    return None


def agency_kind(agency: Optional[str]) -> Optional[str]:
    if not agency:
        return None
    if _DEPARTMENT.search(agency) and not agency.endswith("人民政府"):
        return "department"
    if _GOVERNMENT.search(agency):
        return "government"
    return None


def read_metadata(text: str, raw_text: str, meta: dict[str, str], title_hints: list[str]) -> Metadata:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    title = find_title(lines, [h for h in title_hints if h])
    if title is None and meta.get("title") and _TITLE_NO_AGENCY.search(meta["title"]) \
            and is_report_title(meta["title"]):
        title = meta["title"].strip()
    if title is None and (m := _PUBLISH_SENTENCE.search(text[:3000])):
        # "现公布望花区2017年政府信息公开工作年度报告": the report names itself
        title = m.group(0)[m.start("agency") - m.start():].strip()
    year = find_year(title, text)
    agency = find_agency(title, text, meta)
    published = find_published(text, raw_text, meta)
    return Metadata(title=title, year=year, agency=agency, published=published,
                    agency_kind=agency_kind(agency))
