"""The edge of Gett's webhooks: size, signature, logging, problem+json (REFERENCE §9-10).

`webhook_handle` wraps one operation's handler. Before the handler sees anything, the body's size
is bounded and its signature checked over the exact bytes received (401 problem+json on any
failure, nothing processed). Every call is kept in the inbound log with our reply, whatever
happened. The handler returns the reply body (200) or raises `WebhookProblem`; anything else it
raises is a bug, answered 500 problem+json and logged with its traceback — and also kept.

The handler runs inside its own transaction (its caller decides): nothing is answered 2xx before
what it wrote is committed, because the reply is built after the handler returns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from gett import signing
from gett.models import InboundWebhook
from gett.problems import field_error, problem_body, problem_response

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
LOG_BODY_CHARS = 64 * 1024
LOGGED_HEADERS = ("Timestamp", "API-Version", "Content-Type", "Content-Length", "User-Agent")


class WebhookProblem(Exception):
    """A refusal to answer as problem+json (REFERENCE §13 codes), with one entry per problem."""

    def __init__(
        self,
        status: int,
        error_code: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.errors = errors or []


Handler = Callable[[bytes, InboundWebhook], dict[str, Any]]


def webhook_handle(request: HttpRequest, *, operation: str, handler: Handler) -> HttpResponse:
    started = time.monotonic()
    entry = InboundWebhook(operation=operation, path=request.path[:200])
    entry.headers = _headers(request)
    try:
        raw = _body(request)
        entry.body_size = len(raw)
        entry.body = _printable(raw)
        _facts(entry, raw)
        if not _signature_ok(request, raw):
            entry.signature_ok = False
            raise WebhookProblem(
                401,
                "UNAUTHENTICATED",
                "The Signature or Timestamp header is missing, invalid or stale.",
            )
        entry.signature_ok = True
        reply = handler(raw, entry)
        entry.status = 200
        entry.response = reply
        response = HttpResponse(
            json.dumps(reply, ensure_ascii=False), status=200, content_type="application/json"
        )
    except WebhookProblem as problem:
        entry.status = problem.status
        entry.error_code = problem.error_code
        entry.detail = problem.detail[:2000]
        entry.response = problem_body(
            status=problem.status,
            detail=problem.detail,
            error_code=problem.error_code,
            errors=problem.errors,
        )
        response = problem_response(
            status=problem.status,
            detail=problem.detail,
            error_code=problem.error_code,
            errors=problem.errors,
        )
    except Exception:
        logger.exception("webhook %s failed (log entry kept)", operation)
        entry.status = 500
        entry.error_code = "INTERNAL_ERROR"
        entry.detail = "The partner failed to process the request."
        response = problem_response(status=500, detail=entry.detail)
    entry.latency_ms = int((time.monotonic() - started) * 1000)
    try:
        entry.save()
    except Exception:  # the log must never turn an answer into a 500
        logger.exception("webhook %s: the inbound log entry could not be saved", operation)
    return response


def _body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_large()
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> WebhookProblem:
    message = f"The body is larger than {MAX_BODY_BYTES} bytes."
    return WebhookProblem(400, "INVALID_REQUEST", message, [field_error("$", message, "too_large")])


def _signature_ok(request: HttpRequest, raw: bytes) -> bool:
    # `request.body` is `raw`: verified over the exact bytes received, before any parsing.
    return signing.verify_request(request)


def _headers(request: HttpRequest) -> dict[str, str]:
    kept = {name: request.headers.get(name, "")[:200] for name in LOGGED_HEADERS}
    signature = request.headers.get("Signature", "")
    # Enough to tell two signatures apart; the whole one is no use to anyone reading the log.
    kept["Signature"] = f"{signature[:12]}…" if len(signature) > 12 else signature
    return {name: value for name, value in kept.items() if value}


def _printable(raw: bytes) -> str:
    # Databases refuse NUL in text; the log shows the body, it does not need to be exact.
    return (
        raw[: LOG_BODY_CHARS * 4]
        .decode("utf-8", "replace")[:LOG_BODY_CHARS]
        .replace("\x00", "\ufffd")
    )


def _facts(entry: InboundWebhook, raw: bytes) -> None:
    """Gett's order id and store id, when the body says them: what staff search the log by."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return
    if not isinstance(data, dict):
        return
    order_id = data.get("orderId")
    cart = data.get("cart")
    store_id = cart.get("storeId") if isinstance(cart, dict) else None
    if isinstance(order_id, str):
        entry.gett_order_id = _printable(order_id.encode("utf-8", "replace"))[:100]
    if isinstance(store_id, str):
        entry.store_ref = _printable(store_id.encode("utf-8", "replace"))[:100]
