import datetime

import factory
from django.contrib.auth import get_user_model

from stores.models import Membership, Merchant, Store

PASSWORD = "correct-horse-battery"  # every user's


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Membership.Role.OWNER


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    phone = "+44 20 7946 0000"
    street = "1 High Street"
    city = "London"
    postal_code = "N1 1AA"
    country = "GB"
    timezone = "Europe/London"
    currency = "GBP"
    gett_store_id = factory.Faker("uuid4", cast_to=None)


# --- menus (catalogs) ---------------------------------------------------------------------------


class CatalogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.Catalog"

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Menu {n}")


class AvailabilityWindowFactory(factory.django.DjangoModelFactory):
    """Monday 11:00–22:00 unless told otherwise."""

    class Meta:
        model = "catalogs.AvailabilityWindow"

    catalog = factory.SubFactory(CatalogFactory)
    weekday = 0
    start = datetime.time(11)
    end = datetime.time(22)


class SectionFactory(factory.django.DjangoModelFactory):
    """A top-level section; for a sub-section pass `parent=...` and `catalog=None`."""

    class Meta:
        model = "catalogs.Section"

    catalog = factory.SubFactory(CatalogFactory)
    merchant = factory.LazyAttribute(
        lambda s: s.catalog.merchant if s.catalog is not None else s.parent.merchant
    )
    name = factory.Sequence(lambda n: f"Section {n}")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.Item"

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Item {n}")
    price = 1000


class SectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.SectionItem"

    section = factory.SubFactory(SectionFactory)
    item = factory.SubFactory(ItemFactory, merchant=factory.SelfAttribute("..section.merchant"))
    position = factory.Sequence(lambda n: n)


class ModifierGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.ModifierGroup"

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    min_selections = 0
    max_selections = 1


class ItemModifierGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.ItemModifierGroup"

    item = factory.SubFactory(ItemFactory)
    group = factory.SubFactory(
        ModifierGroupFactory, merchant=factory.SelfAttribute("..item.merchant")
    )
    position = factory.Sequence(lambda n: n)


class ModifierOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.ModifierOption"

    group = factory.SubFactory(ModifierGroupFactory)
    item = factory.SubFactory(ItemFactory, merchant=factory.SelfAttribute("..group.merchant"))
    position = factory.Sequence(lambda n: n)


class StoreCatalogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalogs.StoreCatalog"

    store = factory.SubFactory(StoreFactory)
    catalog = factory.SubFactory(CatalogFactory, merchant=factory.SelfAttribute("..store.merchant"))


class ItemSnoozeFactory(factory.django.DjangoModelFactory):
    """Snoozed until turned back on unless `until` is given."""

    class Meta:
        model = "catalogs.ItemSnooze"

    store = factory.SubFactory(StoreFactory)
    item = factory.SubFactory(ItemFactory, merchant=factory.SelfAttribute("..store.merchant"))
    until = None


class StoreMessageFactory(factory.django.DjangoModelFactory):
    """An outbox message about a store (its key and Gett id), a status change unless told."""

    class Meta:
        model = "gett.OutboundMessage"

    class Params:
        store = factory.SubFactory(StoreFactory)

    kind = "store.status"
    key = factory.LazyAttribute(lambda m: m.store.outbox_key)
    target_id = factory.LazyAttribute(lambda m: str(m.store.gett_store_id))
