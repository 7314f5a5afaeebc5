"""Absurd input on every HTML form door: the merchant pages and the Django admin.

The project's rule: bad input gets a clear error and loses nothing. Each door below is sent the
values nobody types but somebody will (a price of 10^12, "1e309", "NaN", year 9999, 30 February,
a NUL, a lone surrogate, 100,000 characters, 10,000 CSV lines, another merchant's ids, choices
the page never offers) and must answer below 500; a refusal must say why on the page (a form
error or a message), with nothing written; an acceptance must store what the person meant.

The JSON API and Gett's webhooks are fuzzed separately (tests/fuzz/).
"""

from __future__ import annotations

import codecs
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalogs.models import AvailabilityWindow, Item, ItemSnooze
from gett.models import OutboundMessage
from orders.models import Order
from portal.money import MAX_PRICE_MINOR
from stores.models import Store
from tests.catalogs.menus import Menu, build_menu
from tests.factories import PASSWORD, MembershipFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("publishes")]

# --- the values -------------------------------------------------------------------------------

NUL = "A\x00B"
LONG = "x" * 100_000
# A lone surrogate cannot be typed into a page: a browser (or a script) can only send the bytes
# UTF-8 would give it if it were allowed (ED A0 80), which are not valid UTF-8.
SURROGATE_BYTES = "\ud800".encode("utf-8", "surrogatepass")
BAD_PRICES = ["1000000000000", "-1", "1e309", "NaN", "Infinity", "1e3", "12,5.0", "", "\x00"]
BAD_INTEGERS = ["-1", "1000000000000", "1e309", "NaN", "1.5", "", NUL]
OTHER_TIMEZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]  # UTC+14 and UTC-11
# The first and last moments Python has: beyond them a time zone's offset overflows.
EDGE_TIMES = ["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31 23:59", "0001-01-01 00:00"]
OTHER_TIMES = ["2026-02-30T10:00", "2026-13-01T10:00", "24:00", "17:30+99:00", "", NUL, LONG]


def on_doors(cases: list, *, sample: int = 3) -> list[tuple]:
    """(door, *case): every case on the create page, the first few on the edit page (the two
    share one form, so the edit page needs only to show it answers the same)."""
    rows = [case if isinstance(case, tuple) else (case,) for case in cases]
    return [("create", *row) for row in rows] + [("edit", *row) for row in rows[:sample]]


# --- what a page shows ------------------------------------------------------------------------

ERROR_CLASSES = {
    "errorlist",  # a form error (pages and the admin)
    "errornote",  # the admin's "Please correct the errors below."
    "form-errors",
    "message-error",  # a message on a page
    "message-warning",
}
ADMIN_MESSAGE_CLASSES = {"error", "warning"}  # <ul class="messagelist"><li class="error">


class _ErrorText(HTMLParser):
    """The text inside every element whose class says it is an error."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if self.depth:
            self.depth += 1
        elif classes & ERROR_CLASSES or (tag == "li" and classes & ADMIN_MESSAGE_CLASSES):
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts[-1] += data


def errors_shown(response) -> list[str]:
    parser = _ErrorText()
    parser.feed(response.content.decode())
    return [" ".join(text.split()) for text in parser.texts if text.strip()]


def assert_refused(response, *, before: str, said: str | None = None) -> None:
    """Below 500, a human-readable reason on the page, and no row changed."""
    assert response.status_code < 500
    if response.status_code != 404:  # another merchant's id: not even confirmed to exist
        shown = errors_shown(response)
        assert shown, f"no error shown (status {response.status_code})"
        for text in shown:
            assert "Traceback" not in text and "Error:" not in text, text
        if said is not None:
            assert any(said in text for text in shown), shown
    assert snapshot() == before, "a refused request wrote something"


def snapshot() -> str:
    """A digest of every row of our apps: any write shows up."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label in {"stores", "catalogs", "orders", "onboarding", "gett"}:
            rows = model.objects.order_by("pk").values_list()
            digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


def form_body(data: dict, raw: dict[str, bytes] | None = None) -> bytes:
    """An urlencoded form body; `raw` fields carry bytes a browser could send but not type."""
    parts = []
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(f"{quote(name)}={quote(str(one), safe='')}")
    for name, value in (raw or {}).items():
        parts.append(f"{quote(name)}={quote(value, safe='')}")
    return "&".join(parts).encode("ascii")


def post_raw(client: Client, url: str, data: dict, raw: dict[str, bytes], **extra):
    return client.post(
        url, form_body(data, raw), content_type="application/x-www-form-urlencoded", **extra
    )


def utf8_clean(text: str) -> bool:
    """Storable anywhere and sendable to Gett as JSON: no NUL, no lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# --- the world --------------------------------------------------------------------------------


class World:
    """Merchant A (whose owner is logged in) with a store, a menu and an open order, and
    merchant B with the same, whose ids A's owner must not be able to use."""

    def __init__(self) -> None:
        self.owner = MembershipFactory(role="owner")
        self.merchant = self.owner.merchant
        self.store = StoreFactory(merchant=self.merchant)
        self.menu = build_menu(self.merchant)
        self.order = Order.objects.create(
            merchant=self.merchant,
            store=self.store,
            gett_order_id=f"gett-{uuid.uuid4()}",
            number=1001,
            partner_order_id="AA-1001",
            fulfillment_type="pickup",
            currency=self.store.currency,
            subtotal=1000,
            total=1000,
            customer_name="Ada Lovelace",
        )
        self.client = Client()
        self.client.force_login(self.owner.user)

    @cached_property
    def their_store(self) -> Store:
        return StoreFactory(merchant=MembershipFactory(role="owner").merchant)

    @cached_property
    def their_menu(self) -> Menu:
        return build_menu(self.their_store.merchant)


@pytest.fixture
def world() -> World:
    return World()


# --- menu editor: items -----------------------------------------------------------------------


def _item_data(world: World, **changes) -> dict:
    data = {
        "name": "Margherita",
        "price": "9.50",
        "description": "Tomato, mozzarella, basil.",
        "sections": [str(world.menu.mains.public_id)],
        "groups": [str(world.menu.size.public_id)],
    }
    return {**data, **changes}


@pytest.mark.parametrize(("door", "price"), on_doors(BAD_PRICES))
def test_item_form_refuses_absurd_prices(world, door, price):
    url = (
        reverse("menu:item-create")
        if door == "create"
        else reverse("menu:item-edit", args=[world.menu.burger.public_id])
    )
    before = snapshot()

    response = world.client.post(url, _item_data(world, price=price))

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    ("typed", "stored"), [("9999999.99", MAX_PRICE_MINOR), ("0", 0), (" 12.5 ", 1250)]
)
def test_item_form_stores_the_price_meant(world, typed, stored):
    response = world.client.post(reverse("menu:item-create"), _item_data(world, price=typed))

    assert response.status_code == 302
    assert Item.objects.get(merchant=world.merchant, name="Margherita").price == stored


