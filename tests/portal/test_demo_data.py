import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from catalogs.models import CatalogVersion
from gett.models import OutboundMessage
from gett.sandbox.models import SandboxStore
from stores.models import Membership, Merchant, Store

pytestmark = pytest.mark.django_db


def test_demo_data_can_be_loaded_again_and_again_and_its_logins_work(settings, tmp_path):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Merchant.objects.count() == 1
    stores = list(Store.objects.all())
    assert len(stores) == 2
    assert len({store.timezone for store in stores}) == 2
    assert Membership.objects.filter(role="owner").count() == 1
    assert Membership.objects.filter(role="staff").count() == 1
    assert authenticate(username="owner", password="demo-owner-2026") is not None
    assert authenticate(username="staff", password="demo-staff-2026") is not None
    admin = authenticate(username="admin", password="demo-admin-2026")
    assert admin is not None and admin.is_staff
    for store in stores:
        gett_side = SandboxStore.objects.get(store_id=store.gett_store_id)
        assert gett_side.webhook_url == "http://127.0.0.1:8000/webhooks/gett"
        # The demo menu is published once, and Gett is told where to pull it.
        version = CatalogVersion.objects.get(store=store)
        notification = OutboundMessage.objects.get(key=store.outbox_key, kind="catalog.notify")
        assert notification.payload["callbackUrl"] == version.url
        assert version.counts["items"] > 10
