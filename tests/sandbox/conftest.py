import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import SandboxStore

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

    for task in (tasks.sandbox_catalog_pull_task, tasks.sandbox_onboarding_advance_task):
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
