"""Where a report comes from: province, city, county and the 6-digit division code (行政区划代码).

Evidence, most to least specific, all resolved against cpca's division table (cpca ships the
national 行政区划代码 list; no place names are written by hand here):

* the agency's name, read by cpca *inside the region already known* (from the site code, the
  portal's own region, or the ICP prefix), so 鼓楼区教育局 on a 福建省 portal is 福州市鼓楼区
  (350102), not 开封市鼓楼区; a county named by its stem (平潭综合实验区 → 平潭县) is found the
  same way, within the known region only;
* the 政府网站标识码: its first 6 (or 4, or 2) digits are a division code (2109000022 → 210900 阜新市);
* the 公网安备 number: its first 6 digits are the county where the site was filed
  (蒙公网安备15070202000009号 → 150702 海拉尔区);
* the ICP prefix: 辽ICP备 → 辽宁省 (the 31 one-character province abbreviations are the only table here).

Evidence that contradicts what is already known is ignored and reported in `source`.
"""
from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from typing import Optional

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # cpca imports pkg_resources, which warns on import
    import cpca

# 省级行政区的简称 as used in ICP and 公网安备 numbers → 2-digit province code.
PROVINCE_ABBR = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37", "豫": "41",
    "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46", "渝": "50", "川": "51", "蜀": "51",
    "贵": "52", "黔": "52", "云": "53", "滇": "53", "藏": "54", "陕": "61", "秦": "61", "甘": "62",
    "陇": "62", "青": "63", "宁": "64", "新": "65",
}
MUNICIPALITIES = {"11", "12", "31", "50"}
_PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_COUNTY_SUFFIX_RE = re.compile(r"(自治县|自治旗|新区|林区|特区|县|区|市|旗)$")


@dataclass
class Region:
    province: Optional[str] = None
    city: Optional[str] = None
    county: Optional[str] = None
    code: Optional[str] = None  # 6 digits, e.g. 210900
    source: str = ""  # which evidence decided, e.g. "agency+site_code"

    def as_columns(self) -> dict:
        return {"province": self.province, "city": self.city, "county": self.county,
                "region_code": self.code, "region_source": self.source or None}


def _name(code6: str) -> Optional[str]:
    info = cpca.ad_2_addr_dict.get(code6.ljust(12, "0"))
    return info.name if info else None


def _valid(code6: str) -> bool:
    return bool(code6) and len(code6) == 6 and code6.isdigit() and _name(code6) is not None


def _rank(code6: str) -> int:
    """0 province, 1 city, 2 county."""
    if code6.endswith("0000"):
        return 0
    if code6.endswith("00"):
        return 1
    return 2


def _belongs(child: str, parent: str) -> bool:
    r = _rank(parent)
    return child[: (r + 1) * 2] == parent[: (r + 1) * 2]


def region_from_code(code6: Optional[str], source: str = "") -> Region:
    if not code6 or not _valid(code6):
        return Region(source=source)
    prov = _name(code6[:2] + "0000")
    city = county = None
    rank = _rank(code6)
    if rank >= 1:
        city = _name(code6[:4] + "00")
        if city in _PLACEHOLDER_CITIES:
            city = prov if code6[:2] in MUNICIPALITIES else None
    if rank == 2:
        county = _name(code6)
    if code6[:2] in MUNICIPALITIES and rank == 0:
        city = prov
    return Region(prov, city, county, code6, source)


def code_from_site_code(site_code: Optional[str]) -> Optional[str]:
    """政府网站标识码 → division code: first 6 digits if they name a division, else 4, else 2."""
    if not site_code:
        return None
    digits = re.sub(r"\D", "", str(site_code))
    if len(digits) < 2 or not str(site_code).strip()[:1].isdigit():
        return None  # e.g. bm… codes of central departments
    for cand in (digits[:6], digits[:4] + "00", digits[:2] + "0000"):
        if len(cand) == 6 and _valid(cand):
            return cand
    return None


def code_from_police_record(record: Optional[str]) -> Optional[str]:
    """蒙公网安备15070202000009号 → 150702 (the first 6 digits name the county)."""
    if not record:
        return None
    m = re.search(r"(\d{6})\d*", str(record))
    if not m:
        return None
    code = m.group(1)
    for cand in (code, code[:4] + "00", code[:2] + "0000"):
        if _valid(cand):
            return cand
    return None


def code_from_icp(icp: Optional[str]) -> Optional[str]:
    """辽ICP备19010590号 → 210000."""
    if not icp:
        return None
    m = re.match(r"\s*([\u4e00-\u9fff])\s*ICP", str(icp), re.I)
    if not m or m.group(1) not in PROVINCE_ABBR:
        return None
    return PROVINCE_ABBR[m.group(1)] + "0000"


