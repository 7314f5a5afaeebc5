"""Page benchmark: every merchant page and API list that shows a menu or orders, by menu size.

    make bench          (DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python -m bench.pages)
    python -m bench.pages --sizes 100,1000      (a quick subset)

In a fresh database it generates, per size (default 100, 1,000, 5,000 and 20,000 items on sale,
`bench.menu.menu_generate`'s shared profile: 3 modifier groups per item, one group per 10 items),
one merchant with an owner, two stores, 1 % of the items sold out in the first store, and two
published menu versions a few price changes apart. Then, through Django's test client (the
whole middleware stack, in process, no network), it requests each page — a warm-up first, then
`--repeats` times or until `--budget` seconds are spent (at least 3) — and records p50/p95 of the
server time, the bytes of the body and the queries of one request:

* menu editor `/menu/`, its search, its section list (and any fragment URL it offers);
* the sold-out page `/stores/<id>/menu/snooze/`, its search and a section's items;
* the versions diff of the two published versions;
* the API's item list `GET /api/v1/menu/items/` (a page of 50) and its search;
* the full export `GET /api/v1/menu/` (streamed; outside the size target: marked "export").

Targets (issue 12): under 300 ms p95 and under 300 KB for every page and API list, with a query
count that does not change with the menu's size. Then, with 10,000 orders in the database (bulk
inserted in the shape placeOrder writes them) and the 5,000-item menu (the largest size measured
when 5,000 is not among them), the merchant's order pages, p50/p95/p99 over `--order-repeats`
requests: the order board, order history (first page and a search), an order, the dashboard and
the store page (issue 11 §2). `bench/results/` keeps a JSON copy (gitignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from catalogs.models import CatalogVersion, Section
    from stores.models import Merchant, Store

SIZES = (100, 1_000, 5_000, 20_000)
ORDERS = 10_000
ORDERS_MENU_SIZE = 5_000
TARGET_MS = 300.0
TARGET_BYTES = 300 * 1024
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Case:
    """One thing to request: a page (or fragment, or API list) of one setup."""

    page: str
    url: str
    headers: dict = field(default_factory=dict)
    export: bool = False  # the streamed full export: outside the size target


@dataclass
class Row:
    page: str
    items: int
    orders: int
    url: str
    status: int
    samples: int
    first_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_p50_ms: float
    cpu_p95_ms: float
    bytes: int
    queries: int
    export: bool


@dataclass
class Setup:
    """One merchant's world at one menu size."""

    items: int
    merchant: Merchant
    store: Store
    user: User
    section: Section
    search: str
    old_version: CatalogVersion
    new_version: CatalogVersion
    orders: int = 0


# --- data ----------------------------------------------------------------------------------------


