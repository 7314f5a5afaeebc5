import pytest

from tests.factories import MembershipFactory, StoreFactory


@pytest.fixture
def owner(db):
    return MembershipFactory(role="owner")


@pytest.fixture
def store(owner):
    return StoreFactory(merchant=owner.merchant)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client
