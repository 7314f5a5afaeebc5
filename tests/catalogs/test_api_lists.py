"""The menu API on big menus: the paginated, filtered item list and the streamed full export."""

import json
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from bench.menu import menu_generate
from catalogs import api as menu_api
from catalogs.models import AvailabilityWindow, Item, ItemSnooze, Section
from catalogs.selectors import MenuRows, menu_rows_get
from portal.money import MenuMoney, menu_money
from stores.models import Merchant, Store
from tests.catalogs.menus import build_menu, pid
from tests.factories import (
    ItemFactory,
    ItemSnoozeFactory,
    MembershipFactory,
    MerchantFactory,
    SectionFactory,
    SectionItemFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

ITEMS_URL = "/api/v1/menu/items/"
MENU_URL = "/api/v1/menu/"


@pytest.fixture
def api(owner) -> APIClient:
    token = Token.objects.create(user=owner.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def _problems(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["jsonPath"].removeprefix("$."), []).append(error["message"])
    return found


def _export(api: APIClient, **params) -> bytes:
    response = api.get(MENU_URL, params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    return b"".join(response.streaming_content)


# --- the item list: pages --------------------------------------------------------------------


def test_item_list_pages_by_name_with_links_that_keep_the_filters(store, api):
    for n in range(7):
        ItemFactory(merchant=store.merchant, name=f"Pie {n}")
    ItemFactory(merchant=store.merchant, name="Soup")

    first = api.get(ITEMS_URL, {"name": "pie", "page_size": 3})
    body = first.json()

    assert _names(first) == ["Pie 0", "Pie 1", "Pie 2"]
    assert body["count"] == 7
    assert body["previous"] is None
    assert "name=pie" in body["next"] and "page=2" in body["next"]
    last = api.get(body["next"].replace("page=2", "page=3"))
    assert _names(last) == ["Pie 6"]
    assert last.json()["next"] is None


def test_item_list_default_page_is_50_items(store, api):
    Item.objects.bulk_create(Item(merchant=store.merchant, name=f"I{n:03d}") for n in range(60))

    body = api.get(ITEMS_URL).json()

    assert body["count"] == 60
    assert len(body["results"]) == 50


@pytest.mark.parametrize("page_size", ["0", "201", "ten", "-1", "1.5"])
def test_item_list_refuses_a_page_size_out_of_range_or_not_a_number(store, api, page_size):
    problems = _problems(api.get(ITEMS_URL, {"page_size": page_size}))

    assert list(problems) == ["page_size"]


def test_item_list_page_past_the_end_is_a_problem_json_404(store, api):
    ItemFactory(merchant=store.merchant)

    response = api.get(ITEMS_URL, {"page": 9})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_an_item_in_the_list_has_the_same_shape_as_its_detail(store, menu, api):
    ItemSnoozeFactory(store=store, item=menu.burger, until=None)

    listed = next(
        row
        for row in api.get(ITEMS_URL, {"name": "Burger"}).json()["results"]
        if row["name"] == "Burger"
    )

    assert listed == api.get(f"/api/v1/menu/items/{menu.burger.public_id}/").json()
    assert listed["sections"] == [pid(menu.burgers)]
    assert listed["modifier_groups"] == [pid(menu.toppings), pid(menu.size)]
    assert [s["store"] for s in listed["snoozes"]] == [str(store.public_id)]


def test_item_list_is_the_chosen_merchants_and_never_another_merchants(owner, store, api):
    ItemFactory(merchant=store.merchant, name="Mine")
    theirs = MerchantFactory(name="AAA first")
    ItemFactory(merchant=theirs, name="Theirs")
    second = MembershipFactory(user=owner.user, merchant=MerchantFactory(name="AAA mine too"))
    ItemFactory(merchant=second.merchant, name="Mine too")

    assert _names(api.get(ITEMS_URL)) == ["Mine too"]  # the first of mine by name
    assert _names(api.get(ITEMS_URL, {"merchant": str(store.merchant.public_id)})) == ["Mine"]
    assert api.get(ITEMS_URL, {"merchant": str(theirs.public_id)}).status_code == 404
    assert "merchant" in _problems(api.get(ITEMS_URL, {"merchant": "nope"}))


def test_item_list_needs_authentication(store):
    assert APIClient().get(ITEMS_URL).status_code == 401


# --- the item list: filters ------------------------------------------------------------------


def test_item_list_filters_by_section_directly_in_it(store, menu, api):
    assert _names(api.get(ITEMS_URL, {"section": pid(menu.mains)})) == ["Fries"]
    assert _names(api.get(ITEMS_URL, {"section": pid(menu.burgers)})) == ["Burger"]
    assert _names(api.get(ITEMS_URL, {"section": pid(menu.snacks)})) == ["Fries"]


def test_item_list_filters_by_part_of_the_name_in_any_case(store, menu, api):
    assert _names(api.get(ITEMS_URL, {"name": "RI"})) == ["Crispy", "Fries"]
    assert _names(api.get(ITEMS_URL, {"name": "  fri "})) == ["Fries"]
    assert len(_names(api.get(ITEMS_URL, {"name": ""}))) == Item.objects.count()


def test_item_list_filters_by_sold_out_now_in_any_store(store, menu, api):
    other = StoreFactory(merchant=store.merchant)
    ItemSnoozeFactory(store=store, item=menu.cola, until=None)
    ItemSnoozeFactory(store=other, item=menu.fries, until=timezone.now() + timedelta(hours=1))
    ItemSnoozeFactory(store=store, item=menu.burger, until=timezone.now() - timedelta(minutes=1))

    sold_out = _names(api.get(ITEMS_URL, {"sold_out": "true"}))
    on_sale = _names(api.get(ITEMS_URL, {"sold_out": "false"}))

    assert sold_out == ["Cola", "Fries"]
    assert "Burger" in on_sale  # its snooze ran out
    assert set(on_sale).isdisjoint(sold_out)
    assert len(on_sale) + len(sold_out) == Item.objects.count()


def test_item_list_filters_by_updated_since(store, api):
    with time_machine.travel(datetime(2026, 11, 1, 9, 0, tzinfo=UTC), tick=False):
        ItemFactory(merchant=store.merchant, name="Old")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False):
        ItemFactory(merchant=store.merchant, name="New")

    assert _names(api.get(ITEMS_URL, {"updated_since": "2026-11-02T09:00:00Z"})) == ["New"]
    assert _names(api.get(ITEMS_URL, {"updated_since": "2026-11-02T10:00:00+01:00"})) == ["New"]
    assert _names(api.get(ITEMS_URL, {"updated_since": "2026-11-01T08:00:00"})) == ["New", "Old"]
    assert _names(api.get(ITEMS_URL, {"updated_since": "2026-11-02T09:00:01Z"})) == []


def test_item_list_filters_combine(store, menu, api):
    ItemSnoozeFactory(store=store, item=menu.fries, until=None)

    assert _names(api.get(ITEMS_URL, {"section": pid(menu.snacks), "sold_out": "1"})) == ["Fries"]
    assert _names(api.get(ITEMS_URL, {"section": pid(menu.drinks), "sold_out": "1"})) == []
    assert _names(api.get(ITEMS_URL, {"name": "o", "sold_out": "false"})) == [
        "Bacon",
        "Cola",
        "Soft",
    ]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"section": "mains"}, "section"),
        ({"section": str(uuid.uuid4())}, "section"),
        ({"sold_out": "maybe"}, "sold_out"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-11-31T10:00:00Z"}, "updated_since"),
        ({"updated_since": "30/11/2026"}, "updated_since"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_item_list_refuses_bad_filter_values_with_a_clear_400(store, menu, api, params, field):
    problems = _problems(api.get(ITEMS_URL, params))

    assert list(problems) == [field]
    assert problems[field][0]


def test_item_list_refuses_another_merchants_section_as_unknown(store, menu, api):
    their_section = SectionFactory(catalog__merchant=MerchantFactory())

    problems = _problems(api.get(ITEMS_URL, {"section": pid(their_section)}))

    assert problems == {"section": ["No such section on this menu."]}


# --- the item list at any size -----------------------------------------------------------------


def _big_menu(items: int) -> Merchant:
    membership = MembershipFactory(role="owner")
    store = StoreFactory(merchant=membership.merchant)
    menu_generate(merchant=membership.merchant, items=items)
    for item in Item.objects.filter(merchant=membership.merchant).order_by("name")[::7]:
        ItemSnoozeFactory(store=store, item=item, until=None)
    return membership


def _measured(membership, params: dict) -> tuple[int, int]:
    token, _ = Token.objects.get_or_create(user=membership.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ITEMS_URL, params)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == params.get("page_size", 50)
    return len(queries.captured_queries), len(response.content)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"name": "item", "page": 2, "page_size": 40},
        {"name": "item", "sold_out": "false", "page_size": 20},
        {"section": "first", "updated_since": "2026-01-01T00:00:00Z", "page_size": 10},
    ],
)
def test_item_list_queries_and_size_do_not_grow_with_the_menu(params):
    small, large = _big_menu(100), _big_menu(1000)
    small_params, large_params = dict(params), dict(params)
    if "section" in params:
        small_params["section"] = pid(Section.objects.filter(merchant=small.merchant).first())
        large_params["section"] = pid(Section.objects.filter(merchant=large.merchant).first())

    small_queries, small_bytes = _measured(small, small_params)
    large_queries, large_bytes = _measured(large, large_params)

    # token, merchant, section (when filtered), count, page, and the page's sections,
    # groups and snoozes, the stores' currency
    assert small_queries == large_queries == 8 + ("section" in params)
    assert large_bytes <= small_bytes * 1.05