def setup_create(*, items: int) -> Setup:
    """A merchant with an owner, two stores, a generated menu, 1 % sold out, two versions."""
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from bench.menu import menu_generate
    from catalogs.models import CatalogVersion, Item, ItemSnooze, Section, Trigger
    from catalogs.publishing.services import catalog_publish
    from stores.models import Membership, Merchant, Store

    tag = uuid.uuid4().hex[:6]
    merchant = Merchant.objects.create(name=f"Bench pages {items} {tag}")
    user = get_user_model().objects.create_user(username=f"bench-{items}-{tag}", password=None)
    Membership.objects.create(user=user, merchant=merchant, role=Membership.Role.OWNER)
    store = Store.objects.create(
        merchant=merchant, name=f"Bench store {items}", timezone="Europe/London", currency="GBP"
    )
    Store.objects.create(
        merchant=merchant, name=f"Bench store {items} B", timezone="Europe/London", currency="GBP"
    )
    menu_generate(merchant=merchant, items=items)
    products = Item.objects.filter(merchant=merchant, name__startswith="Item ").order_by("name")
    ItemSnooze.objects.bulk_create(
        ItemSnooze(store=store, item_id=pk, until=None)
        for pk in list(products.values_list("pk", flat=True))[::100]
    )
    first = catalog_publish(store_id=store.pk, trigger=Trigger.REPUBLISH)
    # A second version a few changes later: 1 % of the prices (at least 3) go up.
    changed = list(products.values_list("pk", flat=True))[1::100][: max(3, items // 100)]
    Item.objects.filter(pk__in=changed).update(price=F("price") + 50)
    second = catalog_publish(store_id=store.pk, trigger=Trigger.REPUBLISH)
    if first is None or second is None:
        raise RuntimeError(f"the {items}-item bench menu was not published")
    versions = CatalogVersion.objects.filter(store=store).order_by("published_at", "id")
    old, new = versions.first(), versions.last()
    section = Section.objects.filter(merchant=merchant).order_by("position", "id").first()
    assert old is not None and new is not None and section is not None
    # A search that matches a handful of items at any size: "Item 0004" (10 items from 1,000).
    search = "Item 0004" if items >= 1_000 else "Item 0000"
    return Setup(items, merchant, store, user, section, search, old, new)


def orders_seed(*, setup: Setup, count: int, open_orders: int = 24) -> int:
    """`count` orders for the setup's stores in placeOrder's shape (lines with a modifier line,
    events, amounts, the place request and reply), bulk inserted: mostly completed, some
    cancelled, the newest `open_orders` open in each status. Returns the count."""
    from django.utils import timezone

    from catalogs.models import Item
    from orders.models import Order, OrderCounter, OrderEvent, OrderLine
    from orders.services import FIRST_NUMBER, order_prefix
    from stores.models import Store

    rng = random.Random(count)
    open_orders = min(open_orders, count // 4)  # tiny runs keep a history too
    stores = list(Store.objects.filter(merchant=setup.merchant).order_by("pk"))
    products = list(
        Item.objects.filter(merchant=setup.merchant, name__startswith="Item ")
        .order_by("name")
        .values_list("public_id", "name", "price")[:40]
    )
    options = list(
        Item.objects.filter(merchant=setup.merchant, name__startswith="Option ")
        .order_by("name")
        .values_list("public_id", "name", "price")[:10]
    )
    prefix = order_prefix(setup.merchant.name)
    names = ["Ana Silva", "Ben Cohen", "Chloe Martin", "Dev Patel", "Eli Novak", "Fay Wong"]
    open_steps = ["pending", "confirmed", "preparing", "ready"]
    now = timezone.now()
    start = OrderCounter.objects.filter(merchant=setup.merchant).values_list("last", flat=True)
    base = (start.first() or 0) + FIRST_NUMBER
    batch = 1000
    for offset in range(0, count, batch):
        orders, carts = [], []
        for n in range(offset, min(count, offset + batch)):
            age = count - n  # the last orders are the newest
            placed = now - timedelta(minutes=age * 8 + rng.randrange(5))
            store = stores[n % len(stores)]
            cart = [(rng.choice(products), rng.randrange(1, 3), rng.choice(options))]
            cart += [(rng.choice(products), 1, rng.choice(options))]
            subtotal = sum((p[2] + o[2]) * q for p, q, o in cart)
            fees, tip = 299, rng.choice((0, 100, 200))
            total = subtotal + fees + tip
            number = base + n
            partner_order_id = f"{prefix}-{number}"
            gett_order_id = f"bench-{uuid.uuid4()}"
            state, status = "completed", "ready"
            fields: dict[str, Any] = {"confirmed_at": placed + timedelta(minutes=1)}
            if age <= open_orders:
                state, status, fields = "open", open_steps[age % len(open_steps)], {}
            elif n % 10 == 0:
                state, status = "cancelled", "pending"
                fields = {"cancelled_at": placed + timedelta(minutes=3), "confirmed_at": None}
            else:
                fields["completed_at"] = placed + timedelta(minutes=25)
            delivery = n % 3 != 0
            amounts = {"subtotal": subtotal / 100, "fees": fees / 100, "total": total / 100}
            orders.append(
                Order(
                    merchant=setup.merchant,
                    store=store,
                    gett_order_id=gett_order_id,
                    number=number,
                    partner_order_id=partner_order_id,
                    state=state,
                    status=status,
                    fulfillment_type="delivery" if delivery else "pickup",
                    currency=store.currency,
                    subtotal=subtotal,
                    fees=fees,
                    tip=tip,
                    total=total,
                    customer_name=names[n % len(names)],
                    customer_phone=f"+4477009{n:05d}",
                    customer_email=f"guest{n}@example.com",
                    delivery_address=(
                        {"address1": f"{n % 200 + 1} High Street", "city": "London"}
                        if delivery
                        else {}
                    ),
                    cart_digest=hashlib.sha256(gett_order_id.encode()).hexdigest(),
                    place_request=json.dumps({"orderId": gett_order_id, "cart": {"items": []}}),
                    place_response={
                        "orderId": gett_order_id,
                        "partnerOrderId": partner_order_id,
                        "amounts": amounts,
                    },
                    placed_at=placed,
                    acknowledged_at=None if state == "open" and status == "pending" else placed,
                    cancel_reason="Item out of stock" if state == "cancelled" else "",
                    **fields,
                )
            )
            carts.append(cart)
        orders = Order.objects.bulk_create(orders)
        tops = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=1 + 2 * i,
                item_public_id=product[0],
                name=product[1],
                quantity=quantity,
                unit_price=product[2],
                total=(product[2] + option[2]) * quantity,
            )
            for order, cart in zip(orders, carts, strict=True)
            for i, (product, quantity, option) in enumerate(cart)
        )
        lines = iter(tops)
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                parent=next(lines),
                position=2 + 2 * i,
                depth=1,
                item_public_id=option[0],
                name=option[1],
                group_name="Choice",
                quantity=quantity,
                unit_price=option[2],
                total=option[2] * quantity,
            )
            for order, cart in zip(orders, carts, strict=True)
            for i, (_product, quantity, option) in enumerate(cart)
        )
        events = []
        for order in orders:
            events.append(OrderEvent(order=order, kind="placed", at=order.placed_at, actor="Gett"))
            if order.state == "completed" and order.completed_at:
                events.append(
                    OrderEvent(order=order, kind="completed", at=order.completed_at, actor="API")
                )
            elif order.state == "cancelled" and order.cancelled_at:
                events.append(
                    OrderEvent(
                        order=order,
                        kind="cancelled",
                        at=order.cancelled_at,
                        actor="API",
                        message=order.cancel_reason,
                    )
                )
        OrderEvent.objects.bulk_create(events)
    OrderCounter.objects.update_or_create(
        merchant=setup.merchant, defaults={"last": base + count - FIRST_NUMBER}
    )
    setup.orders = count
    return count


