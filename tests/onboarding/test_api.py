import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from onboarding.models import Onboarding
from stores.models import Membership
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

Status = Onboarding.Status


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _url(store, action: str = "") -> str:
    return f"/api/v1/stores/{store.public_id}/onboarding/" + (f"{action}/" if action else "")


@pytest.fixture
def api(owner_membership) -> APIClient:
    return _api(owner_membership.user)


def test_start_then_status_and_history(api, new_store, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(_url(new_store), {"auto_activate": True}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "registering"
    assert response.json()["auto_activate"] is True
    assert queue.names() == ["onboarding_register"]  # never inline in the request
    body = api.get(_url(new_store)).json()
    assert body["current"]["status"] == "registering"
    assert [o["status"] for o in body["history"]] == ["registering"]


def test_a_second_start_is_a_409_problem(api, new_store, queue):
    api.post(_url(new_store), {}, format="json")

    response = api.post(_url(new_store), {}, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "already being put on Gett" in response.json()["detail"]


def test_a_store_without_a_menu_is_a_400_problem(api, owner_membership, queue):
    store = StoreFactory(merchant=owner_membership.merchant, gett_store_id=None)

    response = api.post(_url(store), {}, format="json")

    assert response.status_code == 400
    assert "Publish this store's menu first" in response.json()["detail"]


def test_activate_before_ready_is_a_409_problem(api, new_store, queue):
    api.post(_url(new_store), {}, format="json")

    response = api.post(_url(new_store, "activate"))

    assert response.status_code == 409
    assert "once Gett has accepted its menu" in response.json()["detail"]


def test_activate_without_any_onboarding_is_a_409_problem(api, new_store):
    response = api.post(_url(new_store, "activate"))

    assert response.status_code == 409
    assert "not been put on Gett yet" in response.json()["detail"]


def test_cancel_before_registration(api, new_store, queue):
    api.post(_url(new_store), {}, format="json")

    response = api.post(_url(new_store, "cancel"))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_staff_get_403_and_other_merchants_404(new_store, queue):
    staff = MembershipFactory(merchant=new_store.merchant, role=Membership.Role.STAFF)
    stranger = MembershipFactory()

    assert _api(staff.user).post(_url(new_store), {}, format="json").status_code == 403
    assert _api(stranger.user).get(_url(new_store)).status_code == 404
    assert not Onboarding.objects.exists()


def test_the_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    paths = schema["paths"]
    assert "post" in paths["/api/v1/stores/{public_id}/onboarding/"]
    assert "get" in paths["/api/v1/stores/{public_id}/onboarding/"]
    assert "/api/v1/stores/{public_id}/onboarding/activate/" in paths
    assert "/api/v1/stores/{public_id}/onboarding/cancel/" in paths