# --- the full export, streamed ---------------------------------------------------------------


def _old_export(merchant: Merchant, request) -> bytes:
    """The export as the non-streamed `GET /api/v1/menu/` built and rendered it (kept here as
    the reference the streamed export must match byte for byte)."""
    money = menu_money(merchant)
    rows = menu_rows_get(merchant_id=merchant.pk)
    item_ids = {pk: row[MenuRows.ITEM_PUBLIC_ID] for pk, row in rows.items.items()}
    sections = {
        pk: {
            "public_id": row["public_id"],
            "name": row["name"],
            "description": row["description"],
            "items": [item_ids[i] for i in rows.section_items.get(pk, ()) if i in item_ids],
            "sections": [],
        }
        for pk, row in rows.sections.items()
    }
    for pk, section in sections.items():
        section["sections"] = [
            sections[c] for c in rows.child_sections.get(pk, ()) if c in sections
        ]
    catalogs = [
        {
            "public_id": catalog["public_id"],
            "name": catalog["name"],
            "description": catalog["description"],
            "windows": [
                {
                    "weekday": weekday,
                    "day": AvailabilityWindow.Weekday(weekday).label,
                    "start": start,
                    "end": end,
                }
                for weekday, start, end in sorted(rows.windows.get(catalog["id"], ()))
            ],
            "sections": [sections[pk] for pk in rows.root_sections.get(catalog["id"], ())],
        }
        for catalog in rows.catalogs
    ]
    groups = [
        {
            "public_id": public_id,
            "name": name,
            "min_selections": minimum,
            "max_selections": maximum,
            "options": [item_ids[i] for i in rows.options.get(pk, ()) if i in item_ids],
        }
        for pk, (public_id, name, minimum, maximum) in rows.groups.items()
    ]
    stores = Store.objects.filter(merchant=merchant).order_by("name", "pk")
    data = {
        "merchant": merchant,
        "currency": money.currency,
        "store_currencies": [
            {"partner_store_id": public_id, "currency": currency}
            for public_id, currency in stores.values_list("public_id", "currency")
        ],
        "catalogs": catalogs,
        "items": _old_items(rows=rows, merchant=merchant, money=money, request=request),
        "modifier_groups": groups,
    }
    return JSONRenderer().render(menu_api.MenuOutputSerializer(data).data)


