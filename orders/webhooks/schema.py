"""The OpenAPI description of Gett's order webhooks as we answer them (REFERENCE §9-10).

They are plain Django views, not DRF ones, so drf-spectacular cannot see them: this
postprocessing hook adds them to the one schema at /api/v1/schema/, next to the merchant API.
Shapes follow Gett's (gett/spec/commerce-api.openapi.yaml, `webhooks:`); the limits are ours and
come from the parser (`orders.webhooks.parsing`), so the description and the code cannot drift.
Both spellings of each path are answered (`validate`, `place`); the schema names the long ones.
"""

from __future__ import annotations

from typing import Any

from gett.problems import PROBLEM_CONTENT_TYPE, PROBLEM_JSON_SCHEMA, PROBLEM_SCHEMA_NAME
from gett.signing import API_VERSION, MAX_TIMESTAMP_DIGITS
from gett.webhooks import MAX_BODY_BYTES
from orders.webhooks import parsing

TAG = "Gett webhooks"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(limit: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit, **extra}


def _amount(*, negative: bool = False) -> dict[str, Any]:
    top = float(parsing.MAX_AMOUNT)
    return {"type": "number", "minimum": -top if negative else 0, "maximum": top}


def _members(names: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": {n: _text(parsing.MAX_TEXT) for n in names}}


COMPONENTS: dict[str, dict[str, Any]] = {
    "GettSelectedModifier": {
        "type": "object",
        "required": ["itemId"],
        "properties": {
            "itemId": _text(parsing.MAX_ID, minLength=1, description="An item id of the menu."),
            "quantity": {"type": "integer", "minimum": 1, "maximum": parsing.MAX_QUANTITY},
            "modifierGroups": {
                "type": "array",
                "maxItems": parsing.MAX_SELECTIONS,
                "items": _ref("GettSelectedModifierGroup"),
                "description": f"Nested choices, at most {parsing.MAX_DEPTH} levels deep.",
            },
        },
    },
    "GettSelectedModifierGroup": {
        "type": "object",
        "required": ["modifierGroupId"],
        "properties": {
            "modifierGroupId": _text(parsing.MAX_ID, minLength=1),
            "selectedModifiers": {
                "type": "array",
                "maxItems": parsing.MAX_SELECTIONS,
                "items": _ref("GettSelectedModifier"),
            },
        },
    },
    "GettLineItem": {
        "type": "object",
        "required": ["itemId"],
        "properties": {
            "lineItemId": _text(parsing.MAX_ID),
            "itemId": _text(parsing.MAX_ID, minLength=1),
            "quantity": {"type": "integer", "minimum": 1, "maximum": parsing.MAX_QUANTITY},
            "specialInstructions": _text(parsing.MAX_TEXT),
            "modifierGroups": {
                "type": "array",
                "maxItems": parsing.MAX_SELECTIONS,
                "items": _ref("GettSelectedModifierGroup"),
            },
        },
    },
    "GettCart": {
        "type": "object",
        "required": ["storeId", "lineItems"],
        "properties": {
            "storeId": _text(
                parsing.MAX_ID,
                minLength=1,
                description="Gett's store id, or else our partner store id.",
            ),
            "catalogSetId": _text(parsing.MAX_ID),
            "lineItems": {
                "type": "array",
                "minItems": 1,
                "maxItems": parsing.MAX_LINES,
                "items": _ref("GettLineItem"),
            },
        },
    },
    "GettAmounts": {
        "type": "object",
        "description": "Decimal major units (14.75). Other members are ignored.",
        "properties": {
            name: _amount(negative=name == "adjustments") for name in parsing.AMOUNT_NAMES
        },
    },
    "GettWebhookOrder": {
        "type": "object",
        "description": "validateOrder's body. Unknown members are ignored.",
        "required": ["cart", "fulfillmentType"],
        "properties": {
            "cart": _ref("GettCart"),
            "fulfillmentType": {"type": "string", "enum": list(parsing.FULFILLMENT_TYPES)},
            "deliveryAddress": _members(parsing.ADDRESS_MEMBERS),
            "customer": _members(parsing.CUSTOMER_MEMBERS),
            "amounts": _ref("GettAmounts"),
        },
    },
    "GettPlaceOrderRequest": {
        "allOf": [
            _ref("GettWebhookOrder"),
            {
                "type": "object",
                "required": ["orderId"],
                "properties": {
                    "orderId": _text(parsing.MAX_ID, minLength=1, description="Gett's order id.")
                },
            },
        ]
    },
    "GettWireAmounts": {
        "type": "object",
        "required": list(parsing.AMOUNT_NAMES),
        "properties": {name: {"type": "number"} for name in parsing.AMOUNT_NAMES},
    },
    "GettValidateOrderResponse": {
        "type": "object",
        "required": ["cart", "fulfillmentType", "amounts"],
        "properties": {
            "cart": {"type": "object", "description": "The cart as sent."},
            "fulfillmentType": {"type": "string", "enum": list(parsing.FULFILLMENT_TYPES)},
            "amounts": _ref("GettWireAmounts"),
        },
    },
    "GettPlaceOrderResponse": {
        "type": "object",
        "required": ["orderId", "partnerOrderId", "amounts"],
        "properties": {
            "orderId": {"type": "string"},
            "partnerOrderId": {"type": "string", "description": "Ours; the same on every repeat."},
            "amounts": _ref("GettWireAmounts"),
        },
    },
}

HEADERS = [
    {
        "name": "Signature",
        "in": "header",
        "required": True,
        "description": "Hex HMAC-SHA256 of the raw body with a webhook secret (any of them).",
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    },
    {
        "name": "Timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when Gett signed; refused more than 300 s away from now.",
        "schema": {"type": "string", "pattern": f"^[0-9]{{1,{MAX_TIMESTAMP_DIGITS}}}$"},
    },
    {
        "name": "API-Version",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "example": API_VERSION},
    },
]


