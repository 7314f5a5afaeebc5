"""What Gett checks in a partner's validateOrder/placeOrder replies (REFERENCE §9, §12-13, §15).

Pure functions over a `WebhookReply`: each returns the list of things the partner got wrong, in
words a partner can act on (empty: nothing wrong). The test-order runner decides what to do with
them; nothing here touches the database.

* A 200 reply is JSON matching the OpenAPI description (`ValidateOrderResponse`,
  `PlaceOrderResponse`), with `amounts` carrying every number of REFERENCE §15, a `total` that
  follows the formula to the cent, the tip Gett sent, and a `subTotal` equal to Gett's own
  pricing of the cart (`carts.cart_subtotal`). A place reply also names our `orderId` and a
  `partnerOrderId`.
* A refusal is `application/problem+json` (REFERENCE §12) matching `ProblemDetails`, with the
  `errorCode` the case calls for and, when the request itself is at fault, a non-empty
  `errors[]` whose entries each say where (`jsonPath`). A 401 is about headers, not the body:
  it needs no `errors[]` entry.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gett.sandbox import jsonbody
from gett.sandbox.partner_http import WebhookReply

# REFERENCE §15: the Amounts members that are numbers (tipDescription is a breakdown, not one).
AMOUNT_MEMBERS = ("subTotal", "fees", "promotions", "taxes", "adjustments", "tip", "total")
CENT = Decimal("0.01")
PROBLEM_CONTENT_TYPE = "application/problem+json"
SPEC_PATH = Path(settings.BASE_DIR) / "gett" / "spec" / "commerce-api.openapi.yaml"
SPEC_URI = "https://example.invalid/gett-api/commerce-api.openapi.yaml"
MAX_SHOWN = 3


# --- the OpenAPI description -------------------------------------------------------------------


@cache
def _spec_validator(schema_name: str) -> Draft202012Validator:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, registry=registry
    )


def schema_problems(body: Any, schema_name: str) -> list[str]:
    """Where `body` breaks the spec's `components.schemas[schema_name]`."""
    errors = sorted(
        _spec_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path)
    )
    found = []
    for error in errors[:MAX_SHOWN]:
        where = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        )
        found.append(f"{where}: {error.message}")
    return [f"the reply does not match {schema_name} ({'; '.join(found)})"] if found else []


# --- reading a reply -----------------------------------------------------------------------------


def reply_json(reply: WebhookReply) -> Any:
    """The reply body as JSON, or None when it is not JSON."""
    if not reply.body:
        return None
    try:
        return jsonbody.loads(reply.body)
    except (ValueError, RecursionError):
        return None


def reply_object(reply: WebhookReply) -> dict[str, Any]:
    body = reply_json(reply)
    return body if isinstance(body, dict) else {}


def media_type(reply: WebhookReply) -> str:
    return reply.headers.get("Content-Type", "").split(";")[0].strip().lower()


def reply_summary(reply: WebhookReply) -> str:
    """`HTTP 400 ITEM_UNAVAILABLE`, `HTTP 200`, or the network error."""
    if reply.status is None:
        return reply.error or "no reply"
    text = f"HTTP {reply.status}"
    code = reply_object(reply).get("errorCode")
    if isinstance(code, str) and code:
        text += f" {code}"
    return text


