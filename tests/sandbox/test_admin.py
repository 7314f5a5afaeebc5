import uuid

import pytest
from django.urls import reverse

from gett.sandbox import services, tasks
from gett.sandbox.models import (
    SandboxCall,
    SandboxCatalogIngestion,
    SandboxFault,
    SandboxOnboarding,
)

pytestmark = pytest.mark.django_db


def test_sandbox_store_admin_pages_load(admin_client, store):
    assert admin_client.get(reverse("admin:sandbox_sandboxstore_changelist")).status_code == 200
    search = admin_client.get(reverse("admin:sandbox_sandboxstore_changelist"), {"q": "Roma"})
    assert search.status_code == 200
    assert "Pizza Roma" in search.content.decode()
    change = admin_client.get(reverse("admin:sandbox_sandboxstore_change", args=[store.pk]))
    assert change.status_code == 200


def test_sandbox_call_admin_pages_load_read_only(admin_client, client, auth, store_url):
    client.get(store_url, headers=auth)
    call = SandboxCall.objects.get()

    assert admin_client.get(reverse("admin:sandbox_sandboxcall_changelist")).status_code == 200
    search = admin_client.get(
        reverse("admin:sandbox_sandboxcall_changelist"), {"q": call.request_id}
    )
    assert search.status_code == 200
    assert call.request_id in search.content.decode()
    change = admin_client.get(reverse("admin:sandbox_sandboxcall_change", args=[call.pk]))
    assert change.status_code == 200
    assert admin_client.get(reverse("admin:sandbox_sandboxcall_add")).status_code == 403


def _history_objects(store):
    onboarding = SandboxOnboarding.objects.create(
        partner_store_id="pos-store-0077",
        name="Harbor Street Burgers",
        catalog_callback_url="https://menus.pos.example.com/latest.json",
        webhook_url="https://api.pos.example.com/gett/webhooks",
    )
    ingestion = SandboxCatalogIngestion.objects.create(
        partner_store_id="pos-store-0077",
        callback_url="https://menus.pos.example.com/latest.json",
        onboarding=onboarding,
        status="failed",
        problems=[{"code": "SCHEMA", "message": "bad", "jsonPath": "$", "entityId": None}],
    )
    order = services.order_create(
        store=store,
        order_id=uuid.uuid4(),
        partner_order_id="PO-1001",
        cart={},
        amounts={},
        fulfillment_type="pickup",
    )
    fault = services.fault_arm(endpoint="*", mode="status_503", count=2)
    return {
        "sandboxonboarding": (onboarding, "pos-store-0077"),
        "sandboxcatalogingestion": (ingestion, "pos-store-0077"),
        "sandboxorder": (order, "PO-1001"),
        "sandboxorderevent": (order.events.get(), str(order.order_id)),
        "sandboxfault": (fault, "*"),
    }


@pytest.mark.parametrize(
    "model",
    [
        "sandboxonboarding",
        "sandboxcatalogingestion",
        "sandboxorder",
        "sandboxorderevent",
        "sandboxfault",
    ],
)
def test_new_sandbox_admin_pages_load(admin_client, store, model):
    obj, query = _history_objects(store)[model]

    changelist = reverse(f"admin:sandbox_{model}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": query}).status_code == 200
    change = admin_client.get(reverse(f"admin:sandbox_{model}_change", args=[obj.pk]))
    assert change.status_code == 200


@pytest.mark.parametrize(
    "model", ["sandboxonboarding", "sandboxcatalogingestion", "sandboxorder", "sandboxorderevent"]
)
def test_history_admins_are_read_only(admin_client, store, model):
    obj, _ = _history_objects(store)[model]

    assert admin_client.get(reverse(f"admin:sandbox_{model}_add")).status_code == 403
    change_url = reverse(f"admin:sandbox_{model}_change", args=[obj.pk])
    assert admin_client.post(change_url, {}).status_code == 403


def test_fault_admin_action_disarms_every_fault(admin_client, store):
    _history_objects(store)

    response = admin_client.post(
        reverse("admin:sandbox_sandboxfault_changelist"),
        {"action": "clear_all_faults", "_selected_action": [SandboxFault.objects.get().pk]},
    )

    assert response.status_code == 302
    assert not SandboxFault.objects.exists()


def test_test_order_admin_pages_load_read_only(admin_client, live_store):
    test_order = services.test_order_start(store=live_store, seed=5)
    tasks.sandbox_test_order_task(test_order.pk)
    test_order.refresh_from_db()
    call = test_order.calls.first()

    for model, obj, query in (
        ("sandboxtestorder", test_order, test_order.partner_order_id),
        ("sandboxwebhookcall", call, str(test_order.order_id)),
    ):
        changelist = reverse(f"admin:sandbox_{model}_changelist")
        assert admin_client.get(changelist).status_code == 200
        search = admin_client.get(changelist, {"q": query})
        assert search.status_code == 200
        assert f"/{obj.pk}/change/" in search.content.decode()
        assert (
            admin_client.get(reverse(f"admin:sandbox_{model}_change", args=[obj.pk])).status_code
            == 200
        )
        assert admin_client.get(reverse(f"admin:sandbox_{model}_add")).status_code == 403
