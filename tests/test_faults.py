"""Faults survived: one crawl of the fault-injecting portal (tests/portals/faulty.py).

The crawl runs as `nianbao crawl` in a subprocess behind the test network guard (nothing outside
127.0.0.0/8 can even be attempted). It must finish normally, record every failure with its reason
in the archive, store no wrong report (the lying-charset pages give the right Chinese text, the
malformed table invents no number, truncated/reset bodies are never reports), bound the calendar
trap, and keep its memory bounded while 2 × 50 MB pages are served (peak RSS from the kernel's
own accounting, not a timing).
"""
from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from portals import faulty
from conftest import q

REPO = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=2",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.2", "-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "LOG_LEVEL=WARNING"]
RSS_LIMIT_MB = 400
CAL_CAP = 20


def _env(tmp: Path) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e["NIANBAO_TEST_CONNECT_LOG"] = str(tmp / "connects.log")
    return e


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0



@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    site = faulty.faulty_site()
    db = tmp / "archive.db"
    with faulty.serve(site) as server:
        cmd = faulty.launcher_cmd("crawl", server.url, "--db", str(db), "--no-js", *FAST,
                                  "-s", f"NIANBAO_MAX_LISTING_PAGES={CAL_CAP}", "-O", str(tmp / "reports.jsonl"))
        err = open(tmp / "stderr.txt", "w+")
        proc = subprocess.Popen(cmd, cwd=tmp, env=_env(tmp), stdout=subprocess.DEVNULL, stderr=err)
        hwm = 0
        deadline = time.time() + 150
        while proc.poll() is None and time.time() < deadline:
            hwm = max(hwm, _vm_hwm_kb(proc.pid))
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
        # wait4 gives the kernel's peak RSS of the crawl process (and of the children it reaped)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            rc = os.waitstatus_to_exitcode(status)
            peak_kb = max(hwm, usage.ru_maxrss)
        except ChildProcessError:  # already reaped by poll()
            rc, peak_kb = proc.returncode, max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        err.seek(0)
        stderr = err.read()
        err.close()
    base = server.url.rstrip("/")
    return {"site": site, "db": db, "rc": rc, "stderr": stderr, "peak_mb": peak_kb / 1024, "base": base,
            "tmp": tmp}


def test_crawl_finishes_and_archives_the_good_reports(crawled):
    site, db, base = crawled["site"], crawled["db"], crawled["base"]
    assert crawled["rc"] == 0, crawled["stderr"][-3000:]
    assert "Traceback" not in crawled["stderr"], crawled["stderr"][-3000:]
    assert q(db, "SELECT status FROM crawls") == [("finished",)]
    live = {u: (t, text) for u, t, text in q(db, "SELECT url, title, text FROM reports WHERE removed_at IS NULL")}
    # the good reports (some only after 503/429/a reset), and nothing else: no report from a
    # truncated or reset body, a 50 MB page, an unreadable attachment or an error page
    assert set(live) == {base + p for p in site.reports}, (set(live) ^ {base + p for p in site.reports})
    for path, phrase in site.reports.items():
        title, text = live[base + path]
        assert phrase in (title + text), (path, title)
    assert q(db, "SELECT count(*) FROM reports") == [(len(site.reports),)]  # one version each
    fed = [json.loads(l) for l in (crawled["tmp"] / "reports.jsonl").read_text().splitlines()]
    assert {f["url"] for f in fed} == set(live)


def test_lying_charset_pages_give_the_right_chinese_text(crawled):
    db, base = crawled["db"], crawled["base"]
    rows = dict((u, (t, x)) for u, t, x in q(db, "SELECT url, title, text FROM reports"))
    t1, x1 = rows[base + "/gknb/lying_gb2312.html"]  # says gb2312, is UTF-8
    assert t1 == "大连市西岗区2017年政府信息公开工作年度报告", t1
    assert "认真贯彻落实" in x1 and "\ufffd" not in x1
    t2, x2 = rows[base + "/gknb/lying_utf8.html"]  # says utf-8, is GBK
    assert "新前街道" in t2 and "政府信息公开" in t2, t2
    assert "\ufffd" not in x2 and "政府信息公开" in x2
    # the listing itself lies (gb2312 declared, UTF-8 sent): its report links were all found
    assert base + "/gknb/ok.html" in rows


