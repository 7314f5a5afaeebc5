import pytest
from django.urls import reverse

from gett.models import OutboundMessage
from portal.admin_site import PortalAdminSite, pks_valid
from tests.factories import StoreMessageFactory

pytestmark = pytest.mark.django_db


def test_the_admin_runs_on_our_site():
    from django.contrib import admin

    assert isinstance(admin.site, PortalAdminSite)


@pytest.mark.parametrize(
    ("values", "valid"),
    [
        (["1", "42", str(2**63 - 1)], True),
        ([], True),
        (["-1"], False),
        (["1.0"], False),
        (["١٢"], False),  # digits, but not ASCII ones
        ([str(2**63)], False),
        (["9" * 5000], False),
        (["\x00"], False),
    ],
)
def test_chosen_rows_must_be_integer_pks(values, valid):
    assert pks_valid(values) is valid


def test_an_action_on_tampered_rows_is_refused_in_words_and_a_real_one_still_runs(admin_client):
    message = StoreMessageFactory(state=OutboundMessage.State.FAILED, last_error="no")
    url = reverse("admin:gett_outboundmessage_changelist")

    refused = admin_client.post(
        url, {"action": "retry_failed", "_selected_action": [str(message.pk), "x"]}, follow=True
    )
    message.refresh_from_db()
    assert message.state == OutboundMessage.State.FAILED  # nothing done on a tampered choice
    done = admin_client.post(
        url, {"action": "retry_failed", "_selected_action": [str(message.pk)]}, follow=True
    )

    assert "Some of the chosen rows do not exist: choose them again." in refused.text
    assert refused.redirect_chain[0][1] == 302
    message.refresh_from_db()
    assert done.status_code == 200
    assert message.state == OutboundMessage.State.PENDING
