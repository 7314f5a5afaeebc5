"""The webhook benchmark runs end to end at a tiny size, so it cannot rot between `make bench`
runs: its own database, a real gunicorn on loopback, signed requests, the ratios printed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import webhooks as bench_webhooks

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.bench_smoke
def test_webhook_benchmark_runs_and_prints_ratios_at_a_tiny_size():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    env.pop("BENCH_DATABASE_NAME", None)
    command = [sys.executable, "-m", "bench.webhooks", "--requests", "6", "--concurrency", "1,3"]
    command += ["--rounds", "2", "--threads", "4", "--max-seconds", "60"]

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
