import uuid

import pytest

from gett.sandbox import services
from gett.sandbox.models import SandboxStore
from tests.sandbox.conftest import STORE_ID

pytestmark = pytest.mark.django_db


def test_store_provision_is_idempotent(store):
    again = services.store_provision(
        store_id=str(STORE_ID),
        partner_store_id="pos-store-0042",
        name="Pizza Roma",
        timezone="America/New_York",
    )

    assert again.pk == store.pk
    assert SandboxStore.objects.count() == 1


def test_store_provision_updates_metadata_and_keeps_the_status(store):
    store.status = "paused"
    store.reason = "too_busy"
    store.save()

    again = services.store_provision(
        store_id=STORE_ID, partner_store_id="pos-store-0042", name="Pizza Roma II"
    )

    again.refresh_from_db()
    assert again.name == "Pizza Roma II"
    assert (again.status, again.reason) == ("paused", "too_busy")


def test_store_provision_drops_unknown_address_members(db):
    store = services.store_provision(
        store_id=uuid.uuid4(),
        partner_store_id="pos-1",
        name="Deli",
        address={"street": "1 Main St", "city": "Springfield", "geo": [1, 2]},
    )

    assert store.address == {"street": "1 Main St", "city": "Springfield"}


def test_store_provision_refuses_a_partner_store_id_owned_by_another_store(store):
    with pytest.raises(ValueError, match="already provisioned"):
        services.store_provision(
            store_id=uuid.uuid4(), partner_store_id="pos-store-0042", name="Other"
        )


@pytest.mark.parametrize(
    "kwargs",
    [{"delivery_allowed": False, "pickup_allowed": False}, {"timezone": "Mars/Olympus_Mons"}],
)
def test_store_provision_rejects_invalid_metadata(db, kwargs):
    with pytest.raises(ValueError):
        services.store_provision(
            store_id=uuid.uuid4(), partner_store_id="pos-2", name="Deli", **kwargs
        )
