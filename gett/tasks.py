from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from gett import outbox

# The database went away (a restart, a failover): look again this soon. The row is the truth:
# if the send got through but its outcome was not recorded, the row stays "sending" and the
# sweep takes it over; otherwise the retry finds it pending and sends it.
DATABASE_RETRY_SECONDS = 3


# Stopped past OUTBOX_DELIVERY_TIME_LIMIT (one call to Gett takes at most its two timeouts): the
# sweep takes over claims older than twice that. The soft limit must not exceed the hard one
# (Celery refuses to run the task otherwise), and the app's default soft limit is far above it.
@shared_task(
    bind=True,
    acks_late=True,
    max_retries=None,
    time_limit=settings.OUTBOX_DELIVERY_TIME_LIMIT,
    soft_time_limit=settings.OUTBOX_DELIVERY_TIME_LIMIT,
)
def outbox_deliver_task(self, message_id: int) -> None:
    try:
        outbox.deliver(message_id=message_id)
    except outbox.RetryLater as exc:
        raise self.retry(countdown=exc.countdown) from None
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(countdown=DATABASE_RETRY_SECONDS, exc=exc) from exc


@shared_task(name="gett.tasks.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox.sweep()
