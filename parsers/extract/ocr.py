"""OCR of pictures: tables pasted as images, scanned PDF pages, pictures in DOCX.

    read_picture(data, name, cache) -> Picture   # text lines and table grids, every cell scored

A picture is deskewed, its ruled tables found from their lines (parsers/extract/ocr_image.py),
each cell's text lines recognised by PP-OCRv4 (RapidOCR's ONNX models, shipped inside the
`rapidocr-onnxruntime` wheel: no download, CPU only). Text outside the tables is read line by
line the same way. Why RapidOCR and not Tesseract: see benchmarks/RESULTS.md ("OCR").

Digits matter most. The recogniser's per-frame probabilities are kept: a cell whose reading
looks like a figure is decoded again with only digits allowed (so O→0, l→1 cannot happen), and
each uncertain digit keeps its runner-up. parsers/extract/ocr_arith.py then lets the table's
own arithmetic choose among those candidates.

Results are cached on disk by the picture's sha256 (`NIANBAO_OCR_CACHE`, default
$XDG_CACHE_HOME/nianbao/ocr), so a re-crawl or `nianbao reparse` does not OCR a picture again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np

from parsers.extract.grid import SpanCell, build_grid, join_lines, pipe_lines
from parsers.model import Doubt, ParseError, Row
from parsers.tables.read import read_tables

OCR_VERSION = "7"  # part of the cache key: bump when reading changes
CONFIDENT = 0.93  # a digit read with less than this keeps its runner-up and may be doubted
MAX_PICTURES = 40  # per report: a page with more pictures is a gallery, not a report


@dataclass
class OcrCell:
    """One table cell read by OCR: where it is and how sure the reader was."""

    table: int  # index of the grid in the picture's tables
    row: int  # grid row (first slot)
    col: int  # grid column (first slot)
    text: str
    confidence: float
    alternatives: list[str] = field(default_factory=list)  # other readings of a figure, best first


@dataclass
class Picture:
    name: str
    sha256: str
    lines: list[str]  # text outside the tables, top to bottom
    tables: list[list[Row]]
    cells: list[OcrCell]
    seconds: float = 0.0
    columns: list[list[int]] = field(default_factory=list)  # each table's column rules (x, pixels)
    width: int = 0  # of the (deskewed) picture

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Picture":
        d = dict(d)
        d["cells"] = [OcrCell(**c) for c in d.get("cells", [])]
        return cls(**d)


# --- the recogniser ---------------------------------------------------------------------------

class Recognizer:
    """PP-OCRv4 text-line recogniser with per-character probabilities (one per process)."""

    _lock = threading.Lock()
    _instance: Optional["Recognizer"] = None

    def __init__(self):
        try:
            import rapidocr_onnxruntime as ro
            from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
            from rapidocr_onnxruntime.utils import read_yaml
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ParseError(f"OCR unavailable: {e}") from None
        # only the recogniser (lines are found by OpenCV, not by the detection model), on one
        # thread: the parse pool already runs one worker per core
        cfg = read_yaml(str(Path(ro.__file__).parent / "config.yaml"))["Rec"]
        cfg["model_path"] = str(Path(ro.__file__).parent / cfg["model_path"])
        cfg["intra_op_num_threads"] = cfg["inter_op_num_threads"] = 1
        self.rec = TextRecognizer(cfg)
        # OCR is background work: the crawl's own process (downloads) wins the CPU over it
        try:
            os.nice(5)
        except OSError:
            pass
        chars = self.rec.postprocess_op.character
        self.chars = chars
        self.digit_ids = np.array([i for i, ch in enumerate(chars) if ch in "0123456789"])
        self.figure_ids = np.array([0] + [i for i, ch in enumerate(chars) if ch in "0123456789,.-"])

    @classmethod
    def get(cls) -> "Recognizer":
        with cls._lock:
            if cls._instance is None:
                cls._instance = Recognizer()
            return cls._instance

    def _probs(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Per-frame class probabilities of each crop (T × C)."""
        import cv2

        out: list[Optional[np.ndarray]] = [None] * len(crops)
        order = np.argsort([c.shape[1] / max(c.shape[0], 1) for c in crops])
        batch = 8
        for start in range(0, len(crops), batch):
            idx = order[start:start + batch]
            # a white margin: PP-OCR drops a character that touches the crop's left edge
            imgs = [cv2.copyMakeBorder(crops[i], 0, 0, max(4, crops[i].shape[0] // 3), max(4, crops[i].shape[0] // 3),
                                       cv2.BORDER_REPLICATE if crops[i].ndim == 3 else cv2.BORDER_CONSTANT, value=255)
                    for i in idx]
            imgs = [cv2.cvtColor(im, cv2.COLOR_GRAY2BGR) if im.ndim == 2 else im for im in imgs]
            max_ratio = max([320 / 48] + [im.shape[1] / im.shape[0] for im in imgs])
            norm = np.concatenate([self.rec.resize_norm_img(im, max_ratio)[None] for im in imgs]).astype(np.float32)
            preds = self.rec.session(norm)[0]
            for k, i in enumerate(idx):
                out[i] = preds[k]
        return out  # type: ignore[return-value]

    def _decode(self, p: np.ndarray, allowed: Optional[np.ndarray] = None):
        """CTC greedy decode → [(char, prob, runner_up_char, runner_up_prob)]."""
        if allowed is not None:
            q = np.zeros_like(p)
            q[:, allowed] = p[:, allowed]
            p = q / np.maximum(q.sum(axis=1, keepdims=True), 1e-9)
        best = p.argmax(axis=1)
        out = []
        prev = 0
        for t, k in enumerate(best):
            if k != 0 and k != prev:
                out.append([t, t])
            elif k != 0 and out:
                out[-1][1] = t
            prev = k
        chars = []
        for a, b in out:
            seg = p[a:b + 1]
            k = int(best[a])
            t = a + int(seg[:, k].argmax())
            row = p[t].copy()
            prob = float(row[k])
            row[k] = 0
            row[0] = 0
            alt = int(row.argmax())
            chars.append((self.chars[k], prob, self.chars[alt], float(row[alt])))
        return chars

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float, list]]:
        """Each crop → (text, confidence, decoded chars). A reading that looks like a figure
        is decoded again with only digits, commas and points allowed."""
        # a clean picture repeats its cells pixel for pixel ("0", "/" down a whole column):
        # each distinct crop is recognised once
        keys = [hashlib.sha1(c.tobytes() + bytes(str(c.shape), "ascii")).digest() for c in crops]
        first: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        uniq = list(first.values())
        probs = dict(zip(uniq, self._probs([crops[i] for i in uniq]))) if crops else {}
        return [self._reading(probs[first[k]]) for k in keys]

    def _reading(self, p: np.ndarray) -> tuple[str, float, list]:
        chars = self._decode(p)
        text = "".join(c[0] for c in chars)
        if looks_like_figure(text):
            digits = self._decode(p, self.figure_ids)
            if digits:
                chars = digits
                text = "".join(c[0] for c in chars)
        conf = min((c[1] for c in chars), default=0.0)
        return text, conf, chars


