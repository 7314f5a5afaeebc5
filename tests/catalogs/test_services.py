from datetime import time

import pytest
from django.core.exceptions import ValidationError

from catalogs import services
from catalogs.models import AvailabilityWindow, Section, SectionItem, StoreCatalog, Trigger
from catalogs.publishing.builder import catalog_build, catalog_validate
from portal.exceptions import PortalError
from tests.catalogs.menus import pid
from tests.factories import (
    CatalogFactory,
    ItemFactory,
    MerchantFactory,
    ModifierGroupFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _published(publishes) -> list[tuple]:
    return sorted(call[:2] for call in publishes)


def test_building_a_menu_with_the_services(store, publishes, commit):
    merchant = store.merchant
    user = UserFactory()
    with commit():
        lunch = services.catalog_create(merchant=merchant, name="Lunch", user=user)
        services.catalog_windows_set(
            catalog=lunch, windows=[(day, time(11), time(15)) for day in range(7)], user=user
        )
        mains = services.section_create(merchant=merchant, name="Mains", catalog=lunch)
        pies = services.section_create(merchant=merchant, name="Pies", parent=mains)
        pie = services.item_create(merchant=merchant, name="Pie", price=900)
        mash = services.item_create(merchant=merchant, name="Mash", price=0)
        peas = services.item_create(merchant=merchant, name="Peas", price=50)
        side = services.group_create(
            merchant=merchant, name="Side", min_selections=1, max_selections=1
        )
        services.group_options_set(group=side, items=[peas, mash, peas])
        services.item_groups_set(item=pie, groups=[side])
        services.section_items_set(section=pies, items=[pie])
        services.item_price_set(item=pie, price=950)

    doc = catalog_build(store=store)
    assert catalog_validate(store=store, document=doc) == []
    assert doc["catalogs"][pid(lunch)]["sectionIds"] == [pid(mains)]
    assert doc["sections"][pid(mains)]["sectionIds"] == [pid(pies)]
    assert doc["modifierGroups"][pid(side)]["itemIds"] == [pid(peas), pid(mash)]
    assert doc["items"][pid(pie)]["basePrice"] == 9.5
    assert len(doc["catalogs"][pid(lunch)]["availability"]) == 7
    # One publish for the whole burst, recorded with the first change's trigger and user.
    assert publishes == [(store.pk, Trigger.EDITOR, user.pk, 2.0)]


def test_catalog_changes_reach_only_the_stores_selling_it(publishes, commit):
    merchant = MerchantFactory()
    breakfast_only, everything = StoreFactory(merchant=merchant), StoreFactory(merchant=merchant)
    breakfast = CatalogFactory(merchant=merchant, name="Breakfast")
    dinner = CatalogFactory(merchant=merchant, name="Dinner")
    services.store_catalogs_set(store=breakfast_only, catalogs=[breakfast])

    with commit():
        services.catalog_update(catalog=dinner, name="Supper", description="")

    assert _published(publishes) == [(everything.pk, Trigger.EDITOR)]


def test_section_changes_reach_the_stores_of_its_catalog(publishes, commit):
    merchant = MerchantFactory()
    store, other = StoreFactory(merchant=merchant), StoreFactory(merchant=merchant)
    breakfast = CatalogFactory(merchant=merchant)
    dinner = CatalogFactory(merchant=merchant)
    StoreCatalog.objects.create(store=other, catalog=dinner)
    top = services.section_create(merchant=merchant, name="Eggs", catalog=breakfast)
    sub = services.section_create(merchant=merchant, name="Omelettes", parent=top)

    with commit():
        services.section_update(section=sub, name="Omelets", description="")

    assert _published(publishes) == [(store.pk, Trigger.EDITOR)]


def test_moving_a_section_republishes_both_sides(publishes, commit):
    merchant = MerchantFactory()
    store, other = StoreFactory(merchant=merchant), StoreFactory(merchant=merchant)
    breakfast, dinner = CatalogFactory(merchant=merchant), CatalogFactory(merchant=merchant)
    services.store_catalogs_set(store=store, catalogs=[breakfast])
    services.store_catalogs_set(store=other, catalogs=[dinner])
    section = services.section_create(merchant=merchant, name="Eggs", catalog=breakfast)

    with commit():
        services.section_move(section=section, catalog=dinner)

    assert _published(publishes) == sorted([(store.pk, "editor"), (other.pk, "editor")])


def test_a_section_cannot_move_inside_itself():
    merchant = MerchantFactory()
    catalog = CatalogFactory(merchant=merchant)
    top = services.section_create(merchant=merchant, name="Top", catalog=catalog)
    child = services.section_create(merchant=merchant, name="Child", parent=top)

    with pytest.raises(ValidationError):
        services.section_move(section=top, parent=child)
    with pytest.raises(ValueError):
        services.section_create(merchant=merchant, name="Nowhere")
    top.refresh_from_db()
    assert top.catalog == catalog


def test_menus_do_not_mix_merchants(store):
    stranger = ItemFactory()
    group = ModifierGroupFactory(merchant=store.merchant)
    catalog = CatalogFactory(merchant=store.merchant)
    section = services.section_create(merchant=store.merchant, name="S", catalog=catalog)

    with pytest.raises(ValueError):
        services.section_items_set(section=section, items=[stranger])
    with pytest.raises(ValueError):
        services.group_options_set(group=group, items=[stranger])
    with pytest.raises(ValueError):
        services.store_catalogs_set(store=store, catalogs=[CatalogFactory()])
    with pytest.raises(ValidationError):
        services.section_create(merchant=store.merchant, name="S", catalog=CatalogFactory())
    assert not SectionItem.objects.exists()


@pytest.mark.parametrize(
    "windows",
    [
        [(0, time(10), time(14)), (0, time(12), time(16))],  # overlap
        [(0, time(10), time(14)), (0, time(14), time(16))],  # touch
        [(0, time(10), time(14)), (0, time(10), time(14))],  # twice
        [(0, time(0), time(0)), (0, time(9), time(10))],  # inside a whole day
        [(0, time(22), time(2)), (1, time(1), time(3))],  # past midnight into the next day
        [(6, time(22), time(2)), (0, time(1), time(3))],  # Sunday night into Monday
        [(0, time(22), time(2)), (1, time(2), time(5))],  # touching at 02:00: one window
    ],
)
def test_overlapping_or_touching_opening_hours_are_refused(store, windows):
    catalog = CatalogFactory(merchant=store.merchant)
    AvailabilityWindow.objects.create(catalog=catalog, weekday=2, start=time(9), end=time(17))

    with pytest.raises(PortalError, match="overlap or touch|twice") as caught:
        services.catalog_windows_set(catalog=catalog, windows=windows)

    assert caught.value.field == "windows"
    assert list(catalog.windows.values_list("weekday", flat=True)) == [2]  # unchanged


@pytest.mark.parametrize(
    "windows",
    [
        [(day, time(0), time(0)) for day in range(7)],  # 24/7, as Gett asks for it
        [(4, time(22), time(0)), (5, time(0), time(2))],  # Gett's own split-at-midnight example
        [(0, time(9), time(0)), (1, time(0), time(0)), (2, time(0), time(17))],  # Mon 9 to Wed 17
        [(6, time(20), time(0)), (0, time(0), time(3))],  # Sunday night into Monday, split
    ],
)
def test_windows_meeting_at_midnight_run_on_across_days(store, windows):
    """A window can only end at a day's end: Gett's 24/7 is seven whole days, and a night
    across midnight may be written as two windows. Days meeting at midnight are not "touching"."""
    catalog = CatalogFactory(merchant=store.merchant)

    services.catalog_windows_set(catalog=catalog, windows=windows)

    assert catalog.windows.count() == len(windows)


def test_separate_windows_on_one_day_or_next_days_are_fine(store):
    catalog = CatalogFactory(merchant=store.merchant)
    windows = [
        (0, time(10), time(14)),
        (0, time(17), time(22)),
        (1, time(10), time(14)),
        (4, time(22), time(2)),
        (5, time(3), time(4)),
    ]

    services.catalog_windows_set(catalog=catalog, windows=windows)

    assert catalog.windows.count() == 5


@pytest.mark.parametrize("price", [-1, 1_000_000_000, 1_000_000_000_249])
def test_item_prices_stay_within_the_bounds(store, price):
    item = ItemFactory(merchant=store.merchant, price=100)

    with pytest.raises(PortalError) as caught:
        services.item_price_set(item=item, price=price)
    with pytest.raises(PortalError):
        services.item_create(merchant=store.merchant, name="X", price=price)

    assert caught.value.field == "price"
    item.refresh_from_db()
    assert item.price == 100


def test_windows_and_groups_are_checked(store):
    catalog = CatalogFactory(merchant=store.merchant)
    with pytest.raises(ValidationError):
        services.catalog_windows_set(catalog=catalog, windows=[(0, time(9), time(9))])
    with pytest.raises(ValidationError):
        services.catalog_windows_set(catalog=catalog, windows=[(7, time(9), time(10))])
    with pytest.raises(ValidationError):
        services.group_create(merchant=store.merchant, name="G", min_selections=2, max_selections=1)
    with pytest.raises(PortalError):
        services.item_price_set(item=ItemFactory(merchant=store.merchant), price=-1)

    # Overnight and whole-day windows are fine.
    services.catalog_windows_set(
        catalog=catalog, windows=[(4, time(22), time(2)), (6, time(0), time(0))]
    )
    assert AvailabilityWindow.objects.filter(catalog=catalog).count() == 2


def test_deletes_republish_the_stores_that_had_it(store, menu, publishes, commit):
    with commit():
        services.item_delete(item=menu.cola)
        services.section_delete(section=menu.snacks)
        services.group_delete(group=menu.bacon_style)
        services.catalog_delete(catalog=menu.late)

    assert _published(publishes) == [(store.pk, Trigger.EDITOR)]
    assert not Section.objects.filter(pk=menu.snacks.pk).exists()
    doc = catalog_build(store=store)
    assert pid(menu.cola) not in doc["items"] and pid(menu.late) not in doc["catalogs"]


def test_trigger_and_user_are_passed_through(store, menu, publishes, commit):
    user = UserFactory()
    with commit():
        services.item_update(item=menu.cola, name="Pop", description="", user=user, trigger="api")

    assert publishes == [(store.pk, "api", user.pk, 2.0)]