@pytest.mark.parametrize(
    ("door", "field", "value"),
    on_doors(
        [
            ("name", NUL),
            ("description", LONG),
            ("sections", ["not-a-section"]),
            ("name", LONG),
            ("name", ""),
            ("name", "   "),
            ("description", NUL),
            ("groups", ["not-a-group"]),
        ]
    ),
)
def test_item_form_refuses_absurd_text_and_choices(world, door, field, value):
    url = (
        reverse("menu:item-create")
        if door == "create"
        else reverse("menu:item-edit", args=[world.menu.burger.public_id])
    )
    before = snapshot()

    response = world.client.post(url, _item_data(world, **{field: value}))

    assert_refused(response, before=before)


@pytest.mark.parametrize("field", ["sections", "groups"])
def test_item_form_refuses_another_merchants_sections_and_groups(world, field):
    theirs = world.their_menu.mains if field == "sections" else world.their_menu.size
    before = snapshot()

    response = world.client.post(
        reverse("menu:item-create"), _item_data(world, **{field: [str(theirs.public_id)]})
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize("field", ["name", "description"])
def test_item_form_lone_surrogate_is_stored_as_replacement_characters(world, field):
    data = _item_data(world)
    del data[field]

    response = post_raw(world.client, reverse("menu:item-create"), data, {field: SURROGATE_BYTES})

    # Django reads undecodable form bytes as U+FFFD: readable, storable, sendable to Gett.
    assert response.status_code == 302
    item = Item.objects.get(merchant=world.merchant, price=950)
    assert getattr(item, field) == "\ufffd" * 3


# --- menu editor: catalogs and opening hours --------------------------------------------------


def _catalog_data(world: World, rows: list[tuple[str, str, str]], **changes) -> dict:
    data: dict = {
        "name": "Brunch",
        "description": "",
        "stores": [str(world.store.public_id)],
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "70",
    }
    for index, (day, start, end) in enumerate(rows):
        data |= {f"hours-{index}-day": day, f"hours-{index}-start": start}
        data[f"hours-{index}-end"] = end
    return {**data, **changes}


HOURS_ROWS = [
    ("7", "09:00", "17:00"),
    ("-1", "09:00", "17:00"),
    ("someday", "09:00", "17:00"),
    (NUL, "09:00", "17:00"),
    ("0", "24:00", "17:00"),
    ("0", "09:00", "25:61"),
    ("0", "9999-12-31T23:59", "17:00"),
    ("0", "09:00", "09:00"),
    ("0", NUL, "17:00"),
    ("0", LONG, "17:00"),
    ("0", "", "17:00"),
]


@pytest.mark.parametrize(("door", "row"), on_doors([(row,) for row in HOURS_ROWS]))
def test_opening_hours_refuse_absurd_rows(world, door, row):
    url = (
        reverse("menu:catalog-create")
        if door == "create"
        else reverse("menu:catalog-edit", args=[world.menu.lunch.public_id])
    )
    before = snapshot()

    response = world.client.post(url, _catalog_data(world, [row]))

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "management",
    [
        {"hours-TOTAL_FORMS": "1e309"},
        {"hours-TOTAL_FORMS": NUL},
        {"hours-TOTAL_FORMS": ""},
    ],
)
def test_opening_hours_refuse_a_tampered_row_count(world, management):
    before = snapshot()

    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.lunch.public_id]),
        _catalog_data(world, [("0", "09:00", "17:00")], **management),
    )

    assert_refused(response, before=before)


def test_opening_hours_build_at_most_a_week_of_rows_whatever_the_count_says(world):
    """A row count of a million built (and showed) 1,070 blank rows: seconds of work a request."""
    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.lunch.public_id]),
        _catalog_data(world, [("0", "09:00", "17:00")], **{"hours-TOTAL_FORMS": "1000000"}),
    )

    assert response.status_code == 400
    assert len(response.context["hours"].forms) <= 70
    assert "at most 70" in " ".join(errors_shown(response))


def test_opening_hours_ignore_a_tampered_initial_row_count(world):
    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.lunch.public_id]),
        _catalog_data(world, [("0", "09:00", "17:00")], **{"hours-INITIAL_FORMS": "1000000"}),
    )

    assert response.status_code == 302
    windows = world.menu.lunch.windows.values_list("weekday", "start", "end")
    assert list(windows) == [(0, datetime(1, 1, 1, 9).time(), datetime(1, 1, 1, 17).time())]


def test_opening_hours_refuse_more_rows_than_a_week_can_hold(world):
    rows = [(str(n % 7), f"{n // 7:02d}:00", f"{n // 7:02d}:30") for n in range(71)]
    before = snapshot()

    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.lunch.public_id]),
        _catalog_data(world, rows),
    )

    assert_refused(response, before=before)


def test_opening_hours_store_the_whole_day_as_meant(world):
    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.late.public_id]),
        _catalog_data(world, [("5", "00:00", "00:00")], name="Late Night"),
    )

    assert response.status_code == 302
    windows = AvailabilityWindow.objects.filter(catalog=world.menu.late)
    midnight = datetime.min.time()
    assert list(windows.values_list("weekday", "start", "end")) == [(5, midnight, midnight)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", NUL), ("name", LONG), ("description", LONG), ("stores", ["not-a-store"])],
)
def test_catalog_form_refuses_absurd_text_and_choices(world, field, value):
    before = snapshot()

    response = world.client.post(
        reverse("menu:catalog-edit", args=[world.menu.lunch.public_id]),
        _catalog_data(world, [("0", "09:00", "17:00")], **{field: value}),
    )

    assert_refused(response, before=before)


def test_catalog_form_refuses_another_merchants_store(world):
    theirs = str(world.their_store.public_id)
    before = snapshot()

    response = world.client.post(
        reverse("menu:catalog-create"), _catalog_data(world, [], stores=[theirs])
    )

    assert_refused(response, before=before)


# --- menu editor: sections --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("door", "field", "value"),
    on_doors(
        [
            ("name", NUL),
            ("place", "catalog:not-a-uuid"),
            ("name", LONG),
            ("description", LONG),
            ("place", "section:" + "0" * 36),
            ("place", NUL),
            ("place", ""),
        ]
    ),
)
def test_section_form_refuses_absurd_input(world, door, field, value):
    url = (
        reverse("menu:section-create")
        if door == "create"
        else reverse("menu:section-edit", args=[world.menu.drinks.public_id])
    )
    data = {"name": "Desserts", "description": "", "place": f"catalog:{world.menu.lunch.public_id}"}
    before = snapshot()

    response = world.client.post(url, {**data, field: value})

    assert_refused(response, before=before)


@pytest.mark.parametrize("theirs", ["catalog", "section"])
def test_section_form_refuses_another_merchants_place(world, theirs):
    place = (
        f"catalog:{world.their_menu.lunch.public_id}"
        if theirs == "catalog"
        else f"section:{world.their_menu.mains.public_id}"
    )
    before = snapshot()

    response = world.client.post(
        reverse("menu:section-create"), {"name": "Desserts", "place": place}
    )

    assert_refused(response, before=before)