_FIGURE_LOOKALIKES = set("0123456789,.，．oOlIi|SsBZzgq-－—") | set("０１２３４５６７８９")
_ZEROS = set("oO。〇○°")  # a lone 0, scanned, is read as a circle or a Chinese full stop


def looks_like_figure(text: str) -> bool:
    """A reading that is a figure with a few misread strokes: mostly digits, nothing else but
    their look-alikes. Blank marks (/, —, 无) are not figures."""
    t = text.strip().replace(" ", "")
    if t and len(t) <= 2 and set(t) <= _ZEROS:
        return True
    if not t or not any(ch.isdigit() for ch in t):
        return False
    return all(ch in _FIGURE_LOOKALIKES for ch in t) and sum(ch.isdigit() for ch in t) * 2 >= len(t)


def _alternatives(chars: list) -> list[str]:
    """Other readings of a figure: each uncertain digit swapped for its runner-up (the least
    sure first), and both of the two least sure at once."""
    if not chars or not all(c[0].isdigit() or c[0] in ",.-" for c in chars):
        return []
    unsure = sorted((c[1], i) for i, c in enumerate(chars) if c[1] < CONFIDENT and c[2].isdigit())
    base = [c[0] for c in chars]
    alts = []
    for _, i in unsure[:3]:
        s = list(base)
        s[i] = chars[i][2]
        alts.append("".join(s))
    if len(unsure) >= 2:
        s = list(base)
        for _, i in unsure[:2]:
            s[i] = chars[i][2]
        alts.append("".join(s))
    return [a for a in dict.fromkeys(alts) if a != "".join(base)]


