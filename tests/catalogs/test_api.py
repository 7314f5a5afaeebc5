import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogs import services
from catalogs.models import Item, ItemSnooze, Trigger
from stores.models import Membership
from tests.catalogs.menus import build_menu, pid
from tests.factories import (
    ItemFactory,
    ItemSnoozeFactory,
    MembershipFactory,
    MerchantFactory,
    SectionItemFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MENU_URL = "/api/v1/menu/"


def _client_for(user) -> APIClient:
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(owner) -> APIClient:
    return _client_for(owner.user)


def _member_client(store, role) -> APIClient:
    membership = MembershipFactory(merchant=store.merchant, role=role)
    return _client_for(membership.user)


def _item_url(item) -> str:
    return f"/api/v1/menu/items/{item.public_id}/"


def _price_url(item) -> str:
    return f"/api/v1/menu/items/{item.public_id}/price/"


def _snoozes_url(store) -> str:
    return f"/api/v1/stores/{store.public_id}/snoozes/"


def _snooze_url(store, item) -> str:
    return f"/api/v1/stores/{store.public_id}/snoozes/{item.public_id}/"


def _export(api: APIClient, **params) -> dict:
    """The full menu export, which is streamed: read to the end and parsed."""
    response = api.get(MENU_URL, params)
    assert response.status_code == 200, response.content
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def _problems(response) -> dict[str, list[str]]:
    """A problem+json reply's `errors[]` by field: {"price": [message]} ("" for the body)."""
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    found: dict[str, list[str]] = {}
    for error in body["errors"]:
        field = error["jsonPath"].removeprefix("$").removeprefix(".")
        found.setdefault(field, []).append(error["message"])
    return found


def _theirs():
    """Another merchant's store with a menu."""
    store = StoreFactory()
    return store, build_menu(store.merchant)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", MENU_URL),
        ("get", f"/api/v1/menu/items/{uuid.uuid4()}/"),
        ("post", f"/api/v1/menu/items/{uuid.uuid4()}/price/"),
        ("post", f"/api/v1/stores/{uuid.uuid4()}/snoozes/"),
        ("delete", f"/api/v1/stores/{uuid.uuid4()}/snoozes/{uuid.uuid4()}/"),
    ],
)
def test_every_menu_endpoint_needs_authentication(store, method, url):
    response = getattr(APIClient(), method)(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_gets_401(store):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    assert client.get(MENU_URL).status_code == 401


def test_session_authentication_reads_the_menu(owner, store, menu):
    client = APIClient()
    client.force_login(owner.user)

    assert client.get(MENU_URL).status_code == 200


def test_session_authenticated_price_change_without_csrf_is_403(owner, store, menu):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner.user)

    response = client.post(_price_url(menu.fries), {"price": "1.00"}, format="json")

    assert response.status_code == 403
    menu.fries.refresh_from_db()
    assert menu.fries.price == 450


# --- the menu ---------------------------------------------------------------------------------


def test_menu_shows_catalogs_windows_section_tree_items_and_groups(store, menu, api):
    body = _export(api)

    assert body["merchant"] == {
        "public_id": str(store.merchant.public_id),
        "name": store.merchant.name,
    }
    assert body["currency"] == "GBP"
    lunch, late = body["catalogs"]
    assert lunch["public_id"] == pid(menu.lunch)
    assert len(lunch["windows"]) == 7
    assert lunch["windows"][0] == {
        "weekday": 0,
        "day": "Monday",
        "start": "11:00:00",
        "end": "22:00:00",
    }
    assert late["windows"] == [
        {"weekday": 4, "day": "Friday", "start": "22:00:00", "end": "02:00:00"}
    ]
    mains, drinks = lunch["sections"]
    assert mains["name"] == "Mains"
    assert mains["items"] == [pid(menu.fries)]
    assert [s["name"] for s in mains["sections"]] == ["Burgers"]
    assert mains["sections"][0]["items"] == [pid(menu.burger)]
    assert mains["sections"][0]["sections"] == []
    assert drinks["items"] == [pid(menu.cola)]

    items = {row["public_id"]: row for row in body["items"]}
    assert len(items) == 9
    burger = items[pid(menu.burger)]
    assert burger["price"] == {"amount": "14.50", "amount_minor": 1450, "currency": "GBP"}
    assert burger["modifier_groups"] == [pid(menu.toppings), pid(menu.size)]
    assert burger["sections"] == [pid(menu.burgers)]
    assert burger["snoozes"] == []
    assert burger["image_url"] is None
    assert set(items[pid(menu.fries)]["sections"]) == {pid(menu.mains), pid(menu.snacks)}
    groups = {row["public_id"]: row for row in body["modifier_groups"]}
    assert groups[pid(menu.size)] == {
        "public_id": pid(menu.size),
        "name": "Size",
        "min_selections": 1,
        "max_selections": 1,
        "options": [pid(menu.small), pid(menu.large)],
    }