def test_section_form_refuses_a_section_inside_itself(world):
    before = snapshot()

    response = world.client.post(
        reverse("menu:section-edit", args=[world.menu.mains.public_id]),
        {"name": "Mains", "place": f"section:{world.menu.burgers.public_id}"},
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize("value", ["theirs", "not-a-uuid", NUL, LONG, ""])
@pytest.mark.parametrize("door", ["section", "group"])
def test_adding_an_item_to_a_list_refuses_absurd_ids(world, door, value):
    item = str(world.their_menu.cola.public_id) if value == "theirs" else value
    url = (
        reverse("menu:section-item-add", args=[world.menu.drinks.public_id])
        if door == "section"
        else reverse("menu:group-option-add", args=[world.menu.toppings.public_id])
    )
    before = snapshot()

    response = world.client.post(url, {"item": item}, follow=True)

    assert_refused(response, before=before)


@pytest.mark.parametrize("direction", ["sideways", NUL, LONG, ""])
@pytest.mark.parametrize("door", ["catalog", "section", "section-item", "item-group", "option"])
def test_move_buttons_refuse_unknown_directions(world, door, direction):
    menu = world.menu
    url = {
        "catalog": reverse("menu:catalog-move", args=[menu.lunch.public_id]),
        "section": reverse("menu:section-move", args=[menu.mains.public_id]),
        "section-item": reverse(
            "menu:section-item-move", args=[menu.drinks.public_id, menu.cola.public_id]
        ),
        "item-group": reverse(
            "menu:item-group-move", args=[menu.burger.public_id, menu.size.public_id]
        ),
        "option": reverse(
            "menu:group-option-move", args=[menu.size.public_id, menu.small.public_id]
        ),
    }[door]
    before = snapshot()

    response = world.client.post(url, {"direction": direction})

    assert response.status_code == 400
    assert response.content.decode().strip()  # says what it expected
    assert snapshot() == before


# --- menu editor: modifier groups -------------------------------------------------------------


@pytest.mark.parametrize(
    ("door", "field", "value"),
    [
        *[
            ("edit", field, v)
            for field in ["min_selections", "max_selections"]
            for v in BAD_INTEGERS
        ],
        ("edit", "min_selections", "3"),  # above the maximum
        ("create", "min_selections", "1e309"),
        ("create", "max_selections", "1000000000000"),
    ],
)
def test_group_form_refuses_absurd_limits(world, door, field, value):
    url = (
        reverse("menu:group-create")
        if door == "create"
        else reverse("menu:group-edit", args=[world.menu.toppings.public_id])
    )
    data = {"name": "Sauces", "min_selections": "0", "max_selections": "2"}
    before = snapshot()

    response = world.client.post(url, {**data, field: value})

    assert_refused(response, before=before)


@pytest.mark.parametrize("name", [NUL, LONG, ""])
def test_group_form_refuses_absurd_names(world, name):
    before = snapshot()

    response = world.client.post(
        reverse("menu:group-create"), {"name": name, "min_selections": "0", "max_selections": "1"}
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    ("field", "value"), [*[("price", p) for p in BAD_PRICES], ("name", NUL), ("name", LONG)]
)
def test_new_option_form_refuses_absurd_input(world, field, value):
    data = {"name": "Garlic", "price": "0.50"}
    before = snapshot()

    response = world.client.post(
        reverse("menu:group-option-create", args=[world.menu.toppings.public_id]),
        {**data, field: value},
        follow=True,
    )

    assert_refused(response, before=before)


# --- search boxes ----------------------------------------------------------------------------

# (page, search parameter, what it finds, the names found): every search box of the menu pages.
SEARCHES = [
    ("overview", "q", "Co\x00la", lambda r: [i.name for i in r.context["page"].object_list]),
    ("overview", "gq", "Top\x00pings", lambda r: [g.name for g in r.context["groups"]]),
    ("bulk", "q", "Co\x00la", lambda r: [i.name for i in r.context["sample"]]),
    (
        "item",
        "find_group",
        "Bacon\x00 style",
        lambda r: [g.name for g in r.context["groups_found"]],
    ),
    ("section", "find", "Fr\x00ies", lambda r: [i.name for i in r.context["found"]]),
    ("group", "find", "Cri\x00spy", lambda r: [i.name for i in r.context["found"]]),
    ("sold-out", "q", "Co\x00la", lambda r: [row.name for row in r.context["result_rows"]]),
]


def _search_page(world: World, page: str) -> str:
    menu = world.menu
    return {
        "overview": reverse("menu:overview"),
        "bulk": reverse("menu:bulk-price"),
        "item": reverse("menu:item-edit", args=[menu.burger.public_id]),
        "section": reverse("menu:section-edit", args=[menu.drinks.public_id]),
        "group": reverse("menu:group-edit", args=[menu.toppings.public_id]),
        "sold-out": reverse("snoozes:list", args=[world.store.public_id]),
    }[page]


SEARCH_IDS = [f"{page}-{param}" for page, param, _, _ in SEARCHES]


@pytest.mark.parametrize(("page", "param", "typed", "found"), SEARCHES, ids=SEARCH_IDS)
def test_search_boxes_ignore_a_nul(world, page, param, typed, found):
    """PostgreSQL refuses a NUL in a query (a 500); nobody means one: it is left out."""
    response = world.client.get(_search_page(world, page), {param: typed})

    assert response.status_code == 200
    assert found(response) == [typed.replace("\x00", "")]


@pytest.mark.parametrize(("page", "param", "typed", "found"), SEARCHES, ids=SEARCH_IDS)
def test_search_boxes_survive_100_000_characters(world, page, param, typed, found):
    response = world.client.get(_search_page(world, page), {param: LONG})

    assert response.status_code == 200
    assert found(response) == []


# --- menu editor: bulk price change -----------------------------------------------------------


def _bulk(world: World, step: str, change: str, value: str, **extra):
    data = {
        "step": step,
        "change": change,
        "value": value,
        "section": str(world.menu.mains.public_id),
        **extra,
    }
    return world.client.post(reverse("menu:bulk-price"), data)


@pytest.mark.parametrize(
    ("change", "value"),
    [
        *[("increase_percent", v) for v in [*BAD_PRICES, "0", "0.001"]],
        *[(change, v) for change in ("decrease_amount", "increase_amount") for v in BAD_PRICES[:5]],
        ("decrease_amount", "0.001"),
    ],
)
def test_bulk_price_change_refuses_absurd_amounts(world, change, value):
    before = snapshot()

    response = _bulk(world, "apply", change, value)

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    ("change", "value"),
    [("increase_percent", "1001"), ("decrease_amount", "1e309"), ("increase_amount", "NaN")],
)
def test_bulk_price_preview_refuses_absurd_amounts(world, change, value):
    before = snapshot()

    response = _bulk(world, "preview", change, value)

    assert_refused(response, before=before)


@pytest.mark.parametrize("change", ["double", NUL, LONG, ""])
def test_bulk_price_change_refuses_unknown_changes(world, change):
    before = snapshot()

    response = _bulk(world, "apply", change, "10")

    assert_refused(response, before=before)


@pytest.mark.parametrize("step", ["rewind", NUL, LONG])
def test_bulk_price_change_refuses_unknown_steps(world, step):
    before = snapshot()

    response = _bulk(world, step, "increase_percent", "10")

    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("fingerprint", ["", NUL, LONG, "0" * 32])
def test_bulk_price_change_refuses_a_preview_that_is_not_the_one_shown(world, fingerprint):
    before = snapshot()

    response = _bulk(world, "apply", "increase_percent", "10", fingerprint=fingerprint)

    assert_refused(response, before=before, said="differ from the preview")


