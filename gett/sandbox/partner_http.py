"""The sandbox's outbound HTTP: Gett's side of the wire, calling out to partners.

This and `gett/client.py` are the only modules that import `requests`. The sandbox makes two
kinds of call:

* the catalog pull (REFERENCE §4): GET the partner's `callbackUrl`, following redirects (the
  portal's stable `latest.json` URL redirects to the newest version), with connect and read
  timeouts, an overall deadline and a size cap. Every failure becomes a `FetchError` with a code
  and a message a partner can act on;
* the order webhooks (REFERENCE §9): POST signed bytes to the partner's validateOrder/placeOrder.
  Network failures do not raise: they come back as a `WebhookReply` with `error` set, because the
  caller records every attempt, failed or not.

Private, loopback and link-local hosts are allowed here ONLY because this is a sandbox: it pulls
from the portal running on the same machine (127.0.0.1, a docker network, a live test server).
The real Gett fetches from the public internet only; do not copy this module into anything that
takes URLs from untrusted users.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from gett.sandbox import jsonbody

logger = logging.getLogger(__name__)

USER_AGENT = "GettSandbox-CatalogFetcher/1.0"
WEBHOOK_USER_AGENT = "GettSandbox-Webhooks/1.0"
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024

# Enough for any order reply; a partner answering megabytes is cut off, not buffered.
WEBHOOK_MAX_REPLY_BYTES = 256 * 1024
# The reply headers worth showing to staff.
WEBHOOK_REPLY_HEADERS = ("Content-Type", "Content-Length", "Retry-After")


@dataclass(frozen=True)
class Fetched:
    document: Any
    http_status: int
    size_bytes: int
    final_url: str
    elapsed_ms: int


class FetchError(Exception):
    """The pull did not produce a JSON document. `code` is stable; `message` is for people."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        size_bytes: int | None = None,
        elapsed_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.size_bytes = size_bytes
        self.elapsed_ms = elapsed_ms