# --- one picture ----------------------------------------------------------------------------

def _speck_or_zero(text: str) -> bool:
    t = text.strip()
    return bool(t) and len(t) <= 3 and (_is_speck(t) or set(t) <= _ZEROS)


def _ink_height(crop: np.ndarray) -> int:
    """Rows of a crop holding ink (Otsu threshold)."""
    import cv2

    g = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, ink = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.where(ink.max(axis=1) > 0)[0]
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _has_hole(crop: np.ndarray) -> bool:
    """A ring (0) encloses background; a slash or a dash does not."""
    import cv2

    g = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, ink = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    return any(h[3] >= 0 and cv2.contourArea(c) >= 2 for c, h in zip(contours, hierarchy.reshape(-1, 4)))


def _digit_height(tb, cell_parts: dict) -> float:
    """Median ink height of the table's surely read figures; in a table of nearly all zeros
    (read as dots when scanned), of all its one-line value cells."""
    def one_line(c):
        return len(cell_parts.get(id(c), [])) == 1 and c.lines

    sure = [_ink_height(c.lines[0]) for c in tb.cells if one_line(c)
            and re.fullmatch(r"\d{1,6}", cell_parts[id(c)][0][0]) and cell_parts[id(c)][0][1] >= CONFIDENT]
    if len(sure) >= 3:
        return float(np.median(sure))
    values = [_ink_height(c.lines[0]) for c in tb.cells if one_line(c)
              and (_speck_or_zero(cell_parts[id(c)][0][0]) or cell_parts[id(c)][0][0].isdigit())]
    return float(np.median(values)) if len(values) >= 3 else 0.0