def decimal(value: Any) -> Decimal | None:
    """A JSON number as an exact decimal; None for anything else (bool, str, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money(value: Any) -> str:
    number = decimal(value)
    return f"{number:.2f}" if number is not None else repr(value)


# --- 200 replies ---------------------------------------------------------------------------------


def amounts_problems(
    amounts: Any, *, tip: Any, expected_subtotal: Any, total: Any = None
) -> list[str]:
    """REFERENCE §15 on a reply's `amounts`: every member a number, the formula to the cent,
    the tip passed through, subTotal equal to Gett's own; `total`, when given, is the one Gett
    charged at place."""
    if not isinstance(amounts, dict):
        return ["the reply has no amounts object"]
    problems = []
    values: dict[str, Decimal] = {}
    missing = [name for name in AMOUNT_MEMBERS if name not in amounts]
    if missing:
        problems.append(f"amounts lacks {', '.join(missing)}")
    for name in AMOUNT_MEMBERS:
        if name not in amounts:
            continue
        value = decimal(amounts[name])
        if value is None:
            problems.append(f"amounts.{name} is {amounts[name]!r}, not a number")
        elif value < 0 and name != "adjustments":
            problems.append(f"amounts.{name} is negative ({value})")
        else:
            values[name] = value
    if len(values) == len(AMOUNT_MEMBERS):
        formula = (
            values["subTotal"]
            + values["fees"]
            - values["promotions"]
            + values["taxes"]
            + values["adjustments"]
            + values["tip"]
        )
        if formula.quantize(CENT) != values["total"].quantize(CENT):
            problems.append(
                f"amounts.total is {money(amounts['total'])} but subTotal + fees − promotions + "
                f"taxes + adjustments + tip is {formula:.2f}"
            )
    sent_tip = decimal(tip)
    if "tip" in values and sent_tip is not None and values["tip"] != sent_tip:
        problems.append(f"amounts.tip is {values['tip']:.2f}; Gett sent a tip of {sent_tip:.2f}")
    gett_subtotal = decimal(expected_subtotal)
    if "subTotal" in values and gett_subtotal is not None and values["subTotal"] != gett_subtotal:
        problems.append(
            f"amounts.subTotal is {values['subTotal']:.2f}; Gett prices the cart at "
            f"{gett_subtotal:.2f} (item basePrice + options × quantity)"
        )
    charged = decimal(total)
    if "total" in values and charged is not None and values["total"] != charged:
        problems.append(
            f"amounts.total is {values['total']:.2f}; Gett charged the consumer {charged:.2f}"
        )
    return problems


def validate_reply_problems(reply: WebhookReply, *, tip: Any, expected_subtotal: Any) -> list[str]:
    """A 200 validateOrder reply: JSON, ValidateOrderResponse, amounts by REFERENCE §15."""
    body = reply_json(reply)
    if not isinstance(body, dict):
        return ["the reply body is not a JSON object"]
    problems = _json_media_type(reply)
    problems += schema_problems(body, "ValidateOrderResponse")
    problems += amounts_problems(body.get("amounts"), tip=tip, expected_subtotal=expected_subtotal)
    return problems


def place_reply_problems(
    reply: WebhookReply, *, order_id: str, tip: Any, expected_subtotal: Any, total: Any
) -> list[str]:
    """A 200 placeOrder reply: PlaceOrderResponse, our orderId, a partnerOrderId, amounts."""
    body = reply_json(reply)
    if not isinstance(body, dict):
        return ["the reply body is not a JSON object"]
    problems = _json_media_type(reply)
    problems += schema_problems(body, "PlaceOrderResponse")
    if body.get("orderId") != order_id:
        problems.append(f"orderId is {body.get('orderId')!r}; Gett's order is {order_id!r}")
    partner_order_id = body.get("partnerOrderId")
    if not isinstance(partner_order_id, str) or not partner_order_id.strip():
        problems.append("the reply has no partnerOrderId")
    problems += amounts_problems(
        body.get("amounts"), tip=tip, expected_subtotal=expected_subtotal, total=total
    )
    return problems


def partner_order_id(reply: WebhookReply) -> str:
    value = reply_object(reply).get("partnerOrderId")
    return value[:200] if isinstance(value, str) else ""


def _json_media_type(reply: WebhookReply) -> list[str]:
    found = media_type(reply)
    if found != "application/json" and not found.endswith("+json"):
        return [f"the reply's Content-Type is {found or 'missing'}, not application/json"]
    return []


# --- refusals ------------------------------------------------------------------------------------


def refusal_problems(reply: WebhookReply, *, status: int, error_code: str) -> list[str]:
    """A refusal Gett can read: the status, problem+json, the errorCode, errors[] with jsonPath."""
    problems = []
    if reply.status != status:
        problems.append(f"the status is {reply.status}, not {status}")
    found = media_type(reply)
    if found != PROBLEM_CONTENT_TYPE:
        problems.append(f"the Content-Type is {found or 'missing'}, not {PROBLEM_CONTENT_TYPE}")
    body = reply_json(reply)
    if not isinstance(body, dict):
        problems.append("the body is not a JSON problem object")
        return problems
    problems += schema_problems(body, "ProblemDetails")
    code = body.get("errorCode")
    if code != error_code:
        problems.append(f"errorCode is {code!r}, not {error_code}")
    if "status" in body and body["status"] != reply.status:
        problems.append(f"the body's status {body['status']!r} is not the HTTP status")
    if status == 401:
        return problems  # about the headers: there is no field in the body to point at
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        problems.append("errors[] is empty: say what is wrong, one entry per problem")
    else:
        without = [
            index
            for index, error in enumerate(errors)
            if not isinstance(error, dict)
            or not isinstance(error.get("jsonPath"), str)
            or not error["jsonPath"].startswith("$")
        ]
        if without:
            problems.append(f"errors[{without[0]}] has no jsonPath ($...) saying where")
    return problems
