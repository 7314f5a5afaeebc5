"""The outbox drain benchmark runs end to end at a tiny size, so it cannot rot between `make
bench` runs: a throwaway PostgreSQL and Redis, gunicorn with the Gett sandbox, 2 real Celery
workers delivering over HTTP, the rate and the 429s printed."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import drain as bench_drain
from bench.postgres import binaries

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_MISSING = binaries() is None and not os.environ.get("DATABASE_URL", "").startswith("post")


@pytest.mark.bench_smoke
@pytest.mark.skipif(POSTGRES_MISSING, reason="PostgreSQL server binaries are not installed")
def test_drain_benchmark_delivers_everything_without_a_429_at_a_tiny_size():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    for name in ("BENCH_DATABASE_NAME", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    # 14 messages: one store status per store, then three orders with four statuses each.
    command = [sys.executable, "-m", "bench.drain", "--messages", "14", "--stores", "2"]
    command += ["--max-seconds", "90", "--strict"]

    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "PostgreSQL" in out.splitlines()[0]
    assert "  delivered                    14" in out, out
    assert "  429s from Gett                0" in out
    assert "  zero 429s from Gett" in out and "MISSED" not in out


def test_most_in_any_minute_counts_a_rolling_window_not_clock_minutes():
    start = datetime(2026, 6, 1, 12, 0, 50, tzinfo=UTC)
    # 3 writes late in one clock minute and 3 early in the next: 6 within 20 seconds.
    times = [start + timedelta(seconds=s) for s in (0, 5, 9, 11, 15, 20)]
    times.append(start + timedelta(seconds=80))  # 60 s after the 20 s one: a new window

    assert bench_drain.most_in_any_minute(times) == 6
    assert bench_drain.most_in_any_minute([]) == 0


def test_the_checks_say_which_target_was_missed():
    found = {"rate_limited": 1, "most_in_a_minute": 101, "gett_limit": 100, "open": 0, "failed": 0}

    assert bench_drain.drain_checks(found) == [
        ("zero 429s from Gett", False),
        ("never over 100 writes in any 60 s", False),
        ("everything delivered, nothing dead-lettered", True),
    ]
