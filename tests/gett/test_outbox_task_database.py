"""The delivery task when the database goes away (a restart, a failover): it asks Celery to
look again in a few seconds instead of failing, which would leave the message to the sweep
(a minute or more later). Faked at the database's wire with Django's execute wrapper."""

import pytest
from celery.exceptions import Retry
from django.db import OperationalError, connection

from gett import outbox
from gett.models import OutboundMessage
from gett.tasks import DATABASE_RETRY_SECONDS, outbox_deliver_task

pytestmark = pytest.mark.django_db


def _database_down(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_deliver_task_retries_soon_when_the_database_is_unreachable(scheduled):
    message = outbox.enqueue(
        kind="order.status",
        key="order:1",
        payload={"status": "confirmed"},
        target_id="00000000-0000-4000-8000-000000000001",
    )
    outbox_deliver_task.push_request(
        id="task-1", args=[message.pk], kwargs={}, retries=0, called_directly=False
    )
    try:
        with connection.execute_wrapper(_database_down), pytest.raises(Retry) as retry:
            outbox_deliver_task.run(message.pk)
    finally:
        outbox_deliver_task.pop_request()

    assert retry.value.when == DATABASE_RETRY_SECONDS
    assert OutboundMessage.objects.get(pk=message.pk).state == OutboundMessage.State.PENDING
