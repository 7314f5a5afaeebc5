"""Gett has a bad minute: the outbox keeps trying, the merchant sees it, and it gets through.

The sandbox's fault switch makes the next calls to the store-status endpoint fail; the real
worker backs off and retries over real HTTP until the change is delivered.
"""

import re

import pytest

from gett.models import OutboundMessage
from gett.sandbox.models import SandboxCall, SandboxStore
from gett.sandbox.services import fault_arm, store_provision
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_pause_sent_while_gett_fails_is_retried_until_gett_has_it(stack, browser):
    membership = MembershipFactory(role="manager", user__username="manager")
    store = StoreFactory(merchant=membership.merchant, name="Night Owl Noodles")
    store_provision(
        store_id=store.gett_store_id, partner_store_id=store.partner_store_id, name=store.name
    )
    fault_arm(endpoint="store-status", mode="status_503", count=2)

    page = browser.new_page()
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "manager")
    page.get_by_role("link", name=re.compile("Open store")).first.click()
    page.get_by_label("Reason").select_option("operational_issues")
    page.get_by_role("radio", name="Until I resume it").check()
    page.get_by_role("button", name="Pause store").click()

    # The panel shows the retries, then the delivery.
    page.locator("#sync").get_by_text("Delivered").first.wait_for()

    message = OutboundMessage.objects.get(key=store.outbox_key, kind="store.status")
    assert message.state == OutboundMessage.State.DELIVERED
    assert message.attempts == 3
    calls = SandboxCall.objects.filter(path__endswith=f"{store.gett_store_id}/status")
    assert [call.response_status for call in calls.order_by("created_at")] == [503, 503, 200]
    assert SandboxStore.objects.get(store_id=store.gett_store_id).status == "paused"
