"""Seeded test pictures for the OCR tests: report tables drawn as pictures, pages as scans.

    table_picture(table_el, rng)  -> PIL image of one HTML <table> (ruled, spans kept)
    picture_page(case, rng)       -> (html bytes with every table replaced by <img>, {name: png})
    scanned_pdf(case, dpi, rng)   -> bytes of an image-only PDF: the report's text and tables drawn
                                     on A4 pages, tilted, noisy, blurred, JPEG'd, a red seal

Drawn with PIL and the WenQuanYi font from Debian (fonts-wqy-microhei): no browser, a few
hundred milliseconds a page, identical for one seed. The truth stays the generator's
(tests/layouts), never something read back from a picture.
"""
from __future__ import annotations

import io
import random
import re
from typing import Optional

import lxml.html
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _cells(table) -> list[list[tuple[str, int, int]]]:
    rows = []
    for tr in table.iter("tr"):
        row = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            text = re.sub(r"[\s\u00a0\u3000]+", " ", td.text_content()).strip()
            row.append((text, int(td.get("rowspan") or 1), int(td.get("colspan") or 1)))
        rows.append(row)
    return rows


def _layout(rows):
    """HTML rows → placed cells (r, c, rowspan, colspan, text) on the slot grid."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, rs, cs, text))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            c += cs
    nrows = max((r + rs for r, _, rs, _, _ in placed), default=0)
    ncols = max((c + cs for _, c, _, cs, _ in placed), default=0)
    return placed, nrows, ncols


def _wrap(text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if line and font.getlength(line + ch) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


def table_picture(table, rng: random.Random, size: int = 16) -> Image.Image:
    """One <table> drawn the way Word/Excel screenshots look: black rules, centred text,
    long labels wrapped in wide first columns."""
    font = _font(size)
    placed, nrows, ncols = _layout(_cells(table))
    pad = 6
    widths = [int(size * 3.2)] * ncols
    wordy: dict[int, int] = {}  # label columns: several cells of words (a header cell is not one)
    for r, c, rs, cs, t in placed:
        if cs == 1 and re.search(r"[\u4e00-\u9fff]{3,}", t):
            wordy[c] = wordy.get(c, 0) + 1
    label_cols = {c for c, n in wordy.items() if n >= 3}
    for c in label_cols:
        widths[c] = int(size * rng.choice((7, 8, 9)))
    for r, c, rs, cs, t in placed:  # a short cell never wraps digits
        if cs == 1 and not re.search(r"[\u4e00-\u9fff]", t):
            widths[c] = max(widths[c], int(font.getlength(t)) + 2 * pad)
    heights = [size + 2 * pad] * nrows
    for r, c, rs, cs, t in placed:
        w = sum(widths[c:c + cs]) - 2 * pad
        need = len(_wrap(t, font, w)) * (size + 4) + 2 * pad
        if rs == 1 and need > heights[r]:
            heights[r] = need
    xs = [20]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [20]
    for h in heights:
        ys.append(ys[-1] + h)
    img = Image.new("RGB", (xs[-1] + 20, ys[-1] + 20), "white")
    d = ImageDraw.Draw(img)
    for r, c, rs, cs, t in placed:
        x0, y0, x1, y1 = xs[c], ys[r], xs[c + cs], ys[r + rs]
        d.rectangle((x0, y0, x1, y1), outline="black", width=1)
        lines = _wrap(t, font, x1 - x0 - 2 * pad)
        th = len(lines) * (size + 4) - 4
        ty = (y0 + y1 - th) // 2
        for k, ln in enumerate(lines):
            tw = font.getlength(ln)
            d.text(((x0 + x1 - tw) / 2, ty + k * (size + 4)), ln, fill="black", font=font)
    # where rows may be cut (a rule no merged cell crosses), for page breaks in scans
    img.info["breaks"] = [ys[r] for r in range(1, nrows)
                          if not any(pr < r < pr + prs for pr, _, prs, _, _ in placed)] + [ys[-1]]
    return img


_MARKS = ("信息内容", "第二十条", "自然人", "行政复议", "本年新收", "结果维持")


def is_report_table(table) -> bool:
    """One of the report's tables 2-4 (or a piece of one), not a layout table holding prose."""
    text = table.text_content()
    return any(m in text for m in _MARKS) and "总体情况" not in text


def png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def picture_page(html: bytes, rng: random.Random, prefix: str = "t") -> tuple[bytes, dict[str, bytes]]:
    """The page with each leaf <table> replaced by <img src="tN.png"> and the pictures."""
    root = lxml.html.document_fromstring(html)
    pictures: dict[str, bytes] = {}
    for k, table in enumerate([t for t in root.iter("table") if not t.xpath(".//table") and is_report_table(t)]):
        name = f"{prefix}{k + 1}.png"
        pictures[name] = png(table_picture(table, rng))
        img = lxml.html.Element("img", src=name, alt="")
        img.tail = table.tail
        table.getparent().replace(table, img)
    return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>"), pictures


# --- scans ----------------------------------------------------------------------------------

def _body_blocks(html: bytes):
    """The report body as ("text", line) and ("table", element) in reading order."""
    from parsers.extract.html import report_container

    root = lxml.html.document_fromstring(html)
    node = report_container(root)
    if node is None:
        node = root.find("body")
    out = []
    h1 = root.xpath("//h1") or root.xpath("//*[contains(@class,'title')]")
    if h1:
        out.append(("title", re.sub(r"\s+", "", h1[0].text_content())))

    def walk(el):
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            return
        if el.tag == "table" and not el.xpath(".//table") and is_report_table(el):
            out.append(("table", el))
            return
        if el.tag in ("p", "h1", "h2", "h3", "h4", "li") or (el.tag == "div" and not len(el)):
            text = re.sub(r"\s+", " ", el.text_content()).strip()
            if text:
                out.append(("text", text))
            return
        if el.text and el.text.strip():
            out.append(("text", el.text.strip()))
        for child in el:
            walk(child)

    walk(node)
    return out


