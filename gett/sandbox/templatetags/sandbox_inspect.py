"""Filters for the staff inspection pages (templates/sandbox/inspect/)."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()

OUTCOME_BADGES = {
    "queued": "badge-sending",
    "sent": "badge-sending",
    "validated": "badge-sending",
    "pending_retry": "badge-sandbox-warn",
    "placed": "badge-delivered",
    "rejected": "badge-sandbox-warn",
    "failed": "badge-failed",
    "not_applicable": "badge-none",
}


@register.filter
def pretty_json(value: Any) -> str:
    """JSON (a string holding JSON, or a decoded value) indented for reading; other text as is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


@register.filter
def outcome_badge(outcome: str) -> str:
    return OUTCOME_BADGES.get(outcome, "badge-none")


@register.filter
def http_badge(status: int | None) -> str:
    """2xx green, 4xx amber, 5xx and no reply red."""
    if status is None or status >= 500:
        return "badge-failed"
    if 200 <= status < 300:
        return "badge-delivered"
    return "badge-sandbox-warn"


@register.filter
def verdict_badge(as_expected: bool | None) -> str:
    if as_expected is None:
        return "badge-sending"
    return "badge-delivered" if as_expected else "badge-failed"
