"""Gett's webhooks end to end with carts that are right where it matters and odd everywhere else.

schemathesis explores the schema's shapes; this drives the path a real order takes: a cart of
the world's menu (a burger with its required size, a cola) with generated free text (customer,
address, notes, ids: any Unicode, lone surrogates, NUL, thousands of characters), generated tips
and quantities, sent signed to validateOrder; when that prices it, placed with the amounts it
answered, then placed again as Gett retries. No 5xx; every refusal names its jsonPath; a placed
order is stored once and every repeat gets the same reply.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.models import Order
from tests.fuzz.conftest import World, fuzz_settings
from tests.orders.conftest import post_signed

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

_order_ids = itertools.count(1)
VALIDATE = "/webhooks/gett/validateOrder"
PLACE = "/webhooks/gett/placeOrder"

any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
odd_text = st.one_of(
    any_text,
    any_text,
    any_text,
    st.sampled_from(
        ["", " ", "\ud800", "a\x00b", "\u202eRTL", "x" * 501, "9999-12-31T23:59:59Z", "'; DROP"]
    ),
)
wrong_type = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers()))
# Mostly text (so most carts get priced and placed), now and then the wrong type.
odd_value = st.integers(0, 9).flatmap(lambda n: wrong_type if n == 0 else odd_text)
quantities = st.integers(0, 9).flatmap(
    lambda n: st.integers() if n == 0 else st.integers(min_value=1, max_value=99)
)
tips = st.one_of(
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.decimals(min_value=0, max_value=100, places=3),
    st.sampled_from([Decimal("0"), Decimal("1e-5"), Decimal("10000000"), Decimal("1e12")]),
    st.integers(min_value=-5, max_value=10**13),
)


def _line(world: World, draw_quantity: int, notes, line_id) -> list[dict]:
    burger, cola, _fries, _bacon, large, _crispy = world.items
    size = world.groups[0]
    burger_line = {
        "itemId": burger,
        "quantity": draw_quantity,
        "modifierGroups": [{"modifierGroupId": size, "selectedModifiers": [{"itemId": large}]}],
    }
    if notes is not None:
        burger_line["specialInstructions"] = notes
    if line_id is not None:
        burger_line["lineItemId"] = line_id
    return [burger_line, {"itemId": cola, "quantity": 1}]


# Half the carts carry only text a database can store (any script, emoji, RTL marks), so that
# they get placed; the other half anything at all.
tidy_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)


@st.composite
def bodies(draw, world: World):
    tidy = draw(st.booleans())
    value = tidy_text if tidy else odd_value
    body = {
        # Mostly fresh ids (hypothesis repeats values: a repeat with another cart is a 409).
        "orderId": draw(st.one_of(st.builds(lambda: f"gett-{next(_order_ids)}"), odd_text)),
        "cart": {
            "storeId": draw(st.sampled_from(world.store_refs[:2])),
            "catalogSetId": draw(st.one_of(st.just("cs-1"), odd_text)),
            "lineItems": _line(
                world,
                draw(quantities),
                draw(st.one_of(st.none(), value)),
                draw(st.one_of(st.none(), value)),
            ),
        },
        "fulfillmentType": draw(st.sampled_from(["pickup", "delivery"] * 5 + ["Delivery", ""])),
        "customer": draw(
            st.dictionaries(st.sampled_from(["firstName", "lastName", "email", "phone"]), value)
        ),
        "deliveryAddress": draw(
            st.dictionaries(
                st.sampled_from(["address1", "address2", "city", "postalCode", "instructions"]),
                value,
            )
        ),
        "amounts": {"tip": TIP},
    }
    extra = draw(st.dictionaries(odd_text, value, max_size=2))
    tip = draw(st.decimals(min_value=0, max_value=100, places=2) if tidy else tips)
    return {**extra, **body}, str(tip)


TIP = "__tip__"


def _send(client, path: str, body: dict, tip: str | None = None):
    raw = json.dumps(body).encode()
    if tip is not None:
        # The tip goes out as a JSON number with every digit, as Gett writes 14.75.
        raw = raw.replace(f'"{TIP}"'.encode(), tip.encode())
    reply = post_signed(client, path, None, raw=raw)
    assert reply.status_code < 500, reply.content
    if reply.status_code >= 400:
        problem = reply.json()
        assert reply["Content-Type"] == "application/problem+json"
        assert all(e["jsonPath"].startswith("$") for e in problem["errors"]), problem
    return reply


@fuzz_settings
@given(data=st.data())
def test_odd_carts_are_priced_placed_once_or_refused_never_5xx(client, world, data):
    body, tip = data.draw(bodies(world))
    validated = _send(client, VALIDATE, body, tip)
    if validated.status_code != 200:
        return
    placed_body = {**body, "amounts": validated.json()["amounts"]}
    first = _send(client, PLACE, placed_body)
    if first.status_code != 200:
        return
    again = _send(client, PLACE, placed_body)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Order.objects.filter(gett_order_id=body["orderId"]).count() == 1
