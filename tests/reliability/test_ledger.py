"""The fault ledger: orders and statuses survive kill -9, Redis and PostgreSQL restarts, a
Redis FLUSHALL and a misbehaving Gett, on the production shape (portal.prodlocal).

    pytest -m reliability -p no:xdist tests/reliability          (CI: 100 faults, ~4 minutes)
    make chaos                                                      (1,000 faults)

RELIABILITY_FAULTS, RELIABILITY_SECONDS and RELIABILITY_ORDERS size the run. When it is over,
faults stop, the system settles, and both sides' ledgers are compared:

- every orderId the driver placed (retrying until a 2xx) exists exactly once, every 2xx reply
  carried the same partnerOrderId, and no other order exists;
- every status the kitchen set was applied by Gett once, in order, or is visibly dead-lettered
  with a refusal; nothing retryable was dead-lettered.

Delivery to Gett is at least once: a worker killed after Gett answered but before the outbox
recorded it sends that status again once the sweep reclaims the row. Gett's rules make the
repeat harmless (the same status again changes nothing; a repeated close is a 409 that the
outbox counts as delivered), so each status is *applied* exactly once; the repeats are counted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time

import httpx
import pytest

from portal.prodlocal import Ports, ProdStack, pg_available
from tests.reliability.harness import Chaos, Driver, Kitchen, compare, outbox_open

pytestmark = pytest.mark.reliability

FAULTS = int(os.environ.get("RELIABILITY_FAULTS", "100"))
SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "200"))
ORDERS = int(os.environ.get("RELIABILITY_ORDERS", str(max(60, FAULTS // 2))))
PORT_BASE = int(os.environ.get("RELIABILITY_PORT_BASE", "7750"))
SETTLE_SECONDS = 180.0

# Production settings, with the timings of a test: the sweep looks every few seconds, a claim
# is stale after 2 x 10 s, a hung Gett times out after 3 s, and the write pacing and the
# kitchen's API throttle are raised to the test's rate (the limits are tested elsewhere).
STACK_ENV = {
    "OUTBOX_SWEEP_SECONDS": "3",
    "OUTBOX_LOST_AFTER_SECONDS": "10",
    "OUTBOX_BACKOFF_MAX_SECONDS": "4",
    "OUTBOX_BREAKER_PROBE_SECONDS": "2",
    "CELERY_TASK_TIME_LIMIT": "20",
    "OUTBOX_DELIVERY_TIME_LIMIT": "10",
    "CELERY_TASK_SOFT_TIME_LIMIT": "15",
    "GETT_CONNECT_TIMEOUT": "2",
    "GETT_READ_TIMEOUT": "3",
    "GETT_WRITES_PER_MINUTE": "6000",
    "API_THROTTLE_USER": "100000/min",
    "STORE_RECONCILE_SECONDS": "3600",
    "LOG_LEVEL": "INFO",
}
SANDBOX_ENV = {
    "GETT_SANDBOX_HANG_SECONDS": "5",
    "GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS": "1",
    "GETT_SANDBOX_WRITES_PER_MINUTE": "100000",
    "GETT_SANDBOX_READS_PER_MINUTE": "100000",
}


@pytest.fixture(scope="module")
def stack(request):
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("the reliability tests need PostgreSQL and redis-server; CI installs them")
        pytest.skip("PostgreSQL (/usr/lib/postgresql/15/bin) or redis-server is not installed")
    prod = ProdStack(
        ports=Ports(PORT_BASE), extra_env=STACK_ENV, sandbox_env=SANDBOX_ENV, quiet=True
    )
    prod.start()
    # Production runs every process under a supervisor (systemd, an orchestrator): so here.
    prod.start_supervisor()
    try:
        yield prod
    finally:
        prod.stop()
        if request.session.testsfailed:
            print(f"\nlogs: {prod.run_dir}")
        elif prod.run_dir is not None:
            shutil.rmtree(prod.run_dir, ignore_errors=True)


def _readyz(stack: ProdStack) -> tuple[int, dict]:
    reply = httpx.get(f"{stack.url}/readyz", timeout=10)
    return reply.status_code, reply.json()


def test_readyz_names_what_is_down_and_healthz_stays_up(stack):
    assert _readyz(stack)[0] == 200
    stack._pg_ctl("stop", "-m", "fast")
    try:
        started = time.monotonic()
        status, body = _readyz(stack)
        assert time.monotonic() - started < 3
        assert (status, body["failed"]) == (503, ["database"])
        assert httpx.get(f"{stack.url}/healthz", timeout=5).text == "ok"
    finally:
        stack._pg_ctl("start")
    redis = stack.processes["redis"]
    redis.send_signal(signal.SIGSTOP)  # hangs rather than refuses: the timeout must hold
    try:
        started = time.monotonic()
        status, body = _readyz(stack)
        assert time.monotonic() - started < 3
        assert (status, body["failed"]) == (503, ["redis"])
    finally:
        redis.send_signal(signal.SIGCONT)
    stack.wait_ready(timeout=30)


def test_no_order_or_status_is_lost_or_duplicated_under_faults(stack):
    assert stack.run_dir is not None
    portal = json.loads(stack.python("tests.reliability.seed", "portal"))
    (stack.run_dir / "portal-seed.json").write_text(json.dumps(portal))
    seeded = stack.python(
        "tests.reliability.seed",
        "sandbox",
        str(stack.run_dir / "portal-seed.json"),
        str(ORDERS),
        "2026",
        sandbox=True,
    )
    bodies = json.loads(seeded)["bodies"]

    started = time.monotonic()
    driver = Driver(
        stack, bodies, retry_scale=0.005, deadline=started + SECONDS + SETTLE_SECONDS / 2
    )
    kitchen = Kitchen(stack, portal["token"], driver.placed)
    chaos = Chaos(stack, faults=FAULTS, seconds=SECONDS)
    threads = [
        threading.Thread(target=kitchen.run, daemon=True),
        threading.Thread(target=chaos.run, daemon=True),
    ]
    for thread in threads:
        thread.start()
    driver.run(rate_per_second=ORDERS / (SECONDS * 0.8))
    threads[1].join()
    chaos_seconds = time.monotonic() - started

    # Settle: Gett behaves again, every process is back; the kitchen finishes its orders and
    # the outbox drains (the sweep picks up what the faults left behind).
    stack.clear_sandbox_faults()
    stack.wait_ready()
    all_completed = kitchen.finish(timeout=SETTLE_SECONDS)
    deadline = time.monotonic() + SETTLE_SECONDS
    while outbox_open(stack) and time.monotonic() < deadline:
        time.sleep(1)
    settle_seconds = time.monotonic() - started - chaos_seconds

    ledger = compare(stack, driver)
    retries = driver.place_attempts - len(driver.placed)
    print(
        f"\nfaults: {sum(chaos.injected.values())} in {chaos_seconds:.0f}s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(chaos.injected.items()))})"
        f"\norders: {len(bodies)} planned, {len(driver.placed)} placed, {ledger.orders} in our "
        f"database; placeOrder attempts {driver.place_attempts} (retries {retries}), "
        f"validate retries {driver.validate_retries}, refused {len(driver.refused)}"
        f"\nstatuses: {ledger.statuses} set by the kitchen ({kitchen.steps_ok} steps answered, "
        f"{kitchen.step_retries} retried), {ledger.statuses_applied} applied at Gett, "
        f"{ledger.redelivered_no_op} repeats Gett absorbed, {ledger.dead_lettered} dead-lettered "
        f"({ledger.dead_lettered_retryable} retryable)"
        f"\nduplicates={ledger.duplicates} lost={ledger.lost} unknown={ledger.unknown} "
        f"partnerOrderId mismatches={ledger.mismatched_partner_ids} "
        f"statuses missing={ledger.statuses_missing} out of order={ledger.statuses_out_of_order} "
        f"applied twice={ledger.statuses_applied_twice} open={ledger.open_messages}; "
        f"settled in {settle_seconds:.0f}s"
        f"\nrestarted by the supervisor: {dict(stack.restarts) or 'nothing'}"
    )
    for problem in ledger.problems[:20]:
        print("  ", problem)
    for error in chaos.errors[:10]:
        print("   fault not injected:", error)

    assert sum(chaos.injected.values()) >= FAULTS, chaos.errors
    assert not driver.refused, driver.refused[:3]
    assert len(driver.placed) == len(bodies)
    assert (ledger.duplicates, ledger.lost, ledger.unknown) == (0, 0, 0)
    assert ledger.mismatched_partner_ids == 0
    assert all_completed
    assert ledger.open_messages == 0
    assert ledger.dead_lettered_retryable == 0
    assert (
        ledger.statuses_missing,
        ledger.statuses_out_of_order,
        ledger.statuses_applied_twice,
    ) == (0, 0, 0)
    assert ledger.statuses == ledger.statuses_applied + ledger.dead_lettered
