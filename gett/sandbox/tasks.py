"""The sandbox's background work: catalog pulls, onboarding steps and test orders."""

from celery import shared_task

from gett.sandbox import services


@shared_task(acks_late=True)
def sandbox_catalog_pull_task(ingestion_id: int) -> None:
    # Safe to run twice: the service claims the ingestion with a conditional update.
    services.ingestion_run(ingestion_id=ingestion_id)


@shared_task(acks_late=True)
def sandbox_onboarding_advance_task(onboarding_pk: int) -> None:
    services.onboarding_advance(onboarding_pk=onboarding_pk)


@shared_task(acks_late=True)
def sandbox_test_order_task(test_order_id: int) -> None:
    # Safe to run twice: each step (the first send, each placeOrder retry) is claimed first.
    services.test_order_run(test_order_id=test_order_id)
