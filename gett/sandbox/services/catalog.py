"""Catalog ingestion: Gett pulls a partner's CatalogSet and validates it (REFERENCE §4, §17).

A notification (or an onboarding step) records a `SandboxCatalogIngestion` and enqueues the pull
on commit. The pull runs in a Celery task: it claims the row with a conditional update, downloads
the file over HTTP (`partner_http`), checks it with `catalog_rules` (the sandbox's own checker,
independent of the portal's), and records the outcome.
The newest accepted document per partner store is what the sandbox sells from.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gett.sandbox import partner_http
from gett.sandbox.models import SandboxCatalogIngestion, SandboxOnboarding, SandboxStore
from gett.sandbox.problems import Problem, validation_failed
from gett.sandbox.services.catalog_rules import catalogset_check, catalogset_counts
from gett.sandbox.services.parsing import require_object, uri_error

logger = logging.getLogger(__name__)

Ingestion = SandboxCatalogIngestion
Onboarding = SandboxOnboarding

# Enough to show every problem of a badly broken menu without storing megabytes of them.
MAX_PROBLEMS_KEPT = 500
MAX_ERROR_CHARS = 2000
ERROR_SUMMARY_PROBLEMS = 3


def stale_after() -> timedelta:
    """How long a queued or running pull may take before a reader assumes its task was lost."""
    return timedelta(seconds=settings.GETT_SANDBOX_STALE_SECONDS)


# --- notification -----------------------------------------------------------------------------


def catalog_notify(*, partner_store_id: str | None, data: Any) -> SandboxCatalogIngestion:
    """Accept a CatalogSetNotification (`POST /v1/commerce/catalogset-notification`).

    Validates the request only; the file itself is pulled and checked asynchronously, as at Gett.
    A notification for a store whose onboarding failed its catalog re-runs that onboarding's
    ingestion (REFERENCE §8: "fix the file and re-notify").
    """
    if partner_store_id is None or not partner_store_id.strip():
        raise Problem(
            "INVALID_REQUEST",
            "The storeId query parameter is required: your own (partner) store id.",
        )
    body = require_object(data)
    error = uri_error(body, "callbackUrl")
    if error is not None:
        raise validation_failed([error])
    _require_known_partner_store(partner_store_id)

    with transaction.atomic():
        onboarding = (
            Onboarding.objects.select_for_update()
            .filter(partner_store_id=partner_store_id)
            .order_by("-created_at", "-pk")
            .first()
        )
        failed = onboarding is not None and onboarding.status == Onboarding.Status.CATALOG_FAILED
        retry_onboarding = onboarding if failed else None
        ingestion = ingestion_create(
            partner_store_id=partner_store_id,
            callback_url=body["callbackUrl"],
            onboarding=retry_onboarding,
        )
        if retry_onboarding is not None:
            retry_onboarding.status = Onboarding.Status.CATALOG_INGESTING
            retry_onboarding.error = ""
            retry_onboarding.ingestion = ingestion
            retry_onboarding.save(update_fields=["status", "error", "ingestion", "updated_at"])
    return ingestion


def _require_known_partner_store(partner_store_id: str) -> None:
    # Gett pulls catalogs for stores it knows: onboarded ones and ones in onboarding. An unknown
    # id is most often the Gett storeId sent where the partner's own id belongs; say so.
    if SandboxStore.objects.filter(partner_store_id=partner_store_id).exists():
        return
    if Onboarding.objects.filter(partner_store_id=partner_store_id).exists():
        return
    detail = f"No store or onboarding with partner store id {partner_store_id!r}."
    gett_store_id = _as_uuid(partner_store_id)
    if gett_store_id and SandboxStore.objects.filter(store_id=gett_store_id).exists():
        detail += " That is a Gett storeId; the storeId query parameter takes your own store id."
    raise Problem("STORE_NOT_FOUND", detail)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- the pull ---------------------------------------------------------------------------------


def ingestion_create(
    *,
    partner_store_id: str,
    callback_url: str,
    onboarding: SandboxOnboarding | None = None,
    delay_seconds: float = 0,
) -> SandboxCatalogIngestion:
    """Record a pull to run after `delay_seconds`; its task is enqueued when the caller commits."""
    now = timezone.now()
    ingestion = Ingestion.objects.create(
        partner_store_id=partner_store_id,
        callback_url=callback_url,
        onboarding=onboarding,
        due_at=now + timedelta(seconds=delay_seconds),
        created_at=now,
    )
    transaction.on_commit(lambda: _schedule_pull(ingestion.pk, countdown=delay_seconds))
    return ingestion


def _schedule_pull(ingestion_id: int, *, countdown: float) -> None:
    from gett.sandbox.tasks import sandbox_catalog_pull_task

    sandbox_catalog_pull_task.apply_async((ingestion_id,), countdown=countdown or None)


def ingestion_run(*, ingestion_id: int) -> SandboxCatalogIngestion | None:
    """Pull, validate and record one ingestion. Safe to run twice: only one run claims the row.

    A row stuck in `fetching` for longer than `stale_after()` (its worker died) may be claimed
    again. Returns the row as it is afterwards, or None when it no longer exists.
    """
    now = timezone.now()
    claimed = (
        Ingestion.objects.filter(pk=ingestion_id)
        .filter(
            Q(status=Ingestion.Status.QUEUED)
            | Q(status=Ingestion.Status.FETCHING, started_at__lt=now - stale_after())
        )
        .update(status=Ingestion.Status.FETCHING, started_at=now)
    )
    ingestion = Ingestion.objects.filter(pk=ingestion_id).first()
    if not claimed or ingestion is None:
        return ingestion

    warnings = callback_url_warnings(ingestion.callback_url)
    try:
        fetched = partner_http.fetch_json(ingestion.callback_url)
    except partner_http.FetchError as exc:
        logger.info("sandbox ingestion %s fetch failed: %s", ingestion.pk, exc.code)
        problem = {"code": exc.code, "message": exc.message, "jsonPath": "$", "entityId": None}
        _finish(
            ingestion,
            claimed_at=now,
            status=Ingestion.Status.FAILED,
            problems=[problem],
            http_status=exc.http_status,
            size_bytes=exc.size_bytes,
            fetch_ms=exc.elapsed_ms,
            warnings=warnings,
        )
        return ingestion

    if fetched.final_url != ingestion.callback_url:
        warnings += [
            f"Redirected to {fetched.final_url}: {warning}"
            for warning in callback_url_warnings(fetched.final_url)
        ]

    validate_started = time.monotonic()
    document = fetched.document
    store = SandboxStore.objects.filter(partner_store_id=ingestion.partner_store_id).first()
    # Fulfillment flags belong to the store, not the file (REFERENCE §5.2); checked when known.
    flags = (
        {"deliveryAllowed": store.delivery_allowed, "pickupAllowed": store.pickup_allowed}
        if store is not None
        else None
    )
    problems = catalogset_check(document, store=flags)
    accepted = not problems
    counts = catalogset_counts(document)
    validate_ms = round((time.monotonic() - validate_started) * 1000)
    catalog_set_id = document.get("catalogSetId") if isinstance(document, dict) else None
    _finish(
        ingestion,
        claimed_at=now,
        status=Ingestion.Status.ACCEPTED if accepted else Ingestion.Status.FAILED,
        problems=problems,
        counts=counts,
        document=document if accepted else None,
        catalog_set_id=catalog_set_id if isinstance(catalog_set_id, str) else "",
        http_status=fetched.http_status,
        size_bytes=fetched.size_bytes,
        fetch_ms=fetched.elapsed_ms,
        validate_ms=validate_ms,
        warnings=warnings,
    )
    logger.info(
        "sandbox ingestion %s %s (%d problems)",
        ingestion.pk,
        "accepted" if accepted else "failed",
        len(problems),
    )
    return ingestion


@transaction.atomic
def _finish(
    ingestion: SandboxCatalogIngestion,
    *,
    claimed_at: datetime,
    status: str,
    problems: list[dict[str, Any]],
    counts: dict[str, int] | None = None,
    document: Any = None,
    catalog_set_id: str = "",
    http_status: int | None = None,
    size_bytes: int | None = None,
    fetch_ms: int | None = None,
    validate_ms: int | None = None,
    warnings: list[str] | None = None,
) -> None:
    now = timezone.now()
    kept = problems[:MAX_PROBLEMS_KEPT]
    values = {
        "status": status,
        "problems": kept,
        "warnings": warnings or [],
        "counts": counts or {},
        "document": document,
        "catalog_set_id": catalog_set_id[:200],
        "http_status": http_status,
        "size_bytes": size_bytes,
        "fetch_ms": fetch_ms,
        "validate_ms": validate_ms,
        "finished_at": now,
    }
    # Only the run holding the claim records its result (a stale run may have been superseded).
    updated = Ingestion.objects.filter(
        pk=ingestion.pk, status=Ingestion.Status.FETCHING, started_at=claimed_at
    ).update(**values)
    if not updated:
        return
    for field, value in values.items():
        setattr(ingestion, field, value)
    if ingestion.onboarding_id is None:
        return
    if status == Ingestion.Status.ACCEPTED:
        outcome = {"status": Onboarding.Status.READY_TO_ACTIVATE, "error": ""}
    else:
        outcome = {
            "status": Onboarding.Status.CATALOG_FAILED,
            "error": error_summary(problems),
        }
    # Only the onboarding's current ingestion decides it; a superseded one changes nothing.
    Onboarding.objects.filter(
        pk=ingestion.onboarding_id,
        status=Onboarding.Status.CATALOG_INGESTING,
        ingestion=ingestion,
    ).update(updated_at=now, **outcome)


def callback_url_warnings(url: str) -> list[str]:
    """Why the real Gett could not pull `url`, though the sandbox could (it allows local hosts,
    see partner_http): Gett fetches from the public internet, and over https (REFERENCE §4)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return []
    warnings = []
    if _is_local_host(host):
        warnings.append(
            f"Gett cannot reach {url} from the internet: {host} is not a public host. "
            "Set PUBLIC_BASE_URL to the portal's public https address."
        )
    if parts.scheme == "http":
        warnings.append(
            f"{url} is plain http; serve the CatalogSet over https for Gett to download it."
        )
    return warnings


