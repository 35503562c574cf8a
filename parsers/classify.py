"""Is this a 政府信息公开(工作)年度报告? Used on link titles by the crawler and on parsed text."""
from __future__ import annotations

import re
import unicodedata

_REPORT = re.compile(r"(政府)?信息公开\s*(工作)?\s*的?\s*(年度)?\s*(报告|年报)|政务公开\s*(工作)?\s*年度报告|信息公开年报")
YEAR = _YEAR = re.compile(r"(19|20)\d{2}\s*年|[〇○零一二][〇○零一二三四五六七八九]{3}\s*年")
# Documents about reports, and other reports, that are not annual disclosure reports.
NOT_REPORT = _NOT_REPORT = re.compile(
    r"关于.{0,40}(做好|报送|编制|开展|印发|发布).{0,40}(年度报告|年报)|通知|通报|工作要点|政府工作报告|"
    r"预算|决算|统计公报|审计|述职|考核|评估报告|检查情况|征求意见|解读|问答|图解|目录|指南|规定|办法")


def is_report_title(title: str) -> bool:
    """A link or page title naming an annual information-disclosure report."""
    t = unicodedata.normalize("NFKC", title or "").strip()
    if not t or len(t) > 120:
        return False
    if not _REPORT.search(t) or not _YEAR.search(t):
        return False  # "政府信息公开年报" alone names a column, not a report
    if _NOT_REPORT.search(t):
        return False
    return True


_SECTIONS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请", "行政复议",
             "存在的主要问题", "其他需要报告", "依申请公开", "政府信息公开工作")


def looks_like_report(text: str) -> bool:
    """Body text that reads as an annual report: its standard sections, or it names itself one."""
    head = text[:4000]
    sections = sum(1 for s in _SECTIONS if s in text)
    names_itself = bool(re.search(r"(政府)?信息公开\s*(工作)?\s*年度报告|信息公开年报", head))
    notice = bool(re.search(r"关于.{0,40}(做好|报送|编制).{0,30}年度报告.{0,20}(工作)?的?通知", head))
    if notice and sections < 4:
        return False
    return sections >= 4 or (names_itself and sections >= 2)


def is_notice_title(title: str) -> bool:
    """A title about reports rather than of one: 关于做好…年度报告…工作的通知, 政府工作报告."""
    t = unicodedata.normalize("NFKC", title or "")
    return bool(re.search(r"年度报告|年报|工作报告", t)) and bool(_NOT_REPORT.search(t)) and not is_report_title(t)
