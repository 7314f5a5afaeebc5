import json
import time

import pytest

from catalogs.models import ItemSnooze
from gett.models import InboundWebhook, OutboundMessage
from orders.models import Order, OrderLine
from tests.orders.conftest import cart_body, post_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]

VALIDATE = "/webhooks/gett/validateOrder"
PLACE = "/webhooks/gett/placeOrder"


def test_validate_prices_nested_modifiers_tax_and_tip(client, shop, menu):
    reply = post_signed(client, VALIDATE, cart_body(shop, menu, tip=3))

    assert reply.status_code == 200, reply.content
    # burger 14.50 + large 1.50 + bacon 2.00 (+ crispy 0) = 18.00, × 2 = 36.00; cola 3.00
    assert reply.json()["amounts"] == {
        "subTotal": 39.0,
        "fees": 0.0,
        "promotions": 0.0,
        "taxes": 7.8,
        "adjustments": 0.0,
        "tip": 3.0,
        "total": 49.8,
    }
    assert Order.objects.count() == 0
    assert InboundWebhook.objects.get().status == 200


def test_delivery_adds_the_delivery_fee(client, shop, menu):
    reply = post_signed(client, VALIDATE, cart_body(shop, menu, fulfillment="delivery"))

    assert reply.json()["amounts"]["fees"] == 2.5
    assert reply.json()["amounts"]["total"] == 39.0 + 2.5 + 7.8


@pytest.mark.parametrize("path", ["/webhooks/gett/validate", "/webhooks/gett/validateOrder"])
def test_both_spellings_of_the_path_answer(client, shop, menu, path):
    assert post_signed(client, path, cart_body(shop, menu)).status_code == 200


def test_place_creates_one_order_with_lines_and_answers_partner_order_id(client, shop, menu):
    reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-1", tip=1))

    assert reply.status_code == 200, reply.content
    order = Order.objects.get()
    assert reply.json() == {
        "orderId": "g-1",
        "partnerOrderId": order.partner_order_id,
        "amounts": order.place_response["amounts"],
    }
    assert order.partner_order_id.endswith("-1001")
    assert (order.subtotal, order.taxes, order.tip, order.total) == (3900, 780, 100, 4780)
    names = [(line.depth, line.name, line.quantity, line.total) for line in order.lines.all()]
    assert names == [
        (0, "Burger", 2, 3600),
        (1, "Large", 1, 150),
        (1, "Bacon", 1, 200),
        (2, "Crispy", 1, 0),
        (0, "Cola", 1, 300),
    ]
    assert order.lines.get(name="Burger").special_instructions == "No onions"
    assert order.status == "pending" and order.state == "open"


def test_a_repeated_place_gives_the_same_order_and_reply(client, shop, menu):
    body = cart_body(shop, menu, order_id="g-2")
    first = post_signed(client, PLACE, body)
    second = post_signed(client, PLACE, body)

    assert second.status_code == 200
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert OrderLine.objects.filter(parent=None).count() == 2


def test_a_repeat_hours_later_answers_even_when_the_store_has_since_closed(client, shop, menu):
    body = cart_body(shop, menu, order_id="g-3")
    first = post_signed(client, PLACE, body)
    shop.status, shop.pause_reason = "paused", "too_busy"
    shop.save()

    again = post_signed(client, PLACE, body)

    assert again.status_code == 200 and again.json() == first.json()


def test_the_same_order_id_with_another_cart_is_a_conflict(client, shop, menu):
    post_signed(client, PLACE, cart_body(shop, menu, order_id="g-4"))
    other = cart_body(shop, menu, order_id="g-4", lines=[{"itemId": str(menu.cola.public_id)}])

    reply = post_signed(client, PLACE, other)

    assert reply.status_code == 409
    assert reply["Content-Type"] == "application/problem+json"
    assert reply.json()["errorCode"] == "ORDER_ALREADY_PLACED"
    assert Order.objects.get().lines.filter(parent=None).count() == 2


def test_place_refuses_amounts_that_differ_from_ours(client, shop, menu):
    validated = post_signed(client, VALIDATE, cart_body(shop, menu)).json()["amounts"]
    wrong = {**validated, "total": validated["total"] + 1}

    reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-5", amounts=wrong))

    assert reply.status_code == 400
    body = reply.json()
    assert body["errorCode"] == "ORDER_TOTAL_DIFFERENT"
    assert [e["jsonPath"] for e in body["errors"]] == ["$.amounts.total"]
    assert Order.objects.count() == 0


