"""Stores as Gett keeps them: seeding, metadata updates, pause and resume (REFERENCE §5-6)."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone as django_timezone

from gett.sandbox.models import PauseReason, SandboxStore, StoreStatus
from gett.sandbox.problems import Problem, field_error, invalid_request, validation_failed
from gett.sandbox.services.parsing import is_uri, parse_date_time, require_object

ADDRESS_FIELDS = ("street", "city", "state", "postalCode", "country")

# Lengths the sandbox's columns hold; Gett's own limits are not documented.
MAX_NAME = 200
MAX_PHONE = 40
MAX_DESCRIPTION = 5000
# (inferred) How far ahead a resumeAt may lie; Gett documents no limit.
MAX_PAUSE_YEARS = 100


# --- reads ------------------------------------------------------------------------------------


def store_get(*, store_id: uuid.UUID) -> SandboxStore:
    store = SandboxStore.objects.filter(store_id=store_id).first()
    if store is None:
        raise Problem("STORE_NOT_FOUND", f"No store with storeId {store_id}.")
    store.resume_if_due()
    return store


def store_list() -> list[SandboxStore]:
    now = django_timezone.now()
    # Gett auto-resumes at resumeAt; the sandbox catches up lazily, whenever stores are read.
    SandboxStore.objects.filter(status=StoreStatus.PAUSED, resume_at__lte=now).update(
        status=StoreStatus.ONLINE, reason="", paused_at=None, resume_at=None, updated_at=now
    )
    return list(SandboxStore.objects.all())


# --- writes -----------------------------------------------------------------------------------


@transaction.atomic
def store_provision(
    *,
    store_id: uuid.UUID | str,
    partner_store_id: str,
    name: str,
    phone: str = "",
    description: str = "",
    logo_url: str = "",
    address: dict[str, str] | None = None,
    timezone: str = "UTC",
    delivery_allowed: bool = True,
    pickup_allowed: bool = True,
    webhook_url: str = "",
) -> SandboxStore:
    """Create or update a store as if it had been onboarded and activated earlier.

    Idempotent: `store_id` (Gett's id) is the identity; calling again updates the metadata and
    leaves the store's status alone. Meant for seeding (demo data, tests), not for API requests.
    """
    store_id = uuid.UUID(str(store_id))
    if not (delivery_allowed or pickup_allowed):
        raise ValueError("At least one of delivery_allowed and pickup_allowed must be true.")
    if webhook_url and not is_uri(webhook_url):
        raise ValueError(f"{webhook_url!r} is not an absolute http(s) URL.")
    if timezone not in zoneinfo.available_timezones():
        raise ValueError(f"{timezone!r} is not an IANA time zone.")
    taken = (
        SandboxStore.objects.filter(partner_store_id=partner_store_id)
        .exclude(store_id=store_id)
        .first()
    )
    if taken is not None:
        raise ValueError(
            f"Partner store {partner_store_id!r} is already provisioned "
            f"as storeId {taken.store_id}."
        )
    address = {key: str(value) for key, value in (address or {}).items() if key in ADDRESS_FIELDS}
    store, _ = SandboxStore.objects.update_or_create(
        store_id=store_id,
        defaults={
            "partner_store_id": partner_store_id,
            "name": name,
            "phone": phone,
            "description": description,
            "logo_url": logo_url,
            "address": address,
            "timezone": timezone,
            "delivery_allowed": delivery_allowed,
            "pickup_allowed": pickup_allowed,
            "webhook_url": webhook_url,
        },
    )
    return store


@transaction.atomic
def store_update(*, store: SandboxStore, data: Any) -> SandboxStore:
    """Apply a `StoreUpdate` body.

    Members left out keep their value (Gett's PUT semantics are undocumented); unknown members
    are ignored.
    """
    body = require_object(data)
    errors: list[dict[str, str]] = []
    changes: dict[str, Any] = {}

    for member, field, max_length in (
        ("name", "name", MAX_NAME),
        ("phone", "phone", MAX_PHONE),
        ("description", "description", MAX_DESCRIPTION),
    ):
        if member not in body:
            continue
        value = body[member]
        if not isinstance(value, str):
            errors.append(field_error(f"$.{member}", f"{member} must be a string.", "invalid_type"))
        elif len(value) > max_length:
            errors.append(
                field_error(
                    f"$.{member}", f"{member} is longer than {max_length} characters.", "too_long"
                )
            )
        elif member == "name" and not value.strip():
            errors.append(field_error("$.name", "name must not be blank.", "blank"))
        else:
            changes[field] = value

    if "logoUrl" in body:
        value = body["logoUrl"]
        if not isinstance(value, str):
            errors.append(field_error("$.logoUrl", "logoUrl must be a string.", "invalid_type"))
        elif not is_uri(value):
            errors.append(
                field_error("$.logoUrl", "logoUrl must be an absolute http(s) URI.", "invalid_uri")
            )
        else:
            changes["logo_url"] = value

    for member, field in (
        ("deliveryAllowed", "delivery_allowed"),
        ("pickupAllowed", "pickup_allowed"),
    ):
        if member not in body:
            continue
        if isinstance(body[member], bool):
            changes[field] = body[member]
        else:
            errors.append(
                field_error(f"$.{member}", f"{member} must be a boolean.", "invalid_type")
            )

    if errors:
        raise validation_failed(errors)

    store = SandboxStore.objects.select_for_update().get(pk=store.pk)
    store.resume_if_due()
    delivery = changes.get("delivery_allowed", store.delivery_allowed)
    pickup = changes.get("pickup_allowed", store.pickup_allowed)
    if not (delivery or pickup):
        raise validation_failed(
            [
                field_error(
                    "$.deliveryAllowed" if "delivery_allowed" in changes else "$.pickupAllowed",
                    "At least one of deliveryAllowed and pickupAllowed must be true.",
                    "no_fulfillment",
                )
            ]
        )
    for field, value in changes.items():
        setattr(store, field, value)
    store.save()
    return store


@transaction.atomic
def store_status_update(*, store: SandboxStore, data: Any) -> SandboxStore:
    """Apply a `StoreStatusUpdate` body: pause (with a reason, maybe a resumeAt) or resume.

    A body that is not a StoreStatusUpdate (a member of the wrong type or outside its enum, on a
    pause or a resume alike) is a 400, as at Gett; a well-formed one that cannot apply (a pause
    without a reason, a resumeAt in the past) is a 422.
    """
    body = require_object(data)
    now = django_timezone.now()

    malformed: list[dict[str, str]] = []
    status = body.get("status")
    if "status" not in body:
        malformed.append(field_error("$.status", "status is required.", "required"))
    elif status not in StoreStatus.values:
        malformed.append(
            field_error(
                "$.status",
                f"status must be one of {', '.join(StoreStatus.values)}.",
                "invalid_enum",
            )
        )
    reason = body.get("reason")
    if "reason" in body and reason not in PauseReason.values:
        malformed.append(
            field_error(
                "$.reason",
                f"reason must be one of {', '.join(PauseReason.values)}.",
                "invalid_enum",
            )
        )
    resume_at = None
    if "resumeAt" in body:
        resume_at = _resume_at(body["resumeAt"], now=now)
        if resume_at is None:
            malformed.append(
                field_error(
                    "$.resumeAt",
                    "resumeAt must be an ISO 8601 date-time with an offset within the next "
                    f"{MAX_PAUSE_YEARS} years, e.g. 2026-05-08T19:30:00Z.",
                    "invalid_date_time",
                )
            )
    if malformed:
        raise invalid_request(malformed)

    store = SandboxStore.objects.select_for_update().get(pk=store.pk)
    store.resume_if_due(now)

    if status == StoreStatus.ONLINE:
        # Resuming takes effect at once; a reason or resumeAt sent along means nothing.
        store.status = StoreStatus.ONLINE
        store.reason = ""
        store.paused_at = None
        store.resume_at = None
        store.save()
        return store

    errors: list[dict[str, str]] = []
    if "reason" not in body:
        errors.append(field_error("$.reason", "reason is required when pausing.", "required"))
    if resume_at is not None and resume_at <= now:
        errors.append(field_error("$.resumeAt", "resumeAt must be in the future.", "in_past"))
    if errors:
        raise validation_failed(errors)

    if store.status != StoreStatus.PAUSED:
        store.paused_at = now
    store.status = StoreStatus.PAUSED
    assert isinstance(reason, str)  # required when pausing, and one of PauseReason (checked above)
    store.reason = reason
    store.resume_at = resume_at
    store.save()
    return store


def _resume_at(value: Any, *, now: datetime) -> datetime | None:
    """`value` as a UTC date-time, or None when it is not one or lies absurdly far ahead."""
    moment = parse_date_time(value)
    if moment is None:
        return None
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is in the year 10000 in UTC
        return None
    # A pause "until 9999" is a pause without resumeAt; the cap also keeps stored dates sane.
    if moment > now + timedelta(days=365 * MAX_PAUSE_YEARS):
        return None
    return moment
