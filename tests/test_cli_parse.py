"""`nianbao parse` as a user runs it: many sources in one process, one line per failure."""
import csv
import io
import json
import subprocess
import sys

from conftest import REPO, SEEDS

SEED_000 = str(SEEDS / "000_20c65bb80009b0e5.txt")
SEED_004 = str(SEEDS / "004_804bc5c71be8d781.txt")


def nianbao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_json_is_the_contract_shape():
    run = nianbao("parse", SEED_004, "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert {"url", "title", "year", "agency", "published", "template", "text", "site", "table2", "table3",
            "table4", "checks"} <= set(report)
    assert report["table3"]["partially_granted"] == {
        "natural_person": 2, "commercial": None, "research": None, "social_welfare": None,
        "legal_service": None, "other_org": None, "total": 8}
    assert report["site"]["index_no"] == "001008010002056/2021-116241"
    assert {"rule": "t3_row_total", "where": "partially_granted", "expected": 2, "found": 8,
            "ok": False} in report["checks"]


def test_jsonl_one_line_per_source_and_failures_do_not_stop_the_rest(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 40)
    run = nianbao("parse", SEED_000, str(empty), str(garbage), SEED_004, "--format", "jsonl")
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert [json.loads(ln)["agency"] for ln in lines] == ["西岗区", "新前街道"]
    errors = run.stderr.strip().splitlines()
    assert errors == [
        f"nianbao parse: {empty}: empty file",
        f"nianbao parse: {garbage}: binary data, not a document this tool reads (HTML, text, PDF, DOC, DOCX)",
    ]
    assert "Traceback" not in run.stderr


def test_csv_long_form():
    run = nianbao("parse", SEED_000, "--format", "csv")
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["source", "table", "row", "column", "value"]
    assert [SEED_000, "table2", "licensing", "decisions", "20960"] in rows
    assert [SEED_000, "table3", "other_no_correction", "total", ""] in rows
    assert [SEED_000, "table4", "litigation_direct", "pending", "6"] in rows
    # 6 + 3×7... every cell once: table2 (3+3+1+1+1+1) + table3 (25 rows × 7) + table4 (15)
    assert len(rows) - 1 == 10 + 25 * 7 + 15


def test_text_marks_failing_checks():
    run = nianbao("parse", SEED_004, "--format", "text")
    assert run.returncode == 0
    assert "新前街道2020年度政府信息公开年度报告" in run.stdout
    marked = [ln for ln in run.stdout.splitlines() if ln.startswith("! ")]
    assert len(marked) == 1 and "(二)部分公开" in marked[0] and marked[0].split()[-1] == "8"
    assert "✗ t3_row_total [partially_granted]: expected 2, found 8" in run.stdout
    assert "checks: 26 passed, 5 failed" in run.stdout


def test_bad_sources_get_one_clear_line(tmp_path):
    truncated = tmp_path / "truncated.html"
    truncated.write_text("<html><head><title>某县2021年政府信息公开工作年度报告</title></head><body><div><p>一、总体",
                         encoding="utf-8")
    notice = tmp_path / "notice.html"
    notice.write_text("<html><body><h1>关于做好2023年度政府信息公开工作年度报告编制发布工作的通知</h1>"
                      "<p>各乡镇人民政府、县直各单位：为做好年度报告编制工作，现将有关事项通知如下。</p></body></html>",
                      encoding="utf-8")
    run = nianbao("parse", str(truncated), str(notice), "file:///etc/passwd", str(tmp_path),
                  "--format", "json")
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        f"nianbao parse: {truncated}: no report body under the title '某县2021年政府信息公开工作年度报告' (truncated page?)",
        f"nianbao parse: {notice}: not an annual report: '关于做好2023年度政府信息公开工作年度报告编制发布工作的通知'",
        "nianbao parse: file:///etc/passwd: refused URL scheme 'file': only http and https",
        f"nianbao parse: {tmp_path}: is a directory",
    ]