def test_place_accepts_the_validated_amounts(client, shop, menu):
    validated = post_signed(client, VALIDATE, cart_body(shop, menu, tip=2.5)).json()["amounts"]

    reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-6", amounts=validated))

    assert reply.status_code == 200
    assert reply.json()["amounts"] == validated


def test_auto_accept_confirms_at_once_and_tells_gett(client, shop, menu):
    shop.auto_accept = True
    shop.save()

    post_signed(client, PLACE, cart_body(shop, menu, order_id="g-7"))

    order = Order.objects.get()
    assert order.status == "confirmed" and order.estimated_ready_at is not None
    message = OutboundMessage.objects.get(kind="order.status")
    assert message.target_id == "g-7"
    assert message.payload["status"] == "confirmed" and "estimatedReadyAt" in message.payload


# --- refusals ---------------------------------------------------------------------------------


def _problem(reply, status, code):
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"] == "application/problem+json"
    body = reply.json()
    assert body["errorCode"] == code
    return body


def test_a_sold_out_item_is_refused_on_its_line(client, shop, menu):
    ItemSnooze.objects.create(store=shop, item=menu.cola)

    body = _problem(post_signed(client, VALIDATE, cart_body(shop, menu)), 400, "ITEM_UNAVAILABLE")

    assert [(e["jsonPath"], e["itemId"]) for e in body["errors"]] == [
        ("$.cart.lineItems[1].itemId", str(menu.cola.public_id))
    ]
    assert "Cola is sold out" in body["detail"]


def test_an_unknown_item_and_a_missing_required_choice_are_each_reported(client, shop, menu):
    lines = [
        {"itemId": "00000000-0000-0000-0000-000000000000", "quantity": 1},
        {"itemId": str(menu.fries.public_id), "quantity": 1},
    ]
    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "ITEM_UNAVAILABLE"
    )

    assert [(e["code"], e["jsonPath"]) for e in body["errors"]] == [
        ("ITEM_UNAVAILABLE", "$.cart.lineItems[0].itemId"),
        ("MODIFIER_REQUIRED", "$.cart.lineItems[1].modifierGroups"),
    ]


def test_too_many_choices_in_a_group_is_refused(client, shop, menu):
    size = str(menu.size.public_id)
    lines = [
        {
            "itemId": str(menu.fries.public_id),
            "modifierGroups": [
                {
                    "modifierGroupId": size,
                    "selectedModifiers": [
                        {"itemId": str(menu.small.public_id)},
                        {"itemId": str(menu.large.public_id)},
                    ],
                }
            ],
        }
    ]
    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "INVALID_REQUEST"
    )
    assert (
        body["errors"][0]["jsonPath"] == "$.cart.lineItems[0].modifierGroups[0].selectedModifiers"
    )


def test_an_option_from_another_group_is_unavailable(client, shop, menu):
    lines = [
        {
            "itemId": str(menu.fries.public_id),
            "modifierGroups": [
                {
                    "modifierGroupId": str(menu.size.public_id),
                    "selectedModifiers": [{"itemId": str(menu.cheese.public_id)}],
                }
            ],
        }
    ]
    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "ITEM_UNAVAILABLE"
    )
    assert body["errors"][0]["jsonPath"] == (
        "$.cart.lineItems[0].modifierGroups[0].selectedModifiers[0].itemId"
    )


def test_a_paused_store_is_closed(client, shop, menu):
    shop.status, shop.pause_reason = "paused", "too_busy"
    shop.save()

    _problem(post_signed(client, VALIDATE, cart_body(shop, menu)), 400, "STORE_CLOSED")


def test_outside_opening_hours_the_store_is_closed(client, shop, menu, time_machine):
    time_machine.move_to("2026-11-25T06:00:00+00:00", tick=False)

    body = _problem(post_signed(client, VALIDATE, cart_body(shop, menu)), 400, "STORE_CLOSED")
    assert "closed at this hour" in body["detail"]


def test_below_the_minimum_order(client, shop, menu):
    shop.minimum_order = 5000
    shop.save()

    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu)), 400, "ORDER_BELOW_MINIMUM"
    )
    assert "50.00 GBP" in body["detail"]


