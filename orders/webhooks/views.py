"""Gett's validateOrder and placeOrder webhooks (REFERENCE §9): signature, parse, one service.

CSRF-exempt and sessionless: Gett authenticates by signing the body (`gett.webhooks`). Each view
parses the body into typed data, calls one service and renders its answer; every refusal is
problem+json with Gett's `errorCode` and one `errors[]` entry per problem.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gett.models import InboundWebhook
from gett.problems import field_error, problem_response
from gett.webhooks import WebhookProblem, webhook_handle
from orders import services
from orders.pricing import CartRefused
from orders.webhooks.parsing import BodyInvalid, OrderBody, order_body_parse

Operation = InboundWebhook.Operation


@csrf_exempt
def validate_order(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed()
    return webhook_handle(request, operation=Operation.VALIDATE, handler=_validate)


@csrf_exempt
def place_order(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed()
    return webhook_handle(request, operation=Operation.PLACE, handler=_place)


def _validate(raw: bytes, entry: InboundWebhook) -> dict:
    body = _parse(raw, place=False)
    try:
        return services.order_validate(body=body)
    except services.StoreUnknown:
        raise _store_unknown(body) from None
    except CartRefused as refusal:
        raise WebhookProblem(400, refusal.error_code, refusal.detail, refusal.errors) from None


def _place(raw: bytes, entry: InboundWebhook) -> dict:
    body = _parse(raw, place=True)
    try:
        placement = services.order_place(body=body, raw=raw.decode("utf-8"))
    except services.StoreUnknown:
        raise _store_unknown(body) from None
    except CartRefused as refusal:
        raise WebhookProblem(400, refusal.error_code, refusal.detail, refusal.errors) from None
    except services.OrderConflict as conflict:
        detail = (
            f"Order {body.order_id} was already placed with another cart "
            f"(ours: {conflict.order.partner_order_id}); the first order stands."
        )
        raise WebhookProblem(
            409,
            "ORDER_ALREADY_PLACED",
            detail,
            [field_error("$.orderId", detail, "ORDER_ALREADY_PLACED")],
        ) from None
    return placement.order.place_response


def _parse(raw: bytes, *, place: bool) -> OrderBody:
    try:
        return order_body_parse(raw, place=place)
    except BodyInvalid as invalid:
        raise WebhookProblem(400, "INVALID_REQUEST", invalid.detail, invalid.errors) from None


def _store_unknown(body: OrderBody) -> WebhookProblem:
    detail = f"No store with id {body.store_ref[:100]!r} takes orders here."
    return WebhookProblem(
        404, "STORE_NOT_FOUND", detail, [field_error("$.cart.storeId", detail, "STORE_NOT_FOUND")]
    )


def _method_not_allowed() -> HttpResponse:
    response = problem_response(status=405, detail="Use POST.", error_code="INVALID_REQUEST")
    response["Allow"] = "POST"
    return response
