"""API throttles: bad tokens per client address, authenticated calls per user (a generous
rate); Gett's signed webhooks are never throttled by them."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

STORES = reverse("api:store-list")
ATTACKER = "203.0.113.66"


def test_a_hundred_bad_tokens_from_one_address_are_throttled_with_problem_json():
    client = APIClient(REMOTE_ADDR=ATTACKER)
    statuses = [
        client.get(STORES, HTTP_AUTHORIZATION=f"Token bad{n:037d}").status_code for n in range(100)
    ]

    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert statuses.count(429) >= 70
    response = client.get(STORES, HTTP_AUTHORIZATION="Token another-bad-one")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert int(response["Retry-After"]) > 0


def test_bad_tokens_from_one_address_do_not_throttle_another(owner):
    token = Token.objects.create(user=owner.user)
    attacker = APIClient(REMOTE_ADDR=ATTACKER)
    for n in range(60):
        attacker.get(STORES, HTTP_AUTHORIZATION=f"Token bad{n}")

    merchant = APIClient(REMOTE_ADDR="198.51.100.5")
    response = merchant.get(STORES, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_normal_authenticated_use_is_not_throttled(owner):
    token = Token.objects.create(user=owner.user)
    client = APIClient(REMOTE_ADDR="198.51.100.5")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    statuses = {client.get(STORES).status_code for _ in range(300)}

    assert statuses == {200}


def test_each_user_has_a_rate_of_its_own(owner):
    other = MembershipFactory(role="owner")
    first, second = APIClient(), APIClient()
    first.force_authenticate(owner.user)
    second.force_authenticate(other.user)
    # Use up the first user's minute without making 1,200 requests.
    throttle = UserRateThrottle()
    key = throttle.cache_format % {"scope": "user", "ident": owner.user.pk}
    cache.set(key, [throttle.timer()] * throttle.num_requests, 60)

    assert throttle.num_requests == 1200
    response = first.get(STORES)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert second.get(STORES).status_code == 200


def test_gett_webhooks_are_not_throttled_by_the_api_limits(client):
    # Signed by Gett and checked per request: a flood of unsigned ones is 401 each time, never
    # a 429 that would make Gett retry a real order later.
    statuses = {
        client.post(
            reverse("webhooks:validate-order"),
            b"{}",
            content_type="application/json",
            REMOTE_ADDR=ATTACKER,
        ).status_code
        for _ in range(150)
    }

    assert statuses == {401}


def test_the_health_checks_are_public_and_not_throttled(client):
    statuses = {client.get("/healthz", REMOTE_ADDR=ATTACKER).status_code for _ in range(150)}

    assert statuses == {200}
