"""Where a report comes from: province, city, county and the 6-digit division code (行政区划代码).

Evidence, in this order, all resolved against cpca's division table (cpca ships the national
行政区划代码 list; the only hand-written tables are the ICP abbreviations and ZONES below):

* the agency's own name: the places it begins with (福建省 / 福州市 / 鼓楼区, a place named by its
  stem when a zone or division word follows: 平潭综合实验区 → 平潭县, 呼伦贝尔经济技术开发区 →
  呼伦贝尔市). A name that names its place decides, whatever site carries the report: a report
  carrying another region's site code is not counted into that region. A name several places
  share (鼓楼区: 福州, 南京, 徐州, 开封) is settled by the portal's region, then the site code, then
  the ICP province; a tie none of them settles stays at the division that holds all the candidates;
* where the name names no place (新前街道, 市教育局): the 政府网站标识码 (its first 6, 4 or 2 digits
  are a division code: 2109000022 → 210900 阜新市), the portal's registered region, the ICP prefix
  (辽ICP备 → 辽宁省), refined by the 公网安备 number (first 6 digits = the county where the site
  was filed: 蒙公网安备15070202000009号 → 150702 海拉尔区).

`Region.source` records which evidence decided.
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


# Zones and development areas whose names carry no place name of the division table: the city
# (or province) that holds them. Zones named after their place (平潭综合实验区, 呼伦贝尔经济技术开发区,
# 苏州工业园区, 福州新区) need no entry: their place is read from the name.
ZONES = {
    "雄安新区": "130600",        # 保定市 (雄县, 容城县, 安新县)
    "两江新区": "500000",        # 重庆市
    "天府新区": "510100",        # 成都市 (with parts of 眉山市; administered by 成都)
    "贵安新区": "520000",        # 贵阳市 and 安顺市: the province
    "西咸新区": "610100",        # administered by 西安市 since 2017
    "金普新区": "210200",        # 大连市 (金州区, 普兰店区)
    "滇中新区": "530100",        # 昆明市
    "湘江新区": "430100",        # 长沙市
    "赣江新区": "360000",        # 南昌市 and 九江市: the province
    "东湖新技术开发区": "420100",  # 武汉市 (东湖 is also a district of 南昌)
    "横琴粤澳深度合作区": "440400",  # 珠海市
    "前海深港现代服务业合作区": "440300",  # 深圳市
}
# What may follow a place named by its stem alone (平潭综合实验区, 福州新区, 长乐区 for the table's 长乐市):
# a zone, or the division word itself. Anything else (公安局 after 公安, 资源局 after 自然资源) is no place.
_ZONE_WORD = re.compile(
    r"(综合实验区|综合试验区|经济技术开发区|经济开发区|高新技术产业开发区|高新技术产业园区|高新技术开发区|高新区|"
    r"新技术开发区|开发区|新区|工业园区|产业园区|园区|保税区|自由贸易试验区|自贸区|试验区|实验区|示范区|合作区|"
    r"管理区|度假区|风景名胜区|风景区|地区|自治州|自治县|自治旗|林区|区|县|市|旗|盟)")
# National bodies and party organs that put their own name before the place (国家税务总局福州市税务局).
# 中国（上海）自由贸易试验区: the place in brackets.
_NAME_PREFIX = re.compile(r"^(中共|中国共产党|共青团|国家税务总局|国家金融监督管理总局|中国人民银行|国家统计局|"
                          r"国家外汇管理局|中国银行保险监督管理委员会|中国证券监督管理委员会|中国[（(])")


@functools.lru_cache(maxsize=1)
def _place_names() -> tuple[dict[str, frozenset], dict[str, frozenset]]:
    """(full names, stems) → the division codes they name, from cpca's table (+ ZONES as full names)."""
    full: dict[str, set] = {}
    stems: dict[str, set] = {}
    for key, info in cpca.ad_2_addr_dict.items():
        code6 = key[:6]
        if info.name in _PLACEHOLDER_CITIES or not _valid(code6):
            continue
        full.setdefault(info.name, set()).add(code6)
        stem = re.sub(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市|地区|盟|自治州|"
                      r"自治县|自治旗|新区|林区|特区|县|区|旗)$", "", info.name)
        if stem != info.name and len(stem) >= 2:
            stems.setdefault(stem, set()).add(code6)
    for name, code6 in ZONES.items():
        full.setdefault(name, set()).add(code6)
    return ({k: frozenset(v) for k, v in full.items()}, {k: frozenset(v) for k, v in stems.items()})


def _places_at(name: str, i: int) -> list[tuple[int, frozenset]]:
    """Place names starting at name[i], longest first: (end, codes)."""
    full, stems = _place_names()
    out = []
    for j in range(min(len(name), i + 16), i + 1, -1):
        piece = name[i:j]
        if piece in full:
            out.append((j, full[piece]))
        elif piece in stems:
            # a bare stem names the larger place first: 西安 is 西安市 before the 西安区 of 辽源
            codes = frozenset(c for c in stems[piece] if _rank(c) <= 1) or stems[piece]
            if _stem_counts(name, i, j, codes):
                out.append((j, codes))
    return out