# --- what to request -----------------------------------------------------------------------------


def _reverse(name: str, **kwargs) -> str | None:
    """The URL of `name`, or None when this portal has no such URL (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _url(name: str, **kwargs) -> str:
    """The URL of `name`, which every version of the portal has."""
    from django.urls import reverse

    return reverse(name, kwargs=kwargs)


def _query(url: str, **params) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode(params)}"


def menu_cases(setup: Setup) -> list[Case]:
    """The menu pages and API lists for one setup. Fragment URLs are included when the portal
    has them (the editor and the sold-out page load sections on demand)."""
    from catalogs.models import Item

    store_id, section_id = setup.store.public_id, setup.section.public_id
    last_page = max(1, math.ceil(Item.objects.filter(merchant=setup.merchant).count() / 50))
    editor = _url("menu:overview")
    snooze = _url("snoozes:list", store_id=store_id)
    cases = [
        Case("menu editor", editor),
        Case("menu editor: search", _query(editor, q=setup.search)),
        Case(
            "menu editor: search (htmx)",
            _query(editor, q=setup.search),
            {**HTMX, "HTTP_HX_TARGET": "menu-body"},
        ),
        Case("menu editor: a section", _query(editor, section=section_id)),
        Case(
            "menu editor: a section (htmx)",
            _query(editor, section=section_id),
            {**HTMX, "HTTP_HX_TARGET": f"items-{section_id}"},
        ),
        Case("sold-out page", snooze),
        Case("sold-out page: search", _query(snooze, q=setup.search)),
        Case(
            "sold-out page: search (htmx)",
            _query(snooze, q=setup.search),
            {**HTMX, "HTTP_HX_TARGET": "snooze-results"},
        ),
    ]
    # The sections' items load on demand (a URL of its own since the search-first rewrite).
    if url := _reverse("snoozes:section", store_id=store_id, section_id=section_id):
        cases.append(
            Case(
                "sold-out page: a section (htmx)",
                url,
                {**HTMX, "HTTP_HX_TARGET": f"rows-{section_id}"},
            )
        )
    diff = _url(
        "publishing:version-diff",
        store_id=store_id,
        old_id=setup.old_version.catalog_set_id,
        new_id=setup.new_version.catalog_set_id,
    )
    cases += [
        Case("versions diff", diff),
        Case("API item list", "/api/v1/menu/items/"),
        Case("API item list: search", _query("/api/v1/menu/items/", name=setup.search)),
        # The deepest page is the dearest (OFFSET reads past every item before it).
        Case("API item list: last page", _query("/api/v1/menu/items/", page=last_page)),
        Case("API full export", "/api/v1/menu/", export=True),
    ]
    return [case for case in cases if case.url]


def order_cases(setup: Setup) -> list[Case]:
    from orders.models import Order

    store_id = setup.store.public_id
    order = Order.objects.filter(store=setup.store).order_by("-placed_at").first()
    found = Order.objects.filter(store=setup.store).order_by("placed_at").first()  # the oldest
    assert order is not None and found is not None  # seeded first
    history = _url("orders-history:list")
    return [
        Case("order board", _url("orders:board", store_id=store_id)),
        Case("order history", history),
        Case("order history: search", _query(history, q=found.partner_order_id)),
        Case("order history: page 40", _query(history, page=40)),
        Case("order", _url("orders:detail", store_id=store_id, order_id=order.public_id)),
        Case("dashboard", _url("stores:dashboard")),
        Case("store page", _url("stores:detail", public_id=store_id)),
        Case("API order list", "/api/v1/orders/"),
    ]


# --- measuring -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _get(client, case: Case):
    response = client.get(case.url, **case.headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def measure(
    client, case: Case, *, setup: Setup, repeats: int, budget: float, min_samples: int = 3
) -> Row:
    """A warm-up request (its time is `first_ms`), then up to `repeats` timed ones while the
    budget lasts, then one more to count its queries (counting slows a request down)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    response, body = _get(client, case)
    first = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{case.page}: {case.url} answered {response.status_code}")
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU time: the request's own work, database included
    spent_from = time.perf_counter()
    while len(times) < repeats and (
        len(times) < min_samples or time.perf_counter() - spent_from < budget
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        _get(client, case)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    with CaptureQueriesContext(connection) as queries:
        response, body = _get(client, case)
    return Row(
        page=case.page,
        items=setup.items,
        orders=setup.orders,
        url=case.url,
        status=response.status_code,
        samples=len(times),
        first_ms=first * 1000,
        p50_ms=percentile(times, 50) * 1000,
        p95_ms=percentile(times, 95) * 1000,
        p99_ms=percentile(times, 99) * 1000,
        cpu_p50_ms=percentile(cpu, 50) * 1000,
        cpu_p95_ms=percentile(cpu, 95) * 1000,
        bytes=len(body),
        queries=len(queries.captured_queries),
        export=case.export,
    )


def _client_for(setup: Setup):
    from django.test import Client

    client = Client()
    client.force_login(setup.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def run(
    *,
    sizes: list[int],
    repeats: int = 20,
    budget: float = 10.0,
    orders: int = ORDERS,
    order_repeats: int = 100,
    order_budget: float = 20.0,
    progress: Callable[[str], None] = lambda text: None,
) -> dict:
    """Measure every page at every size in the current database (see the module docs)."""
    from django.conf import settings
    from django.db import connection

    rows: list[Row] = []
    setups: dict[int, Setup] = {}
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        # Publishing tells Gett through the outbox; nothing is delivered during the bench.
        stack.enter_context(
            mock.patch("gett.tasks.outbox_deliver_task.apply_async", lambda *a, **k: None)
        )
        stack.enter_context(
            mock.patch("catalogs.tasks.catalog_publish_task.apply_async", lambda *a, **k: None)
        )
        for items in sizes:
            progress(f"generating the {items:,}-item menu")
            setup = setups[items] = setup_create(items=items)
            client = _client_for(setup)
            for case in menu_cases(setup):
                progress(f"  {items:,} items: {case.page}")
                rows.append(measure(client, case, setup=setup, repeats=repeats, budget=budget))
        order_rows: list[Row] = []
        if orders:
            size = ORDERS_MENU_SIZE if ORDERS_MENU_SIZE in setups else max(setups)
            setup = setups[size]
            progress(f"seeding {orders:,} orders")
            orders_seed(setup=setup, count=orders)
            client = _client_for(setup)
            for case in order_cases(setup):
                progress(f"  {orders:,} orders: {case.page}")
                order_rows.append(
                    measure(client, case, setup=setup, repeats=order_repeats, budget=order_budget)
                )
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "database": connection.vendor,
        "debug": settings.DEBUG,
        "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "sizes": sizes,
        "repeats": repeats,
        "budget_s": budget,
        "rows": [asdict(row) for row in rows],
        "order_rows": [asdict(row) for row in order_rows],
        "queries_by_page": queries_by_page(rows),
    }


def queries_by_page(rows: list[Row]) -> dict[str, dict]:
    """Per page: its query count at each size, and whether it stayed the same."""
    pages: dict[str, dict] = {}
    for row in rows:
        if row.export:  # streamed in batches: a few queries more per 500 items, by design
            continue
        entry = pages.setdefault(row.page, {"counts": {}, "constant": True})
        entry["counts"][row.items] = row.queries
    for entry in pages.values():
        entry["constant"] = len(set(entry["counts"].values())) == 1
    return pages


def verdict(row: dict, queries_constant: bool = True) -> str:
    """ "met" when under both targets with a constant query count; "export" for the export."""
    if row["export"]:
        return "export"
    ok = row["p95_ms"] < TARGET_MS and row["bytes"] < TARGET_BYTES and queries_constant
    return "met" if ok else "MISSED"


# --- output --------------------------------------------------------------------------------------


def report(results: dict, out=sys.stdout) -> None:
    def line(text: str = "") -> None:
        out.write(text + "\n")

    constant = {page: e["constant"] for page, e in results["queries_by_page"].items()}
    line("Page benchmark: merchant pages and API lists by menu size")
    line(
        f"  {results['when']} · Python {results['python']} · {results['machine']} · "
        f"{results['database']} · DEBUG={results['debug']} · Django test client, in process"
    )
    line(
        f"  targets: p95 under {TARGET_MS:.0f} ms, body under {TARGET_BYTES // 1024} KB, "
        "queries constant across sizes. first: the warm-up request (cold caches)."
    )
    load = results.get("load", [0.0, 0.0])
    line(
        f"  load average {load[0]} at the start, {load[1]} at the end ({os.cpu_count()} CPUs): "
        "times are wall clock; cpu95 is the"
    )
    line("  p95 of this process's CPU time per request, which other processes do not inflate.")
    line()
    header = (
        f"{'page':<36}{'items':>7} {'n':>4} {'first':>8} {'p50':>8} {'p95':>8} "
        f"{'cpu95':>8} {'KB':>8} {'queries':>8}  verdict"
    )
    line(header)
    line("-" * len(header))
    for row in results["rows"]:
        queries = f"{row['queries']}" + ("" if constant.get(row["page"], True) else "*")
        line(
            f"{row['page'][:35]:<36}{row['items']:>7,} {row['samples']:>4} "
            f"{row['first_ms']:>6.0f}ms {row['p50_ms']:>6.0f}ms {row['p95_ms']:>6.0f}ms "
            f"{row['cpu_p95_ms']:>6.0f}ms {row['bytes'] / 1024:>8.1f} {queries:>8}  "
            f"{verdict(row, constant.get(row['page'], True))}"
        )
    if not all(constant.values()):
        line("  * the query count of this page changes with the menu's size")
    if results["order_rows"]:
        first = results["order_rows"][0]
        line()
        line(
            f"Order pages with {first['orders']:,} orders and the {first['items']:,}-item menu "
            "in the database"
        )
        header = (
            f"{'page':<36}{'n':>5} {'first':>8} {'p50':>8} {'p95':>8} {'p99':>8} "
            f"{'cpu95':>8} {'KB':>8} {'queries':>8}  verdict"
        )
        line(header)
        line("-" * len(header))
        for row in results["order_rows"]:
            line(
                f"{row['page'][:35]:<36}{row['samples']:>5} {row['first_ms']:>6.0f}ms "
                f"{row['p50_ms']:>6.0f}ms {row['p95_ms']:>6.0f}ms {row['p99_ms']:>6.0f}ms "
                f"{row['cpu_p95_ms']:>6.0f}ms {row['bytes'] / 1024:>8.1f} {row['queries']:>8}  "
                f"{verdict(row)}"
            )
    missed = [
        f"{row['page']} at {row['items']:,}"
        for row in results["rows"] + results["order_rows"]
        if verdict(row, constant.get(row["page"], True)) == "MISSED"
    ]
    line()
    line(f"  {len(missed)} missed" + (f": {'; '.join(missed)}" if missed else ""))


def _write_results(results: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="Comma-separated item counts (default 100,1000,5000,20000).",
    )
    parser.add_argument("--repeats", type=int, default=20, help="Timed requests per page.")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="Seconds per page before stopping early."
    )
    parser.add_argument(
        "--orders", type=int, default=ORDERS, help="Orders to seed (0: no order pages)."
    )
    parser.add_argument("--order-repeats", type=int, default=100, help="Requests per order page.")
    parser.add_argument(
        "--strict", action="store_true", help="Exit with status 1 when a target is missed."
    )
    parser.add_argument("--quiet", action="store_true", help="No progress lines on stderr.")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if not sizes or min(sizes) < 10:
        parser.error("--sizes: at least one size, each of 10 items or more")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    def progress(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    setup_test_environment()  # testserver among ALLOWED_HOSTS, as for any test client
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with ExitStack() as stack:
            media = stack.enter_context(tempfile.TemporaryDirectory(prefix="gett-bench-pages-"))
            stack.enter_context(override_settings(MEDIA_ROOT=media, CATALOG_STORAGE_BUCKET=""))
            results = run(
                sizes=sizes,
                repeats=args.repeats,
                budget=args.budget,
                orders=args.orders,
                order_repeats=args.order_repeats,
                progress=progress,
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(results)
    path = _write_results(results)
    print(f"\n  {time.perf_counter() - started:.0f} s in all; results also in {path}")
    constant = {page: e["constant"] for page, e in results["queries_by_page"].items()}
    missed = any(
        verdict(row, constant.get(row["page"], True)) == "MISSED"
        for row in results["rows"] + results["order_rows"]
    )
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