def _problem(description: str) -> dict[str, Any]:
    schema = _ref(PROBLEM_SCHEMA_NAME)
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}}}


def _operation(
    *, operation_id: str, summary: str, request: str, reply: str, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": [TAG],
        "security": [],
        "parameters": HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(request)}},
            "description": f"At most {MAX_BODY_BYTES} bytes of UTF-8 JSON.",
        },
        "responses": {
            "200": {
                "description": "The cart priced by the store's menu now.",
                "content": {"application/json": {"schema": _ref(reply)}},
            },
            "400": _problem(
                "Not a cart we can read (one errors[] entry per problem, with its jsonPath), "
                "or not orderable (ITEM_UNAVAILABLE, STORE_CLOSED, ORDER_TOTAL_DIFFERENT, ...)."
            ),
            "401": _problem("Signature or Timestamp missing, invalid or stale: nothing processed."),
            "404": _problem("No store with this storeId takes orders here (STORE_NOT_FOUND)."),
            "405": _problem("Only POST."),
            **extra,
        },
    }


def webhook_paths() -> dict[str, Any]:
    return {
        "/webhooks/gett/validateOrder": {
            "post": _operation(
                operation_id="gett_validate_order",
                summary="Gett checks and prices a cart (writes nothing). Also at /validate.",
                request="GettWebhookOrder",
                reply="GettValidateOrderResponse",
                extra={},
            )
        },
        "/webhooks/gett/placeOrder": {
            "post": _operation(
                operation_id="gett_place_order",
                summary=(
                    "Gett places a paid order; idempotent on orderId (a repeat gets the same "
                    "reply). Also at /place."
                ),
                request="GettPlaceOrderRequest",
                reply="GettPlaceOrderResponse",
                extra={
                    "409": _problem(
                        "This orderId was placed with another cart (ORDER_ALREADY_PLACED)."
                    )
                },
            )
        },
    }


def webhooks_postprocess(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: add the webhooks to the generated schema."""
    result.setdefault("paths", {}).update(webhook_paths())
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    schemas.setdefault(PROBLEM_SCHEMA_NAME, PROBLEM_JSON_SCHEMA)
    tags = result.setdefault("tags", [])
    if not any(tag.get("name") == TAG for tag in tags):
        tags.append(
            {
                "name": TAG,
                "description": "Called by Gett, signed with the webhook secret; not for merchants.",
            }
        )
    return result