def test_bulk_price_change_refuses_to_push_a_price_past_the_maximum(world):
    Item.objects.filter(pk=world.menu.fries.pk).update(price=MAX_PRICE_MINOR - 1)
    before = snapshot()

    response = _bulk(world, "apply", "increase_amount", "1000")

    assert_refused(response, before=before, said="highest price")


def test_bulk_price_change_refuses_another_merchants_items(world):
    theirs = str(world.their_menu.cola.public_id)
    before = snapshot()

    response = world.client.post(
        reverse("menu:bulk-price"),
        {
            "step": "apply",
            "change": "increase_percent",
            "value": "10",
            "item": [theirs],
        },
    )

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("count", [501, 10_000])
def test_bulk_price_change_refuses_too_many_chosen_items(world, count):
    before = snapshot()

    response = world.client.post(
        reverse("menu:bulk-price"),
        {"step": "preview", "change": "increase_percent", "value": "10"}
        | {"item": [str(uuid.uuid4()) for _ in range(count)]},
    )

    assert response.status_code == 400
    if count < 1000:  # past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS it answers a bare 400
        assert "at most 500" in response.content.decode()
    assert snapshot() == before


def test_bulk_price_change_applies_the_change_meant(world):
    preview = _bulk(world, "preview", "increase_percent", "10")
    fingerprint = preview.context["plan"].fingerprint

    response = _bulk(world, "apply", "increase_percent", "10", fingerprint=fingerprint)

    assert response.status_code == 302
    world.menu.fries.refresh_from_db()
    assert world.menu.fries.price == 495  # 4.50 + 10 %


# --- menu CSV import --------------------------------------------------------------------------

CSV_HEADER = "item_id,name,description,price,sections,modifier_groups\r\n"


def _upload(world: World, content: bytes, name: str = "menu.csv"):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return world.client.post(reverse("menu-csv:import"), {"file": upload})


def csv_errors(response) -> list[tuple[int | None, str]]:
    return [(error.row, error.column) for error in response.context["plan"].errors]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            CSV_HEADER.encode() + b"," + SURROGATE_BYTES + b",,1.00,,\r\n", id="surrogate"
        ),
        pytest.param(CSV_HEADER.encode() + b",Caf\xe9,,1.00,,\r\n", id="latin-1"),
        pytest.param(CSV_HEADER.encode() + b",Tea\x00,,1.00,,\r\n", id="nul"),
        pytest.param(
            codecs.BOM_UTF16_LE + CSV_HEADER.encode("utf-16-le") + b"\x00\xd8" + b",\x00",
            id="utf-16-lone-surrogate",
        ),
        pytest.param(b"PK\x03\x04" + bytes(range(256)) * 8, id="xlsx"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xef\xbb\xbf", id="bom-only"),
        pytest.param(b'item_id,name,price\r\n,"Unclosed,1.00\r\n', id="unclosed-quote"),
        pytest.param(b"name,price\r\nTea,1.00\r\n", id="no-item-id-column"),
        pytest.param(b"x" * (2 * 1024 * 1024 + 1), id="over-2-mb"),
    ],
)
def test_csv_import_refuses_files_it_cannot_read(world, content):
    before = snapshot()

    response = _upload(world, content)

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "price", ["1000000000000", "-1", "1e309", "NaN", "=1+1", "'=1+1", "12.345", ""]
)
def test_csv_import_refuses_absurd_prices(world, price):
    before = snapshot()

    response = _upload(world, (CSV_HEADER + f",Tea,,{price},,\r\n").encode())

    assert_refused(response, before=before)
    assert csv_errors(response) == [(2, "price")]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (f",{LONG},,1.00,,", "name"),
        (f",Tea,{LONG},1.00,,", "description"),
        (",Tea,,1.00,No such section,", "sections"),
        (",Tea,,1.00,,No such group", "modifier_groups"),
        (f"{uuid.uuid4()},Tea,,1.00,,", "item_id"),
        ("not-a-uuid,Tea,,1.00,,", "item_id"),
        (",,,1.00,,", "name"),
    ],
)
def test_csv_import_refuses_absurd_rows(world, row, column):
    before = snapshot()

    response = _upload(world, (CSV_HEADER + row + "\r\n").encode())

    assert_refused(response, before=before)
    assert csv_errors(response) == [(2, column)]


def test_csv_import_refuses_another_merchants_item_and_section(world):
    theirs = world.their_menu
    row = f"{theirs.cola.public_id},Cola,,1.00,{theirs.drinks.name},"
    before = snapshot()

    response = _upload(world, (CSV_HEADER + row + "\r\n").encode())

    assert_refused(response, before=before)
    assert csv_errors(response) == [(2, "item_id")]  # "Drinks" is our section of that name


def _confirm(world: World, preview):
    form = preview.context["confirm_form"]
    return world.client.post(
        reverse("menu-csv:confirm"),
        {"payload": form.initial["payload"], "digest": form.initial["digest"]},
    )


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ('=HYPERLINK("http://evil.example","x")', '=HYPERLINK("http://evil.example","x")'),
        ("'=1+1", "=1+1"),
        ("@SUM(A1)", "@SUM(A1)"),
        ("+44 Tea", "+44 Tea"),
    ],
)
def test_csv_import_keeps_formula_looking_names_as_text(world, cell, stored):
    quoted = '"' + cell.replace('"', '""') + '"'
    preview = _upload(world, (CSV_HEADER + f",{quoted},,1.23,Drinks,\r\n").encode())
    assert preview.status_code == 200

    response = _confirm(world, preview)

    assert response.status_code == 302
    item = Item.objects.get(merchant=world.merchant, price=123)
    assert item.name == stored
    # And the export writes it so that a spreadsheet shows the text instead of running it.
    export = world.client.get(reverse("menu-csv:export")).content.decode("utf-8-sig")
    assert ("'" + stored) in export.replace('""', '"')


@pytest.mark.parametrize("tampered", ["payload", "digest"])
@pytest.mark.parametrize("value", ["", NUL, LONG, "not-signed"])
def test_csv_import_confirm_refuses_a_tampered_preview(world, tampered, value):
    preview = _upload(world, (CSV_HEADER + ",Tea,,1.00,Drinks,\r\n").encode())
    form = preview.context["confirm_form"]
    data = {"payload": form.initial["payload"], "digest": form.initial["digest"], tampered: value}
    before = snapshot()

    response = world.client.post(reverse("menu-csv:confirm"), data, follow=True)

    assert_refused(response, before=before)


def test_csv_import_of_ten_thousand_new_items_is_all_or_nothing(world):
    rows = "".join(f",Item {n},,{n % 100}.{n % 100:02d},Drinks,\r\n" for n in range(10_000))
    before = snapshot()

    refused = _upload(world, (CSV_HEADER + rows + ",Broken,,NaN,Drinks,\r\n").encode())

    assert_refused(refused, before=before)
    assert csv_errors(refused) == [(10_002, "price")]
    preview = _upload(world, (CSV_HEADER + rows).encode())
    assert preview.status_code == 200
    assert len(preview.context["plan"].changes) == 10_000
    assert snapshot() == before  # a preview writes nothing