def _old_items(*, rows: MenuRows, merchant: Merchant, money: MenuMoney, request) -> list[dict]:
    updated = dict(Item.objects.filter(merchant=merchant).values_list("id", "updated_at"))
    sections_of: dict[int, list] = {pk: [] for pk in rows.items}
    for section_pk, section in rows.sections.items():
        for item_pk in rows.section_items.get(section_pk, ()):
            if item_pk in sections_of:
                sections_of[item_pk].append(section["public_id"])
    snoozes_of: dict[int, list] = {pk: [] for pk in rows.items}
    snoozes = ItemSnooze.objects.filter(item__merchant=merchant).active(timezone.now())
    for snooze in snoozes.order_by("store__name", "store_id").values(
        "item_id", "store__public_id", "item__public_id", "until", "created_at"
    ):
        snoozes_of[snooze["item_id"]].append(
            {
                "store": snooze["store__public_id"],
                "item": snooze["item__public_id"],
                "until": snooze["until"],
                "created_at": snooze["created_at"],
            }
        )
    return [
        {
            "public_id": public_id,
            "name": name,
            "description": description,
            "price": menu_api._money(price, money),
            "image_url": menu_api._image_url(image, request),
            "sections": sections_of[pk],
            "modifier_groups": [
                rows.groups[g][0] for g in rows.item_groups.get(pk, ()) if g in rows.groups
            ],
            "snoozes": snoozes_of[pk],
            "updated_at": updated.get(pk),
        }
        for pk, (public_id, name, description, image, price) in rows.items.items()
    ]


