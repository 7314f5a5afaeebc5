"""Webhook benchmark: validateOrder and placeOrder latency against a bare Django view.

    make bench          (.venv/bin/python -m bench.webhooks)

PostgreSQL is the production shape and the default: without DATABASE_URL the bench starts its own
throwaway cluster (Debian's server, `bench.postgres`) and removes it afterwards; with DATABASE_URL
it uses that server's test_<name> database. `--database sqlite` measures a SQLite file (WAL).

In that fresh database it creates a store on Gett with a 40-item menu open all day, then starts
one gunicorn server (gthread, 2 workers) on 127.0.0.1 serving the portal plus a bare view
(`bench.urls.bare_insert`: read the body, one INSERT, a JSON reply). Against that same server, in
the same run, an asyncio client sends a fixed number of signed requests per endpoint at each
concurrency (default 1, 10 and 50 clients, each with its own keep-alive connection, each sending
its next request as soon as the last one is answered):

* bare: POST /bench/insert with a validateOrder body;
* validateOrder: POST /webhooks/gett/validateOrder, carts built the way Gett's sandbox builds them;
* placeOrder: POST /webhooks/gett/placeOrder, each with a new orderId and the validated amounts
  (so every request creates an order).

The endpoints take turns in rounds, so a slow moment of the machine hits all three alike. It
prints p50/p99 per endpoint, the webhooks' ratios to the bare view and the absolute p99 at the
highest concurrency. ARCHITECTURE's targets: p99 ≤ 1.5× the bare view, and p99 < 100 ms at 50
concurrent clients. Every request must answer 200; the run stops at --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ENDPOINTS = ("bare", "validateOrder", "placeOrder")
PATHS = {
    "bare": "/bench/insert",
    "validateOrder": "/webhooks/gett/validateOrder",
    "placeOrder": "/webhooks/gett/placeOrder",
}
TARGET_RATIO = 1.5
TARGET_P99_MS = 100.0
TARGET_P99_CLIENTS = 50
CARTS = 30
MENU_ITEMS = 40
REQUEST_TIMEOUT = 10.0
ROOT = Path(__file__).resolve().parent.parent


# --- the data ------------------------------------------------------------------------------------


def seed_store() -> tuple[str, list[dict]]:
    """A store on Gett with a menu open all day; returns its Gett id and validateOrder bodies."""
    from datetime import time as dtime

    from bench.menu import menu_generate
    from catalogs.models import AvailabilityWindow
    from catalogs.publishing.builder import catalog_build
    from gett.sandbox.services import carts
    from stores.models import Merchant, Store

    merchant = Merchant.objects.create(name="Bench Webhooks")
    store = Store.objects.create(
        merchant=merchant,
        name="Bench webhooks store",
        timezone="Europe/London",
        currency="GBP",
        gett_store_id=uuid.uuid4(),
        tax_rate_bp=875,
        delivery_fee=299,
    )
    menu_generate(merchant=merchant, items=MENU_ITEMS, profile="shared")
    AvailabilityWindow.objects.filter(catalog__merchant=merchant).update(
        start=dtime(0), end=dtime(0)
    )
    document = catalog_build(store=store)
    bodies = [
        carts.order_body_build(
            document,
            store_id=str(store.gett_store_id),
            fulfillment_types=["delivery", "pickup"],
            rng=random.Random(seed),
        )
        for seed in range(CARTS)
    ]
    return str(store.gett_store_id), bodies


# --- the server ----------------------------------------------------------------------------------


def server_start(
    *, database_name: str, workers: int, threads: int, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    from bench.postgres import free_port
    from portal.prodlocal import gunicorn_command

    port = port or free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_NAME": database_name,
    }
    # Production's command; connections kept open between the rounds of the run.
    command = gunicorn_command(port, workers=workers, threads=threads, keep_alive=30)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, base_url
        except OSError:
            time.sleep(0.1)
    server_stop(process)
    raise RuntimeError("gunicorn did not start within 30 s")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the clients ---------------------------------------------------------------------------------


class Requests:
    """The signed request each endpoint gets next: validate and place bodies, placed once each."""

    def __init__(self, bodies: list[dict], secret: str) -> None:
        self.bodies = bodies
        self.secret = secret
        self.amounts: list[dict] = []
        self.count = 0

    def next(self, endpoint: str) -> tuple[bytes, dict[str, str]]:
        from gett.signing import signed_headers

        self.count += 1  # one event loop sends everything: no lock needed
        index = self.count % len(self.bodies)
        body = self.bodies[index]
        if endpoint == "placeOrder":
            body = {**body, "orderId": str(uuid.uuid4()), "amounts": self.amounts[index]}
        raw = json.dumps(body).encode()
        headers = signed_headers(raw, self.secret)
        return raw, headers


def validated_amounts(base_url: str, requests_: Requests) -> None:
    """Price every cart once through validateOrder: placeOrder must send our amounts back."""
    import requests

    from gett.signing import signed_headers

    with requests.Session() as session:
        for body in requests_.bodies:
            raw = json.dumps(body).encode()
            reply = session.post(
                base_url + PATHS["validateOrder"],
                data=raw,
                headers=signed_headers(raw, requests_.secret),
                timeout=REQUEST_TIMEOUT,
            )
            if reply.status_code != 200:
                raise RuntimeError(f"validateOrder answered {reply.status_code}: {reply.text}")
            requests_.amounts.append(reply.json()["amounts"])


class Connection:
    """One client's keep-alive HTTP/1.1 connection: a request, then its whole reply.

    Deliberately tiny (no parsing beyond the status line and Content-Length): the client shares
    the machine's cores with the server, so it must cost as little as it can per request.
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, raw: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head += [f"Content-Length: {len(raw)}", "", ""]
        self.writer.write("\r\n".join(head).encode() + raw)
        await self.writer.drain()
        reply_head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = reply_head.decode("latin-1").split("\r\n")
        length = 0
        keep_alive = True
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep_alive = False
        await self.reader.readexactly(length)
        if not keep_alive:
            await self.close()
        return int(status_line.split(" ", 2)[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def run_batch(
    base_url: str, endpoint: str, *, clients: int, count: int, requests_: Requests, deadline: float
) -> tuple[list[float], int, float]:
    """`count` requests from `clients` concurrent clients; latencies (ms), failures, seconds."""
    return asyncio.run(
        _batch(
            base_url,
            endpoint,
            clients=clients,
            count=count,
            requests_=requests_,
            deadline=deadline,
        )
    )


async def _batch(
    base_url: str, endpoint: str, *, clients: int, count: int, requests_: Requests, deadline: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = 0
    per_client = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    path = PATHS[endpoint]

    async def client(n: int) -> None:
        nonlocal failures
        connection = Connection(base_url)
        try:
            for _ in range(n):
                if time.monotonic() > deadline:
                    return
                raw, headers = requests_.next(endpoint)
                started = time.perf_counter()
                try:
                    status = await asyncio.wait_for(
                        connection.post(path, raw, headers), REQUEST_TIMEOUT
                    )
                    ok = status == 200
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                    await connection.close()
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                if ok:
                    latencies.append(elapsed)
                else:
                    failures += 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in per_client if n))
    return latencies, failures, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least `fraction` of the values at or below it.
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def measure(
    base_url: str,
    *,
    concurrency: list[int],
    count: int,
    rounds: int,
    requests_: Requests,
    max_seconds: float,
) -> list[dict]:
    deadline = time.monotonic() + max_seconds
    results = []
    for clients in concurrency:
        # Warm every worker thread and connection before measuring.
        for endpoint in ENDPOINTS:
            run_batch(
                base_url,
                endpoint,
                clients=clients,
                count=clients * 2,
                requests_=requests_,
                deadline=deadline,
            )
        latencies: dict[str, list[float]] = {endpoint: [] for endpoint in ENDPOINTS}
        failures = dict.fromkeys(ENDPOINTS, 0)
        sent = dict.fromkeys(ENDPOINTS, 0)
        busy = dict.fromkeys(ENDPOINTS, 0.0)
        for round_ in range(rounds):
            share = count // rounds + (1 if round_ < count % rounds else 0)
            for endpoint in ENDPOINTS:
                found, failed, seconds = run_batch(
                    base_url,
                    endpoint,
                    clients=clients,
                    count=share,
                    requests_=requests_,
                    deadline=deadline,
                )
                latencies[endpoint] += found
                failures[endpoint] += failed
                sent[endpoint] += share
                busy[endpoint] += seconds
        for endpoint in ENDPOINTS:
            values = latencies[endpoint]
            results.append(
                {
                    "clients": clients,
                    "endpoint": endpoint,
                    "requests": sent[endpoint],
                    "ok": len(values),
                    "failures": failures[endpoint],
                    "p50_ms": percentile(values, 0.50),
                    "p99_ms": percentile(values, 0.99),
                    "mean_ms": statistics.fmean(values) if values else float("nan"),
                    "per_second": len(values) / busy[endpoint] if busy[endpoint] else 0.0,
                }
            )
    return results


def ratios(results: list[dict]) -> list[dict]:
    """Each webhook's p50 and p99 over the bare view's, per concurrency."""
    found = []
    for clients in dict.fromkeys(r["clients"] for r in results):
        rows = {r["endpoint"]: r for r in results if r["clients"] == clients}
        bare = rows["bare"]
        for endpoint in ("validateOrder", "placeOrder"):
            row = rows[endpoint]
            p50 = row["p50_ms"] / bare["p50_ms"] if bare["p50_ms"] else float("nan")
            p99 = row["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else float("nan")
            found.append(
                {
                    "clients": clients,
                    "endpoint": endpoint,
                    "p50_ratio": p50,
                    "p99_ratio": p99,
                    "met": p99 <= TARGET_RATIO,
                }
            )
    return found


def absolutes(results: list[dict]) -> list[dict]:
    """The webhooks' p99 at TARGET_P99_CLIENTS clients against TARGET_P99_MS (when measured)."""
    return [
        {**r, "met": r["p99_ms"] < TARGET_P99_MS}
        for r in results
        if r["clients"] == TARGET_P99_CLIENTS and r["endpoint"] != "bare"
    ]


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(results: list[dict], found: list[dict], *, info: str, out=sys.stdout) -> None:
    def line(text: str = "") -> None:
        print(text, file=out)

    line(f"Webhook benchmark ({info})")
    line()
    line(
        f"  {'clients':>7}  {'endpoint':<14} {'ok':>6} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'req/s':>7}"
    )
    for r in results:
        line(
            f"  {r['clients']:>7}  {r['endpoint']:<14} {r['ok']:>6} {r['failures']:>6} "
            f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r.get('per_second', 0.0):>7.0f}"
        )
    line()
    line(f"  Ratios to the bare view (target: p99 ≤ {TARGET_RATIO}×)")
    for r in found:
        line(
            f"  {r['clients']:>7}  {r['endpoint']:<14} p50 {r['p50_ratio']:.2f}×  "
            f"p99 {r['p99_ratio']:.2f}×  {_verdict(r['met'])}"
        )
    line()
    line(f"  Absolute (target: p99 < {TARGET_P99_MS:.0f} ms at {TARGET_P99_CLIENTS} clients)")
    found_absolute = absolutes(results)
    if not found_absolute:
        line(f"  {'':>7}  not measured: run with {TARGET_P99_CLIENTS} in --concurrency")
    for r in found_absolute:
        line(
            f"  {r['clients']:>7}  {r['endpoint']:<14} p50 {r['p50_ms']:.1f} ms  "
            f"p99 {r['p99_ms']:.1f} ms  {_verdict(r['met'])}"
        )


def database_choose(choice: str) -> tuple[str, object | None]:
    """Point DATABASE_URL at the database to measure, before Django reads its settings.

    postgres: DATABASE_URL when it names a PostgreSQL server, else a throwaway cluster (returned,
    to be stopped). sqlite: a SQLite file, whatever DATABASE_URL says.
    """
    if choice == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'db.sqlite3'}"  # bench: a temp file
        return "SQLite (WAL)", None
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://", "pgsql://")):
        return "PostgreSQL (DATABASE_URL)", None
    from bench.postgres import cluster_start

    cluster = cluster_start()
    os.environ["DATABASE_URL"] = cluster.url
    return "PostgreSQL (throwaway cluster)", cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.webhooks", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--requests", type=int, default=400, help="Requests per endpoint and concurrency."
    )
    parser.add_argument(
        "--concurrency", default="1,10,50", help="Comma-separated client counts (default 1,10,50)."
    )
    parser.add_argument("--rounds", type=int, default=4, help="Turns the endpoints take.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
    parser.add_argument("--threads", type=int, default=10, help="Threads per gunicorn worker.")
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="postgres (DATABASE_URL, else a throwaway cluster; the default) or sqlite.",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=300, help="Stop sending after this long."
    )
    parser.add_argument(
        "--strict", action="store_true", help="Exit with status 1 when a target is not met."
    )
    args = parser.parse_args(argv)
    concurrency = [int(n) for n in args.concurrency.split(",") if n.strip()]
    if not concurrency or min(concurrency) < 1 or args.requests < 1 or args.rounds < 1:
        parser.error("--requests, --rounds and every --concurrency must be at least 1")

    started = time.perf_counter()
    # A SIGTERM (timeout, Ctrl-C from a supervisor) still stops the servers started below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    database, cluster = database_choose(args.database)
    try:
        return _run(args, concurrency, database=database, started=started)
    finally:
        if cluster is not None:
            cluster.stop()  # type: ignore[attr-defined]


