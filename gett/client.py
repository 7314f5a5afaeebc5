"""HTTP client for the Gett Commerce Partner API (REFERENCE §2-8, §12-14).

This is the only module in the project that imports `requests`. Every call carries the bearer key
and a (connect, read) timeout; network failures and non-2xx replies become `GettError`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from gett.errors import RETRYABLE_STATUSES, GettError

logger = logging.getLogger(__name__)

ACCEPT = "application/problem+json, application/json"

# Used when an error reply has no usable problem+json body (REFERENCE §13).
ERROR_CODES_BY_STATUS = {
    400: "INVALID_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


@dataclass(frozen=True)
class RateLimit:
    """The rate-limit window reported by Gett's last reply (REFERENCE §14)."""

    remaining: int
    reset_at: float  # Unix time when the window resets


class GettClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.session = session if session is not None else requests.Session()
        self.rate_limit: RateLimit | None = None

    def __repr__(self) -> str:
        # Keep the key out of tracebacks and debug output.
        return f"<GettClient {self.base_url}>"

    # Catalog (REFERENCE §4)

    def notify_catalog(self, *, partner_store_id: str, callback_url: str) -> None:
        self._request(
            "POST",
            "/v1/commerce/catalogset-notification",
            params={"storeId": partner_store_id},
            json={"callbackUrl": callback_url},
        )

    # Stores (REFERENCE §5-6)

    def list_stores(self) -> Any:
        return self._request("GET", "/v1/commerce/stores")

    def get_store(self, *, store_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/commerce/stores/{_quote(store_id)}")

    def update_store(self, *, store_id: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        return self._request("PUT", f"/v1/commerce/stores/{_quote(store_id)}", json=payload)

    def get_store_status(self, *, store_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/commerce/stores/{_quote(store_id)}/status")

    def update_store_status(
        self, *, store_id: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        return self._request("POST", f"/v1/commerce/stores/{_quote(store_id)}/status", json=payload)

    # Orders (REFERENCE §7)

    def update_order_status(
        self, *, order_id: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        return self._request("POST", f"/v1/commerce/orders/{_quote(order_id)}/status", json=payload)

    # Onboarding (REFERENCE §8)

    def register_store(self, *, payload: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/v1/commerce/onboarding/stores", json=payload)

    def get_onboarding(self, *, onboarding_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/commerce/onboarding/stores/{_quote(onboarding_id)}")

    def cancel_onboarding(self, *, onboarding_id: str) -> None:
        self._request("DELETE", f"/v1/commerce/onboarding/stores/{_quote(onboarding_id)}")

    def activate_store(self, *, onboarding_id: str) -> dict[str, Any] | None:
        return self._request(
            "POST", f"/v1/commerce/onboarding/stores/{_quote(onboarding_id)}/activate"
        )

    # The local sandbox only: real Gett sends orders when consumers buy, not on request.

    def sandbox_send_test_order(self, *, store_id: str, scenario: str = "valid") -> dict[str, Any]:
        return self._request(
            "POST", "/v1/sandbox/test-orders", json={"storeId": store_id, "scenario": scenario}
        )

    def sandbox_get_test_order(self, *, test_order_id: int) -> dict[str, Any]:
        return self._request("GET", f"/v1/sandbox/test-orders/{int(test_order_id)}")

    # Transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": ACCEPT}
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            # Checked before ConnectionError: ConnectTimeout is both.
            logger.warning("gett %s %s timed out (%s)", method, path, type(exc).__name__)
            raise GettError(
                "Gett did not answer in time.", error_code="TIMEOUT", retryable=True
            ) from exc
        except requests.RequestException as exc:
            logger.warning("gett %s %s network error (%s)", method, path, type(exc).__name__)
            raise GettError(
                f"Could not reach Gett ({type(exc).__name__}).",
                error_code="NETWORK_ERROR",
                retryable=True,
            ) from exc
        latency_ms = (time.monotonic() - started) * 1000
        status = response.status_code
        reset_at = _parse_reset(response.headers.get("X-RateLimit-Reset"))
        self.rate_limit = _parse_rate_limit(response, reset_at)

        if not 200 <= status < 300:
            error = _error_from_response(response, reset_at)
            logger.warning(
                "gett %s %s -> %s %s in %.0f ms requestId=%s",
                method,
                path,
                status,
                error.error_code,
                latency_ms,
                error.request_id,
            )
            raise error

        body = _json_or_none(response)
        request_id = body.get("requestId") if isinstance(body, dict) else None
        logger.info(
            "gett %s %s -> %s in %.0f ms requestId=%s",
            method,
            path,
            status,
            latency_ms,
            request_id or response.headers.get("X-Request-Id"),
        )
        return body


def get_client() -> GettClient:
    return GettClient(
        settings.GETT_API_BASE_URL,
        settings.GETT_API_KEY,
        connect_timeout=settings.GETT_CONNECT_TIMEOUT,
        read_timeout=settings.GETT_READ_TIMEOUT,
    )


def _quote(segment: str) -> str:
    return quote(str(segment), safe="")


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        logger.warning(
            "gett reply %s is not JSON (Content-Type %r)",
            response.status_code,
            response.headers.get("Content-Type"),
        )
        return None


def _error_from_response(response: requests.Response, reset_at: float | None) -> GettError:
    status = response.status_code
    body = _json_or_none(response)
    if not isinstance(body, dict):
        body = {}

    detail = _str(body.get("detail")) or _str(body.get("title")) or response.reason
    error_code = _str(body.get("errorCode")) or ERROR_CODES_BY_STATUS.get(status, f"HTTP_{status}")
    retryable = body.get("retryable")
    if not isinstance(retryable, bool):
        retryable = status in RETRYABLE_STATUSES

    retry_after = _seconds(body.get("retryAfter"))
    if retry_after is None:
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is None and status == 429 and reset_at is not None:
        # No explicit hint: wait for the window to reset, but back off at least 1 s (§14).
        retry_after = max(1.0, reset_at - time.time())

    errors = body.get("errors")
    errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    request_id = _str(body.get("requestId")) or response.headers.get("X-Request-Id")

    return GettError(
        detail or f"HTTP {status}",
        status=status,
        error_code=error_code,
        retryable=retryable,
        retry_after=retry_after,
        request_id=request_id,
        errors=errors,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header: delay in seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def _parse_reset(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def _parse_rate_limit(response: requests.Response, reset_at: float | None) -> RateLimit | None:
    raw_remaining = response.headers.get("X-RateLimit-Remaining")
    try:
        remaining = int(raw_remaining.strip()) if raw_remaining else None
    except ValueError:
        remaining = None
    if remaining is None and response.status_code == 429:
        remaining = 0  # a 429 means the window is spent even if the header is missing
    if remaining is None or reset_at is None:
        return None
    return RateLimit(remaining=remaining, reset_at=reset_at)