def fetch_json(url: str) -> Fetched:
    """GET `url` and decode its body as JSON, within the configured time and size limits."""
    connect_timeout = settings.GETT_SANDBOX_FETCH_CONNECT_TIMEOUT
    read_timeout = settings.GETT_SANDBOX_FETCH_READ_TIMEOUT
    deadline_seconds = settings.GETT_SANDBOX_FETCH_DEADLINE_SECONDS
    max_bytes = settings.GETT_SANDBOX_FETCH_MAX_BYTES

    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError("fetch_bad_url", f"The catalog URL {url} is not an http(s) URL.")

    started = time.monotonic()

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with (
            requests.Session() as session,
            _get(session, url, connect_timeout, read_timeout) as response,
        ):
            status = response.status_code
            if not 200 <= status < 300:
                raise FetchError(
                    "fetch_http_status",
                    f"Downloading the catalog from {url} answered HTTP {status}; "
                    "Gett needs a 2xx reply with the CatalogSet JSON.",
                    http_status=status,
                    elapsed_ms=elapsed_ms(),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, max_bytes, status, int(declared), elapsed_ms())
            body = bytearray()
            for chunk in response.iter_content(CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(url, max_bytes, status, len(body), elapsed_ms())
                if time.monotonic() - started > deadline_seconds:
                    raise FetchError(
                        "fetch_timeout",
                        f"Downloading the catalog from {url} took longer than "
                        f"{deadline_seconds:g} s.",
                        http_status=status,
                        elapsed_ms=elapsed_ms(),
                    )
            content_type = response.headers.get("Content-Type", "")
            final_url = response.url
    except requests.TooManyRedirects as exc:
        raise FetchError(
            "fetch_too_many_redirects",
            f"Downloading the catalog from {url} was redirected more than {MAX_REDIRECTS} times.",
            elapsed_ms=elapsed_ms(),
        ) from exc
    except requests.Timeout as exc:
        # Checked before ConnectionError: ConnectTimeout is both.
        raise FetchError(
            "fetch_timeout",
            f"Downloading the catalog from {url} timed out "
            f"(connect {connect_timeout:g} s, read {read_timeout:g} s).",
            elapsed_ms=elapsed_ms(),
        ) from exc
    except requests.RequestException as exc:
        raise FetchError(
            "fetch_connection_error",
            f"Could not download the catalog from {url} ({type(exc).__name__}).",
            elapsed_ms=elapsed_ms(),
        ) from exc

    size = len(body)
    try:
        document = jsonbody.loads(bytes(body).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        shown_type = content_type or "no Content-Type"
        raise FetchError(
            "fetch_not_json",
            f"The catalog at {url} is not a JSON document ({shown_type}): {exc}.",
            http_status=status,
            size_bytes=size,
            elapsed_ms=elapsed_ms(),
        ) from None
    logger.info("sandbox fetched %s -> %s (%d bytes, %d ms)", url, status, size, elapsed_ms())
    return Fetched(
        document=document,
        http_status=status,
        size_bytes=size,
        final_url=final_url,
        elapsed_ms=elapsed_ms(),
    )


def _get(
    session: requests.Session, url: str, connect_timeout: float, read_timeout: float
) -> requests.Response:
    session.max_redirects = MAX_REDIRECTS
    return session.get(
        url,
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        timeout=(connect_timeout, read_timeout),
        allow_redirects=True,
        stream=True,
    )


def _too_large(url: str, max_bytes: int, status: int, size: int, elapsed: int) -> FetchError:
    return FetchError(
        "fetch_too_large",
        f"The catalog at {url} is larger than {max_bytes} bytes.",
        http_status=status,
        size_bytes=size,
        elapsed_ms=elapsed,
    )


# --- order webhooks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookReply:
    """What a webhook POST produced: an HTTP reply, or an `error` when none came back."""

    status: int | None
    body: str
    headers: dict[str, str]
    elapsed_ms: int
    error: str = ""

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def is_retryable(self) -> bool:
        """A failed delivery Gett tries again (REFERENCE §11): 5xx or no reply. Never 4xx."""
        return self.status is None or self.status >= 500


def post_webhook(url: str, body: bytes, *, headers: dict[str, str]) -> WebhookReply:
    """POST `body` (already serialised and signed) to a partner webhook, within the timeout.

    Redirects are not followed: Gett posts to the URL it was given.
    """
    timeout = float(settings.GETT_SANDBOX_WEBHOOK_TIMEOUT)
    started = time.monotonic()

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with requests.post(
            url,
            data=body,
            headers={"Accept": "application/json", "User-Agent": WEBHOOK_USER_AGENT, **headers},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            raw = bytearray()
            for chunk in response.iter_content(CHUNK_BYTES):
                raw += chunk
                if len(raw) > WEBHOOK_MAX_REPLY_BYTES:
                    break
            text = bytes(raw[:WEBHOOK_MAX_REPLY_BYTES]).decode("utf-8", errors="replace")
            reply_headers = {
                name: response.headers[name]
                for name in WEBHOOK_REPLY_HEADERS
                if name in response.headers
            }
            status = response.status_code
    except requests.Timeout:
        # Checked before ConnectionError: ConnectTimeout is both.
        return WebhookReply(None, "", {}, elapsed_ms(), f"Timed out after {timeout:g} s.")
    except requests.ConnectionError as exc:
        # A stall while reading the body surfaces as a ConnectionError wrapping a read timeout.
        if "timed out" in str(exc).lower():
            return WebhookReply(None, "", {}, elapsed_ms(), f"Timed out after {timeout:g} s.")
        return WebhookReply(None, "", {}, elapsed_ms(), _connection_error(exc))
    except requests.RequestException as exc:
        return WebhookReply(None, "", {}, elapsed_ms(), f"Request failed ({type(exc).__name__}).")
    logger.info("sandbox webhook %s -> %s (%d ms)", url, status, elapsed_ms())
    return WebhookReply(status, text, reply_headers, elapsed_ms())


def _connection_error(exc: requests.ConnectionError) -> str:
    text = str(exc)
    if "refused" in text.lower():
        return "Connection refused."
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "The host name does not resolve."
    return f"Connection failed ({type(exc).__name__})."
