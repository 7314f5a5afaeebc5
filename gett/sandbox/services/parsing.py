"""Checks shared by the sandbox's services for untrusted, already JSON-decoded request bodies."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from gett.sandbox.problems import field_error, validation_failed

MAX_URL = 2000

# RFC 3339 date-time, the profile of ISO 8601 Gett's `format: date-time` stands for:
# a full date, a time and an explicit offset.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise validation_failed(
            [field_error("$", "The body must be a JSON object.", "invalid_type")]
        )
    return data


def is_uri(value: str) -> bool:
    """An absolute http(s) URI with a host. Private and loopback hosts pass: see partner_http."""
    if len(value) > MAX_URL or any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_date_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def uri_error(body: dict[str, Any], member: str) -> dict[str, str] | None:
    """The errors[] entry for a required http(s) URI member, or None when it is fine."""
    path = f"$.{member}"
    if member not in body:
        return field_error(path, f"{member} is required.", "required")
    value = body[member]
    if not isinstance(value, str):
        return field_error(path, f"{member} must be a string.", "invalid_type")
    if not is_uri(value):
        return field_error(path, f"{member} must be an absolute http(s) URI.", "invalid_uri")
    return None
