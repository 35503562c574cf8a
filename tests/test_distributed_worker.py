"""A worker waits for its archive writer without blocking (an async spider_opened handler), and
gives up cleanly when none comes."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import redis

from test_distributed import REPO, env, redis_url  # noqa: F401 - redis_url is a fixture


def test_a_worker_without_a_writer_gives_up_after_its_wait_and_leaves_nothing_behind(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    prefix = "nianbao:test-no-writer"
    config = {"redis": redis_url, "urls": ["http://127.0.0.1:9/"], "worker_id": "lonely:1",
              "overrides": {"NIANBAO_REDIS_PREFIX": prefix, "NIANBAO_WRITER_WAIT": 2, "NIANBAO_JS": "off",
                            "DOWNLOAD_HANDLERS": {}, "LOG_LEVEL": "INFO"}}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "crawler.distributed.worker", json.dumps(config)],
                       cwd=REPO, env=env(), capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 1, r.stderr[-2000:]
    assert f"waiting for the archive writer ({prefix}:crawl)" in r.stderr
    assert f"no archive writer announced a crawl at {prefix}:crawl within 2s" in r.stderr
    assert "Spider closed (no_writer)" in r.stderr
    assert "Traceback" not in r.stderr
    assert took < 60
    # it never joined: no worker record, no heartbeat, nothing fetched
    assert list(client.scan_iter(match=prefix + ":*")) == []


def test_a_worker_given_an_unreachable_redis_says_so_in_one_line() -> None:
    config = {"redis": "redis://:SECRET@127.0.0.1:1/0", "urls": ["http://127.0.0.1:9/"]}
    r = subprocess.run([sys.executable, "-m", "crawler.distributed.worker", json.dumps(config)],
                       cwd=REPO, env=env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "nianbao worker: cannot reach Redis at redis://:***@127.0.0.1:1/0: "), r.stderr[-2000:]
    assert "SECRET" not in r.stderr