def _run(args: argparse.Namespace, concurrency: list[int], *, database: str, started: float) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    process = None
    try:
        database_name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
        store_id, bodies = seed_store()
        connection.close()  # the server writes now; this process only sends
        secret = settings.GETT_WEBHOOK_SECRETS[0]
        process, base_url = server_start(
            database_name=database_name, workers=args.workers, threads=args.threads
        )
        requests_ = Requests(bodies, secret)
        validated_amounts(base_url, requests_)
        results = measure(
            base_url,
            concurrency=concurrency,
            count=args.requests,
            rounds=args.rounds,
            requests_=requests_,
            max_seconds=args.max_seconds,
        )
    finally:
        if process is not None:
            server_stop(process)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    found = ratios(results)
    conn_max_age = connection.settings_dict.get("CONN_MAX_AGE")
    info = (
        f"{database}, gunicorn {args.workers}×{args.threads} threads, CONN_MAX_AGE "
        f"{conn_max_age}, {args.requests} requests per endpoint and concurrency, "
        f"store {store_id[:8]}"
    )
    report(results, found, info=info)
    print(f"\n  {time.perf_counter() - started:.0f} s in all")
    failed = sum(r["failures"] + (r["requests"] - r["ok"] - r["failures"]) for r in results)
    if failed:
        print(f"  {failed} request(s) failed or were not sent in time", file=sys.stderr)
        return 1
    missed = not all(r["met"] for r in found + absolutes(results))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
