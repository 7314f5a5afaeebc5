"""Password-reset emails are rate limited per address and per client address, and every
request gets the same neutral answer, whether an email went out, was held back, or there is no
such account."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("password_reset")
DONE = reverse("password_reset_done")


@pytest.fixture
def maria(db):
    return User.objects.create_user("maria", "maria@example.com", "correct-horse-2026")


def _ask(client: Client, email: str, ip: str = "203.0.113.7"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=ip)


def test_ten_requests_in_a_second_send_at_most_three_emails_with_the_same_answer(client, maria):
    responses = [_ask(client, "maria@example.com") for _ in range(10)]

    assert len(mail.outbox) == 3
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {DONE}


def test_the_limit_is_per_email_address_whatever_its_case_and_whoever_asks(client, maria):
    for n in range(3):
        _ask(Client(), "maria@example.com", ip=f"198.51.100.{n}")
    response = _ask(Client(), "Maria@Example.COM", ip="198.51.100.99")

    assert response["Location"] == DONE
    assert len(mail.outbox) == 3


def test_another_account_still_gets_its_email(client, maria):
    User.objects.create_user("luigi", "luigi@example.com", "correct-horse-2026")
    for _ in range(5):
        _ask(client, "maria@example.com")
    _ask(client, "luigi@example.com", ip="198.51.100.1")

    assert [m.to for m in mail.outbox][-1] == ["luigi@example.com"]


def test_one_address_cannot_spray_resets_over_many_accounts(client):
    for n in range(30):
        User.objects.create_user(f"user{n}", f"user{n}@example.com", "correct-horse-2026")
    responses = [_ask(client, f"user{n}@example.com") for n in range(30)]

    assert len(mail.outbox) == 10
    assert {r["Location"] for r in responses} == {DONE}


def test_the_window_moves_on_after_an_hour(client, maria, time_machine):
    time_machine.move_to("2026-11-30 10:00:00Z", tick=False)
    for _ in range(5):
        _ask(client, "maria@example.com")
    time_machine.move_to("2026-11-30 11:01:00Z", tick=False)
    _ask(client, "maria@example.com")

    assert len(mail.outbox) == 4


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = _ask(client, "nobody@example.com")

    assert response["Location"] == DONE
    assert mail.outbox == []


def test_an_invalid_address_is_still_a_form_error(client):
    response = _ask(client, "not an email")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