def test_csv_import_of_ten_thousand_lines_writes_only_the_line_that_changed(world):
    items = Item.objects.bulk_create(
        Item(merchant=world.merchant, name=f"Item {n}", price=n) for n in range(10_000)
    )
    lines = [
        f"{item.public_id},{item.name},{item.price // 100}.{item.price % 100:02d}" for item in items
    ]
    lines[4321] = f"{items[4321].public_id},{items[4321].name},9999999.99"

    preview = _upload(world, ("item_id,name,price\r\n" + "\r\n".join(lines)).encode())
    response = _confirm(world, preview)

    assert response.status_code == 302
    changed = Item.objects.filter(merchant=world.merchant, name__startswith="Item ")
    assert {(i.name, i.price) for i in changed.exclude(price__in=range(10_000))} == {
        ("Item 4321", MAX_PRICE_MINOR)
    }
    assert changed.filter(price__in=range(10_000)).count() == 9_999


# --- sold out (item snooze) -------------------------------------------------------------------


def _snooze(world: World, item: Item, data: dict, **extra):
    url = reverse("snoozes:item", args=[world.store.public_id, item.public_id])
    return world.client.post(url, data, **extra)


@pytest.mark.parametrize(
    ("tz", "at", "htmx"),
    [
        *[(tz, at, False) for tz in ["Europe/London", *OTHER_TIMEZONES] for at in EDGE_TIMES],
        *[("Europe/London", at, False) for at in OTHER_TIMES],
        *[(OTHER_TIMEZONES[0], at, True) for at in [*EDGE_TIMES[:2], NUL, "2026-02-30T10:00"]],
    ],
)
def test_sold_out_until_refuses_absurd_times(world, tz, at, htmx):
    Store.objects.filter(pk=world.store.pk).update(timezone=tz)
    world.store.refresh_from_db()
    before = snapshot()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = _snooze(
        world, world.menu.cola, {"available": "no", "until": "at", "at": at}, **headers
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "data",
    [
        {"available": "no", "until": "forever"},
        {"available": "no", "until": NUL},
        {"available": "no", "until": LONG},
        {"available": "maybe"},
        {"available": NUL},
        {},
    ],
)
def test_sold_out_toggle_refuses_unknown_choices(world, data):
    before = snapshot()

    response = _snooze(world, world.menu.cola, data)

    assert_refused(response, before=before)


def test_sold_out_toggle_refuses_another_merchants_item(world):
    theirs = world.their_menu.cola
    before = snapshot()

    response = _snooze(world, theirs, {"available": "no", "until": "manual"})

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("tz", ["Europe/London", *OTHER_TIMEZONES])
def test_sold_out_until_a_time_stores_the_moment_meant(world, tz):
    Store.objects.filter(pk=world.store.pk).update(timezone=tz)
    world.store.refresh_from_db()
    local = (timezone.now() + timedelta(days=2)).astimezone(world.store.tzinfo)
    typed = f"{local:%Y-%m-%dT%H:%M}"

    response = _snooze(world, world.menu.cola, {"available": "no", "until": "at", "at": typed})

    assert response.status_code == 302
    snooze = ItemSnooze.objects.get(store=world.store, item=world.menu.cola)
    assert snooze.until == local.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    "query",
    [
        {"q": NUL},
        {"q": LONG},
        {"section": "not-a-uuid"},
        {"section": NUL},
        {"page": "99999999999999999999"},
        {"page": "-1"},
        {"page": NUL},
        {"soldout_page": "1e309"},
    ],
)
def test_sold_out_page_survives_absurd_searches(world, query):
    response = world.client.get(reverse("snoozes:list", args=[world.store.public_id]), query)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", [{}, {"a": NUL, "b": "x"}, {"a": LONG, "b": LONG}, {"a": str(uuid.uuid4())}]
)
def test_menu_versions_compare_refuses_absurd_choices(world, query):
    response = world.client.get(
        reverse("publishing:version-compare", args=[world.store.public_id]), query, follow=True
    )

    assert response.status_code == 200
    assert any("Choose two versions" in text for text in errors_shown(response))


@pytest.mark.parametrize("query", [{"page": NUL}, {"page": "99999999999999999999"}])
def test_menu_versions_page_survives_absurd_pages(world, query):
    response = world.client.get(reverse("publishing:versions", args=[world.store.public_id]), query)

    assert response.status_code == 200


# --- store pause and resume -------------------------------------------------------------------


def _pause(world: World, data: dict):
    return world.client.post(reverse("stores:pause", args=[world.store.public_id]), data)


@pytest.mark.parametrize(
    ("tz", "resume_at"),
    [
        *[(tz, at) for tz in ["Europe/London", *OTHER_TIMEZONES] for at in EDGE_TIMES],
        *[("Europe/London", at) for at in OTHER_TIMES],
    ],
)
def test_pause_refuses_absurd_resume_times(world, tz, resume_at):
    Store.objects.filter(pk=world.store.pk).update(timezone=tz)
    before = snapshot()

    response = _pause(world, {"reason": "too_busy", "preset": "at", "resume_at": resume_at})

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "bored", "preset": "30m"},
        {"reason": NUL, "preset": "30m"},
        {"reason": "", "preset": "30m"},
        {"reason": "too_busy", "preset": "forever"},
        {"reason": "too_busy", "preset": LONG},
        {"reason": "too_busy"},
    ],
)
def test_pause_refuses_unknown_choices(world, data):
    before = snapshot()

    response = _pause(world, data)

    assert_refused(response, before=before)


@pytest.mark.parametrize("tz", ["Europe/London", *OTHER_TIMEZONES])
def test_pause_until_a_time_stores_the_moment_meant(world, tz):
    Store.objects.filter(pk=world.store.pk).update(timezone=tz)
    world.store.refresh_from_db()
    local = (timezone.now() + timedelta(days=3)).astimezone(world.store.tzinfo)

    response = _pause(
        world, {"reason": "too_busy", "preset": "at", "resume_at": f"{local:%Y-%m-%dT%H:%M}"}
    )

    assert response.status_code == 302
    world.store.refresh_from_db()
    assert world.store.resume_at == local.replace(second=0, microsecond=0)


def test_resume_of_an_online_store_says_so(world):
    before = snapshot()

    response = world.client.post(
        reverse("stores:resume", args=[world.store.public_id]), {"junk": NUL}, follow=True
    )

    assert response.status_code == 200
    assert "already online" in response.content.decode()
    assert snapshot() == before


# --- store create and edit --------------------------------------------------------------------


def _store_data(**changes) -> dict:
    data = {
        "name": "Bella Napoli — Camden",
        "phone": "+44 20 7946 0001",
        "description": "",
        "street": "2 High Street",
        "city": "London",
        "state": "",
        "postal_code": "NW1 8AA",
        "country": "GB",
        "timezone": "Europe/London",
        "currency": "GBP",
        "delivery_allowed": "on",
        "pickup_allowed": "on",
        "default_prep_minutes": "15",
        "tax_rate": "20",
        "delivery_fee_amount": "2.50",
        "minimum_order_amount": "10.00",
    }
    return {**data, **changes}


STORE_ABSURDITIES = [
    *[("tax_rate", v) for v in [*BAD_INTEGERS, "100.01", "0.001"] if v != "1.5"],
    *[("delivery_fee_amount", v) for v in BAD_PRICES[:6]],
    # The same field and rule as the delivery fee.
    *[("minimum_order_amount", v) for v in ["1000000000000", "-1", "NaN"]],
    *[("default_prep_minutes", v) for v in [*BAD_INTEGERS[:4], "0", "241"]],
    ("name", NUL),
    ("name", LONG),
    ("description", LONG),
    ("phone", NUL),
    ("phone", LONG),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", NUL),
    ("currency", "XXX"),
    ("country", "ZZ"),
]


