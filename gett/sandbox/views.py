"""The sandbox's HTTP surface: the Gett Commerce API paths under /sandbox/gett/.

Each view parses the request, calls one service and renders Gett's JSON. `sandbox_api` does what
Gett's gateway does for every call (bearer auth, method check, rate limit, armed fault switches,
body size, problem+json for every error) and records the call in SandboxCall.
"""

from __future__ import annotations

import difflib
import hmac
import logging
import socket
import struct
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from gett.sandbox import jsonbody, services
from gett.sandbox.models import (
    SandboxCall,
    SandboxFault,
    SandboxOnboarding,
    SandboxStore,
    SandboxTestOrder,
    SandboxWebhookCall,
    StoreStatus,
)
from gett.sandbox.problems import (
    Problem,
    field_error,
    new_request_id,
    problem_response,
    validation_failed,
)
from gett.sandbox.ratelimit import rate_limit_hit
from gett.sandbox.services.parsing import require_object

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
LOG_BODY_BYTES = 64 * 1024
LOGGED_HEADERS = ("API-Version", "Content-Type", "Content-Length", "Accept", "User-Agent")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The members of each documented request body (REFERENCE §4-7). Others are accepted and ignored,
# as at Gett, but a call that sends one is recorded with a warning: it is usually a misspelling.
STORE_STATUS_MEMBERS = ("status", "reason", "resumeAt")
STORE_UPDATE_MEMBERS = (
    "name",
    "phone",
    "logoUrl",
    "description",
    "deliveryAllowed",
    "pickupAllowed",
)
CATALOG_NOTIFICATION_MEMBERS = ("callbackUrl",)
ORDER_STATUS_MEMBERS = ("state", "status", "estimatedReadyAt", "cancelReason")

View = Callable[..., HttpResponse]


# --- the gateway: every API call goes through this ---------------------------------------------


def sandbox_api(*methods: str, faultable: bool = True) -> Callable[[View], View]:
    """Wrap a sandbox view like Gett's gateway. No methods given: any method reaches the view.

    `faultable` views take armed fault switches (SandboxFault) for their URL name or for "*".
    """

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            started = time.monotonic()
            request_id = new_request_id()
            rate_headers: dict[str, str] = {}
            problem: Problem | None = None
            fault = ""
            request.sandbox_warnings = []  # type: ignore[attr-defined]
            try:
                api_key = _authenticate(request)
                if methods and request.method not in methods:
                    raise Problem(
                        "INVALID_REQUEST",
                        f"{request.method} is not allowed here; use {', '.join(methods)}.",
                        status=405,
                        headers={"Allow": ", ".join(methods)},
                    )
                window = rate_limit_hit(api_key=api_key, write=request.method not in READ_METHODS)
                rate_headers = window.headers()
                if window.exceeded:
                    raise Problem(
                        "RATE_LIMITED",
                        f"Rate limit of {window.limit} requests per minute exceeded for this "
                        "partner organization.",
                        retry_after=window.retry_after(),
                    )
                if faultable and request.resolver_match is not None:
                    fault = (
                        services.fault_take(endpoint=request.resolver_match.url_name or "") or ""
                    )
                if fault:
                    injected = _fault_problem(fault, request)
                    # An injected 429 reports a spent window, whatever the real counter says.
                    rate_headers.update(
                        {k: v for k, v in injected.headers.items() if k.startswith("X-RateLimit")}
                    )
                    raise injected
                _check_body_size(request)
                response = view(request, *args, **kwargs)
            except Problem as exc:
                problem = exc
            except Exception:
                # Gett answers its own failures as problem+json too; the traceback goes to the log.
                logger.exception(
                    "Sandbox call failed: %s %s [%s]", request.method, request.path, request_id
                )
                problem = Problem("INTERNAL_ERROR", "The sandbox failed to handle this request.")
            if problem is not None:
                response = problem_response(
                    request, problem, instance=_instance(request), request_id=request_id
                )
            for name, value in rate_headers.items():
                response[name] = value
            _record_call(
                request,
                response,
                request_id=request_id,
                store_id=kwargs.get("store_id"),
                error_code=problem.error_code if problem else "",
                fault=fault,
                started=started,
                warnings=request.sandbox_warnings,  # type: ignore[attr-defined]
            )
            return response

        return wrapper

    return decorator


