"""Fault switches: make the next N calls to an endpoint fail like Gett on a bad day.

Armed from tests, demos or `POST /v1/sandbox/faults`; consumed by the gateway in views.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from gett.sandbox.models import SandboxFault
from gett.sandbox.problems import field_error, validation_failed

FAULTABLE_ENDPOINTS = SandboxFault.ENDPOINTS
MAX_COUNT = 10_000


@transaction.atomic
def fault_arm(*, endpoint: Any, mode: Any, count: Any) -> SandboxFault:
    """Make the next `count` calls to `endpoint` (a URL name, or "*" for all) fail as `mode`."""
    errors: list[dict[str, str]] = []
    endpoints = [SandboxFault.ANY_ENDPOINT, *FAULTABLE_ENDPOINTS]
    if endpoint not in endpoints:
        message = f"endpoint must be one of {', '.join(endpoints)}."
        errors.append(field_error("$.endpoint", message, "invalid_enum"))
    if mode not in SandboxFault.Mode.values:
        message = f"mode must be one of {', '.join(SandboxFault.Mode.values)}."
        errors.append(field_error("$.mode", message, "invalid_enum"))
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        errors.append(
            field_error("$.count", f"count must be an integer from 1 to {MAX_COUNT}.", "invalid")
        )
    if errors:
        raise validation_failed(errors)
    return SandboxFault.objects.create(endpoint=endpoint, mode=mode, remaining=count)


@transaction.atomic
def fault_clear() -> int:
    """Disarm every fault. Returns how many switches there were."""
    deleted, _ = SandboxFault.objects.all().delete()
    return deleted


def fault_take(*, endpoint: str) -> str | None:
    """Consume one armed fault for this endpoint (its own before "*") and return its mode.

    The decrement is a conditional UPDATE, so two concurrent calls cannot both take the last one.
    """
    candidates = SandboxFault.objects.filter(
        endpoint__in=[endpoint, SandboxFault.ANY_ENDPOINT], remaining__gt=0
    ).values_list("pk", "endpoint", "mode")
    ordered = sorted(candidates, key=lambda row: (row[1] == SandboxFault.ANY_ENDPOINT, row[0]))
    for pk, _, mode in ordered:
        taken = SandboxFault.objects.filter(pk=pk, remaining__gt=0).update(
            remaining=F("remaining") - 1
        )
        if taken:
            return mode
    return None


def fault_list() -> list[SandboxFault]:
    return list(SandboxFault.objects.filter(remaining__gt=0))
