import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import SandboxStore
from gett.signing import verify

API_KEY = "zpka_sandbox_test_key_1"
OTHER_API_KEY = "zpka_sandbox_test_key_2"
STORE_ID = uuid.UUID("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
PAYLOADS = Path(settings.BASE_DIR) / "tests" / "payloads"


def load_payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture(autouse=True)
def sandbox_settings(settings):
    settings.GETT_SANDBOX_API_KEYS = [API_KEY, OTHER_API_KEY]
    settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = 0
    settings.GETT_SANDBOX_HANG_SECONDS = 0.5
    settings.GETT_SANDBOX_FETCH_CONNECT_TIMEOUT = 2.0
    settings.GETT_SANDBOX_FETCH_READ_TIMEOUT = 2.0
    settings.GETT_SANDBOX_WEBHOOK_TIMEOUT = 2.0
    # Gett's retry delays (30 s, 2 min, ...) times 0: tests run each retry as a function.
    settings.GETT_SANDBOX_RETRY_SCALE = 0
    # Rate-limit counters live in the cache; every test starts with a fresh minute.
    cache.clear()
    yield settings
    cache.clear()


@dataclass
class Enqueued:
    task: str
    args: tuple
    countdown: float | None


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list[Enqueued]:
    """What the sandbox handed to Celery. Nothing is published; tests run tasks as functions."""
    calls: list[Enqueued] = []

    def recorder(name: str):
        def apply_async(args=(), kwargs=None, *, countdown=None, **options):
            calls.append(Enqueued(name, tuple(args), countdown))

        return apply_async

    for task in (
        tasks.sandbox_catalog_pull_task,
        tasks.sandbox_onboarding_advance_task,
        tasks.sandbox_test_order_task,
    ):
        monkeypatch.setattr(task, "apply_async", recorder(task.name.rsplit(".", 1)[-1]))
    return calls


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def store(db) -> SandboxStore:
    return services.store_provision(
        store_id=STORE_ID,
        partner_store_id="pos-store-0042",
        name="Pizza Roma",
        phone="+1 212 555 0100",
        description="Wood-fired pizza since 1987.",
        logo_url="https://cdn.example.com/pizza-roma/logo.png",
        address={
            "street": "12 Mulberry St",
            "city": "New York",
            "state": "NY",
            "postalCode": "10013",
            "country": "US",
        },
        timezone="America/New_York",
        webhook_url="https://api.pos.example.com/gett/webhooks",
    )


@pytest.fixture
def store_url(store) -> str:
    return reverse("sandbox:store-detail", kwargs={"store_id": store.store_id})


@pytest.fixture
def status_url(store) -> str:
    return reverse("sandbox:store-status", kwargs={"store_id": store.store_id})


# --- a partner's file server, for catalog pulls over real HTTP ---------------------------------


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class PartnerFiles:
    """A tiny HTTP server on 127.0.0.1 standing in for the portal's catalog hosting."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.base_url = ""

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve_json(self, path: str, document: object, **kwargs) -> str:
        self.routes[path] = Route(body=json.dumps(document).encode(), **kwargs)
        return self.url(path)

    def serve(self, path: str, body: bytes, **kwargs) -> str:
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        self.routes[path] = Route(status=status, headers={"Location": to}, content_type="")
        return self.url(path)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        files = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                files.hits.append(self.path)
                route = files.routes.get(self.path, Route(status=404, body=b"Not Found"))
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    if route.content_type:
                        self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sandbox gave up waiting (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def partner_files():
    files = PartnerFiles()
    server = ThreadingHTTPServer(("127.0.0.1", 0), files.handler())
    host, port = server.server_address[:2]
    files.base_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield files
    server.shutdown()
    server.server_close()


@pytest.fixture
def catalogset() -> dict:
    return load_payload("catalogset.example.json")


@pytest.fixture
def broken_catalogset() -> dict:
    """The example with one dangling reference: a modifier group lists an item that is gone."""
    document = load_payload("catalogset.example.json")
    group = document["modifierGroups"]["333d0d90-1ea2-5ed0-b5b7-ab89e2af8e43"]
    group["itemIds"].append("00000000-0000-4000-8000-00000000dead")
    return document


# --- a partner's order webhooks, for test orders over real HTTP -------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class PartnerWebhooks:
    """A tiny partner on 127.0.0.1 answering validateOrder/placeOrder the way the portal should.

    It checks the signature with `gett.signing.verify` and the secrets in settings (401 on a
    missing, bad or stale one), refuses malformed JSON (400 INVALID_REQUEST), another store (404
    STORE_NOT_FOUND), unknown items (400 ITEM_UNAVAILABLE), a required group left out (400
    MODIFIER_REQUIRED), prices the cart itself, refuses a place total that differs from its own
    (400 ORDER_TOTAL_DIFFERENT) and is idempotent on Gett's orderId (409 ORDER_ALREADY_PLACED for
    another cart). Every refusal is problem+json with a jsonPath per problem. Switches make it
    misbehave; `tamper(operation, status, reply)` may rewrite any reply as
    `(status, reply, content_type)`.
    """

    TAX_RATE = Decimal("0.0875")
    DELIVERY_FEE = Decimal("2.99")

    def __init__(self, document: dict) -> None:
        self.document = document
        self.base_url = ""
        self.store_id = ""  # the only cart.storeId it takes; empty: any
        self.received: list[Received] = []
        self.placed: dict[str, tuple[str, str]] = {}  # orderId -> (partnerOrderId, cart)
        self.lock = threading.Lock()
        # Misbehaviour switches.
        self.check_signatures = True
        self.idempotent = True
        self.validate_status: int | None = None  # answer validate with this status instead
        self.place_failures = 0  # answer this many placeOrders with place_failure_status
        self.place_failure_status = 503
        self.place_delay = 0.0  # seconds to sit on each placeOrder (timeouts, concurrency)
        self.tamper = None

    @property
    def webhook_url(self) -> str:
        return self.base_url + "/webhooks/gett"

    def paths(self) -> list[str]:
        return [request.path for request in self.received]

    # The partner's own pricing: the test's oracle, written apart from the sandbox's.
    def amounts(self, body: dict) -> dict:
        items = self.document["items"]

        def unit(entry: dict) -> Decimal:
            price = Decimal(str(items[entry["itemId"]]["basePrice"]))
            for group in entry.get("modifierGroups", []):
                for option in group["selectedModifiers"]:
                    price += unit(option) * option["quantity"]
            return price

        sub_total = sum(
            (unit(line) * line["quantity"] for line in body["cart"]["lineItems"]), Decimal(0)
        )
        fees = self.DELIVERY_FEE if body["fulfillmentType"] == "delivery" else Decimal(0)
        taxes = (sub_total * self.TAX_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        tip = Decimal(str(body["amounts"]["tip"]))
        total = sub_total + fees + taxes + tip
        return {
            "subTotal": float(sub_total),
            "fees": float(fees),
            "promotions": 0.0,
            "taxes": float(taxes),
            "adjustments": 0.0,
            "tip": float(tip),
            "total": float(total),
        }

    def missing_choices(self, body: dict) -> list[dict]:
        groups = self.document["modifierGroups"]
        found = []
        for index, line in enumerate(body["cart"]["lineItems"]):
            chosen = {group["modifierGroupId"] for group in line.get("modifierGroups", [])}
            for group_id in self.document["items"][line["itemId"]].get("modifierGroupIds", []):
                if groups[group_id].get("minSelections", 0) > 0 and group_id not in chosen:
                    found.append(
                        {
                            "code": "MODIFIER_REQUIRED",
                            "message": f"Choose from {groups[group_id].get('name')}.",
                            "itemId": line["itemId"],
                            "jsonPath": f"$.cart.lineItems[{index}].modifierGroups",
                        }
                    )
        return found

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        operation = path.rsplit("/", 1)[-1]
        if self.check_signatures and not verify(
            raw,
            signature=headers.get("Signature"),
            timestamp=headers.get("Timestamp"),
            secrets=settings.GETT_WEBHOOK_SECRETS,
        ):
            return 401, problem(401, "UNAUTHENTICATED", "Bad or stale signature.")
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, problem(
                400, "INVALID_REQUEST", "Not JSON.", errors=[field("invalid_json", "$")]
            )
        if operation in ("validateOrder", "validate") and self.validate_status:
            return self.validate_status, problem(self.validate_status, "INTERNAL_ERROR", "Boom.")
        if self.store_id and body["cart"]["storeId"] != self.store_id:
            return 404, problem(
                404, "STORE_NOT_FOUND", "No such store.", errors=[field("x", "$.cart.storeId")]
            )
        unknown = [
            {
                "code": "ITEM_UNAVAILABLE",
                "message": "Not on the menu.",
                "itemId": line["itemId"],
                "jsonPath": f"$.cart.lineItems[{index}].itemId",
            }
            for index, line in enumerate(body["cart"]["lineItems"])
            if line["itemId"] not in self.document["items"]
        ]
        if unknown:
            return 400, problem(400, "ITEM_UNAVAILABLE", "Not on the menu.", errors=unknown)
        missing = self.missing_choices(body)
        if missing:
            return 400, problem(400, "MODIFIER_REQUIRED", "Choose.", errors=missing)
        amounts = self.amounts(body)
        if operation in ("validateOrder", "validate"):
            return 200, {**body, "amounts": amounts}

        if self.place_delay:
            time.sleep(self.place_delay)
        with self.lock:
            if self.place_failures:
                self.place_failures -= 1
                status = self.place_failure_status
                return status, problem(status, "SERVICE_UNAVAILABLE", "Try again.")
        cart = json.dumps(body["cart"], sort_keys=True)
        with self.lock:
            first = self.placed.get(body["orderId"])
            if first is not None and first[1] != cart and self.idempotent:
                return 409, problem(
                    409, "ORDER_ALREADY_PLACED", "Placed.", errors=[field("x", "$.orderId")]
                )
        if Decimal(str(body["amounts"]["total"])) != Decimal(str(amounts["total"])):
            return 400, problem(
                400,
                "ORDER_TOTAL_DIFFERENT",
                "The total changed.",
                errors=[field("x", "$.amounts.total")],
            )
        with self.lock:
            if self.idempotent:
                partner_order_id = self.placed.setdefault(
                    body["orderId"], (f"POS-{len(self.placed) + 1:04d}", cart)
                )[0]
            else:
                partner_order_id = f"POS-{len(self.received):04d}"
        reply = {"orderId": body["orderId"], "partnerOrderId": partner_order_id}
        return 200, {**reply, "amounts": amounts}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: value for name, value in self.headers.items()}
                with partner.lock:
                    partner.received.append(Received(self.path, headers, raw))
                status, reply = partner.answer(self.path, headers, raw)
                content_type = "application/json" if status < 400 else "application/problem+json"
                if partner.tamper is not None:
                    operation = self.path.rsplit("/", 1)[-1]
                    status, reply, content_type = partner.tamper(operation, status, reply)
                body = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sandbox gave up waiting (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def field(code: str, json_path: str) -> dict:
    return {"code": code, "message": "Wrong here.", "jsonPath": json_path}


def problem(status: int, code: str, detail: str, *, errors: list | None = None) -> dict:
    body = {"status": status, "errorCode": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


@pytest.fixture
def partner_webhooks(catalogset):
    partner = PartnerWebhooks(catalogset)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partner.handler())
    host, port = server.server_address[:2]
    partner.base_url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield partner
    server.shutdown()
    server.server_close()


# A Wednesday, 12:00 in New York: the example CatalogSet's Lunch & Dinner catalog is open, and
# Gett only orders from catalogs open now (REFERENCE §17.4).
NEW_YORK_LUNCHTIME = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


@pytest.fixture
def live_store(store, partner_webhooks, catalogset):
    """The Pizza Roma store, wired to the test partner, selling from the example CatalogSet, at
    lunchtime (the clock ticks on from there)."""
    traveller = time_machine.travel(NEW_YORK_LUNCHTIME, tick=True)
    traveller.start()
    yield _wire(store, partner_webhooks, catalogset)
    traveller.stop()


def _wire(store, partner_webhooks, catalogset) -> SandboxStore:
    store.webhook_url = partner_webhooks.webhook_url
    store.save(update_fields=["webhook_url"])
    partner_webhooks.store_id = str(store.store_id)
    services.catalogset_seed(partner_store_id=store.partner_store_id, document=catalogset)
    return store