def _authenticate(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthenticated("The Authorization header is missing.")
    if not header.startswith("Bearer "):
        raise _unauthenticated("The Authorization header must be 'Bearer <API key>'.")
    presented = header.removeprefix("Bearer ").strip()
    valid = False
    for key in settings.GETT_SANDBOX_API_KEYS:
        # Compare against every key (no early exit), each in constant time.
        valid |= bool(key) and hmac.compare_digest(presented.encode(), key.encode())
    if not presented or not valid:
        raise _unauthenticated("The API key is not valid for this environment.")
    return presented


def _fault_problem(mode: str, request: HttpRequest) -> Problem:
    """The reply an armed fault switch gives instead of the endpoint's."""
    retry_after = settings.GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS
    if mode == SandboxFault.Mode.DROP:
        if _drop_connection(request):
            # Nobody receives this: it is only what the call is recorded with.
            return Problem("SERVICE_UNAVAILABLE", "Injected fault: the connection was dropped.")
        return Problem(
            "SERVICE_UNAVAILABLE",
            "Injected fault: drop the connection (this server cannot; run the sandbox under "
            "gunicorn to get a real connection reset).",
            retry_after=retry_after,
        )
    if mode == SandboxFault.Mode.STATUS_500:
        return Problem("INTERNAL_ERROR", "Injected fault: the sandbox failed on purpose.")
    if mode == SandboxFault.Mode.STATUS_429:
        return Problem(
            "RATE_LIMITED",
            "Injected fault: rate limit exceeded for this partner organization.",
            retry_after=retry_after,
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + retry_after),
            },
        )
    if mode == SandboxFault.Mode.HANG:
        # Long enough for the caller's read timeout to fire first; then Gett's gateway gives up.
        time.sleep(settings.GETT_SANDBOX_HANG_SECONDS)
        return Problem(
            "SERVICE_UNAVAILABLE",
            "Injected fault: the sandbox hung and then gave up.",
            retry_after=retry_after,
        )
    return Problem(
        "SERVICE_UNAVAILABLE",
        "Injected fault: the sandbox is temporarily unavailable.",
        retry_after=retry_after,
    )


def _drop_connection(request: HttpRequest) -> bool:
    """Close the client's connection without a reply. Needs the socket, which gunicorn puts
    in the WSGI environ; the caller then sees a reset, as when a proxy in between fails."""
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        return False
    try:
        # SO_LINGER 0: the close sends a reset rather than an orderly end of stream.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client has gone already: dropped either way
    return True


def _unauthenticated(detail: str) -> Problem:
    return Problem("UNAUTHENTICATED", detail, headers={"WWW-Authenticate": 'Bearer realm="gett"'})


def _check_body_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Problem("INVALID_REQUEST", "The Content-Length header is not a number.") from None
    if length > MAX_BODY_BYTES:
        raise Problem(
            "INVALID_REQUEST",
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
            status=413,
        )