@pytest.mark.parametrize("batch", [500, 2])
def test_streamed_export_is_byte_for_byte_the_old_export(store, menu, api, monkeypatch, batch):
    monkeypatch.setattr(menu_api, "EXPORT_BATCH", batch)  # several batches of items and groups
    other = StoreFactory(merchant=store.merchant, name="Another", currency="EUR")
    ItemSnoozeFactory(store=store, item=menu.cola, until=None)
    ItemSnoozeFactory(store=other, item=menu.cola, until=timezone.now() + timedelta(hours=2))
    ItemSnoozeFactory(store=store, item=menu.fries, until=timezone.now() - timedelta(hours=1))
    Item.objects.filter(pk=menu.burger.pk).update(image="menu/burger.png", name="Bürger 🍔")
    SectionItemFactory(section=menu.drinks, item=menu.large, position=5)
    ItemFactory(merchant=store.merchant, name="Unlisted")
    build_menu(MerchantFactory())  # another merchant's menu stays out

    response = api.get(MENU_URL)
    streamed = b"".join(response.streaming_content)

    assert streamed == _old_export(store.merchant, response.wsgi_request)
    body = json.loads(streamed)
    assert body["currency"] is None
    assert len(body["items"]) == Item.objects.filter(merchant=store.merchant).count()


def test_streamed_export_of_a_merchant_without_a_menu(store, api):
    response = api.get(MENU_URL)

    assert json.loads(b"".join(response.streaming_content)) == {
        "merchant": {"public_id": str(store.merchant.public_id), "name": store.merchant.name},
        "currency": store.currency,
        "store_currencies": [
            {"partner_store_id": str(store.public_id), "currency": store.currency}
        ],
        "catalogs": [],
        "items": [],
        "modifier_groups": [],
    }


