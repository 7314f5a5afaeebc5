"""The webhook benchmark runs end to end at a tiny size, so it cannot rot between `make bench`
runs: its own database (a throwaway PostgreSQL cluster, or SQLite), a real gunicorn on loopback,
signed requests, the ratios and the absolute target printed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import webhooks as bench_webhooks
from bench.postgres import binaries

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_MISSING = binaries() is None and not os.environ.get("DATABASE_URL", "").startswith("post")


def _run_tiny(*database: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    env.pop("BENCH_DATABASE_NAME", None)
    command = [sys.executable, "-m", "bench.webhooks", "--requests", "6", "--concurrency", "1,3"]
    command += ["--rounds", "2", "--threads", "4", "--max-seconds", "60", *database]

    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Ratios to the bare view (target: p99 ≤ 1.5×)" in out
    for clients in (1, 3):
        for endpoint in ("bare", "validateOrder", "placeOrder"):
            assert f"{clients:>9}  {endpoint:<14}      6      0" in out, out
        assert f"{clients:>9}  placeOrder     p50 " in out
    assert "Absolute (target: p99 < 100 ms at 50 clients)" in out
    return out


@pytest.mark.bench_smoke
@pytest.mark.skipif(POSTGRES_MISSING, reason="PostgreSQL server binaries are not installed")
def test_webhook_benchmark_runs_on_postgresql_at_a_tiny_size():
    out = _run_tiny()

    assert "PostgreSQL" in out.splitlines()[0]


@pytest.mark.bench_smoke
def test_webhook_benchmark_runs_on_sqlite_at_a_tiny_size():
    out = _run_tiny("--database", "sqlite")

    assert "SQLite (WAL)" in out.splitlines()[0]


def test_ratios_compare_each_webhook_with_the_bare_view_at_the_same_concurrency():
    rows = [
        {"clients": 1, "endpoint": "bare", "p50_ms": 2.0, "p99_ms": 4.0},
        {"clients": 1, "endpoint": "validateOrder", "p50_ms": 3.0, "p99_ms": 5.0},
        {"clients": 1, "endpoint": "placeOrder", "p50_ms": 4.0, "p99_ms": 8.0},
    ]

    found = bench_webhooks.ratios(rows)

    assert [(r["endpoint"], r["p50_ratio"], r["p99_ratio"], r["met"]) for r in found] == [
        ("validateOrder", 1.5, 1.25, True),
        ("placeOrder", 2.0, 2.0, False),
    ]


def test_percentiles_pick_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]

    assert bench_webhooks.percentile(values, 0.5) == 50.0
    assert bench_webhooks.percentile(values, 0.99) == 99.0
    assert bench_webhooks.percentile([7.0], 0.99) == 7.0


def test_the_absolute_target_is_judged_at_fifty_clients_only():
    rows = [
        {"clients": 10, "endpoint": "placeOrder", "p50_ms": 50.0, "p99_ms": 150.0},
        {"clients": 50, "endpoint": "bare", "p50_ms": 20.0, "p99_ms": 150.0},
        {"clients": 50, "endpoint": "validateOrder", "p50_ms": 30.0, "p99_ms": 99.0},
        {"clients": 50, "endpoint": "placeOrder", "p50_ms": 40.0, "p99_ms": 100.0},
    ]

    found = bench_webhooks.absolutes(rows)

    assert [(r["endpoint"], r["met"]) for r in found] == [
        ("validateOrder", True),
        ("placeOrder", False),
    ]
