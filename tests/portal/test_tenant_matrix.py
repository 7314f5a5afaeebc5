"""Tenant matrix, generated from the URL resolver: every merchant-facing page and API route whose
path names an object is tried with merchant A's objects by merchant B's owner and B's staff,
with GET and POST. Each answer must be a 404 (or a 403 / 405 that a made-up id gets too, so it
tells nothing about A), and nothing in the database may change.

A URL added later is covered automatically; one with a path parameter this file cannot fill
fails `test_every_merchant_url_is_in_the_matrix`, naming the URL, until a filler is added below.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from catalogs.models import CatalogVersion, Trigger
from gett.models import OutboundMessage
from onboarding.models import Onboarding
from orders.models import Order
from tests.catalogs.menus import build_menu
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

# Not merchant pages: the admin, Gett's signed webhooks, the sandbox, logging in, the health
# checks, the API's description, and the CatalogSet files Gett downloads (public by design: the
# ids in their URLs are the unguessable catalogSetIds Gett is sent).
SKIPPED_PREFIXES = ("admin/", "webhooks/", "sandbox/", "accounts/", "media/", "static/")
SKIPPED_NAMES = {
    "healthz",
    "readyz",
    "api-schema",
    "api-docs",
    "publishing:catalogset-latest",
    "publishing:catalogset-file",
}

# (route pattern, path parameter, which of A's objects fills it): the first match wins.
FILLERS: list[tuple[str, str, str]] = [
    (r"^(api/v1/)?stores/<uuid:public_id>/", "public_id", "store"),
    (r"^menu/catalogs/", "public_id", "catalog"),
    (r"^menu/sections/", "public_id", "section"),
    (r"^(api/v1/)?menu/items/", "public_id", "item"),
    (r"^menu/groups/", "public_id", "group"),
    (r"^api/v1/orders/", "public_id", "order"),
    (r"^stores/<uuid:public_id>/sync/", "message_id", "store_message"),
    (r"/orders/<uuid:order_id>/gett/", "message_id", "order_message"),
    (r"", "store_id", "store"),
    (r"", "partner_store_id", "store"),
    (r"", "item_id", "item"),
    (r"", "group_id", "group"),
    (r"", "section_id", "section"),
    (r"", "order_id", "order"),
    (r"", "onboarding_id", "onboarding"),
    (r"", "version_id", "version"),
    (r"", "old_id", "old_version"),
    (r"", "new_id", "version"),
]

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    name: str
    route: str

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in PARAM.finditer(self.route)]

    def path(self, values: dict[str, object]) -> str:
        return "/" + PARAM.sub(lambda m: str(values[m.group("name")]), self.route)


def _routes(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            found.append(Route(f"{namespace}{pattern.name}", prefix + str(pattern.pattern)))
    return found


def merchant_routes() -> list[Route]:
    return [
        r
        for r in _routes()
        if not r.route.startswith(SKIPPED_PREFIXES) and r.name not in SKIPPED_NAMES
    ]


def _filler(route: Route, param: str) -> str | None:
    for pattern, name, kind in FILLERS:
        if name == param and re.search(pattern, route.route):
            return kind
    return None


def test_every_merchant_url_is_in_the_matrix():
    unfillable = [
        f"{r.name} /{r.route} (<{p}>)"
        for r in merchant_routes()
        for p in r.params
        if _filler(r, p) is None
    ]

    assert unfillable == [], "add a filler to FILLERS in this file for: " + ", ".join(unfillable)
    assert len([r for r in merchant_routes() if r.params]) >= 60  # the walk found the URLs


@pytest.fixture
def merchant_a():
    owner = MembershipFactory(role="owner")
    store = StoreFactory(merchant=owner.merchant, gett_store_id=uuid.uuid4())
    menu = build_menu(owner.merchant)
    order = Order.objects.create(
        merchant=owner.merchant,
        store=store,
        gett_order_id=f"gett-{uuid.uuid4()}",
        number=1,
        partner_order_id="AA-1",
        fulfillment_type="pickup",
        currency=store.currency,
        subtotal=1000,
        total=1000,
    )
    versions = [
        CatalogVersion.objects.create(
            store=store,
            catalog_set_id=uuid.uuid4(),
            content_hash=str(n) * 64,
            storage_key=f"catalogsets/{store.public_id}/{n}.json",
            url=f"https://example.com/{n}.json",
            size_bytes=10,
            trigger=Trigger.EDITOR,
        )
        for n in (1, 2)
    ]
    onboarding = Onboarding.objects.create(store=store)
    return {
        "store": store.public_id,
        "catalog": menu.lunch.public_id,
        "section": menu.mains.public_id,
        "item": menu.cola.public_id,
        "group": menu.size.public_id,
        "order": order.public_id,
        "onboarding": onboarding.public_id,
        "old_version": versions[0].catalog_set_id,
        "version": versions[1].catalog_set_id,
        "store_message": OutboundMessage.objects.create(
            kind="store.status", key=store.outbox_key, state="failed"
        ).public_id,
        "order_message": OutboundMessage.objects.create(
            kind="order.status", key=order.outbox_key, state="failed"
        ).public_id,
    }


def _snapshot() -> str:
    """A digest of every row of our apps (and the users): any write shows up."""
    digest = hashlib.sha256()
    labels = {"stores", "catalogs", "orders", "onboarding", "gett", "auth", "authtoken"}
    for model in apps.get_models():
        if model._meta.app_label in labels:
            rows = model.objects.order_by("pk").values_list()
            digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_another_merchants_people_get_404_for_every_object_url_and_change_nothing(role, merchant_a):
    other = MembershipFactory(role=role)
    StoreFactory(merchant=other.merchant)
    client = Client()
    client.force_login(other.user)
    routes = [r for r in merchant_routes() if r.params]
    leaks = []
    tried = 0
    start = _snapshot()
    for method in ("get", "post"):
        for route in routes:
            theirs = route.path({p: merchant_a[_filler(route, p)] for p in route.params})
            made_up = route.path({p: uuid.uuid4() for p in route.params})
            before = _snapshot() if method == "post" else start
            response = getattr(client, method)(theirs)
            # GETs are checked all at once below; each POST on its own.
            changed = method == "post" and _snapshot() != before
            blind = getattr(client, method)(made_up).status_code
            tried += 1
            refused = response.status_code == 404 or (
                response.status_code in (403, 405) and response.status_code == blind
            )
            if not refused or changed:
                leaks.append(
                    f"{method.upper()} {theirs} ({route.name}): {response.status_code}"
                    f"{' and the database changed' if changed else ''}"
                )
        if method == "get" and _snapshot() != start:
            leaks.append("the GETs changed the database")

    assert leaks == []
    assert tried == 2 * len(routes)


def test_lists_show_nothing_of_another_merchant(merchant_a):
    other = MembershipFactory(role="owner")
    StoreFactory(merchant=other.merchant)
    client = Client()
    client.force_login(other.user)
    secrets = {str(value) for value in merchant_a.values()} | {"AA-1"}
    leaks = []
    for route in merchant_routes():
        if route.params:
            continue
        response = client.get(route.path({}))
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode(errors="replace")
        leaks += [f"{route.name} /{route.route} shows {s}" for s in secrets if s in body]

    assert leaks == []
    assert client.get(reverse("stores:dashboard")).status_code == 200
