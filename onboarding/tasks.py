from celery import shared_task

from gett.errors import GettError
from onboarding import services
from onboarding.models import Onboarding


@shared_task(name="onboarding.tasks.onboarding_register", bind=True, acks_late=True)
def onboarding_register_task(self, onboarding_id: int) -> str:
    onboarding = Onboarding.objects.filter(pk=onboarding_id).first()
    if onboarding is None:
        return "gone"
    try:
        onboarding = services.onboarding_register(onboarding=onboarding)
    except GettError as exc:
        # Retryable (the service raised it after setting the next attempt); the beat task is the
        # backstop if this retry is lost.
        onboarding.refresh_from_db()
        countdown = services.retry_delay(attempts=onboarding.failed_attempts, exc=exc)
        raise self.retry(exc=exc, countdown=countdown, max_retries=None) from exc
    return onboarding.status


@shared_task(name="onboarding.tasks.onboardings_poll_due")
def onboardings_poll_due_task() -> int:
    """Beat: register or poll the onboardings that are due."""
    return services.onboardings_poll_due()
