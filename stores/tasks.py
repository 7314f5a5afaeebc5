from celery import shared_task

from stores import services


@shared_task(name="stores.tasks.stores_auto_resume")
def stores_auto_resume_task() -> int:
    return services.stores_auto_resume()


@shared_task(name="stores.tasks.stores_reconcile")
def stores_reconcile_task() -> int:
    """Beat: queue this run's status checks against Gett."""
    return services.stores_reconcile_schedule()


@shared_task(name="stores.tasks.store_reconcile", acks_late=True)
def store_reconcile_task(store_id: int) -> str:
    # A failed read is not retried: the next run reads the store again.
    return services.store_reconcile(store_id=store_id)
