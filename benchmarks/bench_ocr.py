"""OCR benchmark: seconds per page, peak memory, cells read exactly; and the engine choice.

    python benchmarks/bench_ocr.py [--seeds 0-5] [--dpi 150,300] [--engines 200]

For each seed of the test suite's layout generator (tests/layouts), the report is drawn as
pictures (tests/ocr_pictures.py) two ways and parsed with the OCR cache off:
  - clean: a page whose tables are PNG screenshots (`nianbao parse page.html`)
  - scan:  an image-only PDF, A4 at each --dpi, tilted ±0.8°, noise, blur, JPEG q60, red seal
Reported: pages, seconds per page (wall, and CPU of this process), cells exact against the
generator's truth, wrong cells not flagged in `doubts` (must be 0), peak RSS.

--engines N: N single-cell pictures (figures and row labels drawn at table size, with the
scan's degradations) read by RapidOCR (PP-OCRv4, rapidocr-onnxruntime) and by Tesseract 5
(chi_sim, --psm 7; figures with a digit whitelist): exact rate and milliseconds per cell.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ["NIANBAO_OCR_CACHE"] = "off"

from layouts import generate  # noqa: E402
from ocr_pictures import picture_page, scanned_pdf, score  # noqa: E402

from parsers import ParseError, parse_path  # noqa: E402


def _seeds(spec: str) -> list[int]:
    a, _, b = spec.partition("-")
    return list(range(int(a), int(b) + 1)) if b else [int(x) for x in spec.split(",")]


def _run(path: Path, truth: dict):
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        report = parse_path(path)
    except ParseError as e:  # counted: every cell of the report lost
        print(f"  {path.name}: {e}", flush=True)
        n = sum(len(cells) for name in ("table2", "table3", "table4") for cells in (truth.get(name) or {}).values())
        return time.perf_counter() - t0, time.process_time() - c0, n, [("all", "", "", None, None, False)] * n
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n, wrong = score(report, truth)
    return wall, cpu, n, wrong


def bench_reports(seeds: list[int], dpis: list[int]) -> None:
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            case = generate(seed)
            d = Path(tmp) / f"s{seed}"
            d.mkdir()
            html, pics = picture_page(case.html, random.Random(seed))
            if not pics:
                print(f"seed {seed}: no <table> on the page to draw as a picture: skipped", flush=True)
                continue
            for name, data in pics.items():
                (d / name).write_bytes(data)
            (d / "page.html").write_bytes(html)
            r = _run(d / "page.html", case.truth)
            rows.setdefault("clean pictures", []).append((seed, len(pics), r))
            for dpi in dpis:
                pdf = d / f"scan{dpi}.pdf"
                pdf.write_bytes(scanned_pdf(case.html, random.Random(seed), dpi=dpi))
                import pdfplumber
                with pdfplumber.open(pdf) as p:
                    npages = len(p.pages)
                r = _run(pdf, case.truth)
                rows.setdefault(f"scan {dpi} dpi", []).append((seed, npages, r))
            done = ", ".join(f"{k}: {sum(x[2][2] - len(x[2][3]) for x in v)}/{sum(x[2][2] for x in v)}"
                             for k, v in rows.items())
            print(f"seed {seed}: {done}", flush=True)
    print("\n| set | reports | pages | s/page wall | s/page CPU | cells exact | wrong, flagged | wrong, not flagged |")
    print("|---|---|---|---|---|---|---|---|")
    for k, v in rows.items():
        pages = sum(x[1] for x in v)
        wall = sum(x[2][0] for x in v)
        cpu = sum(x[2][1] for x in v)
        n = sum(x[2][2] for x in v)
        wrong = [w for x in v for w in x[2][3]]
        flagged = sum(1 for w in wrong if w[5])
        print(f"| {k} | {len(v)} | {pages} | {wall / pages:.1f} | {cpu / pages:.1f} | "
              f"{n - len(wrong)}/{n} ({100 * (n - len(wrong)) / n:.2f} %) | {flagged} | {len(wrong) - flagged} |")
        for w in wrong:
            print(f"    {k}: {w[0]} {w[1]}/{w[2]} truth {w[3]} read {w[4]} flagged={w[5]}")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def bench_engines(n: int) -> None:
    import numpy as np
    import pytesseract
    from PIL import Image, ImageDraw, ImageFilter

    from ocr_pictures import _font
    from parsers.extract.ocr import Recognizer

    rng = random.Random(7)
    labels = ["一、本年新收政府信息公开申请数量", "（三）不予公开", "4、保护第三方合法权益", "商业企业", "法律服务机构",
              "行政复议", "结果纠正", "尚未审结", "（七）总计", "3、补正后申请内容仍不明确"]
    samples = []
    for k in range(n):
        text = str(rng.choice([rng.randint(0, 99), rng.randint(100, 9999), rng.randint(0, 9)])) if k % 3 else rng.choice(labels)
        font = _font(rng.choice((16, 19, 24)))
        w = int(font.getlength(text)) + 16
        img = Image.new("L", (w, font.size + 14), 255)
        ImageDraw.Draw(img).text((8, 6), text, fill=0, font=font)
        if k % 2:  # half degraded like a 150-dpi scan
            img = img.filter(ImageFilter.GaussianBlur(0.7))
            a = np.asarray(img).astype(np.int16) + np.random.default_rng(k).normal(0, 10, (img.height, img.width)).astype(np.int16)
            img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        samples.append((text, img))
    rec = Recognizer.get()
    t0 = time.perf_counter()
    got = rec.read([np.asarray(img) for _, img in samples])
    rapid_s = time.perf_counter() - t0
    rapid_ok = sum(1 for (t, _), g in zip(samples, got) if g[0].replace(" ", "") == t)
    t0 = time.perf_counter()
    tess_ok = 0
    for t, img in samples:
        cfg = "--psm 7 -c tessedit_char_whitelist=0123456789" if t.isdigit() else "--psm 7"
        g = pytesseract.image_to_string(img, lang="chi_sim", config=cfg).strip().replace(" ", "")
        tess_ok += g == t
    tess_s = time.perf_counter() - t0
    figures = [i for i, (t, _) in enumerate(samples) if t.isdigit()]
    rf = sum(1 for i in figures if got[i][0] == samples[i][0])
    print("\n| engine | cells exact | figures exact | ms per cell |")
    print("|---|---|---|---|")
    print(f"| RapidOCR PP-OCRv4 (rapidocr-onnxruntime) | {rapid_ok}/{n} | {rf}/{len(figures)} | {1000 * rapid_s / n:.0f} |")
    tf = 0
    for i in figures:
        t, img = samples[i]
        tf += pytesseract.image_to_string(img, lang="chi_sim", config="--psm 7 -c tessedit_char_whitelist=0123456789").strip() == t
    print(f"| Tesseract 5 chi_sim --psm 7 | {tess_ok}/{n} | {tf}/{len(figures)} | {1000 * tess_s / n:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0-3")
    ap.add_argument("--dpi", default="150")
    ap.add_argument("--engines", type=int, default=0)
    ap.add_argument("--no-reports", action="store_true")
    a = ap.parse_args()
    if a.engines:
        bench_engines(a.engines)
    if not a.no_reports:
        bench_reports(_seeds(a.seeds), [int(x) for x in a.dpi.split(",") if x])


if __name__ == "__main__":
    main()
