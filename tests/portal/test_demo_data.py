import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from catalogs.models import CatalogVersion
from gett.models import OutboundMessage
from onboarding.models import Onboarding
from stores.models import Membership, Merchant, Store

pytestmark = pytest.mark.django_db


def test_demo_data_refuses_to_run_without_debug(settings):
    # Its logins have published passwords (one is a superuser): never on a production database.
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not User.objects.exists()
    assert not Merchant.objects.exists()


def test_demo_data_can_be_loaded_again_and_again_and_its_logins_work(settings, tmp_path):
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Merchant.objects.count() == 1
    stores = list(Store.objects.order_by("name"))
    assert [s.name for s in stores] == [
        "Bella Napoli — Brooklyn",
        "Bella Napoli — Shoreditch",
        "Bella Napoli — Soho",
    ]
    assert len({store.timezone for store in stores}) == 2
    assert Membership.objects.filter(role="owner").count() == 1
    assert Membership.objects.filter(role="staff").count() == 1
    assert authenticate(username="owner", password="demo-owner-2026") is not None
    assert authenticate(username="staff", password="demo-staff-2026") is not None
    admin = authenticate(username="admin", password="demo-admin-2026")
    assert admin is not None and admin.is_staff
    for store in stores:
        # Every store starts off Gett, with its menu published once (nothing to notify yet:
        # Gett pulls it from the callback URL it is given at registration).
        assert store.gett_store_id is None
        version = CatalogVersion.objects.get(store=store)
        assert version.counts["items"] > 10
        assert not OutboundMessage.objects.filter(key=store.outbox_key).exists()
    # Two go on Gett the way a merchant's would (the worker takes it from here); one waits
    # for someone to try the wizard. Loading again starts nothing twice.
    onboardings = Onboarding.objects.order_by("store__name")
    assert [(o.store.name, o.status, o.auto_activate) for o in onboardings] == [
        ("Bella Napoli — Brooklyn", "registering", True),
        ("Bella Napoli — Soho", "registering", True),
    ]
    assert onboardings[0].request["webhookUrl"] == "http://127.0.0.1:8000/webhooks/gett"
