import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stores.models import Membership
from tests.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

URL = reverse("stores:api-tokens")
REVOKE_URL = reverse("stores:api-token-revoke")


def test_owners_find_the_api_tokens_page_in_the_account_menu(owner_client):
    content = owner_client.get(reverse("stores:dashboard")).content.decode()

    assert f'href="{URL}"' in content


def test_a_user_without_a_token_is_offered_one(owner_client):
    response = owner_client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "You have no API token." in content
    assert f'<form method="post" action="{URL}">' in content
    assert "csrfmiddlewaretoken" in content


def test_creating_a_token_shows_it_once_then_only_its_prefix(owner_client, owner):
    created = owner_client.post(URL)

    token = Token.objects.get(user=owner.user)
    assert created.status_code == 200
    assert token.key in created.content.decode()
    assert "shown only this once" in created.content.decode()

    later = owner_client.get(URL).content.decode()
    assert token.key not in later
    assert f"{token.key[:8]}…" in later
    assert REVOKE_URL in later


def test_the_new_token_works_on_the_api(owner_client, owner):
    store = StoreFactory(merchant=owner.merchant)
    owner_client.post(URL)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=owner.user).key}")

    assert api.get(f"/api/v1/stores/{store.public_id}/").status_code == 200


def test_a_second_token_is_refused_until_the_first_is_revoked(owner_client, owner):
    first = Token.objects.create(user=owner.user)

    response = owner_client.post(URL, follow=True)

    assert "Revoke it first" in response.content.decode()
    assert list(Token.objects.filter(user=owner.user)) == [first]


def test_revoking_deletes_the_token(owner_client, owner):
    Token.objects.create(user=owner.user)
    other = Token.objects.create(user=MembershipFactory().user)

    response = owner_client.post(REVOKE_URL, follow=True)

    assert response.status_code == 200
    assert "API token revoked" in response.content.decode()
    assert not Token.objects.filter(user=owner.user).exists()
    assert Token.objects.filter(pk=other.pk).exists()


def test_managers_may_manage_their_token(client):
    manager = MembershipFactory(role=Membership.Role.MANAGER)
    client.force_login(manager.user)

    assert client.post(URL).status_code == 200
    assert Token.objects.filter(user=manager.user).exists()


@pytest.mark.parametrize(("method", "url"), [("get", URL), ("post", URL), ("post", REVOKE_URL)])
def test_staff_get_a_403(client, method, url):
    staff = MembershipFactory(role=Membership.Role.STAFF)
    Token.objects.create(user=staff.user)
    client.force_login(staff.user)

    response = getattr(client, method)(url)

    assert response.status_code == 403
    assert "manage API tokens" in response.content.decode()
    assert Token.objects.filter(user=staff.user).count() == 1
    dashboard = client.get(reverse("stores:dashboard")).content.decode()
    assert f'href="{URL}"' not in dashboard


def test_token_actions_need_the_csrf_token(owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.user)

    assert client.post(URL).status_code == 403
    assert not Token.objects.filter(user=owner.user).exists()


def test_the_page_needs_a_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