def test_malformed_table_invents_no_number(crawled, tmp_path):
    """Every figure stored for the malformed page is the figure the clean page has in that cell
    (or null): a broken table may lose numbers, never make them up or move them."""
    from parsers import parse_bytes
    from portals import sites

    db, base = crawled["db"], crawled["base"]
    clean = parse_bytes(sites.XIGANG, "http://x/clean.html", "text/html").to_dict()
    rid = q(db, "SELECT id FROM reports WHERE url = ?", base + "/gknb/bad_table.html")[0][0]
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    stored = [dict(r) for r in c.execute("SELECT * FROM table3 WHERE report_id = ?", (rid,))]
    c.close()
    clean_t3 = clean["table3"]
    assert stored, "the malformed report kept no table 3 row at all"
    checked = 0
    for r in stored:
        for col in ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"):
            v = r[col]
            if v is None:
                continue
            expected = _cell(clean_t3, r["row_key"], col)
            assert expected is not None and float(v) == float(expected), (r["row_key"], col, v, expected)
            checked += 1
    assert checked > 50  # most of the table survives


def _cell(t3: dict, row_key: str, col: str):
    return (t3.get(row_key) or {}).get(col)


def test_every_failure_recorded_with_its_reason(crawled):
    site, db, base = crawled["site"], crawled["db"], crawled["base"]
    errors: dict[str, list[str]] = {}
    for u, why in q(db, "SELECT url, reason FROM errors"):
        errors.setdefault(u, []).append(why)
    pages_err = {u: e for u, e in q(db, "SELECT url, error FROM pages WHERE error IS NOT NULL")}
    for path, phrase in site.errors.items():
        reasons = errors.get(base + path, []) + ([pages_err[base + path]] if base + path in pages_err else [])
        assert any(phrase in r for r in reasons), (path, phrase, reasons)
    # the unreadable attachments are archived raw (for a later re-parse) with the reason
    for path in ("/gknb/P_encrypted.pdf", "/gknb/P_scanned.pdf", "/gknb/P_bomb.docx"):
        assert "parse failed" in pages_err[base + path], pages_err.get(base + path)
    # retries happened as asked: 503 once then OK; 429 twice then OK; always-429: 1 + 2 retries;
    # a Retry-After of an hour is not waited for (one request)
    log = site.requested()
    assert log.count("/gknb/busy503.html") == 2
    assert log.count("/gknb/slow429.html") == 3
    assert log.count("/gknb/always429.html") == 3
    assert log.count("/gknb/later503.html") == 1
    assert log.count("/gknb/reset.html") == 3 and log.count("/gknb/reset_once.html") == 2
    assert log.count("/gknb/timeout.html") == 3


def test_calendar_trap_is_bounded(crawled):
    site, db, base = crawled["site"], crawled["db"], crawled["base"]
    cal = [p for p in site.requested() if p.startswith("/bmnb/rili")]
    assert len(cal) == len(set(cal)) <= CAL_CAP + 1, len(cal)
    reasons = [r for (r,) in q(db, "SELECT reason FROM errors WHERE url = ?", base + "/bmnb/rili?date=2023-01-01")]
    assert any("listing page cap reached" in r for r in reasons), reasons
    # an incomplete listing is no proof that anything was removed
    assert "removal check skipped" in crawled["stderr"]


def test_memory_bounded_while_50mb_pages_are_served(crawled):
    site = crawled["site"]
    assert crawled["peak_mb"] < RSS_LIMIT_MB, crawled["peak_mb"]
    # both big pages were really served (streamed), and the crawler hung up early on both
    assert set(site.big_bytes_sent) == {"/gknb/huge_chunked.html", "/gknb/huge_length.html"}
    assert all(n < faulty.BIG for n in site.big_bytes_sent.values()), site.big_bytes_sent
    print(f"peak RSS of the crawl process: {crawled['peak_mb']:.0f} MB")


def test_nothing_but_the_portal_was_contacted(crawled):
    log_file = crawled["tmp"] / "connects.log"
    assert not log_file.exists() or not log_file.read_text().strip(), log_file.read_text()
    hosts = {h for _, h, _ in crawled["site"].hosts}
    assert hosts == {crawled["base"].split("//", 1)[1]}, hosts
