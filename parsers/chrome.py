"""Portal chrome: read its facts (`site`), then remove it from the body text.

trafilatura strips chrome well on div layouts but keeps all of it on old table-layout pages,
and text taken off portals carries it too. Lines are removed only when they are chrome as a
whole (short, made of chrome phrases), so report prose that mentions an address or a phone
number in its preface is never touched.
"""
from __future__ import annotations

import re
import unicodedata

from parsers.model import SiteFacts

_ICP = re.compile(r"([\u4e00-\u9fa5]{1,2}ICP[备証证]\s*[0-9]{4,}\s*号?(?:\s*-\s*\d+)?)", re.I)
_POLICE = re.compile(r"([\u4e00-\u9fa5]{1,2})\s*公网安备\s*[:：]?\s*(\d{10,16})\s*号?")
_POLICE_LABEL = re.compile(r"公安(?:机关)?备案(?:号|编号)\s*[:：]?\s*(\d[\d\-]{8,24}\d)")
_SITE_CODE = re.compile(r"(?:政府)?网站标识码\s*[:：]?\s*([0-9A-Za-z]{6,12})")
_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：]?\s*\|?\s*([0-9A-Za-z][0-9A-Za-z/\-_.·\u4e00-\u9fa5]*[0-9A-Za-z])")


def site_facts(text: str, meta: dict[str, str] | None = None) -> SiteFacts:
    t = unicodedata.normalize("NFKC", text)
    facts = SiteFacts()
    if m := _ICP.search(t):
        facts.icp = re.sub(r"\s+", "", m.group(1)).replace("ICP証", "ICP证")
    if m := _POLICE.search(t):
        facts.police_record = f"{m.group(1)}公网安备{m.group(2)}号"
    elif m := _POLICE_LABEL.search(t):
        facts.police_record = m.group(1)  # "公安备案号：35012899001-19002": the number as printed
    if meta and meta.get("site_code"):
        facts.site_code = meta["site_code"].strip()
    elif m := _SITE_CODE.search(t):
        facts.site_code = m.group(1)
    if m := _INDEX_NO.search(t):
        facts.index_no = m.group(1)
    return facts


# A line is chrome when it contains one of these phrases and is not long prose.
_STRONG = (
    "ICP备", "ICP证", "公网安备", "公安备案号", "网站标识码", "主办单位", "承办单位", "版权所有", "Copyright",
    "copyright", "©", "打印本页", "打印此页", "关闭窗口", "关闭本页", "【打印", "【关闭", "[打印]", "[关闭]",
    "文字大小", "字体:", "字体：", "字号:", "字号：", "浏览次数", "点击数", "浏览量", "访问量", "阅读次数",
    "点击率", "分享到", "收藏本页", "加入收藏", "设为首页", "网站监督举报", "举报邮箱", "返回顶部",
    "主办:", "主办：", "承办:", "承办：", "当前位置", "您现在的位置", "您的位置", "上一篇", "下一篇",
    "网站纠错", "我要纠错", "【大】", "【中】", "【小】", "大 中 小", "【字体", "字号 大", "字号：大",
)
# Weaker phrases: chrome only on a short line (a heading of the report may say 技术支持).
_WEAK = ("联系我们", "网站地图", "站点地图", "分辨率", "浏览器", "技术支持", "扫一扫", "无障碍",
         "长者模式", "相关链接", "政务微博", "政务微信", "字号", "首页")
_META_KEYS = ("索引号", "发布机构", "成文日期", "公开方式", "公开范围", "发布日期", "来源", "文件编号",
              "发文字号", "主题分类", "发布时间", "信息来源", "责任编辑", "作者", "日期", "所属机构",
              "生成日期", "有效性", "公开时限", "信息分类", "体裁分类", "组配分类", "字体", "时效", "文号",
              "发文机关", "主题词", "公开日期", "访问次数")
_META_PAIR = re.compile(r"(%s)\s*[:：]" % "|".join(_META_KEYS))
_FOOTER_CONTACT = re.compile(r"(地址|邮编|电话|Email|E-mail|邮箱|传真)\s*[:：]", re.I)
_MENU_SEPARATORS = re.compile(r"^[\s|｜/>»·•\-–—]*$")
_REPORT_START = re.compile(r"年度报告|年报|^\s*(本报告|根据|按照|依据)|^\s*[一1][、.．]|^\s*\d{4}年")
_LAST_SECTION = re.compile(r"^\s*(六|十二|十一|十)\s*[、.．]")
_SIGNATURE_DATE = re.compile(r"^\s*(\d{4}|二[〇○零O0][一二三四五六七八九〇○零O0]{2})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日\s*$")


def is_chrome_line(line: str, *, in_footer: bool = False) -> bool:
    s = line.strip()
    if not s:
        return False
    n = len(s)
    if n <= 160 and any(p in s for p in _STRONG):
        return True
    if n <= 40 and any(p in s for p in _WEAK):
        return True
    pairs = _META_PAIR.findall(s)
    if pairs and n <= 120 and (len(pairs) >= 2 or s.startswith(pairs[0])):
        # "来源:新前街道 字体:[ ]", "索引号: 001008…": page metadata, not report text
        return len(re.sub(r"\s", "", s)) <= 24 * len(pairs) + 40
    prose = "。" in s and n > 40
    if in_footer and not prose and n <= 120 and (_FOOTER_CONTACT.search(s) or any(p in s for p in _WEAK)):
        return True
    if _MENU_SEPARATORS.match(s) and n <= 40:
        return True
    return False


def strip_chrome(text: str) -> str:
    """Drop chrome lines; before the report starts keep only its title, and after its
    signature date keep nothing but attachment notes."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines)
                  if (_REPORT_START.search(ln) or ("。" in ln and len(ln) > 60)) and not is_chrome_line(ln)), 0)
    last_section = max((i for i, ln in enumerate(lines) if _LAST_SECTION.match(ln)), default=-1)
    signature = next((i for i in range(max(last_section, 0), len(lines))
                      if _SIGNATURE_DATE.match(lines[i])), None) if last_section >= 0 else None
    kept = []
    for i, line in enumerate(lines):
        if i < start:
            continue  # breadcrumbs, menus, page metadata above the report
        if signature is not None and i > signature and "附件" not in line:
            continue
        if is_chrome_line(line, in_footer=last_section >= 0 and i > last_section + 1):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
