"""Properties of the validateOrder / placeOrder body parser (`orders.webhooks.parsing`).

For any bytes — broken UTF-8, any JSON (lone surrogates, huge and tiny numbers, deep nesting,
wrong types), carts with absurd members (10,000 lines, prices of 10^12, year-9999 dates) — the
parser either returns a typed `OrderBody` or raises `BodyInvalid` whose every error names a
`jsonPath`; nothing else escapes (anything else would be a 500), and it answers quickly.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.webhooks.parsing import BodyInvalid, OrderBody, order_body_parse
from tests.fuzz.conftest import fuzz_settings

pytestmark = pytest.mark.fuzz

# Each call is bounded: a body may be refused, never make us work for long.
SECONDS_PER_PARSE = 1.0

any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
weird_text = st.sampled_from(
    ["", " ", "\ud800", "\udfff", "a\x00b", "9999-12-31T23:59:59Z", "0001-01-01", "x" * 600, "é"]
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 99, 100, 10**12, -(10**12), 2**63, 2**64 + 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text, weird_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(any_text, weird_text), inner, max_size=4),
    ),
    max_leaves=25,
)


def _dumps(value) -> bytes:
    # ensure_ascii keeps lone surrogates as \\ud800 escapes, exactly as a hostile sender would.
    return json.dumps(value, default=str).encode()


def _parse(raw: bytes, place: bool):
    started = time.monotonic()
    try:
        result = order_body_parse(raw, place=place)
    except BodyInvalid as invalid:
        assert invalid.errors, "a refusal names at least one problem"
        for error in invalid.errors:
            assert error["jsonPath"].startswith("$"), error
            assert error["message"]
        json.dumps(invalid.errors)  # the errors go out as JSON: they must be serializable
        result = invalid
    else:
        assert isinstance(result, OrderBody)
    assert time.monotonic() - started < SECONDS_PER_PARSE
    return result


@fuzz_settings
@given(raw=st.binary(max_size=3000), place=st.booleans())
def test_any_bytes_are_parsed_or_refused_with_json_paths(raw, place):
    _parse(raw, place)


@fuzz_settings
@given(value=json_values, place=st.booleans())
def test_any_json_is_parsed_or_refused_with_json_paths(value, place):
    _parse(_dumps(value), place)


# --- cart-shaped bodies with one member made wrong ------------------------------------------------

selection_members = {
    "itemId": st.one_of(st.text(max_size=20), scalars),
    "quantity": st.one_of(st.integers(min_value=-5, max_value=120), numbers, scalars),
}


@st.composite
def modifier(draw, depth: int):
    entry = {k: draw(v) for k, v in selection_members.items() if draw(st.booleans())}
    if depth < 10 and draw(st.booleans()):
        entry["modifierGroups"] = draw(st.lists(group(depth + 1), max_size=2))
    return entry


@st.composite
def group(draw, depth: int):
    entry = {"modifierGroupId": draw(st.one_of(st.text(max_size=10), scalars))}
    entry["selectedModifiers"] = draw(
        st.one_of(
            st.lists(modifier(depth), max_size=2), scalars, st.dictionaries(any_text, scalars)
        )
    )
    return entry


@st.composite
def carts(draw):
    lines = draw(st.lists(modifier(1), max_size=5))
    for line in lines:
        if draw(st.booleans()):
            line["lineItemId"] = draw(st.one_of(st.text(max_size=10), scalars))
        if draw(st.booleans()):
            line["specialInstructions"] = draw(st.one_of(any_text, weird_text, scalars))
    body = {
        "orderId": draw(st.one_of(st.text(max_size=40), scalars)),
        "cart": {
            "storeId": draw(st.one_of(st.uuids().map(str), scalars)),
            "catalogSetId": draw(st.one_of(st.text(max_size=40), scalars)),
            "lineItems": draw(st.one_of(st.just(lines), scalars)),
        },
        "fulfillmentType": draw(st.one_of(st.sampled_from(["delivery", "pickup"]), scalars)),
        "deliveryAddress": draw(
            st.one_of(st.dictionaries(st.sampled_from(["address1", "city"]), scalars), scalars)
        ),
        "customer": draw(
            st.one_of(st.dictionaries(st.sampled_from(["firstName", "email"]), scalars), scalars)
        ),
        "amounts": draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(["subTotal", "tip", "total", "adjustments", "fees"]),
                    st.one_of(numbers, scalars),
                ),
                scalars,
            )
        ),
        "placedAt": draw(st.sampled_from(["9999-12-31T23:59:59Z", "0000-00-00", "tomorrow"])),
    }
    for name in draw(st.sets(st.sampled_from(list(body)), max_size=2)):
        del body[name]
    return body


@fuzz_settings
@given(body=carts(), place=st.booleans())
def test_cart_shaped_bodies_are_parsed_or_refused_with_json_paths(body, place):
    _parse(_dumps(body), place)


# --- the extremes the issue names, each on its own ------------------------------------------------


def _cart(**changes) -> dict:
    body = {
        "orderId": "gett-1",
        "cart": {"storeId": "s-1", "lineItems": [{"itemId": "i-1", "quantity": 1}]},
        "fulfillmentType": "pickup",
        "amounts": {"tip": 0},
    }
    body.update(changes)
    return body


EXTREMES = {
    "ten thousand lines": _dumps(
        _cart(cart={"storeId": "s", "lineItems": [{"itemId": "i"}] * 10_000})
    ),
    "price of 10^12": _dumps(_cart(amounts={"total": 10**12, "tip": 10**12})),
    "tip of 1e999999999": _dumps(_cart()).replace(b'"tip": 0', b'"tip": 1e999999999'),
    "tip of 1e-999999999": _dumps(_cart()).replace(b'"tip": 0', b'"tip": 1e-999999999'),
    "quantity of 1e999999999": _dumps(_cart()).replace(
        b'"quantity": 1', b'"quantity": 1e999999999'
    ),
    "quantity of 10^4000": _dumps(_cart()).replace(
        b'"quantity": 1', b'"quantity": 1' + b"0" * 4000
    ),
    "an integer of 5,000 digits": _dumps(_cart()).replace(b'"tip": 0', b'"tip": ' + b"9" * 5000),
    "year 9999 everywhere": _dumps(_cart(orderId="9999-12-31T23:59:59Z", placedAt="9999-12-31")),
    "lone surrogate ids": _dumps(
        _cart(orderId="\ud800", cart={"storeId": "\udfff", "lineItems": [{"itemId": "\ud800"}]})
    ),
    "arrays nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "NaN and Infinity": b'{"amounts": {"tip": NaN, "total": Infinity}}',
    "a BOM": b"\xef\xbb\xbf" + _dumps(_cart()),
    "a NUL in text": _dumps(_cart(orderId="a\x00b")),
    "UTF-16": json.dumps(_cart()).encode("utf-16"),
    "empty": b"",
    "whitespace": b" \n\t",
    "null": b"null",
    "Decimal amounts": _dumps(_cart(amounts={"tip": str(Decimal("0.0000001"))})),
}


def _nested_modifiers(depth: int) -> bytes:
    """A line whose modifiers nest `depth` levels (built as text: json.dumps would recurse)."""
    opening = b'{"itemId": "i", "modifierGroups": [{"modifierGroupId": "g", "selectedModifiers": ['
    line = opening * depth + b'{"itemId": "leaf"}' + b"]}]}" * depth
    return (
        b'{"orderId": "gett-1", "fulfillmentType": "pickup", "cart": {"storeId": "s", '
        b'"lineItems": [' + line + b"]}}"
    )


@pytest.mark.parametrize("name", list(EXTREMES))
@pytest.mark.parametrize("place", [False, True])
def test_extreme_bodies_are_refused_or_parsed_quickly(name, place):
    _parse(EXTREMES[name], place)


@pytest.mark.parametrize("place", [False, True])
def test_modifiers_nested_500_deep_are_refused_quickly(place):
    assert isinstance(_parse(_nested_modifiers(500), place), BodyInvalid)
