import pytest
from django.urls import reverse

from gett.models import InboundWebhook
from tests.orders.placing import place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]


def test_order_admin_pages_load_with_lines_and_events(admin_client, client, shop, menu):
    order = place(client, shop, menu, fulfillment="delivery")

    changelist = reverse("admin:orders_order_changelist")
    assert admin_client.get(changelist).status_code == 200
    for query in (order.partner_order_id, order.gett_order_id, "reyes", "+12175550148"):
        response = admin_client.get(changelist, {"q": query})
        assert list(response.context["cl"].result_list) == [order], query
    response = admin_client.get(changelist, {"state__exact": "open", "status__exact": "pending"})
    assert list(response.context["cl"].result_list) == [order]

    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Crispy" in text and "No onions" in text  # the lines inline
    assert "Placed by Gett" in text  # the events inline
    assert "Status messages to Gett" in text
    assert 'name="_save"' not in text  # read-only: Gett's data, our timeline


def test_order_admin_cannot_add_or_delete_orders(admin_client, client, shop, menu):
    order = place(client, shop, menu)

    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    )


def test_order_counter_admin_pages_load(admin_client, client, shop, menu):
    place(client, shop, menu)

    changelist = reverse("admin:orders_ordercounter_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": shop.merchant.name}).status_code == 200
    counter = shop.merchant.ordercounter
    assert (
        admin_client.get(reverse("admin:orders_ordercounter_change", args=[counter.pk])).status_code
        == 200
    )


def test_inbound_webhook_admin_pages_load(admin_client, client, shop, menu):
    order = place(client, shop, menu)
    call = InboundWebhook.objects.get()

    changelist = reverse("admin:gett_inboundwebhook_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": order.gett_order_id})
    assert list(response.context["cl"].result_list) == [call]
    response = admin_client.get(changelist, {"q": str(shop.gett_store_id)})
    assert list(response.context["cl"].result_list) == [call]
    response = admin_client.get(
        changelist, {"operation__exact": "place", "status": "200", "signature_ok__exact": "1"}
    )
    assert list(response.context["cl"].result_list) == [call]
    response = admin_client.get(reverse("admin:gett_inboundwebhook_change", args=[call.pk]))
    assert response.status_code == 200
    assert order.partner_order_id in response.text  # our reply
    assert 'name="_save"' not in response.text