def test_menu_shows_active_snoozes_per_store(store, menu, api):
    other_store = StoreFactory(merchant=store.merchant, name="ZZ Second")
    until = timezone.now() + timedelta(hours=2)
    ItemSnoozeFactory(store=store, item=menu.cola, until=until)
    ItemSnoozeFactory(store=other_store, item=menu.cola, until=None)
    ItemSnoozeFactory(store=store, item=menu.fries, until=timezone.now() - timedelta(minutes=1))

    items = {row["public_id"]: row for row in _export(api)["items"]}

    assert [s["store"] for s in items[pid(menu.cola)]["snoozes"]] == [
        str(store.public_id),
        str(other_store.public_id),
    ]
    assert items[pid(menu.cola)]["snoozes"][1]["until"] is None
    assert items[pid(menu.fries)]["snoozes"] == []  # that snooze has ended


def test_menu_currency_is_null_when_the_stores_use_different_currencies(store, menu, api):
    StoreFactory(merchant=store.merchant, currency="EUR")

    body = _export(api)

    assert body["currency"] is None
    assert body["items"][0]["price"]["currency"] is None
    assert {row["price"]["amount"] for row in body["items"]} >= {"14.50"}
    assert sorted(s["currency"] for s in body["store_currencies"]) == ["EUR", "GBP"]


def test_menu_query_count_does_not_grow_with_the_menu(store, menu, api):
    with CaptureQueriesContext(connection) as small:
        _export(api)
    for _ in range(20):
        item = ItemFactory(merchant=store.merchant)
        SectionItemFactory(section=menu.drinks, item=item)
        ItemSnoozeFactory(store=store, item=item)

    with CaptureQueriesContext(connection) as large:
        body = _export(api)

    assert len(body["items"]) == 29
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_user_of_several_merchants_gets_the_first_by_name_or_the_one_asked_for(owner, menu):
    second = MembershipFactory(user=owner.user, merchant=MerchantFactory(name="AAA first"))
    api = _client_for(owner.user)

    default = _export(api)
    chosen = _export(api, merchant=str(owner.merchant.public_id))

    assert default["merchant"]["public_id"] == str(second.merchant.public_id)
    assert default["items"] == []
    assert chosen["merchant"]["public_id"] == str(owner.merchant.public_id)
    assert len(chosen["items"]) == 9


def test_menu_of_another_merchant_is_404(api, store):
    _, _ = _theirs()
    other_merchant = MerchantFactory()

    response = api.get(MENU_URL, {"merchant": str(other_merchant.public_id)})

    assert response.status_code == 404


def test_menu_with_malformed_merchant_is_400(api, store):
    response = api.get(MENU_URL, {"merchant": "not-a-uuid"})

    assert response.status_code == 400
    assert "merchant" in _problems(response)


def test_menu_for_a_user_without_merchant_is_404():
    response = _client_for(UserFactory()).get(MENU_URL)

    assert response.status_code == 404


# --- one item ---------------------------------------------------------------------------------


def test_item_detail_has_the_same_shape_as_in_the_menu(store, menu, api):
    detail = api.get(_item_url(menu.burger))
    in_menu = next(row for row in _export(api)["items"] if row["public_id"] == pid(menu.burger))

    assert detail.status_code == 200
    assert detail.json() == in_menu