def _stem_counts(name: str, i: int, j: int, codes: frozenset) -> bool:
    """A place named by its stem only: a province's or a city's at the start of the name (福建…,
    南平教育局), unless a school follows; any stem when a zone or division word follows
    (平潭综合实验区, 长乐区 for the table's 长乐市) or another place does (南京江北新区)."""
    rest = name[j:]
    if _ZONE_WORD.match(rest):
        return True
    if i == 0 and all(_rank(c) <= 1 for c in codes) and not re.match(r"(大学|学院|职业|师范|医科|理工)", rest):
        return True
    full, stems = _place_names()
    for k in range(min(len(name), j + 16), j + 1, -1):
        piece = name[j:k]
        if piece in full or (piece in stems and _ZONE_WORD.match(name[k:])):
            return True
    return False


def _deepest_common(codes) -> Optional[str]:
    """The most specific division holding every code (None when they span provinces)."""
    codes = list(codes)
    if not codes:
        return None
    for rank in (2, 1, 0):
        keep = (rank + 1) * 2
        heads = {c[:keep] for c in codes}
        if len(heads) == 1:
            cand = next(iter(heads)).ljust(6, "0")
            if _valid(cand) and all(_rank(c) >= rank for c in codes):
                return cand
    return None


def places_in_name(agency: Optional[str]) -> list[frozenset]:
    """The chain of places an agency's name begins with (福建省 / 福州市 / 鼓楼区 / …), each as the set
    of division codes that name could be, each set narrowed to the places inside the one before."""
    if not agency:
        return []
    name = re.sub(r"\s+", "", str(agency))
    name = _NAME_PREFIX.sub("", name)
    chain: list[frozenset] = []
    i = 0
    while i < len(name):
        step = None
        for end, codes in _places_at(name, i):
            if chain:
                # inside the place before; the same place named again (福州市…福州) is no step
                inside = frozenset(c for c in codes if any(_belongs(c, p) and c != p for p in chain[-1]))
                if not inside:
                    continue
                codes = inside
            step = (end, codes)
            break
        if step is None:
            break
        i, codes = step
        if chain:
            # narrow the place before to those that hold this one (鼓楼区 after 福州市; 吉林 before 船营区)
            chain[-1] = frozenset(p for p in chain[-1] if any(_belongs(c, p) for c in codes))
        chain.append(codes)
    return chain


def code_from_name(agency: Optional[str], hints: tuple = ()) -> tuple[Optional[str], Optional[str], bool]:
    """(code, hint used, exact) of the place the agency's own name names; (None, None, False) if none.

    A name shared by several places (鼓楼区: 福州, 南京, 徐州, 开封) is settled by the first hint
    (division codes: the portal's region, the site code, the ICP province) that leaves exactly one;
    a tie no hint settles gives the division holding all of them (江苏省 for 鼓楼区 on a 苏ICP site),
    or nothing when they lie in different provinces."""
    chain = places_in_name(agency)
    if not chain:
        return None, None, False
    last = chain[-1]
    if len(last) == 1:
        return next(iter(last)), None, True
    for label, hint in hints:
        if not hint:
            continue
        inside = [c for c in last if _belongs(c, hint) or _belongs(hint, c)]
        if len(inside) == 1:
            return inside[0], label, True
        if inside:
            last = frozenset(inside)
    return _deepest_common(last), None, False


def _portal_code(portal_region: Optional[str]) -> Optional[str]:
    if not portal_region or portal_region in ("中央", "国务院"):
        return None
    return _cpca_code(portal_region)


def derive_region(agency: Optional[str] = None, site_code: Optional[str] = None,
                  icp: Optional[str] = None, police_record: Optional[str] = None,
                  portal_region: Optional[str] = None) -> Region:
    """Combine all evidence into one Region (see module doc). Never raises on odd input.

    The agency's own name first: a body that names its place (平潭综合实验区, 上海市人民政府办公厅,
    沭阳县发展和改革局) is filed there, whatever site carries its report; the portal's region, then
    the site code, then the ICP prefix only break ties between places of one name. The site code,
    portal and ICP decide only where the name names no place (新前街道, 市教育局), and the 公网安备
    county then refines them."""
    site = code_from_site_code(site_code)
    police = code_from_police_record(police_record)
    portal = _portal_code(portal_region)
    icpc = code_from_icp(icp)
    named, tie, exact = code_from_name(agency, (("portal", portal), ("site_code", site), ("icp", icpc)))
    if named and exact:
        return region_from_code(named, "agency" + (f"+{tie}" if tie else ""))
    # the region known from the site: the most specific consistent code
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
    if named:
        # a name several places share, narrowed to the division holding them all (江苏省 for 鼓楼区):
        # the site's region refines it only from inside it
        if context and _belongs(context, named) and _rank(context) > _rank(named):
            return region_from_code(context, "agency+" + "+".join(used))
        return region_from_code(named, "agency")
    best = context
    # The 公网安备 county refines only a body whose name names no place (新前街道, 经济技术开发区).
    if police and (best is None or (_belongs(police, best) and _rank(police) > _rank(best))):
        best = police
        used.append("police_record")
    if best is None:
        return Region(source="")
    return region_from_code(best, "+".join(dict.fromkeys(used)))