def test_a_fulfilment_the_store_does_not_offer(client, shop, menu):
    shop.delivery_allowed = False
    shop.save()

    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, fulfillment="delivery")),
        400,
        "INVALID_REQUEST",
    )
    assert body["errors"][0]["jsonPath"] == "$.fulfillmentType"


def test_an_unknown_store_is_404(client, shop, menu):
    body = cart_body(shop, menu)
    body["cart"]["storeId"] = "not-a-store"

    _problem(post_signed(client, VALIDATE, body), 404, "STORE_NOT_FOUND")


def test_the_partner_store_id_also_finds_the_store(client, shop, menu):
    body = cart_body(shop, menu)
    body["cart"]["storeId"] = str(shop.public_id)

    assert post_signed(client, VALIDATE, body).status_code == 200


# --- the edge ---------------------------------------------------------------------------------


def test_a_bad_signature_is_401_and_nothing_is_processed(client, shop, menu):
    reply = post_signed(client, PLACE, cart_body(shop, menu, order_id="g-9"), secret="wrong")

    _problem(reply, 401, "UNAUTHENTICATED")
    assert Order.objects.count() == 0
    assert InboundWebhook.objects.get().signature_ok is False


def test_the_previous_secret_is_still_accepted_during_rotation(client, shop, menu):
    reply = post_signed(client, VALIDATE, cart_body(shop, menu), secret="whsec_test_previous")
    assert reply.status_code == 200


@pytest.mark.parametrize(("age", "status"), [(300, 200), (301, 401), (-301, 401)])
def test_timestamp_tolerance_is_300_seconds(client, shop, menu, age, status):
    reply = post_signed(client, VALIDATE, cart_body(shop, menu), timestamp=int(time.time()) - age)
    assert reply.status_code == status


def test_a_timestamp_of_thousands_of_digits_is_401_not_500(client, shop, menu):
    data = json.dumps(cart_body(shop, menu, order_id="g-10")).encode()
    from gett.signing import sign

    reply = client.post(
        PLACE,
        data=data,
        content_type="application/json",
        headers={"Signature": sign(data, "whsec_test_current"), "Timestamp": "9" * 5000},
    )

    _problem(reply, 401, "UNAUTHENTICATED")
    assert Order.objects.count() == 0


def test_a_tampered_body_is_401(client, shop, menu):
    data = json.dumps(cart_body(shop, menu)).encode()
    from gett.signing import signed_headers

    headers = signed_headers(data, "whsec_test_current")
    reply = client.post(
        VALIDATE,
        data=data.replace(b'"quantity": 2', b'"quantity": 3'),
        content_type="application/json",
        headers={"Signature": headers["Signature"], "Timestamp": headers["Timestamp"]},
    )
    assert reply.status_code == 401


def test_missing_headers_are_401(client, shop, menu):
    reply = client.post(VALIDATE, data=cart_body(shop, menu), content_type="application/json")
    _problem(reply, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"{not json", "$"),
        (b"[1, 2]", "$"),
        (b'{"cart": {"storeId": "\\ud800"}}', "$.cart.storeId"),
        (b'{"cart": {"storeId": "x", "lineItems": []}, "fulfillmentType": "pickup"}', None),
        (b"\xff\xfe", "$"),
        (b'{"amounts": {"tip": NaN}}', "$"),
    ],
)
def test_malformed_bodies_are_400_with_json_paths(client, shop, menu, raw, path):
    body = _problem(post_signed(client, VALIDATE, None, raw=raw), 400, "INVALID_REQUEST")
    assert body["errors"]
    if path:
        assert path in [e["jsonPath"] for e in body["errors"]]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"quantity": 0}, "$.cart.lineItems[0].quantity"),
        ({"quantity": 10_000}, "$.cart.lineItems[0].quantity"),
        ({"quantity": "2"}, "$.cart.lineItems[0].quantity"),
        ({"quantity": 1.5}, "$.cart.lineItems[0].quantity"),
        ({"itemId": 42}, "$.cart.lineItems[0].itemId"),
        ({"modifierGroups": {}}, "$.cart.lineItems[0].modifierGroups"),
    ],
)
def test_wrong_types_and_absurd_sizes_are_400(client, shop, menu, change, path):
    lines = [{"itemId": str(menu.cola.public_id), "quantity": 1, **change}]
    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "INVALID_REQUEST"
    )
    assert [e["jsonPath"] for e in body["errors"]] == [path]


