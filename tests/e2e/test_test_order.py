"""From a store page, a merchant asks the sandbox for a test order; the sandbox's worker sends
signed validateOrder/placeOrder calls to the portal over HTTP, and staff see every call."""

import json
import re
import time
from pathlib import Path

import pytest

from gett.sandbox.models import SandboxTestOrder, SandboxWebhookCall
from gett.sandbox.services import catalogset_seed, store_provision
from gett.signing import verify
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXAMPLE = Path(__file__).resolve().parents[1] / "payloads" / "catalogset.example.json"


def test_a_test_order_reaches_the_partner_signed_and_staff_see_both_calls(stack, browser, settings):
    membership = MembershipFactory(role="owner", user__username="boss", user__is_staff=True)
    store = StoreFactory(merchant=membership.merchant, name="Harbor Street Burgers")
    store_provision(
        store_id=store.gett_store_id,
        partner_store_id=store.partner_store_id,
        name=store.name,
        webhook_url=f"{stack['url']}/webhooks/gett",
    )
    catalogset_seed(partner_store_id=store.partner_store_id, document=_open_all_day(EXAMPLE))

    page = browser.new_page()
    page.set_default_timeout(20_000)
    log_in(page, stack["url"], "boss")
    page.get_by_role("link", name=re.compile("Open store")).first.click()
    page.get_by_label("What to send").select_option("valid")
    page.get_by_role("button", name="Send a test order").click()
    page.get_by_text("Test order sent").wait_for()

    test_order = SandboxTestOrder.objects.get()
    deadline = time.monotonic() + 20
    while not SandboxWebhookCall.objects.filter(test_order=test_order).exists():
        assert time.monotonic() < deadline, "the sandbox never called the webhook"
        time.sleep(0.2)

    # The merchant sees the outcome on the store page itself (it refreshes while it runs).
    page.reload()
    page.locator("#test-order-result").get_by_text("validateOrder").first.wait_for()

    page.get_by_role("link", name="What the sandbox sent and received").click()
    page.locator("#test-orders").get_by_role("link", name=f"#{test_order.pk}").click()
    page.get_by_text("validateOrder").first.wait_for()

    call = SandboxWebhookCall.objects.filter(test_order=test_order).first()
    assert call.url == f"{stack['url']}/webhooks/gett/validateOrder"
    assert verify(
        call.request_body.encode(),
        signature=call.request_headers["Signature"],
        timestamp=call.request_headers["Timestamp"],
        secrets=settings.GETT_WEBHOOK_SECRETS,
        tolerance=3600,
    )
    # Whatever the portal answered is recorded faithfully, status and body.
    assert call.response_status is not None
    assert str(call.response_status) in page.content()


def _open_all_day(path: Path) -> dict:
    """The example CatalogSet with its first catalog open round the clock: Gett builds test orders
    only from catalogs open now (REFERENCE §17.4), and this test runs at any hour."""
    document = json.loads(path.read_text())
    catalog = next(iter(document["catalogs"].values()))
    days = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
    catalog["availability"] = [
        {"dayOfWeek": day, "start": "00:00:00", "end": "00:00:00"} for day in days
    ]
    return document