def _line_groups(boxes: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    lines: list[list[tuple[int, int, int, int]]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy = (b[1] + b[3]) / 2
        if lines:
            last = lines[-1]
            top, bottom = min(x[1] for x in last), max(x[3] for x in last)
            if top <= cy <= bottom:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(ln) for ln in lines]


def ocr_image(img: np.ndarray, name: str = "picture") -> Picture:
    """A decoded picture (BGR array) → its text lines and tables."""
    import time

    # OpenCV only in a process that reads a picture (a cached reading needs none)
    from parsers.extract.ocr_image import deskew, find_tables, grey, text_bands

    t0 = time.perf_counter()
    rec = Recognizer.get()
    img = deskew(img)
    boxes, rest = find_tables(img)
    g = grey(img)
    # all crops of the picture in one list: the recogniser batches them
    crops: list[np.ndarray] = []
    owners: list[tuple] = []
    for t, tb in enumerate(boxes):
        for c in tb.cells:
            for ln in c.lines:
                crops.append(ln)
                owners.append(("cell", t, c))
    text_lines = _line_groups(text_bands(rest))
    for k, ln in enumerate(text_lines):
        for (x0, y0, x1, y1) in ln:
            pad = max(3, (y1 - y0) // 4)
            crop = g[max(y0 - pad, 0):y1 + pad, max(x0 - pad, 0):x1 + pad]
            if crop.size:
                crops.append(crop)
                owners.append(("text", k, None))
    readings = rec.read(crops)
    cell_parts: dict[int, list] = {}
    text_parts: dict[int, list[str]] = {}
    for (kind, k, cell), (text, conf, chars) in zip(owners, readings):
        if kind == "cell":
            cell_parts.setdefault(id(cell), []).append((text, conf, chars))
        else:
            text_parts.setdefault(k, []).append(text)
    tables: list[list[Row]] = []
    cells: list[OcrCell] = []
    columns: list[list[int]] = []
    for t, tb in enumerate(boxes):
        spans = []
        digit_h = _digit_height(tb, cell_parts)
        for c in tb.cells:
            parts = cell_parts.get(id(c), [])
            text = join_lines(p[0] for p in parts)
            conf = min((p[1] for p in parts), default=1.0)
            alts = _alternatives(parts[0][2]) if len(parts) == 1 else []
            if len(parts) == 1 and digit_h and _speck_or_zero(text):
                # a scanned 0 comes out as "." or "。", a dash as "." or "·": the ink's height
                # tells them apart (a 0 is as tall as the other figures, a dash is a thin bar)
                h = _ink_height(c.lines[0])
                if h >= 0.6 * digit_h and _has_hole(c.lines[0]):
                    text, conf, alts = "0", min(conf, 0.9), ["-"]
                else:  # a thin bar, a dot, or a slash: a blank mark
                    text = "-"
            spans.append(SpanCell(c.row, c.col, c.rowspan, c.colspan, text))
            if parts:
                cells.append(OcrCell(len(tables), c.row, c.col, text, round(conf, 4), alts))
        grid = build_grid(spans, tb.nrows, tb.ncols)
        if grid:
            # build_grid drops all-empty rows: renumber cells to the rows that remain
            kept = [r for r in range(tb.nrows) if any(s.text for s in spans if s.row <= r < s.row + s.rowspan)]
            where = {r: i for i, r in enumerate(kept)}
            for c in cells:
                if c.table == len(tables):
                    c.row = where.get(c.row, c.row)
            tables.append(grid)
            columns.append([int(x) for x in tb.xs])
    lines = [" ".join(t for t in text_parts.get(k, []) if t) for k in range(len(text_lines))]
    sha = hashlib.sha256(img.tobytes()).hexdigest()
    return Picture(name=name, sha256=sha, lines=[ln for ln in lines if ln.strip()], tables=tables,
                   cells=cells, seconds=round(time.perf_counter() - t0, 3), columns=columns,
                   width=int(img.shape[1]))


def ocr_cache_dir() -> Optional[Path]:
    """Where OCR results are kept: NIANBAO_OCR_CACHE (empty or "off": no cache), else
    $XDG_CACHE_HOME/nianbao/ocr."""
    env = os.environ.get("NIANBAO_OCR_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nianbao" / "ocr"


def read_picture(data: bytes, name: str = "picture", cache: Optional[Path] = None) -> Picture:
    """A picture's bytes → Picture, from the cache when this exact picture was read before."""
    sha = hashlib.sha256(data).hexdigest()
    path = cache / sha[:2] / f"{sha}.v{OCR_VERSION}.json" if cache else None
    if path and path.exists():
        try:
            pic = Picture.from_json(json.loads(path.read_text("utf-8")))
            pic.name = name
            return pic
        except (ValueError, TypeError, OSError):
            pass  # a damaged cache entry is read again
    from parsers.extract.ocr_image import load  # OpenCV: see ocr_image()

    pic = ocr_image(load(data, name), name)
    pic.sha256 = sha
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(pic.to_json(), ensure_ascii=False), "utf-8")
            os.replace(tmp, path)  # atomic: two workers reading the same picture both win
        except OSError:
            pass
    return pic


# --- into a Document -------------------------------------------------------------------------

def picture_text(pic: Picture) -> str:
    """The picture as body text: its lines, then each table as pipe rows."""
    out = list(pic.lines)
    for grid in pic.tables:
        spans = [SpanCell(r, c, 1, 1, v) for r, row in enumerate(grid) for c, v in enumerate(row) if v is not None]
        out.extend(pipe_lines(spans))
    return "\n".join(out)


def _is_speck(t: str) -> bool:
    """Up to three marks with no figure, no letter and no Chinese word in them ("一" is a dash)."""
    return 0 < len(t) <= 3 and t not in ("oO") and all(
        not ch.isalnum() or ch in "一ー" for ch in t) or t in ("一", "ー")


def tidy_cell(text: Optional[str]) -> Optional[str]:
    """A lone dash printed as a blank mark is read as a dot, a quote or 一 once scanned:
    give it back as "-" (a blank mark the table reader knows)."""
    if text and _is_speck(text.strip()):
        return "-"
    if text and len(text.strip()) == 1 and text.strip() in _ZEROS:
        return "0"
    return text


def add_pictures(doc, pictures: list[Picture], where: str = "picture") -> None:
    """Append the pictures' tables and text to `doc`, record every OCR'd cell and the doubts:
    one `ocr_page` per picture read, naming the report tables whose values came from it; the
    figures' `ocr_cell` doubts come later, from the sums (parsers/extract/ocr_arith.py)."""
    spans = []
    for pic in pictures:
        first = len(doc.tables)
        doc.tables.extend([[tidy_cell(v) for v in row] for row in grid] for grid in pic.tables)
        spans.append((first, len(doc.tables)))
        for c in pic.cells:
            doc.ocr_cells.append(OcrCell(first + c.table, c.row, c.col, tidy_cell(c.text) or "",
                                         c.confidence, list(c.alternatives)))
    names = report_tables(doc, spans)
    for pic, found in zip(pictures, names):
        doc.doubts.append(Doubt(
            kind="ocr_page", where=f"{where} {pic.name} (sha256 {pic.sha256[:12]})",
            detail=f"read by OCR: {len(pic.tables)} table(s) ({', '.join(found) or 'no report table'}), "
                   f"{len(pic.cells)} cells, {len(pic.lines)} text lines"))


def report_tables(doc, spans: list[tuple[int, int]]) -> list[list[str]]:
    """For each picture's grids (doc.tables[a:b]): the report tables (table2/3/4) that change
    when they are left out, i.e. whose values came from that picture."""
    def tables_of(d):
        t = read_tables(d)
        return {n: getattr(t, n) for n in ("table2", "table3", "table4")}

    whole = tables_of(doc)
    out = []
    for a, b in spans:
        if a == b:
            out.append([])
            continue
        without = tables_of(replace(doc, tables=doc.tables[:a] + [[]] * (b - a) + doc.tables[b:]))
        out.append([n for n in ("table2", "table3", "table4") if whole[n] and whole[n] != without[n]])
    return out


# --- which pictures to keep ------------------------------------------------------------------

def worth_keeping(pic: Picture) -> bool:
    """A photo or a logo reads as nothing or as a few stray words: keep a picture that gave a
    table, or at least three lines of Chinese text."""
    return bool(pic.tables) or sum(1 for ln in pic.lines if len(re.findall(r"[\u4e00-\u9fff]", ln)) >= 4) >= 3


def read_pictures(items: list[tuple[str, bytes]], doc, where: str = "picture") -> None:
    """OCR each (name, bytes) into `doc`: tables, text (appended), OCR marks and doubts."""
    cache = ocr_cache_dir()
    kept = []
    for name, data in items[:MAX_PICTURES]:
        try:
            pic = read_picture(data, name, cache)
        except ParseError as e:
            doc.doubts.append(Doubt(kind="ocr_page", where=f"{where} {name}", detail=f"not read: {e}"))
            continue
        if worth_keeping(pic):
            kept.append(pic)
    if kept:
        add_pictures(doc, kept, where)
        doc.text = "\n".join(t for t in [doc.text] + [picture_text(p) for p in kept] if t.strip())