def test_a_quantity_with_a_huge_exponent_is_refused_at_once(client, shop, menu):
    # 1e300000 is a whole number; turning it into an int first took seconds (1e1000000: 44 s).
    line = {"itemId": str(menu.cola.public_id), "quantity": 7}
    raw = json.dumps(cart_body(shop, menu, lines=[line])).encode()
    raw = raw.replace(b'"quantity": 7', b'"quantity": 1e300000')
    started = time.monotonic()

    body = _problem(post_signed(client, VALIDATE, None, raw=raw), 400, "INVALID_REQUEST")

    assert time.monotonic() - started < 1
    assert [e["jsonPath"] for e in body["errors"]] == ["$.cart.lineItems[0].quantity"]


@pytest.mark.parametrize("number", [b"1e999999999", b"-1e999999999"])
def test_an_amount_beyond_the_decimal_range_is_400_not_500(client, shop, menu, number):
    # abs() of such a Decimal raises decimal.Overflow: the range is checked by comparison.
    raw = (
        json.dumps(cart_body(shop, menu, tip=7)).encode().replace(b'"tip": 7', b'"tip": ' + number)
    )

    body = _problem(post_signed(client, VALIDATE, None, raw=raw), 400, "INVALID_REQUEST")

    assert [e["jsonPath"] for e in body["errors"]] == ["$.amounts.tip"]


def test_five_hundred_lines_are_refused(client, shop, menu):
    lines = [{"itemId": str(menu.cola.public_id)}] * 500
    body = _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "INVALID_REQUEST"
    )
    assert body["errors"][0]["jsonPath"] == "$.cart.lineItems"


def test_nesting_past_the_limit_is_refused(client, shop, menu):
    entry = {"itemId": str(menu.crispy.public_id)}
    for _ in range(12):
        entry = {
            "itemId": "x",
            "modifierGroups": [{"modifierGroupId": "g", "selectedModifiers": [entry]}],
        }
    lines = [{"itemId": str(menu.cola.public_id), "modifierGroups": entry["modifierGroups"]}]

    _problem(
        post_signed(client, VALIDATE, cart_body(shop, menu, lines=lines)), 400, "INVALID_REQUEST"
    )


def test_a_body_over_one_megabyte_is_refused_before_parsing(client, shop, menu):
    raw = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    _problem(post_signed(client, VALIDATE, None, raw=raw), 400, "INVALID_REQUEST")


def test_unknown_members_are_ignored(client, shop, menu):
    body = cart_body(shop, menu)
    body["loyalty"] = {"points": 3}
    body["cart"]["lineItems"][1]["colour"] = "red"
    assert post_signed(client, VALIDATE, body).status_code == 200


def test_get_is_405_problem_json(client):
    reply = client.get(VALIDATE)
    assert reply.status_code == 405 and reply["Content-Type"] == "application/problem+json"


def test_every_call_is_logged_with_our_reply(client, shop, menu):
    post_signed(client, PLACE, cart_body(shop, menu, order_id="g-10"))

    entry = InboundWebhook.objects.get()
    assert entry.operation == "place" and entry.status == 200 and entry.signature_ok
    assert entry.gett_order_id == "g-10"
    assert entry.store_ref == str(shop.gett_store_id)
    assert entry.response["orderId"] == "g-10" and entry.latency_ms is not None


@pytest.mark.parametrize("case", ["sold_out", "paused", "below_minimum", "unknown_item"])
def test_validate_and_place_give_the_same_verdict(client, shop, menu, case):
    body = cart_body(shop, menu)
    if case == "sold_out":
        ItemSnooze.objects.create(store=shop, item=menu.cola)
    elif case == "paused":
        shop.status, shop.pause_reason = "paused", "too_busy"
        shop.save()
    elif case == "below_minimum":
        shop.minimum_order = 10_000
        shop.save()
    else:
        body["cart"]["lineItems"][1]["itemId"] = "7e57e57e-0000-4000-8000-000000000000"

    validated = post_signed(client, VALIDATE, body)
    placed = post_signed(client, PLACE, {**body, "orderId": f"g-{case}"})

    assert validated.status_code == placed.status_code == 400
    assert validated.json()["errorCode"] == placed.json()["errorCode"]
    assert validated.json()["errors"] == placed.json()["errors"]
    assert not Order.objects.exists()
