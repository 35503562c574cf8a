"""The portal registry: which government sites `nianbao crawl` visits without URLs.

Each entry of a registry file (TOML, `[[portal]]` tables; the bundled one is crawler/portals.toml,
built by crawler/registry/build.py from crawler/registry/evidence.tsv) names one publishing body:

    name        the body (人民政府, 局, 委员会, …)
    province    its province-level division (北京市 … 新疆维吾尔自治区), or 中央 for central bodies
    level       province | city | county | township | department
    start_urls  where a crawl starts: the annual-report column (政府信息公开年报), or the site's home
                page when the report URL seen says nothing about the column (JCMS /art/… pages), or
                the 政府信息公开 section / home page a portal URL seen shows (see `seen`)
    cms         the CMS family, when the URL shows it (TRS WCM, Hanweb JCMS, gkmlpt, …)
    seen        the report URL the entry rests on, as found in public evidence (for a provincial
                government whose report was not seen on its own host: a URL of its portal)
    source      where that URL was seen (a stored public web page, a public repository, …)
    region      what the archive records as the portal's region (default: the province)
    js_listing  render the report listings with Chromium from the start

`load_registry` checks every entry and names the file and the entry at the first problem.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

BUNDLED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "portals.toml")
LEVELS = ("province", "city", "county", "township", "department")
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区", "中央",
)
_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file and the entry."""


@dataclass
class Portal:
    name: str
    province: str
    level: str
    start_urls: list[str]
    seen: str = ""
    source: str = ""
    cms: str | None = None
    region: str | None = None
    notes: str | None = None
    js_listing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_entry(self) -> dict[str, Any]:
        """The dict the spider reads (crawler.spiders.reports.load_portals' keys)."""
        d = {k: v for k, v in dataclasses.asdict(self).items() if k != "extra" and v not in (None, "", False)}
        d.setdefault("region", self.province)
        return {**self.extra, **d}


def province_name(text: str) -> str | None:
    """福建, 福建省 → 福建省; 内蒙古 → 内蒙古自治区; 中央 → 中央; None when it names no province."""
    t = text.strip()
    if t in PROVINCES:
        return t
    for p in PROVINCES:
        short = p
        for s in _SUFFIXES:
            if short.endswith(s) and len(short) > len(s):
                short = short[: -len(s)]
                break
        if t == short:
            return p
    return None


def _entry(raw: dict[str, Any], where: str) -> Portal:
    def need(key: str) -> Any:
        v = raw.get(key)
        if v in (None, "", []):
            raise RegistryError(f"{where}: no {key}")
        return v

    name = str(need("name"))
    where = f"{where} ({name})"
    province = province_name(str(need("province")))
    if province is None:
        raise RegistryError(f"{where}: province {raw['province']!r} is not a province-level division or 中央")
    level = str(need("level"))
    if level not in LEVELS:
        raise RegistryError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
    urls = raw.get("start_urls") or ([raw["url"]] if raw.get("url") else [])
    if isinstance(urls, str) or not urls:
        raise RegistryError(f"{where}: start_urls must be a list of URLs")
    for u in urls:
        parts = urlsplit(str(u))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"{where}: start URL is not http(s): {u}")
    known = {f.name for f in dataclasses.fields(Portal)} | {"url"}
    return Portal(name=name, province=province, level=level, start_urls=[str(u) for u in urls],
                  seen=str(raw.get("seen") or ""), source=str(raw.get("source") or ""),
                  cms=raw.get("cms"), region=raw.get("region"), notes=raw.get("notes"),
                  js_listing=bool(raw.get("js_listing")),
                  extra={k: v for k, v in raw.items() if k not in known})


def load_registry(path: str | None = None) -> list[Portal]:
    path = path or BUNDLED
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not TOML ({exc})") from None
    entries = data.get("portal")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[portal]] entries")
    return [_entry(raw, f"{path}: portal {i + 1}") for i, raw in enumerate(entries)]


def select(portals: Iterable[Portal], province: str | None = None, level: str | None = None) -> list[Portal]:
    """The portals of a province (福建 or 福建省) and/or a level; raises RegistryError on a name
    that is neither."""
    want_p = None
    if province:
        want_p = province_name(province)
        if want_p is None:
            raise RegistryError(f"not a province-level division: {province}")
    if level and level not in LEVELS:
        raise RegistryError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return [p for p in portals if (want_p is None or p.province == want_p) and (not level or p.level == level)]


def toml_text(portals: Iterable[Portal], header: str = "") -> str:
    """A registry file for these portals (what `nianbao crawl --province` hands the spider)."""
    out = [header.rstrip("\n") + "\n"] if header else []
    for p in portals:
        out.append("[[portal]]")
        for k, v in p.as_entry().items():
            out.append(f"{k} = {_toml_value(v)}")
        out.append("")
    return "\n".join(out)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'
