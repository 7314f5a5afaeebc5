import pytest
from django.urls import reverse

from gett.sandbox.models import SandboxCall

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