@pytest.mark.parametrize(("field", "value"), STORE_ABSURDITIES)
def test_store_edit_refuses_absurd_input(world, field, value):
    before = snapshot()

    response = world.client.post(
        reverse("stores:edit", args=[world.store.public_id]), _store_data(**{field: value})
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", NUL),
        ("tax_rate", "NaN"),
        ("delivery_fee_amount", "1000000000000"),
        ("minimum_order_amount", "1e309"),
        ("default_prep_minutes", "1000000000000"),
        ("timezone", "Mars/Olympus_Mons"),
    ],
)
def test_store_create_refuses_absurd_input(world, field, value):
    before = snapshot()

    response = world.client.post(reverse("stores:create"), _store_data(**{field: value}))

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    ("field", "typed", "attribute", "stored"),
    [
        ("tax_rate", "100", "tax_rate_bp", 10_000),
        ("tax_rate", "8.875", "tax_rate_bp", None),  # three places: refused (5 digits, 2 places)
        ("delivery_fee_amount", "9999999.99", "delivery_fee", MAX_PRICE_MINOR),
        ("minimum_order_amount", "0", "minimum_order", 0),
        ("default_prep_minutes", "240", "default_prep_minutes", 240),
    ],
)
def test_store_form_stores_the_amounts_meant(world, field, typed, attribute, stored):
    before = snapshot()

    response = world.client.post(
        reverse("stores:edit", args=[world.store.public_id]), _store_data(**{field: typed})
    )

    if stored is None:
        assert_refused(response, before=before)
        return
    assert response.status_code == 302
    world.store.refresh_from_db()
    assert getattr(world.store, attribute) == stored


# --- orders: board and order page -------------------------------------------------------------


def _step(world: World, data: dict, **extra):
    url = reverse("orders:step", args=[world.store.public_id, world.order.public_id])
    return world.client.post(url, data, follow=not extra, **extra)


@pytest.mark.parametrize(
    "data",
    [
        *[{"status": "confirmed", "prep_minutes": v} for v in [*BAD_INTEGERS[:-2], "0", "241"]],
        {"status": "confirmed", "prep_minutes": "\u0663"},  # an Arabic-Indic 3
        {"status": "confirmed", "prep_minutes": NUL},
        {"status": "teleported"},
        {"status": NUL},
        {"status": LONG},
        {"status": "pending"},
        {},
    ],
)
def test_order_step_refuses_absurd_input(world, data):
    before = snapshot()

    response = _step(world, data)

    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "data",
    [
        {"status": "confirmed", "prep_minutes": "1000000000000"},
        {"status": "confirmed", "prep_minutes": NUL},
        {"status": "teleported"},
    ],
)
def test_order_step_on_the_board_refuses_absurd_input_in_place(world, data):
    before = snapshot()

    response = _step(world, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board")

    assert response.status_code == 200  # the board swaps itself, with the notice inside
    assert_refused(response, before=before)


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "boredom"},
        {"reason": NUL},
        {"reason": ""},
        {"reason": "other", "note": ""},
        {"reason": "other", "note": "   "},
        {"reason": "other", "note": LONG},
        {"reason": "too_busy", "note": "x" * 401},
    ],
)
@pytest.mark.parametrize("door", ["board", "detail"])
def test_order_cancel_refuses_absurd_input(world, data, door):
    url = reverse("orders:cancel", args=[world.store.public_id, world.order.public_id])
    before = snapshot()

    response = world.client.post(url, {**data, "next": door}, follow=True)

    assert_refused(response, before=before)


@pytest.mark.parametrize("note", ["\x00", "Oven\x00broke"])
def test_order_cancel_refuses_a_nul_in_the_note(world, note):
    url = reverse("orders:cancel", args=[world.store.public_id, world.order.public_id])
    before = snapshot()

    response = world.client.post(url, {"reason": "too_busy", "note": note}, follow=True)

    assert_refused(response, before=before)


def test_order_cancel_note_with_a_lone_surrogate_is_stored_readable(world):
    url = reverse("orders:cancel", args=[world.store.public_id, world.order.public_id])

    response = post_raw(world.client, url, {"reason": "other"}, {"note": SURROGATE_BYTES})

    assert response.status_code == 302
    world.order.refresh_from_db()
    assert world.order.state == Order.State.CANCELLED
    assert utf8_clean(world.order.cancel_reason)
    message = OutboundMessage.objects.get(key=world.order.outbox_key)
    assert utf8_clean(message.payload["cancelReason"])


def test_order_actions_refuse_another_merchants_order(world):
    their_order = Order.objects.create(
        merchant=world.their_store.merchant,
        store=world.their_store,
        gett_order_id=f"gett-{uuid.uuid4()}",
        number=1001,
        partner_order_id="BB-1001",
        fulfillment_type="pickup",
        currency="GBP",
        subtotal=1000,
        total=1000,
    )
    before = snapshot()

    for name, data in (("orders:step", {"status": "confirmed"}), ("orders:cancel", {})):
        # Their order under our store's URL: not ours, so not found.
        url = reverse(name, args=[world.store.public_id, their_order.public_id])
        assert world.client.post(url, {**data, "reason": "too_busy"}).status_code == 404

    assert snapshot() == before


# --- order history ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "0001-01-01"},
        {"date_to": "9998-12-31"},
        {"date_from": "2026-02-30"},
        {"date_to": "99999-01-01"},
        {"date_from": NUL},
        {"date_from": "2026-03-01", "date_to": "2026-02-01"},
        {"q": LONG},
        {"q": NUL},
        {"state": "vaporised"},
        {"store": "not-a-store"},
        {"page": "99999999999999999999"},
        {"page": NUL},
    ],
)
def test_order_history_survives_absurd_filters(world, query):
    response = world.client.get(reverse("orders-history:list"), query)

    assert response.status_code == 200
    form = response.context["form"]
    if not form.is_valid():
        assert errors_shown(response), "the filter was ignored without saying why"


def test_order_history_to_year_9999_is_not_a_500(world):
    response = world.client.get(reverse("orders-history:list"), {"date_to": "9999-12-31"})

    assert response.status_code == 200


def test_order_history_from_year_one_to_year_9999_finds_every_order(world):
    response = world.client.get(
        reverse("orders-history:list"), {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    )

    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].object_list] == [world.order.pk]


def test_order_history_refuses_another_merchants_store(world):
    response = world.client.get(
        reverse("orders-history:list"), {"store": str(world.their_store.public_id)}
    )

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert errors_shown(response)


# --- onboarding -------------------------------------------------------------------------------


@pytest.mark.parametrize("auto_activate", ["yes", NUL, LONG])
def test_onboarding_start_reads_an_unknown_checkbox_value_as_unticked(world, auto_activate):
    before = snapshot()

    response = world.client.post(
        reverse("onboarding:start", args=[world.store.public_id]),
        {"auto_activate": auto_activate},
        follow=True,
    )

    assert response.status_code == 200
    onboarding = world.store.onboardings.first()
    if onboarding is None:
        assert errors_shown(response)
        assert snapshot() == before
    else:
        assert onboarding.auto_activate is False


