"""Login lockout: repeated wrong passwords for one username from one address lock it out for a
while, on the merchant login and on the admin login, with a page that says when to try again."""

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-2026"


@pytest.fixture
def merchant_user(db):
    return User.objects.create_user("maria", "maria@example.com", PASSWORD)


@pytest.fixture
def partner_staff(db):
    return User.objects.create_superuser("partner", "partner@example.com", PASSWORD)


def _post(client: Client, url: str, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_wrong_passwords_lock_the_login_out_even_for_the_right_password(
    client, settings, merchant_user, partner_staff, url_name
):
    user = partner_staff if url_name == "admin:login" else merchant_user
    url = reverse(url_name)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post(client, url, user.username, "wrong").status_code == 200
    locked = _post(client, url, user.username, "wrong")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    # Now even the right password is refused, with the page that says what to do.
    response = _post(client, url, user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed log-ins" in page
    assert "15 minutes" in page
    assert reverse("password_reset") in page
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_lockout_is_per_username_and_address(client, settings, merchant_user):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post(client, url, "maria", "wrong", ip="203.0.113.7")
    # Another address, or another username from the same address, is not locked out.
    response = _post(Client(), url, "maria", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    other = User.objects.create_user("luigi", "luigi@example.com", PASSWORD)
    response = _post(Client(), url, other.username, PASSWORD, ip="203.0.113.7")
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, settings, merchant_user, time_machine):
    url = reverse("login")
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post(client, url, "maria", "wrong")
    assert _post(client, url, "maria", PASSWORD).status_code == 429
    time_machine.move_to("2026-11-30 10:16:00Z", tick=False)
    assert _post(client, url, "maria", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_earlier_failures(client, settings, merchant_user):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post(client, url, "maria", "wrong")
    assert _post(client, url, "maria", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post(client, url, "maria", "wrong")
    assert _post(client, url, "maria", PASSWORD).status_code == 302


def test_the_cache_handler_locks_out_too(client, settings, merchant_user):
    # Production with Redis keeps the attempts in the cache (shared by every web process).
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    AxesProxyHandler.get_implementation(force=True)
    try:
        url = reverse("login")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _post(client, url, "maria", "wrong")
        assert _post(client, url, "maria", PASSWORD).status_code == 429
    finally:
        settings.AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
        AxesProxyHandler.get_implementation(force=True)


def test_the_test_client_can_still_log_in(client, merchant_user):
    assert client.login(username="maria", password=PASSWORD)