def _is_local_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.lower().rstrip(".")
        return (
            "." not in name  # "localhost", a docker service name: resolvable only nearby
            or name.endswith((".localhost", ".local", ".internal", ".test", ".invalid"))
        )
    return not address.is_global


def error_summary(problems: list[dict[str, Any]]) -> str:
    """The onboarding record's `error`: the first problems in words, and how many there are."""
    if not problems:
        return ""
    messages = [problem["message"] for problem in problems[:ERROR_SUMMARY_PROBLEMS]]
    text = "; ".join(messages)
    if len(problems) > ERROR_SUMMARY_PROBLEMS:
        text += f" (and {len(problems) - ERROR_SUMMARY_PROBLEMS} more problems)"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def ingestion_is_lost(ingestion: SandboxCatalogIngestion, *, now: datetime) -> bool:
    """True when the task for this pull should have finished long ago (lost or killed)."""
    if ingestion.status == Ingestion.Status.QUEUED:
        return ingestion.due_at <= now - stale_after()
    if ingestion.status == Ingestion.Status.FETCHING:
        return ingestion.started_at is not None and ingestion.started_at < now - stale_after()
    return False


@transaction.atomic
def catalogset_seed(
    *, partner_store_id: str, document: dict[str, Any], callback_url: str = ""
) -> SandboxCatalogIngestion:
    """Record `document` as an accepted ingestion without pulling it (demo data, tests).

    The document is checked like a pulled one; a CatalogSet Gett would reject raises ValueError,
    so the sandbox never sells from a broken menu.
    """
    store = SandboxStore.objects.filter(partner_store_id=partner_store_id).first()
    flags = (
        {"deliveryAllowed": store.delivery_allowed, "pickupAllowed": store.pickup_allowed}
        if store is not None
        else None
    )
    problems = catalogset_check(document, store=flags)
    if problems:
        messages = "; ".join(problem["message"] for problem in problems[:ERROR_SUMMARY_PROBLEMS])
        raise ValueError(
            f"Gett would reject this CatalogSet ({len(problems)} problems): {messages}"
        )
    now = timezone.now()
    return Ingestion.objects.create(
        partner_store_id=partner_store_id,
        callback_url=callback_url,
        status=Ingestion.Status.ACCEPTED,
        counts=catalogset_counts(document),
        catalog_set_id=str(document.get("catalogSetId") or "")[:200],
        document=document,
        size_bytes=len(json.dumps(document).encode()),
        due_at=now,
        started_at=now,
        created_at=now,
        finished_at=now,
    )


# --- reads ------------------------------------------------------------------------------------


def accepted_catalogset(partner_store_id: str) -> dict[str, Any] | None:
    """The CatalogSet the sandbox sells from: the newest notification whose pull was accepted.

    "Newest" is notification order, so a slow pull of an older file never replaces a newer one.
    """
    ingestion = (
        Ingestion.objects.filter(
            partner_store_id=partner_store_id, status=Ingestion.Status.ACCEPTED
        )
        .order_by("-created_at", "-pk")
        .only("document")
        .first()
    )
    return ingestion.document if ingestion is not None else None
