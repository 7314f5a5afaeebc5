"""The write budget holds in every rolling minute, not only per clock minute (REFERENCE §14).

Gett's windows need not start when our clock minutes do: a burst that begins late in one of our
minutes must not get a second budget at the next minute boundary.
"""

from datetime import UTC, datetime, timedelta

import pytest
import responses

from gett import outbox
from gett.models import OutboundMessage

pytestmark = pytest.mark.django_db

GETT_LIMIT = 100  # REFERENCE §14: writes per minute, production
BASE = "https://gett.test"
URL = f"{BASE}/v1/commerce/orders/9d3e7a52-1c4b-4f0e-8b6a-2e71c5d0f8a3/status"
# 50 s into a minute: a per-clock-minute budget would renew 10 s later.
START = datetime(2026, 6, 1, 12, 0, 50, tzinfo=UTC)


def _most_in_any_minute(times: list[datetime]) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= timedelta(seconds=60):
            first += 1
        most = max(most, last - first + 1)
    return most


def test_a_burst_never_puts_more_than_the_budget_into_any_sixty_seconds(
    settings, time_machine, monkeypatch
):
    settings.GETT_WRITES_PER_MINUTE = 90
    monkeypatch.setattr(outbox, "schedule", lambda *args, **kwargs: None)
    sent: list[datetime] = []
    time_machine.move_to(START, tick=False)
    messages = [
        outbox.enqueue(
            kind="order.status",
            key=f"order:{n}",
            target_id="9d3e7a52-1c4b-4f0e-8b6a-2e71c5d0f8a3",
            payload={"status": "confirmed"},
        )
        for n in range(200)
    ]
    clock = START
    with responses.RequestsMock() as wire:
        wire.post(URL, status=204)
        # Play the workers: every 0.1 s, each message that is due is tried once.
        while clock < START + timedelta(minutes=3) and len(sent) < len(messages):
            time_machine.move_to(clock, tick=False)
            due = OutboundMessage.objects.filter(
                state=OutboundMessage.State.PENDING, next_attempt_at__lte=clock
            ).order_by("pk")
            for message in due:
                try:
                    if outbox.deliver(message_id=message.pk).state == "delivered":
                        sent.append(clock)
                except outbox.RetryLater:
                    pass
            clock += timedelta(seconds=0.1)

    assert _most_in_any_minute(sent) <= settings.GETT_WRITES_PER_MINUTE < GETT_LIMIT
    # ... and still at the budget's pace: 90 in the first minute, 180 by the second.
    assert len([at for at in sent if at < START + timedelta(seconds=61)]) >= 85
    assert len(sent) >= 175
