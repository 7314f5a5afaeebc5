"""The ledger test's parts: Gett's driver, the kitchen, the chaos loop and the ledgers.

- `Driver` plays Gett: for each planned order, validateOrder (as the consumer checks out), then
  placeOrder with Gett's retry schedule (REFERENCE §11: 30 s, 2 min, 10 min, 1 h) scaled down,
  retrying until a 2xx. Every reply is kept.
- `Kitchen` works the placed orders through the merchant API: confirmed, preparing, ready,
  completed, one step at a time at random, retrying a step that failed.
- `Chaos` injects faults in random order: kill -9 of a web worker, of a Celery pool process,
  Redis restart and FLUSHALL, PostgreSQL restart, the sandbox answering 500 / 429 / hanging /
  dropping the connection.
- `Ledgers` reads both sides when it is over: our database (orders, outbox) and Gett's (the
  sandbox's orders, status events and calls), and says what was lost or duplicated.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from queue import Empty, Queue

import httpx

from gett.signing import signed_headers
from portal.prodlocal import ProdStack

# One line per request would drown the counts.
logging.getLogger("httpx").setLevel(logging.WARNING)

# REFERENCE §11, in seconds; after the last one Gett would give up, the driver keeps going.
GETT_RETRY_DELAYS = (30, 120, 600, 3600)
STEPS = ("confirmed", "preparing", "ready", "completed")
FAULTS = (
    "web_kill",
    "celery_kill",
    "redis_restart",
    "redis_flushall",
    "postgres_restart",
    "sandbox_500",
    "sandbox_429",
    "sandbox_hang",
    "sandbox_drop",
)
SANDBOX_MODES = {
    "sandbox_500": "status_500",
    "sandbox_429": "status_429",
    "sandbox_hang": "hang",
    "sandbox_drop": "drop",
}


@dataclass
class Reply:
    order_id: str
    status: int  # 0: no reply (connection refused, reset, timeout)
    partner_order_id: str = ""
    error: str = ""


@dataclass
class Driver:
    stack: ProdStack
    bodies: list[dict]
    retry_scale: float
    clients: int = 4
    deadline: float = 0.0
    replies: list[Reply] = field(default_factory=list)
    placed: dict[str, str] = field(default_factory=dict)  # orderId -> partnerOrderId (first 2xx)
    refused: list[Reply] = field(default_factory=list)  # 4xx at place: never expected
    validate_retries: int = 0
    place_attempts: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: Queue[dict] = Queue()
        self.secret = self.stack.secrets["GETT_WEBHOOK_SECRETS"].split(",")[0]

    def run(self, *, rate_per_second: float) -> None:
        threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for body in self.bodies:
            self.queue.put(body)
            time.sleep(random.expovariate(rate_per_second))
        self.queue.join()

    def _client(self) -> None:
        with httpx.Client(base_url=self.stack.url, timeout=10.0) as http:
            while True:
                try:
                    body = self.queue.get(timeout=1)
                except Empty:
                    continue
                try:
                    self._order(http, body)
                finally:
                    self.queue.task_done()

    def _post(self, http: httpx.Client, path: str, body: dict) -> httpx.Response | str:
        raw = json.dumps(body).encode()
        headers = {**signed_headers(raw, self.secret), "Content-Type": "application/json"}
        try:
            return http.post(path, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"

    def _order(self, http: httpx.Client, body: dict) -> None:
        order_id = body["orderId"]
        validate_body = {k: v for k, v in body.items() if k != "orderId"}
        # The consumer's checkout: validateOrder until it prices the cart (not part of the
        # ledger: Gett never retries it, the consumer just tries again).
        while True:
            reply = self._post(http, "/webhooks/gett/validateOrder", validate_body)
            if isinstance(reply, httpx.Response) and reply.status_code == 200:
                amounts = reply.json()["amounts"]
                break
            if isinstance(reply, httpx.Response) and 400 <= reply.status_code < 500:
                raise AssertionError(f"validateOrder refused: {reply.text}")
            with self.lock:
                self.validate_retries += 1
            if time.monotonic() > self.deadline:
                return
            time.sleep(0.5)
        place_body = {**body, "amounts": amounts}
        attempt = 0
        while True:
            reply = self._post(http, "/webhooks/gett/placeOrder", place_body)
            with self.lock:
                self.place_attempts += 1
                if isinstance(reply, httpx.Response):
                    partner_order_id = ""
                    if 200 <= reply.status_code < 300:
                        partner_order_id = reply.json().get("partnerOrderId", "")
                    record = Reply(order_id, reply.status_code, partner_order_id, reply.text[:300])
                else:
                    record = Reply(order_id, 0, error=reply)
                self.replies.append(record)
                if 200 <= record.status < 300:
                    self.placed.setdefault(order_id, record.partner_order_id)
                    # Gett retries a place it did not hear the answer to: sometimes once more.
                    if random.random() < 0.1:
                        continue
                    return
                if 400 <= record.status < 500 and record.status not in (408, 429):
                    self.refused.append(record)
                    return
            if time.monotonic() > self.deadline:
                return
            delay = GETT_RETRY_DELAYS[min(attempt, len(GETT_RETRY_DELAYS) - 1)]
            attempt += 1
            time.sleep(delay * self.retry_scale)


@dataclass
class Kitchen:
    """Moves placed orders forward through the merchant API, as a kitchen tablet would."""

    stack: ProdStack
    token: str
    placed: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    steps_ok: int = 0
    step_retries: int = 0
    done: set[str] = field(default_factory=set)

    def run(self) -> None:
        headers = {"Authorization": f"Token {self.token}"}
        ids: dict[str, str] = {}  # Gett orderId -> our public id
        with httpx.Client(base_url=self.stack.url, timeout=10.0, headers=headers) as http:
            while not self.stop.is_set():
                todo = [o for o in list(self.placed) if o not in self.done]
                if any(o not in ids for o in todo):
                    ids.update(self._open_orders(http))
                for order_id in todo:
                    if order_id in ids and random.random() < 0.5:
                        self._advance(http, order_id, ids[order_id])
                time.sleep(0.2)

    def finish(self, timeout: float) -> bool:
        """Until every placed order is completed (the driver has stopped placing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(self.placed) <= self.done:
                break
            time.sleep(0.5)
        self.stop.set()
        return set(self.placed) <= self.done

    def _open_orders(self, http: httpx.Client) -> dict[str, str]:
        found: dict[str, str] = {}
        url: str | None = "/api/v1/orders/?state=open"
        while url:
            try:
                reply = http.get(url)
            except httpx.HTTPError:
                return found
            if reply.status_code != 200:
                return found
            page = reply.json()
            for order in page["results"]:
                found[order["gett_order_id"]] = order["id"]
            url = page.get("next")
        return found

    def _advance(self, http: httpx.Client, order_id: str, public_id: str) -> None:
        try:
            current = http.get(f"/api/v1/orders/{public_id}/")
            if current.status_code != 200:
                self.step_retries += 1
                return
            order = current.json()
            if order["state"] != "open":
                self.done.add(order_id)
                return
            position = STEPS.index(order["status"]) + 1 if order["status"] in STEPS else 0
            step = STEPS[position]
            reply = http.post(f"/api/v1/orders/{public_id}/status/", json={"status": step})
        except httpx.HTTPError:
            self.step_retries += 1  # no answer: the next look says whether it was done
            return
        if reply.status_code == 200:
            self.steps_ok += 1
            if step == "completed":
                self.done.add(order_id)
        else:
            self.step_retries += 1


@dataclass
class Chaos:
    stack: ProdStack
    faults: int
    seconds: float
    injected: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        interval = self.seconds / self.faults
        plan = [FAULTS[i % len(FAULTS)] for i in range(self.faults)]
        random.shuffle(plan)
        for kind in plan:
            time.sleep(random.uniform(0.5, 1.5) * interval)
            # A process that is being started again has no children to kill yet: try again
            # (a Celery worker can take 10 s or more to come back on a loaded machine).
            for _ in range(120):
                try:
                    if self.inject(kind):
                        self.injected[kind] += 1
                        break
                except Exception as exc:  # a fault that could not be injected is reported
                    self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                    break
                time.sleep(0.5)

    def inject(self, kind: str) -> bool:
        stack = self.stack
        if kind == "web_kill":
            return stack.kill_web_worker() is not None
        if kind == "celery_kill":
            worker = random.randint(1, stack.celery_workers)
            return stack.kill_celery_child(worker=worker) is not None
        if kind == "redis_restart":
            stack.restart_redis()
        elif kind == "redis_flushall":
            stack.flush_redis()
        elif kind == "postgres_restart":
            stack.restart_postgres()
        else:
            stack.arm_sandbox_fault(
                mode=SANDBOX_MODES[kind], count=random.randint(1, 3), endpoint="order-status"
            )
        return True


# --- the ledgers ------------------------------------------------------------------------------


@dataclass
class Ledger:
    orders: int = 0
    duplicates: int = 0
    lost: int = 0
    unknown: int = 0
    mismatched_partner_ids: int = 0
    statuses: int = 0
    statuses_applied: int = 0
    statuses_out_of_order: int = 0
    statuses_missing: int = 0
    statuses_applied_twice: int = 0
    redelivered_no_op: int = 0
    dead_lettered: int = 0
    dead_lettered_retryable: int = 0
    open_messages: int = 0
    problems: list[str] = field(default_factory=list)


def outbox_open(stack: ProdStack) -> int:
    import psycopg

    with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://")) as db:
        row = db.execute(
            "SELECT count(*) FROM gett_outboundmessage WHERE state IN ('held','pending','sending')"
        ).fetchone()
    return int(row[0]) if row else 0


def compare(stack: ProdStack, driver: Driver) -> Ledger:
    import psycopg

    ledger = Ledger()
    with psycopg.connect(stack.database_url.replace("postgres://", "postgresql://")) as db:
        orders = db.execute(
            "SELECT gett_order_id, partner_order_id, public_id FROM orders_order"
        ).fetchall()
        messages = db.execute(
            "SELECT key, payload, state, last_status_code, last_error_code "
            "FROM gett_outboundmessage WHERE kind = 'order.status' ORDER BY id"
        ).fetchall()

    # Orders: each placed orderId exactly once, nothing else, the same partnerOrderId always.
    ours = Counter(str(row[0]) for row in orders)
    partner_ids = {str(row[0]): row[1] for row in orders}
    ledger.orders = len(ours)
    ledger.duplicates = sum(count - 1 for count in ours.values())
    ledger.lost = len(set(driver.placed) - set(ours))
    ledger.unknown = len(set(ours) - set(driver.placed))
    for reply in driver.replies:
        if 200 <= reply.status < 300 and reply.partner_order_id != partner_ids.get(reply.order_id):
            ledger.mismatched_partner_ids += 1
    if ledger.lost or ledger.unknown or ledger.mismatched_partner_ids:
        ledger.problems.append(
            f"orders lost {sorted(set(driver.placed) - set(ours))[:5]}, "
            f"unknown {sorted(set(ours) - set(driver.placed))[:5]}"
        )

    # What the kitchen set, in order, per order (our outbox rows, written with each change).
    key_to_order = {f"order:{row[2]}": str(row[0]) for row in orders}
    sent: dict[str, list[str]] = defaultdict(list)
    for key, payload, state, status_code, error_code in messages:
        change = payload.get("status") or payload.get("state")
        ledger.statuses += 1
        if state in ("held", "pending", "sending"):
            ledger.open_messages += 1
            ledger.problems.append(f"{key} {change}: still {state}")
        elif state == "failed":
            ledger.dead_lettered += 1
            retryable = status_code is None or status_code == 429 or status_code >= 500
            if retryable:
                ledger.dead_lettered_retryable += 1
                ledger.problems.append(f"{key} {change}: dead-lettered ({error_code})")
        else:
            sent[key_to_order[key]].append(change)

    # What Gett applied, in order, per order (the sandbox's record of accepted changes).
    gett = sqlite3.connect(f"file:{stack.sandbox_database}?mode=ro", uri=True)
    try:
        events = gett.execute(
            "SELECT o.order_id, e.from_state, e.from_status, e.to_state, e.to_status "
            "FROM sandbox_sandboxorderevent e JOIN sandbox_sandboxorder o ON o.id = e.order_id "
            "WHERE e.from_state != '' ORDER BY e.at, e.id"
        ).fetchall()
    finally:
        gett.close()
    applied: dict[str, list[str]] = defaultdict(list)
    for order_id, from_state, from_status, to_state, to_status in events:
        order_id = str(order_id).replace("-", "")
        if (from_state, from_status) == (to_state, to_status):
            ledger.redelivered_no_op += 1  # the same status again: Gett changes nothing
            continue
        applied[order_id].append(to_state if to_state != "open" else to_status)
    for order_id, changes in sent.items():
        got = applied.get(order_id.replace("-", ""), [])
        ledger.statuses_applied += len(got)
        if got == changes:
            continue
        if sorted(got) == sorted(changes):
            ledger.statuses_out_of_order += 1
        elif len(got) > len(set(got)):
            ledger.statuses_applied_twice += 1
        else:
            ledger.statuses_missing += 1
        ledger.problems.append(f"order {order_id}: sent {changes}, Gett applied {got}")
    return ledger