def test_item_of_another_merchant_is_404(api, store):
    _, theirs = _theirs()

    assert api.get(_item_url(theirs.burger)).status_code == 404


def test_unknown_or_malformed_item_is_404(api, store):
    unknown = api.get(f"/api/v1/menu/items/{uuid.uuid4()}/")
    malformed = api.get("/api/v1/menu/items/42/")

    assert unknown.status_code == malformed.status_code == 404
    assert _problems(unknown) == _problems(malformed) == {}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/stores/not-a-uuid/snoozes/", "/api/v1/menu/items/42/price/", "/api/v1/nothing/"],
)
def test_malformed_ids_are_a_problem_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_item_detail_is_read_only(api, store, menu):
    assert api.delete(_item_url(menu.burger)).status_code == 405
    assert api.post(_item_url(menu.burger), {}).status_code == 405


# --- price ------------------------------------------------------------------------------------


def test_owner_changes_a_price_and_every_store_publishes_with_trigger_api(
    owner, store, menu, api, publishes, django_capture_on_commit_callbacks
):
    second = StoreFactory(merchant=store.merchant)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(_price_url(menu.burger), {"price": "15.75"}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["price"] == {"amount": "15.75", "amount_minor": 1575, "currency": "GBP"}
    menu.burger.refresh_from_db()
    assert menu.burger.price == 1575
    assert sorted(call[:3] for call in publishes) == sorted(
        [(store.pk, Trigger.API, owner.user.pk), (second.pk, Trigger.API, owner.user.pk)]
    )


@pytest.mark.parametrize("price, minor", [("0", 0), ("9", 900), ("12.5", 1250), (3.25, 325)])
def test_price_accepts_decimal_strings_and_numbers(store, menu, api, price, minor):
    response = api.post(_price_url(menu.cola), {"price": price}, format="json")

    assert response.status_code == 200, response.data
    menu.cola.refresh_from_db()
    assert menu.cola.price == minor


def test_price_accepts_a_form_encoded_body(store, menu, api):
    assert api.post(_price_url(menu.cola), {"price": "2.20"}).status_code == 200
    menu.cola.refresh_from_db()
    assert menu.cola.price == 220


def test_price_in_a_currency_without_decimals(api, owner):
    StoreFactory(merchant=owner.merchant, currency="JPY")
    item = ItemFactory(merchant=owner.merchant, price=1000)

    ok = api.post(_price_url(item), {"price": "1200"}, format="json")
    too_precise = api.post(_price_url(item), {"price": "1200.5"}, format="json")

    assert ok.status_code == 200
    assert ok.data["price"] == {"amount": "1200", "amount_minor": 1200, "currency": "JPY"}
    assert too_precise.status_code == 400
    item.refresh_from_db()
    assert item.price == 1200


def test_manager_may_change_prices(store, menu):
    response = _member_client(store, Membership.Role.MANAGER).post(
        _price_url(menu.cola), {"price": "3.10"}, format="json"
    )

    assert response.status_code == 200


def test_staff_may_not_change_prices(store, menu, publishes, django_capture_on_commit_callbacks):
    client = _member_client(store, Membership.Role.STAFF)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_price_url(menu.cola), {"price": "0.10"}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "owners and managers" in response.json()["detail"]
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300
    assert publishes == []


def test_price_of_another_merchants_item_is_404_and_changes_nothing(api, store):
    _, theirs = _theirs()

    response = api.post(_price_url(theirs.burger), {"price": "0.01"}, format="json")

    assert response.status_code == 404
    theirs.burger.refresh_from_db()
    assert theirs.burger.price == 1450


def _assert_price_rejected(menu, publishes, response) -> dict:
    assert response.status_code == 400, response.content
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300
    assert publishes == []
    return _problems(response)


@pytest.mark.parametrize(
    "price, message",
    [
        ("-1.00", "A price cannot be negative."),
        ("1.005", "Use at most 2 decimal places."),
        ("10000000.00", "A price can be at most 9999999.99."),
        ("1e400", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("1e3", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("99999999.00", "A price can be at most 9999999.99."),
    ],
)
def test_price_out_of_range_is_400_with_a_clear_message(
    store, menu, api, publishes, price, message
):
    response = api.post(_price_url(menu.cola), {"price": price}, format="json")

    body = _assert_price_rejected(menu, publishes, response)
    assert body["price"] == [message]


@pytest.mark.parametrize(
    "price", ["", "twelve", "12,50", "NaN", "Infinity", None, True, [], {}, ["1.00"], "1" * 2000]
)
def test_price_that_is_not_a_number_is_400(store, menu, api, publishes, price):
    response = api.post(_price_url(menu.cola), {"price": price}, format="json")

    body = _assert_price_rejected(menu, publishes, response)
    assert "price" in body


def test_price_missing_is_400(store, menu, api, publishes):
    response = api.post(_price_url(menu.cola), {}, format="json")

    assert _assert_price_rejected(menu, publishes, response)["price"] == ["This field is required."]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"price": "1.00",', "application/json"),
        (b"\xff\xfe{", "application/json"),
        ("[" * 100_000, "application/json"),
        ('["1.00"]', "application/json"),
        ("42", "application/json"),
        ("null", "application/json"),
    ],
    ids=["truncated", "not-utf8", "deeply-nested", "array", "number", "null"],
)
def test_malformed_price_body_is_400_not_500(store, menu, api, publishes, body, content_type):
    response = api.post(_price_url(menu.cola), body, content_type=content_type)

    _assert_price_rejected(menu, publishes, response)


def test_huge_price_body_is_413_not_500(store, menu, api, settings):
    body = '{"price": "1.00", "x": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'

    response = api.post(_price_url(menu.cola), body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Request body too large."


def test_price_with_unsupported_media_type_is_415(store, menu, api):
    response = api.post(_price_url(menu.cola), "price: 1", content_type="text/yaml")

    assert response.status_code == 415


def test_get_on_price_is_405(store, menu, api):
    assert api.get(_price_url(menu.cola)).status_code == 405


# --- snoozes ----------------------------------------------------------------------------------


def test_staff_snoozes_an_item_until_turned_back_on(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client = _client_for(staff.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _snoozes_url(store), {"item": pid(menu.cola), "until": "manual"}, format="json"
        )

    assert response.status_code == 201, response.data
    assert response.data["store"] == str(store.public_id)
    assert response.data["item"] == pid(menu.cola)
    assert response.data["until"] is None
    snooze = ItemSnooze.objects.get(store=store, item=menu.cola)
    assert snooze.until is None
    assert snooze.created_by == staff.user
    assert [call[:3] for call in publishes] == [(store.pk, Trigger.SNOOZE, staff.user.pk)]


def test_snooze_until_next_opening(store, menu, api):
    # Wednesday 15:00 in London; the lunch catalog opens every day at 11:00.
    with time_machine.travel(datetime(2030, 1, 2, 15, 0, tzinfo=store.tzinfo), tick=False):
        response = api.post(
            _snoozes_url(store), {"item": pid(menu.cola), "until": "next_opening"}, format="json"
        )

    assert response.status_code == 201, response.data
    expected = datetime(2030, 1, 3, 11, 0, tzinfo=store.tzinfo)
    assert ItemSnooze.objects.get(item=menu.cola).until == expected


def test_snooze_until_a_time_with_offset_or_in_store_time(store, menu, api):
    with time_machine.travel(datetime(2030, 7, 1, 12, 0, tzinfo=store.tzinfo), tick=False):
        with_offset = api.post(
            _snoozes_url(store),
            {"item": pid(menu.cola), "until": "2030-07-01T18:00:00+00:00"},
            format="json",
        )
        local = api.post(
            _snoozes_url(store),
            {"item": pid(menu.fries), "until": "2030-07-01T18:00:00"},
            format="json",
        )

    assert with_offset.status_code == 201, with_offset.data
    assert local.status_code == 201, local.data
    snoozes = {s.item_id: s.until for s in ItemSnooze.objects.all()}
    assert snoozes[menu.cola.pk] == datetime(2030, 7, 1, 18, 0, tzinfo=UTC)
    # London is on summer time (UTC+1): 18:00 there is 17:00 UTC.
    assert snoozes[menu.fries.pk] == datetime(2030, 7, 1, 17, 0, tzinfo=UTC)


def test_snoozing_again_replaces_the_snooze(store, menu, api):
    api.post(_snoozes_url(store), {"item": pid(menu.cola), "until": "manual"}, format="json")
    until = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)

    response = api.post(
        _snoozes_url(store), {"item": pid(menu.cola), "until": until.isoformat()}, format="json"
    )

    assert response.status_code == 201
    assert ItemSnooze.objects.get(item=menu.cola).until == until


def _assert_snooze_rejected(response, field: str, publishes) -> dict:
    assert response.status_code == 400, response.content
    body = _problems(response)
    assert field in body, body
    assert ItemSnooze.objects.count() == 0
    assert publishes == []
    return body


@pytest.mark.parametrize(
    "until",
    [
        "tomorrow",
        "2030-13-45T99:99:99Z",
        "",
        12345,
        None,
        True,
        ["manual"],
        {"at": "2030-01-01T00:00:00Z"},
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59",
    ],
)
def test_snooze_with_until_that_is_not_a_choice_or_a_datetime_is_400(
    store, menu, api, publishes, until
):
    response = api.post(
        _snoozes_url(store), {"item": pid(menu.cola), "until": until}, format="json"
    )

    _assert_snooze_rejected(response, "until", publishes)


def test_snooze_in_the_past_is_400(store, menu, api, publishes):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = api.post(_snoozes_url(store), {"item": pid(menu.cola), "until": past}, format="json")

    body = _assert_snooze_rejected(response, "until", publishes)
    assert body["until"] == ["The snooze must end in the future."]


def test_snooze_more_than_30_days_ahead_is_400(store, menu, api, publishes):
    later = (timezone.now() + timedelta(days=31)).isoformat()

    response = api.post(
        _snoozes_url(store), {"item": pid(menu.cola), "until": later}, format="json"
    )

    body = _assert_snooze_rejected(response, "until", publishes)
    assert "30 days" in body["until"][0]


def test_snooze_until_next_opening_of_a_store_that_never_closes_is_400(owner, api, publishes):
    store = StoreFactory(merchant=owner.merchant)
    item = ItemFactory(merchant=owner.merchant)  # no catalogs: no opening hours at all

    response = api.post(_snoozes_url(store), {"item": pid(item), "until": "next_opening"})

    _assert_snooze_rejected(response, "until", publishes)


@pytest.mark.parametrize("item", [None, "", "not-a-uuid", 42, [], str(uuid.uuid4())])
def test_snooze_of_missing_or_unknown_item_is_400(store, menu, api, publishes, item):
    response = api.post(_snoozes_url(store), {"item": item, "until": "manual"}, format="json")

    _assert_snooze_rejected(response, "item", publishes)


def test_snooze_of_another_merchants_item_reads_as_unknown(store, menu, api, publishes):
    _, theirs = _theirs()

    response = api.post(
        _snoozes_url(store), {"item": pid(theirs.cola), "until": "manual"}, format="json"
    )

    body = _assert_snooze_rejected(response, "item", publishes)
    assert body["item"] == ["No such item on this store's menu."]


def test_snooze_in_another_merchants_store_is_404(api, store):
    their_store, theirs = _theirs()

    response = api.post(
        _snoozes_url(their_store), {"item": pid(theirs.cola), "until": "manual"}, format="json"
    )

    assert response.status_code == 404
    assert not ItemSnooze.objects.exists()


@pytest.mark.parametrize(
    "body", ['{"item":', "[" * 100_000, '["manual"]', "7"], ids=["truncated", "deep", "list", "int"]
)
def test_malformed_snooze_body_is_400_not_500(store, menu, api, body):
    response = api.post(_snoozes_url(store), body, content_type="application/json")

    assert response.status_code == 400
    assert not ItemSnooze.objects.exists()


def test_unsnooze_puts_the_item_back_and_publishes(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    ItemSnoozeFactory(store=store, item=menu.cola)
    client = _member_client(store, Membership.Role.STAFF)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(_snooze_url(store, menu.cola))

    assert response.status_code == 204
    assert not ItemSnooze.objects.exists()
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.UNSNOOZE)]


def test_unsnooze_of_an_item_that_is_not_snoozed_is_404(store, menu, api, publishes):
    response = api.delete(_snooze_url(store, menu.cola))

    assert response.status_code == 404
    assert response.json()["detail"] == "This item is not snoozed in this store."
    assert publishes == []


def test_unsnooze_in_another_merchants_store_or_of_their_item_is_404(store, menu, api):
    their_store, theirs = _theirs()
    ItemSnoozeFactory(store=their_store, item=theirs.cola)

    assert api.delete(_snooze_url(their_store, theirs.cola)).status_code == 404
    assert api.delete(_snooze_url(store, theirs.cola)).status_code == 404
    assert ItemSnooze.objects.filter(store=their_store).exists()


def test_snooze_then_unsnooze_through_the_api_round_trip(store, menu, api):
    api.post(_snoozes_url(store), {"item": pid(menu.cola), "until": "manual"}, format="json")
    snoozed = api.get(_item_url(menu.cola)).json()["snoozes"]

    api.delete(_snooze_url(store, menu.cola))

    assert [s["store"] for s in snoozed] == [str(store.public_id)]
    assert api.get(_item_url(menu.cola)).json()["snoozes"] == []


def test_the_snoozes_collection_lists_the_stores_sold_out_items(store, menu, api):
    staff = _member_client(store, Membership.Role.STAFF)
    soon = timezone.now() + timedelta(hours=1)
    ItemSnoozeFactory(store=store, item=menu.cola, until=None)
    ItemSnoozeFactory(store=store, item=menu.fries, until=soon)
    ItemSnoozeFactory(store=store, item=menu.burger, until=timezone.now() - timedelta(minutes=1))
    ItemSnoozeFactory(store=StoreFactory(merchant=store.merchant), item=menu.small)

    response = staff.get(_snoozes_url(store))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [(row["item"], row["store"]) for row in body["results"]] == [
        (pid(menu.fries), str(store.public_id)),
        (pid(menu.cola), str(store.public_id)),
    ]
    assert body["results"][1]["until"] is None


def test_the_snoozes_of_another_merchants_store_are_404(api):
    their_store, _ = _theirs()

    assert api.get(_snoozes_url(their_store)).status_code == 404


# --- schema -----------------------------------------------------------------------------------


def test_schema_lists_the_menu_paths_with_request_and_response_components(api):
    response = api.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    assert {
        "/api/v1/menu/",
        "/api/v1/menu/items/{public_id}/",
        "/api/v1/menu/items/{public_id}/price/",
        "/api/v1/stores/{public_id}/snoozes/",
        "/api/v1/stores/{public_id}/snoozes/{item_id}/",
    } <= set(paths)
    price = paths["/api/v1/menu/items/{public_id}/price/"]["post"]
    assert "PriceInput" in str(price["requestBody"])
    assert "ItemOutput" in str(price["responses"]["200"])
    assert {"400", "403", "404"} <= set(price["responses"])
    assert "SnoozeInput" in str(paths["/api/v1/stores/{public_id}/snoozes/"]["post"])
    assert "delete" in paths["/api/v1/stores/{public_id}/snoozes/{item_id}/"]
    menu = paths["/api/v1/menu/"]["get"]
    assert [p["name"] for p in menu["parameters"]] == ["merchant"]
    schemas = document["components"]["schemas"]
    assert {"MenuOutput", "ItemOutput", "SectionOutput", "SnoozeOutput", "PriceInput"} <= set(
        schemas
    )
    assert "get" in paths["/api/v1/stores/{public_id}/snoozes/"]
    assert schemas["ItemOutput"]["properties"]["price"]["allOf"][0]["$ref"].endswith("/Money")


def test_services_and_api_agree_on_the_item_shape_after_a_price_change(store, menu, api):
    services.item_price_set(item=menu.fries, price=499, trigger=Trigger.EDITOR)

    body = api.get(_item_url(menu.fries)).json()

    assert body["price"]["amount"] == "4.99"
    assert Item.objects.get(pk=menu.fries.pk).price == 499
