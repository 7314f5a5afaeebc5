from celery import shared_task

from gett import outbox


@shared_task(bind=True, acks_late=True, max_retries=None)
def outbox_deliver_task(self, message_id: int) -> None:
    try:
        outbox.deliver(message_id=message_id)
    except outbox.RetryLater as exc:
        raise self.retry(countdown=exc.countdown) from None


@shared_task(name="gett.tasks.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox.sweep()
