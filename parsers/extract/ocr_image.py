"""Pictures → ruled tables: deskew, ink mask, ruling lines, cells with their spans (OpenCV).

The national tables are ruled, so a table's grid is read from its lines, not guessed from
text positions: horizontal and vertical strokes are isolated with long, thin morphological
openings; their positions give the finest grid; a slot boundary with no stroke on it is a
merged cell (colspan/rowspan). Each cell's ink is then cut into text lines for the
recogniser (parsers/extract/ocr.py).

Red ink (a seal over the signature, a red header) is dropped by reading the red channel: red
is bright there, black print stays dark.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from parsers.model import ParseError

MAX_PIXELS = 60_000_000  # a 300-dpi A2 poster; a bigger "picture" is refused, not OCR'd


@dataclass
class CellBox:
    row: int
    col: int
    rowspan: int
    colspan: int
    lines: list[np.ndarray] = field(default_factory=list)  # grey crops, one per text line


@dataclass
class TableBox:
    x0: int
    y0: int
    x1: int
    y1: int
    nrows: int
    ncols: int
    cells: list[CellBox]
    xs: list[int] = field(default_factory=list)  # the column rules, left to right


def load(data: bytes, name: str = "picture") -> np.ndarray:
    """Bytes (PNG, JPEG, GIF, BMP, WebP, TIFF) → BGR array."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:  # GIF and odd files: Pillow reads more of them
        try:
            import io

            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ParseError(f"{name}: picture too large ({im.width}x{im.height})")
                arr = cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)
        except ParseError:
            raise
        except Exception:
            raise ParseError(f"{name}: not a readable picture") from None
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ParseError(f"{name}: picture too large ({arr.shape[1]}x{arr.shape[0]})")
    return arr


def grey(img: np.ndarray) -> np.ndarray:
    """The red channel: black print dark, red seals and red rules nearly white."""
    return img[:, :, 2].copy() if img.ndim == 3 else img


def ink_mask(g: np.ndarray) -> np.ndarray:
    """255 where there is ink (no smoothing first: it would erase 1-pixel rules; scanner
    specks are dropped later by size)."""
    block = max(15, (min(g.shape[:2]) // 40) | 1)
    return cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)


def skew_angle(ink: np.ndarray) -> float:
    """Degrees the page is turned, from its long near-horizontal strokes (ruling lines, and
    text baselines when there are none); 0 when nothing says."""
    h, w = ink.shape
    lines = cv2.HoughLinesP(ink, 1, np.pi / 1800, threshold=max(80, w // 8),
                            minLineLength=max(60, w // 5), maxLineGap=8)
    if lines is None:
        return 0.0
    angles, weights = [], []
    for x0, y0, x1, y1 in np.asarray(lines).reshape(-1, 4):
        if x1 == x0:
            continue
        a = np.degrees(np.arctan2(y1 - y0, x1 - x0))
        if abs(a) < 5:
            angles.append(a)
            weights.append(np.hypot(x1 - x0, y1 - y0))
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights)[order])
    return float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])  # weighted median


def deskew(img: np.ndarray) -> np.ndarray:
    angle = skew_angle(ink_mask(grey(img)))
    if abs(angle) < 0.05:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


def _strokes(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = ink.shape
    # only long straight runs survive the opening: a rule, not a run of characters (no closing
    # before it, which would glue the horizontal strokes of neighbouring characters together)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(15, h // 70)))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, hk)
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, vk)
    # a rule broken by JPEG or blur is joined again along its own direction
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, np.ones((1, 9), np.uint8))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, np.ones((9, 1), np.uint8))
    return horiz, vert


def _positions(mask: np.ndarray, axis: int, min_len: int) -> list[int]:
    """Centres of the strokes in `mask` (axis 0: horizontal strokes → y positions)."""
    n, _, stats, cent = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        length = w if axis == 0 else h
        if length >= min_len:
            found.append((int(round(cent[k][1] if axis == 0 else cent[k][0])), length))
    found.sort()
    merged: list[list[int]] = []
    for pos, length in found:
        if merged and pos - merged[-1][0] <= 6:
            merged[-1][1] = max(merged[-1][1], length)
            continue
        merged.append([pos, length])
    return [p for p, _ in merged]


