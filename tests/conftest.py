import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    assert SEEDS.is_dir(), f"seed texts not found at {SEEDS} (set NIANBAO_SHARED)"
    return SEEDS


def q(db, sql: str, *params) -> list[tuple]:
    """Rows of one query against an archive file (closed right after)."""
    import sqlite3
    c = sqlite3.connect(db)
    try:
        return list(c.execute(sql, params))
    finally:
        c.close()
