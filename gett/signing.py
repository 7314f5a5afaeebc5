"""Webhook signatures (REFERENCE §10).

Gett signs the raw request body alone: `Signature` = hex(HMAC-SHA256(secret, body)). The
`Timestamp` header is not part of the signed data; it only bounds replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

API_VERSION = "2026-01-30"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 20


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Gett would send with `body` (for the sandbox and tests)."""
    if timestamp is None:
        timestamp = int(time.time())
    return {
        "Signature": sign(body, secret),
        "Timestamp": str(timestamp),
        "API-Version": API_VERSION,
        "Content-Type": "application/json",
    }


def verify(
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    secrets: Sequence[str],
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    if not signature or not timestamp:
        return False
    timestamp = timestamp.strip()
    # isascii() too: str.isdigit() also accepts digits such as "²" that int() rejects. The length
    # cap keeps int() within its 4,300-digit limit (a ValueError); 20 digits outlast any clock.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return False
    if now is None:
        now = time.time()
    if abs(now - int(timestamp)) > tolerance:
        return False

    if isinstance(secrets, str):
        secrets = [secrets]
    candidate = signature.strip().lower()
    if not candidate.isascii():  # a hex digest is ASCII; anything else cannot match
        return False
    matched = False
    # Check every secret (no early exit): during rotation several are valid at once.
    for secret in secrets:
        try:
            expected = sign(body, secret) if secret else ""
        except UnicodeEncodeError:  # a secret that is not text (a lone surrogate) signs nothing
            continue
        if expected and hmac.compare_digest(expected, candidate):
            matched = True
    return matched


def verify_request(request: HttpRequest) -> bool:
    return verify(
        request.body,
        signature=request.headers.get("Signature"),
        timestamp=request.headers.get("Timestamp"),
        secrets=settings.GETT_WEBHOOK_SECRETS,
        tolerance=settings.GETT_WEBHOOK_TOLERANCE_SECONDS,
    )