def _covered(mask: np.ndarray, a: int, b: int, at: int, axis: int) -> bool:
    """Is there a rule at `at` from a to b (axis 0: a horizontal rule at y=at from x=a to b)?
    The junctions at both ends are skipped; the rule must run through nearly all the rest (a
    character's stroke inside a merged cell may be long, but never spans the whole cell)."""
    pad = min(max((b - a) // 10, 2), 5)
    a, b = a + pad, b - pad
    if b <= a:
        return True
    band = mask[max(at - 4, 0):at + 5, a:b] if axis == 0 else mask[a:b, max(at - 4, 0):at + 5]
    if band.size == 0:
        return False
    hit = band.max(axis=0 if axis == 0 else 1) > 0
    return hit.mean() > 0.85


def find_tables(img: np.ndarray) -> tuple[list[TableBox], np.ndarray]:
    """Ruled tables in a (deskewed) picture, and the ink mask with the tables blanked out
    (what is left is text around them)."""
    g = grey(img)
    ink = ink_mask(g)
    horiz, vert = _strokes(ink)
    frame = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
    tables: list[TableBox] = []
    rest = ink.copy()
    for k in range(1, n):
        x, y, w, h, _ = stats[k]
        if w < 80 or h < 30:
            continue
        hs = _positions(horiz[y:y + h, x:x + w], 0, max(20, w // 12))
        vs = _positions(vert[y:y + h, x:x + w], 1, max(12, min(h // 4, 30)))
        if len(hs) < 2 or len(vs) < 2:
            continue
        hs = [y + p for p in hs]
        vs = [x + p for p in vs]
        table = _cells(g, ink, horiz, vert, hs, vs)
        if table is None:
            continue
        tables.append(table)
        rest[hs[0] - 3:hs[-1] + 4, vs[0] - 3:vs[-1] + 4] = 0
    tables.sort(key=lambda t: (t.y0, t.x0))
    return tables, rest


def _cells(g, ink, horiz, vert, hs: list[int], vs: list[int]):
    nr, nc = len(hs) - 1, len(vs) - 1
    parent = list(range(nr * nc))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _covered(vert, hs[r], hs[r + 1], vs[c + 1], 1):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not _covered(horiz, vs[c], vs[c + 1], hs[r + 1], 0):
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    if len(groups) < 2:
        return None
    # ink without the rules, for cutting cell text
    text_ink = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(cv2.bitwise_or(horiz, vert),
                                                               np.ones((3, 3), np.uint8))))
    cells = []
    for slots in groups.values():
        r0, r1 = min(s[0] for s in slots), max(s[0] for s in slots) + 1
        c0, c1 = min(s[1] for s in slots), max(s[1] for s in slots) + 1
        box = CellBox(r0, c0, r1 - r0, c1 - c0)
        box.lines = _text_lines(g, text_ink, vs[c0], hs[r0], vs[c1], hs[r1])
        cells.append(box)
    return TableBox(vs[0], hs[0], vs[-1], hs[-1], nr, nc, cells, list(vs))


def _text_lines(g, text_ink, x0: int, y0: int, x1: int, y1: int) -> list[np.ndarray]:
    """Grey crops of the text lines inside a cell (rules excluded), top to bottom."""
    inset = 3
    ink = text_ink[y0 + inset:y1 - inset + 1, x0 + inset:x1 - inset + 1]
    if ink.size == 0 or cv2.countNonZero(ink) < 6:
        return []
    # specks (noise left by the threshold) are not text
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 3
    ink = np.where(keep[labels], 255, 0).astype(np.uint8)
    rows = ink.max(axis=1) > 0
    lines, start, gap = [], None, 0
    for i, on in enumerate(list(rows) + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            lines.append((start, i))
            start = None
    # merge slivers (the dot of a 、 or a broken stroke) into a neighbouring line
    merged: list[list[int]] = []
    for a, b in lines:
        if merged and (b - a < 4 or merged[-1][1] - merged[-1][0] < 4) and a - merged[-1][1] <= 3:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        if b - a < 4:
            continue
        cols = np.where(ink[a:b].max(axis=0) > 0)[0]
        if cols.size == 0:
            continue
        pad = max(3, (b - a) // 4)
        ya, yb = y0 + inset + a, y0 + inset + b
        xa, xb = x0 + inset + cols[0], x0 + inset + cols[-1] + 1
        crop = g[max(ya - pad, y0 + 2):min(yb + pad, y1 - 1), max(xa - pad, x0 + 2):min(xb + pad, x1 - 1)]
        if crop.size:
            out.append(crop)
    return out


def text_bands(rest: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes of the text lines outside the tables (x0, y0, x1, y1), top to bottom: words
    joined along the line by a wide closing, lines kept apart."""
    if cv2.countNonZero(rest) < 50:
        return []
    h, w = rest.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= 4
    clean = np.where(keep[labels], 255, 0).astype(np.uint8)
    joined = cv2.morphologyEx(clean, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, w // 60), 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for k in range(1, n):
        x, y, bw, bh, area = stats[k]
        if bh < 6 or bw < 6 or bh > h // 4:
            continue
        boxes.append((int(x), int(y), int(x + bw), int(y + bh)))
    boxes.sort(key=lambda b: (b[1], b[0]))
    return boxes