@functools.lru_cache(maxsize=65536)
def _cpca_code(text: str) -> Optional[str]:
    if not text:
        return None
    # cpca's per-string matcher, the one `cpca.transform` runs for each row: the same answer
    # without building a pandas DataFrame (pandas costs the crawl process ~50 MB).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = cpca._get_one_addr(text, False, {})
    code = record.get("adcode")
    return str(code)[:6] if isinstance(code, str) and code else None


def _context_text(code6: str) -> str:
    r = region_from_code(code6)
    parts = [r.province]
    if r.city and r.city != r.province:
        parts.append(r.city)
    if r.county:
        parts.append(r.county)
    return "".join(p for p in parts if p)


@functools.lru_cache(maxsize=1)
def _county_stems() -> dict[str, list[str]]:
    stems: dict[str, list[str]] = {}
    for full, info in cpca.ad_2_addr_dict.items():
        code6 = full[:6]
        if _rank(code6) != 2 or info.name == "市辖区":
            continue
        stem = _COUNTY_SUFFIX_RE.sub("", info.name)
        if len(stem) >= 2:
            stems.setdefault(stem, []).append(code6)
    return stems


@functools.lru_cache(maxsize=1)
def _county_stem_automaton():
    import ahocorasick  # pyahocorasick: a dependency of cpca

    auto = ahocorasick.Automaton()
    for stem, codes in _county_stems().items():
        auto.add_word(stem, (stem, codes))
    auto.make_automaton()
    return auto


def code_from_name(agency: Optional[str], context: Optional[str] = None) -> Optional[str]:
    """The agency's name read by cpca, inside the `context` region (6-digit code) when known."""
    if not agency:
        return None
    if context:
        code = _cpca_code(_context_text(context) + agency)
        if code and _belongs(code, context) and _rank(code) > _rank(context):
            return code
        # a county named by its stem (平潭综合实验区 → 平潭县), only inside the known region
        hits = {c for _, (stem, codes) in _county_stem_automaton().iter(agency)
                for c in codes if _belongs(c, context)}
        if len(hits) == 1:
            return hits.pop()
        return code if code and _belongs(code, context) else None
    return _cpca_code(agency)


def _portal_code(portal_region: Optional[str]) -> Optional[str]:
    if not portal_region or portal_region in ("中央", "国务院"):
        return None
    return _cpca_code(portal_region)


def _names_its_city(agency: str, code6: str) -> bool:
    """The name spells out its prefecture (呼伦贝尔经济技术开发区 → 呼伦贝尔市), so it is no
    bare county name like 鼓楼区 that several provinces share."""
    city = region_from_code(code6[:4] + "00").city or ""
    stem = re.sub(r"(市|地区|盟|自治州)$", "", city)
    return len(stem) >= 2 and stem in agency


def derive_region(agency: Optional[str] = None, site_code: Optional[str] = None,
                  icp: Optional[str] = None, police_record: Optional[str] = None,
                  portal_region: Optional[str] = None) -> Region:
    """Combine all evidence into one Region (see module doc). Never raises on odd input."""
    site = code_from_site_code(site_code)
    police = code_from_police_record(police_record)
    portal = _portal_code(portal_region)
    icpc = code_from_icp(icp)
    # the region already known before reading the name: the most specific consistent code
    context = None
    used: list[str] = []
    for label, code in (("site_code", site), ("portal", portal), ("icp", icpc)):
        if not code:
            continue
        if context is None:
            context, used = code, [label]
        elif _belongs(code, context) and _rank(code) > _rank(context):
            context = code
            used.append(label)
        elif _belongs(context, code):
            used.append(label)
    own = _cpca_code(agency) if agency else None
    if own and context and _rank(own) >= 1 and not _belongs(own, context) and not _belongs(context, own) \
            and (own[:2] == context[:2] or _names_its_city(agency, own)):
        # The name itself names another city or county (大连市西岗区 on a site coded 阜新市; a
        # city named outright, 呼伦贝尔…, anywhere): a provincial portal or a shared site
        # template. The body's own name wins over the site's code.
        return region_from_code(own, "agency")
    name = code_from_name(agency, context)
    best = context
    if name and (best is None or (_belongs(name, best) and _rank(name) >= _rank(best))):
        if name != best:
            used.insert(0, "agency")
        best = name
    # The 公网安备 county refines only a body whose name names no place at all (新前街道,
    # 经济技术开发区): a name like 阜新市…局 is a city-level body even if its site was filed in a district.
    if police and (best is None or (_belongs(police, best) and _rank(police) > _rank(best))):
        if best is None or (name in (None, context) and not _cpca_code(agency or "")):
            best = police
            used.append("police_record")
    if best is None:
        return Region(source="")
    return region_from_code(best, "+".join(dict.fromkeys(used)))
