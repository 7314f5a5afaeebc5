"""Errors from Gett, parsed from RFC 9457 problem+json replies (REFERENCE §12-13)."""

from __future__ import annotations

from typing import Any

# Statuses worth retrying when the body does not say (REFERENCE §13, partner client guidance).
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class GettError(Exception):
    """A call to Gett failed. `retryable` says whether the same call may succeed later."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        error_code: str = "UNKNOWN",
        retryable: bool = False,
        retry_after: float | None = None,
        request_id: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.error_code = error_code
        self.retryable = retryable
        self.retry_after = retry_after
        self.request_id = request_id
        self.errors = errors or []

    def __str__(self) -> str:
        status = self.status if self.status is not None else "no reply"
        text = f"{self.error_code} ({status}): {self.detail}"
        if self.errors:
            parts = [
                f"{e.get('jsonPath') or e.get('itemId') or ''} {e.get('message', '')}".strip()
                for e in self.errors[:5]
            ]
            text += " — " + "; ".join(parts)
        if self.request_id:
            text += f" [requestId {self.request_id}]"
        return text
