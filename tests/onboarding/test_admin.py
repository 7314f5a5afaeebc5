from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.models import Onboarding
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Onboarding.Status


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelist_search_and_change_pages_load(admin_client):
    onboarding = Onboarding.objects.create(
        store=StoreFactory(gett_store_id=None), status=Status.PENDING_CATALOG
    )

    assert admin_client.get("/admin/onboarding/onboarding/").status_code == 200
    assert admin_client.get("/admin/onboarding/onboarding/?q=Store").status_code == 200
    assert admin_client.get("/admin/onboarding/onboarding/?age=stuck").status_code == 200
    url = f"/admin/onboarding/onboarding/{onboarding.pk}/change/"
    assert admin_client.get(url).status_code == 200


def test_stuck_onboardings_are_highlighted_and_filtered(admin_client):
    stuck = Onboarding.objects.create(
        store=StoreFactory(gett_store_id=None),
        status=Status.CATALOG_INGESTING,
        status_changed_at=timezone.now() - timedelta(hours=2),
    )
    Onboarding.objects.create(store=StoreFactory(gett_store_id=None), status=Status.PENDING_CATALOG)

    response = admin_client.get("/admin/onboarding/onboarding/?age=stuck")

    assert list(response.context["cl"].queryset) == [stuck]
    assert "stuck since" in response.content.decode()


def test_cancel_action_calls_the_service(admin_client):
    onboarding = Onboarding.objects.create(
        store=StoreFactory(gett_store_id=None), status=Status.REGISTERING
    )

    response = admin_client.post(
        "/admin/onboarding/onboarding/",
        {"action": "cancel", "_selected_action": [onboarding.pk]},
        follow=True,
    )

    assert response.status_code == 200
    onboarding.refresh_from_db()
    assert onboarding.status == Status.CANCELLED
