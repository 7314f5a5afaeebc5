"""With the sandbox at production's write limit, the portal's outbox paces a burst without a 429.

The portal's own client talks to the sandbox in-process: `responses` hands each request to
Django's test client, so the outbox, the client and the sandbox's gateway all run for real.
Time is simulated with time-machine; both sides count writes per clock minute.
"""

import re
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
import responses
import time_machine
from celery.exceptions import Retry
from django.db import transaction
from django.test import Client
from django.utils import timezone

from gett import outbox
from gett.models import OutboundMessage
from gett.sandbox.models import SandboxCall, SandboxStore
from gett.tasks import outbox_deliver_task
from tests.sandbox.conftest import API_KEY

pytestmark = pytest.mark.django_db

BURST = 500
START = datetime(2026, 5, 8, 18, 0, 5, tzinfo=UTC)
BASE_URL = "https://gett.test/sandbox/gett"


@pytest.fixture
def portal_to_sandbox(settings):
    """Route the portal's Gett client to the in-process sandbox."""
    settings.GETT_API_BASE_URL = BASE_URL
    settings.GETT_API_KEY = API_KEY
    django_client = Client()

    def forward(request):
        path = request.url.removeprefix("https://gett.test")
        response = django_client.generic(
            request.method,
            path,
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/json"),
            headers={"Authorization": request.headers["Authorization"]},
        )
        headers = {k: v for k, v in response.items() if k.lower() != "content-length"}
        return response.status_code, headers, response.content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        for method in ("GET", "POST", "PUT", "DELETE"):
            wire.add_callback(method, re.compile(re.escape(BASE_URL) + r"/.*"), callback=forward)
        yield wire


def test_a_burst_of_500_store_changes_is_delivered_without_a_single_429(
    settings, portal_to_sandbox, monkeypatch
):
    settings.GETT_SANDBOX_WRITES_PER_MINUTE = 100  # production's limit (REFERENCE §14)
    # The loop below plays the worker: tasks are not published, rows say what is due.
    monkeypatch.setattr(outbox_deliver_task, "apply_async", lambda *args, **kwargs: None)
    stores = SandboxStore.objects.bulk_create(
        SandboxStore(store_id=uuid.uuid4(), partner_store_id=f"pos-{n}", name=f"Store {n}")
        for n in range(BURST)
    )

    with time_machine.travel(START, tick=False) as clock:
        with transaction.atomic():
            for store in stores:
                outbox.enqueue(
                    kind="store.status",
                    key=f"store-{store.partner_store_id}",
                    target_id=str(store.store_id),
                    payload={"status": "paused", "reason": "too_busy"},
                )

        for _ in range(20 * BURST):  # a bound, so a bug cannot loop forever
            due = (
                OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING)
                .order_by("next_attempt_at", "pk")
                .first()
            )
            if due is None:
                break
            if due.next_attempt_at > timezone.now():
                clock.move_to(due.next_attempt_at)
            try:
                outbox_deliver_task(due.pk)
            except Retry:  # not its minute yet: the row says when to look again
                assert OutboundMessage.objects.get(pk=due.pk).next_attempt_at > due.next_attempt_at

    assert OutboundMessage.objects.filter(state=OutboundMessage.State.DELIVERED).count() == BURST
    writes = SandboxCall.objects.filter(method="POST")
    assert writes.filter(response_status=429).count() == 0
    assert writes.filter(response_status=200).count() == BURST
    assert SandboxStore.objects.filter(status="paused").count() == BURST
    # Paced, not just lucky: never more than the limit in one clock minute, over 5+ minutes.
    per_minute = Counter(
        call.created_at.replace(second=0, microsecond=0) for call in writes.only("created_at")
    )
    assert max(per_minute.values()) <= settings.GETT_SANDBOX_WRITES_PER_MINUTE
    assert len(per_minute) >= BURST // settings.GETT_SANDBOX_WRITES_PER_MINUTE
