"""Order Booster onboarding (REFERENCE §8): register, pull the catalog, activate or cancel.

pending_catalog --(delay)--> catalog_ingesting --(delay, pull)--> ready_to_activate --> active
                                               \\-> catalog_failed (error set; re-notify to retry)

Celery drives the delays (`apply_async(countdown=...)`). Reads also catch up on any step that is
overdue, so a poller sees progress even when a task was lost.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gett.sandbox.models import SandboxOnboarding, SandboxStore
from gett.sandbox.problems import Problem, field_error, validation_failed
from gett.sandbox.services.catalog import ingestion_create, ingestion_is_lost, ingestion_run
from gett.sandbox.services.parsing import require_object, uri_error

logger = logging.getLogger(__name__)

Onboarding = SandboxOnboarding
Status = SandboxOnboarding.Status

MAX_PARTNER_STORE_ID = 200
MAX_NAME = 200


def step_delay() -> float:
    """Seconds between pipeline steps, like Gett's asynchronous processing (0 in tests)."""
    return float(settings.GETT_SANDBOX_ONBOARDING_DELAY_SECONDS)


def onboarding_register(*, data: Any) -> SandboxOnboarding:
    """Start an onboarding from an `OnboardingRegisterRequest` body."""
    body = require_object(data)
    errors: list[dict[str, str]] = []
    for member, max_length in (("partnerStoreId", MAX_PARTNER_STORE_ID), ("name", MAX_NAME)):
        path = f"$.{member}"
        value = body.get(member)
        if member not in body:
            errors.append(field_error(path, f"{member} is required.", "required"))
        elif not isinstance(value, str):
            errors.append(field_error(path, f"{member} must be a string.", "invalid_type"))
        elif not value.strip():
            errors.append(field_error(path, f"{member} must not be blank.", "blank"))
        elif len(value) > max_length:
            errors.append(
                field_error(path, f"{member} is longer than {max_length} characters.", "too_long")
            )
    for member in ("catalogCallbackUrl", "webhookUrl"):
        error = uri_error(body, member)
        if error is not None:
            errors.append(error)
    if errors:
        raise validation_failed(errors)

    partner_store_id = body["partnerStoreId"]
    store = SandboxStore.objects.filter(partner_store_id=partner_store_id).first()
    if store is not None:
        raise Problem(
            "CONFLICT",
            f"Partner store {partner_store_id!r} is already active on Gett "
            f"as storeId {store.store_id}.",
        )
    delay = step_delay()
    now = timezone.now()
    try:
        with transaction.atomic():
            onboarding = Onboarding.objects.create(
                partner_store_id=partner_store_id,
                name=body["name"],
                catalog_callback_url=body["catalogCallbackUrl"],
                webhook_url=body["webhookUrl"],
                status=Status.PENDING_CATALOG,
                next_step_at=now + timedelta(seconds=delay),
                created_at=now,
            )
    except IntegrityError:
        # The partial unique constraint: one open onboarding per partner store.
        open_one = (
            Onboarding.objects.filter(partner_store_id=partner_store_id)
            .exclude(status=Status.CATALOG_FAILED)
            .first()
        )
        detail = f"Partner store {partner_store_id!r} already has an open onboarding"
        if open_one is not None:
            detail += f" ({open_one.onboarding_id}, {open_one.status})"
        raise Problem("CONFLICT", detail + ".") from None
    transaction.on_commit(lambda: _schedule_advance(onboarding.pk, countdown=delay))
    return onboarding


def _schedule_advance(onboarding_pk: int, *, countdown: float) -> None:
    from gett.sandbox.tasks import sandbox_onboarding_advance_task

    sandbox_onboarding_advance_task.apply_async((onboarding_pk,), countdown=countdown or None)