def _json_body(request: HttpRequest, *, members: tuple[str, ...] | None = None) -> Any:
    """The body as JSON, parsed strictly (see `jsonbody`). With `members`, the documented
    members of this body: any other top-level member is ignored but recorded as a warning."""
    raw_type = request.META.get("CONTENT_TYPE", "")
    if raw_type and not (
        request.content_type == "application/json" or (request.content_type or "").endswith("+json")
    ):
        raise Problem("INVALID_REQUEST", "The Content-Type must be application/json.", status=415)
    try:
        body = request.body
    except RequestDataTooBig:
        raise Problem("INVALID_REQUEST", "The request body is too large.", status=413) from None
    if not body:
        raise Problem("INVALID_REQUEST", "A JSON request body is required.")
    try:
        data = jsonbody.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Problem("INVALID_REQUEST", "The request body is not UTF-8.") from None
    except ValueError as exc:
        raise Problem("INVALID_REQUEST", f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise Problem("INVALID_REQUEST", "The request body is nested too deeply.") from None
    if members is not None and isinstance(data, dict):
        request.sandbox_warnings += _unknown_member_warnings(data, members)  # type: ignore[attr-defined]
    return data


def _unknown_member_warnings(body: dict[str, Any], members: tuple[str, ...]) -> list[str]:
    warnings = []
    for name in body:
        if name in members:
            continue
        warning = f"Unknown member {name!r} was ignored"
        close = difflib.get_close_matches(name, members, n=1, cutoff=0.6) or [
            member for member in members if member.lower() == name.replace("_", "").lower()
        ]
        if close:
            warning += f"; did you mean {close[0]!r}?"
        else:
            warning += f" (this body takes {', '.join(members)})."
        warnings.append(warning)
    return warnings


def _instance(request: HttpRequest) -> str:
    """The request path as Gett would report it: relative to the API's base URL."""
    base = reverse("sandbox:store-list").removesuffix("/v1/commerce/stores")
    return request.path.removeprefix(base) or "/"


def _record_call(
    request: HttpRequest,
    response: HttpResponse,
    *,
    request_id: str,
    store_id: Any,
    error_code: str,
    fault: str,
    started: float,
    warnings: list[str],
) -> None:
    try:
        raw = request.body
    except RequestDataTooBig:
        raw = None
    if error_code == "UNAUTHENTICATED":
        # Anyone can send anything without a key: record that the call happened, not its body.
        body, truncated = "", False
    else:
        body, truncated = ("", True) if raw is None else _clip(raw)
    response_body, _ = _clip(response.content)
    SandboxCall.objects.create(
        request_id=request_id,
        method=request.method or "",
        path=request.path[:2000],
        query_string=request.META.get("QUERY_STRING", ""),
        request_headers={
            name: request.headers[name] for name in LOGGED_HEADERS if name in request.headers
        },
        authorization_present="Authorization" in request.headers,
        request_body=body,
        request_body_truncated=truncated,
        store_id=store_id,
        response_status=response.status_code,
        response_body=response_body,
        latency_ms=round((time.monotonic() - started) * 1000),
        error_code=error_code,
        fault=fault,
        warnings=warnings,
    )


def _clip(raw: bytes) -> tuple[str, bool]:
    return raw[:LOG_BODY_BYTES].decode("utf-8", errors="replace"), len(raw) > LOG_BODY_BYTES


# --- replies ---------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def store_json(store: SandboxStore) -> dict[str, Any]:
    """Gett's `Store` schema."""
    body: dict[str, Any] = {
        "storeId": str(store.store_id),
        "name": store.name,
        "address": {
            key: store.address[key] for key in services.ADDRESS_FIELDS if key in store.address
        },
        "phone": store.phone,
        "timezone": store.timezone,
    }
    if store.logo_url:
        body["logoUrl"] = store.logo_url
    body["description"] = store.description
    body["status"] = store.effective_status
    body["deliveryAllowed"] = store.delivery_allowed
    body["pickupAllowed"] = store.pickup_allowed
    return body


def store_status_json(store: SandboxStore) -> dict[str, Any]:
    """Gett's `StoreStatus` schema; members that do not apply are left out."""
    status = store.effective_status
    body: dict[str, Any] = {"status": status}
    if status == StoreStatus.PAUSED:
        if store.reason:
            body["reason"] = store.reason
        if store.paused_at:
            body["pausedAt"] = _iso(store.paused_at)
        if store.resume_at:
            body["resumeAt"] = _iso(store.resume_at)
    return body


def onboarding_json(onboarding: SandboxOnboarding) -> dict[str, Any]:
    """Gett's `OnboardingRecord` schema."""
    failed = onboarding.status == SandboxOnboarding.Status.CATALOG_FAILED
    return {
        "onboardingId": str(onboarding.onboarding_id),
        "partnerStoreId": onboarding.partner_store_id,
        "status": onboarding.status,
        "storeId": str(onboarding.store.store_id) if onboarding.store is not None else None,
        "error": (onboarding.error or None) if failed else None,
        "createdAt": _iso(onboarding.created_at),
    }


def fault_json(fault: SandboxFault) -> dict[str, Any]:
    return {
        "endpoint": fault.endpoint,
        "mode": fault.mode,
        "remaining": fault.remaining,
        "createdAt": _iso(fault.created_at),
    }


def webhook_call_json(call: SandboxWebhookCall) -> dict[str, Any]:
    return {
        "operation": call.operation,
        "attempt": call.attempt,
        "url": call.url,
        "requestHeaders": call.request_headers,
        "requestBody": call.request_body,
        "responseStatus": call.response_status,
        "responseHeaders": call.response_headers,
        "responseBody": call.response_body,
        "latencyMs": call.latency_ms,
        "error": call.error or None,
        "createdAt": _iso(call.created_at),
    }


def test_order_json(
    test_order: SandboxTestOrder, calls: list[SandboxWebhookCall]
) -> dict[str, Any]:
    """Sandbox-only: a test order, its outcome and the webhook calls it made (oldest first)."""
    return {
        "testOrderId": test_order.pk,
        "storeId": str(test_order.store.store_id),
        "scenario": test_order.scenario,
        "seed": test_order.seed,
        "outcome": test_order.outcome,
        "asExpected": test_order.as_expected,
        "detail": test_order.detail,
        "orderId": str(test_order.order_id),
        "partnerOrderId": test_order.partner_order_id or None,
        "repeatPartnerOrderId": test_order.repeat_partner_order_id or None,
        "repeatMatched": test_order.repeat_matched,
        "catalogSetId": test_order.catalog_set_id,
        "fulfillmentType": test_order.fulfillment_type,
        "expectedAmounts": test_order.expected_amounts,
        "validatedAmounts": test_order.validated_amounts,
        "placedAmounts": test_order.placed_amounts,
        "placeAttempts": test_order.place_attempts,
        "nextAttemptAt": _iso(test_order.next_attempt_at) if test_order.next_attempt_at else None,
        "createdAt": _iso(test_order.created_at),
        "finishedAt": _iso(test_order.finished_at) if test_order.finished_at else None,
        "url": reverse("sandbox:test-order-detail", args=[test_order.pk]),
        "inspectUrl": reverse("sandbox:inspect-test-order", args=[test_order.pk]),
        "calls": [webhook_call_json(call) for call in calls],
    }


def _empty(status: int) -> HttpResponse:
    # Gett documents no body for these replies; send none, and no Content-Type for it either.
    response = HttpResponse(status=status)
    del response["Content-Type"]
    return response


# --- views -----------------------------------------------------------------------------------


@sandbox_api("GET")
def store_list(request: HttpRequest) -> HttpResponse:
    # Gett's envelope is not documented; the OpenAPI file assumes a bare array of Store.
    return JsonResponse([store_json(store) for store in services.store_list()], safe=False)


@sandbox_api("GET", "PUT")
def store_detail(request: HttpRequest, store_id: Any) -> HttpResponse:
    store = services.store_get(store_id=store_id)
    if request.method == "PUT":
        store = services.store_update(
            store=store, data=_json_body(request, members=STORE_UPDATE_MEMBERS)
        )
    return JsonResponse(store_json(store))


@sandbox_api("GET", "POST")
def store_status(request: HttpRequest, store_id: Any) -> HttpResponse:
    store = services.store_get(store_id=store_id)
    if request.method == "POST":
        store = services.store_status_update(
            store=store, data=_json_body(request, members=STORE_STATUS_MEMBERS)
        )
    return JsonResponse(store_status_json(store))


@sandbox_api("POST")
def catalogset_notification(request: HttpRequest) -> HttpResponse:
    services.catalog_notify(
        partner_store_id=request.GET.get("storeId"),
        data=_json_body(request, members=CATALOG_NOTIFICATION_MEMBERS),
    )
    # Accepted: the file is pulled and checked asynchronously (REFERENCE §4).
    return _empty(202)


@sandbox_api("POST")
def onboarding_register(request: HttpRequest) -> HttpResponse:
    onboarding = services.onboarding_register(data=_json_body(request))
    return JsonResponse(onboarding_json(onboarding), status=201)


@sandbox_api("GET", "DELETE")
def onboarding_detail(request: HttpRequest, onboarding_id: str) -> HttpResponse:
    if request.method == "DELETE":
        services.onboarding_cancel(onboarding_id=onboarding_id)
        return _empty(204)
    return JsonResponse(onboarding_json(services.onboarding_get(onboarding_id=onboarding_id)))


@sandbox_api("POST")
def onboarding_activate(request: HttpRequest, onboarding_id: str) -> HttpResponse:
    # No request body is documented; anything sent is ignored.
    onboarding = services.onboarding_activate(onboarding_id=onboarding_id)
    return JsonResponse(onboarding_json(onboarding))


@sandbox_api("POST")
def order_status(request: HttpRequest, order_id: str) -> HttpResponse:
    order = services.order_get(order_id=order_id)
    services.order_status_update(
        order=order, data=_json_body(request, members=ORDER_STATUS_MEMBERS)
    )
    # "Status update received": no body is documented.
    return _empty(200)


@sandbox_api("GET", "POST", "DELETE", faultable=False)
def faults(request: HttpRequest) -> HttpResponse:
    """Sandbox-only: arm (POST), list (GET) or clear (DELETE) fault switches."""
    if request.method == "POST":
        body = require_object(_json_body(request))
        fault = services.fault_arm(
            endpoint=body.get("endpoint"), mode=body.get("mode"), count=body.get("count")
        )
        return JsonResponse(fault_json(fault), status=201)
    if request.method == "DELETE":
        services.fault_clear()
        return _empty(204)
    return JsonResponse([fault_json(fault) for fault in services.fault_list()], safe=False)


@sandbox_api("POST", faultable=False)
def test_orders(request: HttpRequest) -> HttpResponse:
    """Sandbox-only: send the partner a test order, as Gett would (validateOrder, placeOrder)."""
    body = require_object(_json_body(request))
    store = services.store_get(store_id=_gett_store_id(body))
    test_order = services.test_order_start(
        store=store, scenario=body.get("scenario", "valid"), seed=body.get("seed")
    )
    # Accepted: the webhooks are called by a worker; poll the url (or open inspectUrl).
    return JsonResponse(test_order_json(test_order, []), status=202)


def _gett_store_id(body: dict[str, Any]) -> uuid.UUID:
    value = body.get("storeId")
    if value is None:
        error = field_error("$.storeId", "storeId (the Gett store id) is required.", "required")
        raise validation_failed([error])
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    error = field_error("$.storeId", "storeId must be a Gett store id (a UUID).", "invalid")
    raise validation_failed([error])


@sandbox_api("GET", faultable=False)
def test_order_detail(request: HttpRequest, test_order_id: int) -> HttpResponse:
    test_order = services.test_order_get(test_order_id=test_order_id)
    calls = list(test_order.calls.order_by("created_at", "pk"))
    return JsonResponse(test_order_json(test_order, calls))


@sandbox_api(faultable=False)
def not_found(request: HttpRequest) -> HttpResponse:
    raise Problem("NOT_FOUND", f"No Gett API operation at {_instance(request)}.")
