from celery import shared_task

from stores import services


@shared_task(name="stores.tasks.stores_auto_resume")
def stores_auto_resume_task() -> int:
    return services.stores_auto_resume()