def test_streamed_export_of_a_generated_menu_matches_the_old_export(store, api):
    menu_generate(merchant=store.merchant, items=1200)  # 1,560 items: four batches

    response = api.get(MENU_URL)

    assert b"".join(response.streaming_content) == _old_export(
        store.merchant, response.wsgi_request
    )


def test_streamed_export_errors_come_before_streaming_as_problem_json(store, api):
    response = api.get(MENU_URL, {"merchant": "not-a-uuid"})

    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"] == "application/problem+json"


def _peak_memory(produce) -> int:
    tracemalloc.start()
    try:
        produce()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streamed_export_memory_stays_bounded_as_the_menu_grows(rf):
    small, large = _big_menu(500), _big_menu(5000)
    request = rf.get(MENU_URL)

    def stream(merchant):
        return lambda: all(menu_api.menu_export_stream(merchant=merchant, request=request))

    small_peak = _peak_memory(stream(small.merchant))
    large_peak = _peak_memory(stream(large.merchant))
    old_peak = _peak_memory(lambda: _old_export(large.merchant, request))

    # 650 and 6,500 items: a batch at a time plus the section outline, not the whole document
    assert large_peak < small_peak * 3
    assert large_peak < old_peak / 3


def test_streamed_export_queries_grow_only_per_batch_of_items(store, menu, api):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _export(api)
        return len(captured.captured_queries)

    before = queries()
    Item.objects.bulk_create(Item(merchant=store.merchant, name=f"I{n}") for n in range(491))
    assert queries() == before  # 500 items: still one batch
    Item.objects.bulk_create(Item(merchant=store.merchant, name=f"J{n}") for n in range(1))
    assert queries() == before + 3  # a second batch: its sections, groups and snoozes


# --- the store's sold-out items, paginated ---------------------------------------------------


def test_store_snoozes_are_paginated_soonest_back_first(store, api):
    now = timezone.now()
    items = [ItemFactory(merchant=store.merchant, name=f"I{n}") for n in range(5)]
    ItemSnooze.objects.create(store=store, item=items[0], until=None, created_at=now)
    ItemSnooze.objects.create(
        store=store, item=items[1], until=None, created_at=now - timedelta(hours=1)
    )
    for n, item in enumerate(items[2:]):
        ItemSnooze.objects.create(store=store, item=item, until=now + timedelta(hours=3 - n))

    url = f"/api/v1/stores/{store.public_id}/snoozes/"
    first = api.get(url, {"page_size": 3}).json()
    second = api.get(url, {"page_size": 3, "page": 2}).json()

    order = [pid(items[n]) for n in (4, 3, 2, 1, 0)]
    assert first["count"] == 5
    assert [row["item"] for row in first["results"] + second["results"]] == order


# --- one house style for every list --------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/stores/", "/api/v1/orders/", ITEMS_URL])
def test_every_list_pages_the_same_way(store, api, url):
    StoreFactory(merchant=store.merchant, name="Second store")

    body = api.get(url, {"page_size": 1}).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) <= 1
    assert "page_size" in _problems(api.get(url, {"page_size": 1000}))


def test_schema_documents_the_item_list_its_filters_and_its_pages(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    operation = document["paths"]["/api/v1/menu/items/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {
        "merchant",
        "section",
        "name",
        "sold_out",
        "updated_since",
        "page",
        "page_size",
    }
    assert parameters["updated_since"]["schema"]["format"] == "date-time"
    assert parameters["sold_out"]["schema"]["type"] == "boolean"
    assert {"200", "400", "404"} <= set(operation["responses"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/PaginatedItemOutputList")
    export = document["paths"]["/api/v1/menu/"]["get"]["responses"]["200"]
    assert "streamed" in export["description"]
    assert export["content"]["application/json"]["schema"]["$ref"].endswith("/MenuOutput")
    snoozes = document["paths"]["/api/v1/stores/{public_id}/snoozes/"]["get"]
    assert {"page", "page_size"} <= {p["name"] for p in snoozes["parameters"]}