def _seal(size: int) -> Image.Image:
    """A red round seal (RGBA): ring, star, arc of text; drawn over the signature."""
    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(seal)
    red = (220, 30, 30, 170)
    d.ellipse((4, 4, size - 4, size - 4), outline=red, width=max(size // 30, 3))
    c = size / 2
    pts = []
    import math
    for k in range(10):
        rad = size * (0.16 if k % 2 == 0 else 0.065)
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + rad * math.cos(a), c + rad * math.sin(a)))
    d.polygon(pts, fill=red)
    font = _font(size // 9)
    d.text((c - font.getlength("政务公开专用章") / 2, size * 0.68), "政务公开专用章", fill=red, font=font)
    return seal


def scan_pages(html: bytes, rng: random.Random, dpi: int = 150, tilt: float = 0.8,
               noise: float = 8.0, blur: float = 0.6, jpeg: int = 60, seal: bool = True,
               max_pages: Optional[int] = None) -> list[Image.Image]:
    """The report printed on A4 and scanned: page images at `dpi`."""
    scale = dpi / 72.0
    page_w, page_h = int(595 * scale), int(842 * scale)
    margin = int(60 * scale)
    body = int(10.5 * scale)  # 10.5 pt body text
    font, tfont = _font(body), _font(int(15 * scale))
    pages: list[Image.Image] = []
    page = Image.new("RGB", (page_w, page_h), "white")
    y = margin

    def new_page():
        nonlocal page, y
        pages.append(page)
        page = Image.new("RGB", (page_w, page_h), "white")
        y = margin

    for kind, item in _body_blocks(html):
        if kind in ("text", "title"):
            f = tfont if kind == "title" else font
            lines = _wrap(("" if kind == "title" else "　　") + item, f, page_w - 2 * margin)
            for ln in lines:
                if y + f.size * 1.6 > page_h - margin:
                    new_page()
                x = (page_w - f.getlength(ln)) / 2 if kind == "title" else margin
                ImageDraw.Draw(page).text((x, y), ln, fill="black", font=f)
                y += int(f.size * 1.6)
        else:
            pic = table_picture(item, rng, size=int(9 * scale))
            breaks = pic.info["breaks"]
            ratio = 1.0
            if pic.width > page_w - margin:
                ratio = (page_w - margin) / pic.width
                pic = pic.resize((int(pic.width * ratio), int(pic.height * ratio)), Image.LANCZOS)
            breaks = [int(b * ratio) for b in breaks]
            top = 0
            while True:
                room = page_h - margin - y
                # the rows that fit on this page, cut at a rule like Word's page break
                fit = [b for b in breaks if b - top + 2 <= room and b > top]
                if not fit and y > margin:
                    new_page()
                    continue
                cut = fit[-1] + 2 if fit else pic.height
                part = pic.crop((0, max(top - 1, 0), pic.width, min(cut, pic.height)))
                page.paste(part, ((page_w - pic.width) // 2, y))
                y += part.height
                if cut >= pic.height or not fit or fit[-1] == breaks[-1]:
                    break
                top = fit[-1]
                new_page()
            y += body
    if seal:
        s = _seal(int(1.6 * dpi))
        page.paste(s, (page_w - margin - s.width, min(y, page_h - margin - s.height)), s)
    pages.append(page)
    if max_pages:
        pages = pages[:max_pages]
    return [_degrade(p, rng, tilt, noise, blur, jpeg) for p in pages]


def _degrade(img: Image.Image, rng: random.Random, tilt: float, noise: float, blur: float,
             jpeg: int) -> Image.Image:
    import numpy as np

    angle = rng.uniform(-tilt, tilt)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor="white")
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        a = np.asarray(img).astype(np.int16)
        nrng = np.random.default_rng(rng.randrange(1 << 30))
        a = a + nrng.normal(0, noise, a.shape[:2])[..., None].astype(np.int16)
        a = np.clip(a, 0, 255).astype(np.uint8)
        img = Image.fromarray(a)
    if jpeg:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=jpeg)
        img = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    return img


def scanned_pdf(html: bytes, rng: random.Random, dpi: int = 150, **kw) -> bytes:
    pages = scan_pages(html, rng, dpi=dpi, **kw)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])
    return out.getvalue()


# --- scoring ----------------------------------------------------------------------------------

def score(report, truth: dict) -> tuple[int, list[tuple[str, str, str, object, object, bool]]]:
    """(cells in the truth, wrong cells) for tables 2-4; each wrong cell says whether the report
    flags it: an `ocr_cell` doubt naming it, or a failing check on its row or column that an
    `ocr_cell` doubt points at."""
    flagged = {d.where for d in report.doubts if d.kind == "ocr_cell"}
    failing = {(c.rule, c.where) for c in report.checks if not c.ok}
    n, wrong = 0, []
    for name in ("table2", "table3", "table4"):
        got_table = getattr(report, name) or {}
        for row, cells in (truth.get(name) or {}).items():
            for col, want in cells.items():
                n += 1
                got = (got_table.get(row) or {}).get(col)
                same = (want is None and got is None) or (
                    want is not None and got is not None and abs(want - got) < 1e-9)
                if not same:
                    named = f"{name} {row}/{col}" in flagged
                    by_check = bool(flagged) and any(w in (row, col) for _, w in failing)
                    wrong.append((name, row, col, want, got, named or by_check))
    return n, wrong