# --- accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("old_password", NUL),
        ("old_password", LONG),
        ("new_password1", NUL),
        ("new_password1", ""),
    ],
)
def test_password_change_refuses_absurd_passwords(world, field, value):
    data = {
        "old_password": PASSWORD,
        "new_password1": "a-new-passphrase-2026",
        "new_password2": "a-new-passphrase-2026",
    }
    data[field] = value
    if field == "new_password1":
        data["new_password2"] = value
    user = world.owner.user
    password_before = user.password

    response = world.client.post(reverse("password_change"), data)

    assert response.status_code == 200
    assert errors_shown(response)
    user.refresh_from_db()
    assert user.password == password_before


def test_password_change_takes_a_100_000_character_password(world):
    user = world.owner.user

    response = world.client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": LONG + "!9", "new_password2": LONG + "!9"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(LONG + "!9")


@pytest.mark.parametrize(
    ("username", "password"), [(NUL, "x"), (LONG, "x"), ("x", NUL), ("x", LONG)]
)
def test_login_refuses_absurd_credentials(world, username, password):
    response = Client().post(reverse("login"), {"username": username, "password": password})

    assert response.status_code in (200, 403, 429)
    assert response.status_code != 200 or errors_shown(response)


@pytest.mark.parametrize("url", ["login", "admin:login"])
def test_login_lockout_keeps_a_long_username_within_its_table(world, url):
    """Django's login form does not hold the username to its length, and the lockout wrote
    all 100,000 characters into a 255-character column: PostgreSQL refused it (a 500)."""
    response = Client().post(reverse(url), {"username": LONG, "password": "wrong"})

    assert response.status_code == 200
    assert errors_shown(response)
    attempt = AccessAttempt.objects.get()
    assert attempt.username == LONG[:255]


@pytest.mark.parametrize("email", [NUL, LONG, "not-an-email", ""])
def test_password_reset_refuses_absurd_addresses(world, email):
    response = Client().post(reverse("password_reset"), {"email": email})

    assert response.status_code == 200
    assert errors_shown(response)
    assert mail.outbox == []


def _reset_link(client: Client, user) -> str:
    """The set-password page a reset email links to (the link redirects to it once)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("password_reset_confirm", args=[uid, token]))
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize("password", [NUL, "", "short"])
def test_password_reset_confirm_refuses_absurd_passwords(world, password):
    user = world.owner.user
    client = Client()
    url = _reset_link(client, user)

    response = client.post(url, {"new_password1": password, "new_password2": password})

    assert response.status_code == 200
    assert errors_shown(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_confirm_takes_a_100_000_character_password(world):
    user = world.owner.user
    client = Client()
    url = _reset_link(client, user)

    response = client.post(url, {"new_password1": LONG + "!9", "new_password2": LONG + "!9"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(LONG + "!9")


@pytest.mark.parametrize("merchant", ["theirs", "not-a-uuid", NUL, ""])
def test_merchant_switch_refuses_merchants_that_are_not_yours(world, merchant):
    value = str(world.their_store.merchant.public_id) if merchant == "theirs" else merchant

    response = world.client.post(reverse("stores:merchant-switch"), {"merchant": value})

    assert response.status_code == 404


# --- the Django admin -------------------------------------------------------------------------


class _FormFields(HTMLParser):
    """What a browser would submit from an admin change form (`<form id="..._form">`)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self.in_form = False
        self.select: tuple[str, bool] | None = None  # (name, multiple)
        self.options: list[tuple[str, bool]] = []  # (value, selected)
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            form_id = a.get("id") or ""
            self.in_form = form_id.endswith("_form") and form_id != "logout-form"
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.options = (name, "multiple" in a), []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not multiple and self.options:
                chosen = [self.options[0][0]]
            self.data += [(name, value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.data.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data


def admin_form(client: Client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FormFields()
    parser.feed(response.content.decode())
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


@pytest.fixture
def admin_client(world) -> Client:
    user = UserFactory(username="partner-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _admin_save(admin_client: Client, obj, **changes):
    url = _change_url(obj)
    data = admin_form(admin_client, url)
    return admin_client.post(url, {**data, **changes, "_save": "Save"})


def test_admin_form_helper_saves_an_unchanged_form_without_errors(world, admin_client):
    for obj in (world.store, world.menu.lunch, world.menu.burger, world.menu.size):
        response = _admin_save(admin_client, obj)
        assert response.status_code == 302, (obj, errors_shown(response))


ADMIN_ABSURDITIES = [
    ("store", "name", NUL),
    ("store", "phone", NUL),
    ("store", "timezone", "Mars/Olympus_Mons"),
    ("store", "tax_rate_bp", "1000000000000"),
    ("store", "tax_rate_bp", "-1"),
    ("store", "delivery_fee", "1000000000000"),
    ("store", "default_prep_minutes", "1000000000000"),
    ("store", "merchant", "999999999"),
    ("catalog", "name", NUL),
    ("catalog", "name", LONG),
    ("catalog", "position", "-1"),
    ("catalog", "windows-0-weekday", "7"),
    ("catalog", "windows-0-start", "24:00"),
    ("catalog", "windows-0-start", "9999-12-31 23:59"),
    ("catalog", "windows-0-end", "11:00"),  # closes when it opens
    ("catalog", "windows-TOTAL_FORMS", "many"),
    ("item", "name", NUL),
    ("item", "description", LONG),
    ("item", "price", "1000000000000"),
    ("item", "price", str(MAX_PRICE_MINOR + 1)),
    ("item", "price", "-1"),
    ("item", "price", "1e309"),
    ("item", "price", "NaN"),
    ("group", "min_selections", "-1"),
    ("group", "min_selections", "1000000000000"),
    ("group", "name", NUL),
]


@pytest.mark.parametrize(("kind", "field", "value"), ADMIN_ABSURDITIES)
def test_admin_change_forms_refuse_absurd_input(world, admin_client, kind, field, value):
    obj = {
        "store": world.store,
        "catalog": world.menu.lunch,
        "item": world.menu.burger,
        "group": world.menu.toppings,
    }[kind]
    before = snapshot()

    response = _admin_save(admin_client, obj, **{field: value})

    assert_refused(response, before=before)


def test_admin_item_price_takes_the_highest_price_every_door_takes(world, admin_client):
    response = _admin_save(admin_client, world.menu.burger, price=str(MAX_PRICE_MINOR))

    assert response.status_code == 302
    world.menu.burger.refresh_from_db()
    assert world.menu.burger.price == MAX_PRICE_MINOR


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"catalog": "", "parent": "burgers"}, id="inside-its-own-sub-section"),
        pytest.param({"catalog": "their-catalog"}, id="another-merchants-catalog"),
        pytest.param({"catalog": "", "parent": "their-section"}, id="another-merchants-parent"),
        pytest.param({"catalog": "", "parent": ""}, id="in-nothing"),
        pytest.param({"description": LONG}, id="description-100000"),
    ],
)
def test_admin_section_page_refuses_absurd_places(world, admin_client, changes):
    pks = {
        "burgers": world.menu.burgers.pk,
        "their-catalog": world.their_menu.lunch.pk,
        "their-section": world.their_menu.mains.pk,
    }
    data = {name: str(pks.get(value, value)) for name, value in changes.items()}
    before = snapshot()

    response = _admin_save(admin_client, world.menu.mains, **data)

    assert_refused(response, before=before)