def onboarding_advance(*, onboarding_pk: int) -> SandboxOnboarding | None:
    """Take the pending_catalog step once it is due: start the catalog pull.

    Run by the delayed task and by reads. The conditional update lets only one of them do it.
    """
    now = timezone.now()
    onboarding = Onboarding.objects.filter(pk=onboarding_pk).first()
    if onboarding is None or onboarding.status != Status.PENDING_CATALOG:
        return onboarding
    if onboarding.next_step_at is not None and onboarding.next_step_at > now:
        # Woken early (clock skew between processes): try again when it is due.
        remaining = (onboarding.next_step_at - now).total_seconds()
        _schedule_advance(onboarding.pk, countdown=remaining)
        return onboarding
    with transaction.atomic():
        claimed = Onboarding.objects.filter(pk=onboarding.pk, status=Status.PENDING_CATALOG).update(
            status=Status.CATALOG_INGESTING, next_step_at=None, updated_at=now
        )
        if not claimed:
            return Onboarding.objects.filter(pk=onboarding_pk).first()
        onboarding.refresh_from_db()
        onboarding.ingestion = ingestion_create(
            partner_store_id=onboarding.partner_store_id,
            callback_url=onboarding.catalog_callback_url,
            onboarding=onboarding,
            delay_seconds=step_delay(),
        )
        onboarding.save(update_fields=["ingestion", "updated_at"])
    logger.info("sandbox onboarding %s is ingesting its catalog", onboarding.onboarding_id)
    return onboarding


def onboarding_get(*, onboarding_id: str) -> SandboxOnboarding:
    """The record a poller sees, after catching up on any overdue step."""
    onboarding = _find(onboarding_id)
    now = timezone.now()
    if (
        onboarding.status == Status.PENDING_CATALOG
        and onboarding.next_step_at is not None
        and onboarding.next_step_at <= now
    ):
        onboarding_advance(onboarding_pk=onboarding.pk)
        onboarding = _find(onboarding_id)
    if (
        onboarding.status == Status.CATALOG_INGESTING
        and onboarding.ingestion is not None
        and ingestion_is_lost(onboarding.ingestion, now=now)
    ):
        logger.warning(
            "sandbox ingestion %s looks lost; pulling it while answering a read",
            onboarding.ingestion.pk,
        )
        ingestion_run(ingestion_id=onboarding.ingestion.pk)
        onboarding = _find(onboarding_id)
    return onboarding


@transaction.atomic
def onboarding_cancel(*, onboarding_id: str) -> None:
    """Cancel before activation. The schema has no `cancelled` status, so the record goes away."""
    onboarding = _find(onboarding_id, for_update=True)
    if onboarding.status == Status.ACTIVE:
        raise Problem(
            "CONFLICT",
            "The store is already active; an active store's onboarding cannot be cancelled.",
        )
    onboarding.delete()
    logger.info("sandbox onboarding %s cancelled", onboarding_id)


def onboarding_activate(*, onboarding_id: str) -> SandboxOnboarding:
    """Go live: assign Gett's storeId and create the store. Only from ready_to_activate."""
    onboarding_get(onboarding_id=onboarding_id)  # catch up first, as a poller would have
    with transaction.atomic():
        onboarding = _find(onboarding_id, for_update=True)
        if onboarding.status != Status.READY_TO_ACTIVATE:
            raise Problem(
                "CONFLICT",
                f"Only an onboarding in ready_to_activate can be activated; "
                f"this one is {onboarding.status}.",
            )
        existing = SandboxStore.objects.filter(partner_store_id=onboarding.partner_store_id).first()
        if existing is not None:
            raise Problem(
                "CONFLICT",
                f"Partner store {onboarding.partner_store_id!r} is already active "
                f"as storeId {existing.store_id}.",
            )
        now = timezone.now()
        onboarding.store = SandboxStore.objects.create(
            store_id=uuid.uuid4(),
            partner_store_id=onboarding.partner_store_id,
            name=onboarding.name,
            webhook_url=onboarding.webhook_url,
        )
        onboarding.status = Status.ACTIVE
        onboarding.error = ""
        onboarding.activated_at = now
        onboarding.save()
    logger.info(
        "sandbox onboarding %s activated as store %s",
        onboarding.onboarding_id,
        onboarding.store.store_id,
    )
    return onboarding


def _find(onboarding_id: str, *, for_update: bool = False) -> SandboxOnboarding:
    try:
        key = uuid.UUID(str(onboarding_id))
    except ValueError:
        key = None
    queryset = Onboarding.objects.select_related("store", "ingestion")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    onboarding = queryset.filter(onboarding_id=key).first() if key else None
    if onboarding is None:
        raise Problem("NOT_FOUND", f"No onboarding with onboardingId {onboarding_id}.")
    return onboarding
