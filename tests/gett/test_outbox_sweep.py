"""The sweep re-enqueues only the head of each lane: a message waiting behind an older one in
its lane is kicked by that one when it is done, so re-enqueueing it does nothing, and a pile of
them must not take the sweep's whole batch while a lost message elsewhere waits."""

from datetime import UTC, datetime, timedelta

import pytest

from gett import outbox
from gett.models import OutboundMessage

pytestmark = pytest.mark.django_db

State = OutboundMessage.State
START = datetime(2026, 5, 8, 12, 0, tzinfo=UTC)


def status(order: int, change: str) -> OutboundMessage:
    return outbox.enqueue(
        kind="order.status",
        key=f"order:{order}",
        payload={"status": change},
        target_id=f"00000000-0000-4000-8000-{order:012d}",
    )


def test_sweep_skips_messages_waiting_behind_a_dead_letter_and_finds_the_lost_one(
    time_machine, scheduled
):
    time_machine.move_to(START, tick=False)
    refused = status(1, "confirmed")
    OutboundMessage.objects.filter(pk=refused.pk).update(state=State.FAILED)
    # Strict order: these wait for a person to retry the refused one.
    for change in ("preparing", "ready"):
        status(1, change)
    lost = status(2, "confirmed")  # its task never reached the broker
    scheduled.clear()
    time_machine.shift(timedelta(seconds=61))

    assert outbox.sweep(limit=1) == 1
    assert scheduled == [lost.pk]


def test_sweep_re_enqueues_only_the_oldest_open_message_of_a_lane(time_machine, scheduled):
    time_machine.move_to(START, tick=False)
    first = status(1, "confirmed")
    status(1, "preparing")
    status(1, "ready")
    scheduled.clear()
    time_machine.shift(timedelta(seconds=61))

    assert outbox.sweep() == 1
    assert scheduled == [first.pk]


def test_sweep_leaves_a_lane_alone_while_its_head_is_being_sent(time_machine, settings, scheduled):
    time_machine.move_to(START, tick=False)
    sending = status(1, "confirmed")
    OutboundMessage.objects.filter(pk=sending.pk).update(
        state=State.SENDING, claimed_at=START + timedelta(seconds=60)
    )
    status(1, "preparing")
    scheduled.clear()
    time_machine.shift(timedelta(seconds=61))

    assert outbox.sweep() == 0
    assert scheduled == []