def test_admin_section_item_refuses_another_merchants_item(world, admin_client):
    data = {
        "section": str(world.menu.drinks.pk),
        "item": str(world.their_menu.cola.pk),
        "position": "0",
    }
    before = snapshot()

    response = admin_client.post(reverse("admin:catalogs_sectionitem_add"), data)

    assert_refused(response, before=before, said="another merchant")


def _snooze_admin_data(world: World, until: str) -> dict:
    return {
        "store": str(world.store.pk),
        "item": str(world.menu.cola.pk),
        "until_0": until.split(" ")[0],
        "until_1": until.split(" ")[1] if " " in until else "",
    }


# A snooze may end at most 30 days ahead, and in the future, whatever the door: year 9999 also
# overflows wherever the end is shown in a time zone east of UTC (the sold-out page was a 500).
ADMIN_SNOOZE_ENDS = ["9999-12-31 23:59:59", "0001-01-01 00:00:00", "2000-01-01 12:00:00"]


@pytest.mark.parametrize("until", [*ADMIN_SNOOZE_ENDS, "2026-02-30 10:00:00", "x 24:00:00"])
def test_admin_snooze_refuses_absurd_ends(world, admin_client, until):
    Store.objects.filter(pk=world.store.pk).update(timezone="Pacific/Kiritimati")
    before = snapshot()

    response = admin_client.post(
        reverse("admin:catalogs_itemsnooze_add"), _snooze_admin_data(world, until)
    )

    assert_refused(response, before=before)


@pytest.mark.parametrize("until", ADMIN_SNOOZE_ENDS)
def test_admin_item_page_refuses_a_snooze_ending_out_of_range(world, admin_client, until):
    Store.objects.filter(pk=world.store.pk).update(timezone="Pacific/Kiritimati")
    url = _change_url(world.menu.cola)
    data = admin_form(admin_client, url)
    day, at = until.split(" ")
    data |= {
        "snoozes-TOTAL_FORMS": "1",
        "snoozes-0-store": str(world.store.pk),
        "snoozes-0-item": str(world.menu.cola.pk),
        "snoozes-0-until_0": day,
        "snoozes-0-until_1": at,
    }
    before = snapshot()

    response = admin_client.post(url, {**data, "_save": "Save"})

    assert_refused(response, before=before)


def test_admin_snooze_stores_the_end_meant_and_keeps_an_old_one_on_other_edits(world, admin_client):
    local = (timezone.now() + timedelta(days=2)).astimezone(UTC).replace(microsecond=0)

    response = admin_client.post(
        reverse("admin:catalogs_itemsnooze_add"),
        _snooze_admin_data(world, f"{local:%Y-%m-%d %H:%M:%S}"),
    )

    assert response.status_code == 302
    snooze = ItemSnooze.objects.get(store=world.store, item=world.menu.cola)
    assert snooze.until == local
    # An end that has passed since (the expiry task has not run yet) does not block the page.
    ItemSnooze.objects.filter(pk=snooze.pk).update(until=timezone.now() - timedelta(minutes=1))
    assert _admin_save(admin_client, world.menu.cola, name="Cola Zero").status_code == 302


def test_admin_snooze_refuses_another_merchants_item(world, admin_client):
    data = _snooze_admin_data(world, "")
    data["item"] = str(world.their_menu.cola.pk)
    before = snapshot()

    response = admin_client.post(reverse("admin:catalogs_itemsnooze_add"), data)

    assert_refused(response, before=before, said="another merchant")


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "delivered"), ("total", "-1"), ("cancel_reason", NUL), ("customer_name", LONG)],
)
def test_admin_order_change_form_changes_nothing(world, admin_client, field, value):
    url = _change_url(world.order)
    data = admin_form(admin_client, url)
    before = snapshot()

    response = admin_client.post(url, {**data, field: value, "_save": "Save"})

    assert response.status_code < 500
    assert snapshot() == before


def test_admin_outbox_change_form_changes_nothing(world, admin_client):
    """A message's page shows no Save, but a POST to it saved the whole row as read: a
    delivery claimed meanwhile (pending -> sending) could be written back to pending."""
    message = OutboundMessage.objects.create(
        kind="store.status", key=world.store.outbox_key, state="failed"
    )
    url = _change_url(message)
    data = admin_form(admin_client, url)
    before = snapshot()

    response = admin_client.post(url, {**data, "state": "delivered", "_save": "Save"})

    assert response.status_code < 500
    assert snapshot() == before


ACTIONS = [
    ("gett", "outboundmessage", "retry_failed"),
    ("stores", "store", "resume_stores"),
    ("onboarding", "onboarding", "cancel"),
    ("catalogs", "publishstate", "republish_menus"),
]


@pytest.mark.parametrize("selected", ["-1", "0", "987654321"])
@pytest.mark.parametrize(("app", "model", "action"), ACTIONS)
def test_admin_actions_ignore_unknown_selections(world, admin_client, app, model, action, selected):
    before = snapshot()

    response = admin_client.post(
        reverse(f"admin:{app}_{model}_changelist"),
        {"action": action, "_selected_action": [selected]},
        follow=True,
    )

    assert response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize("selected", ["not-a-pk", NUL, LONG, "99999999999999999999999"])
@pytest.mark.parametrize(("app", "model", "action"), ACTIONS[:1])
def test_admin_actions_refuse_tampered_selections(
    world, admin_client, app, model, action, selected
):
    before = snapshot()

    response = admin_client.post(
        reverse(f"admin:{app}_{model}_changelist"),
        {"action": action, "_selected_action": [selected]},
        follow=True,
    )

    assert response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize(
    "model",
    [
        "stores/store",
        "catalogs/catalog",
        "catalogs/item",
        "catalogs/itemsnooze",
        "orders/order",
        "gett/outboundmessage",
        "gett/inboundwebhook",
        "onboarding/onboarding",
    ],
)
@pytest.mark.parametrize(
    "query",
    [
        {"q": NUL},
        {"p": "99999999999999999999"},
        {"o": "99.-1"},
        {"created_at__gte": "9999-99-99"},
        {"merchant__id__exact": "abc"},
        {"until__isnull": "maybe"},
    ],
)
def test_admin_changelists_survive_absurd_queries(world, admin_client, model, query):
    app, name = model.split("/")

    response = admin_client.get(reverse(f"admin:{app}_{name}_changelist"), query, follow=True)

    assert response.status_code < 500


@pytest.mark.xfail(
    connection.vendor == "sqlite",
    strict=True,
    reason="SQLite refuses a LIKE pattern over 50,000 characters and the admin search passes "
    "any length (a 500 on SQLite only). Reported, not fixed here.",
)
@pytest.mark.parametrize("model", ["stores/store", "catalogs/item", "orders/order"])
def test_admin_search_survives_100_000_characters(world, admin_client, model):
    app, name = model.split("/")

    response = admin_client.get(reverse(f"admin:{app}_{name}_changelist"), {"q": LONG})

    assert response.status_code == 200
