import pytest
from django.urls import reverse

from catalogs.models import (
    CatalogVersion,
    Item,
    PublishState,
    Trigger,
)
from catalogs.publishing.services import catalog_publish
from gett.models import OutboundMessage
from tests.factories import (
    AvailabilityWindowFactory,
    ItemModifierGroupFactory,
    ItemSnoozeFactory,
    ModifierGroupFactory,
    StoreCatalogFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def _objects(store, menu) -> dict:
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    return {
        "catalog": menu.lunch,
        "availabilitywindow": menu.lunch.windows.first(),
        "storecatalog": StoreCatalogFactory(store=store, catalog=menu.lunch),
        "section": menu.burgers,
        "sectionitem": menu.burgers.section_items.first(),
        "item": menu.burger,
        "itemsnooze": ItemSnoozeFactory(store=store, item=menu.cola),
        "modifiergroup": menu.toppings,
        "itemmodifiergroup": menu.burger.item_groups.first(),
        "modifieroption": menu.toppings.group_options.first(),
        "catalogversion": CatalogVersion.objects.get(store=store),
        "publishstate": PublishState.objects.get(store=store),
    }


MODELS = [
    "catalog",
    "availabilitywindow",
    "storecatalog",
    "section",
    "sectionitem",
    "item",
    "itemsnooze",
    "modifiergroup",
    "itemmodifiergroup",
    "modifieroption",
    "catalogversion",
    "publishstate",
]


@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_load(admin_client, store, menu, model):
    obj = _objects(store, menu)[model]

    changelist = reverse(f"admin:catalogs_{model}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "burger"}).status_code == 200
    change = reverse(f"admin:catalogs_{model}_change", args=[obj.pk])
    assert admin_client.get(change).status_code == 200
    if model != "catalogversion":
        assert admin_client.get(reverse(f"admin:catalogs_{model}_add")).status_code == 200


def test_item_search_finds_by_name(admin_client, store, menu):
    response = admin_client.get(reverse("admin:catalogs_item_changelist"), {"q": "Burger"})

    assert "Burger" in response.text
    assert "Cola" not in response.text


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_saving_an_item_in_the_admin_republishes_the_merchants_stores(
    admin_client, admin_user, store, menu, publishes, django_capture_on_commit_callbacks
):
    other = StoreFactory(merchant=store.merchant)
    StoreFactory()  # another merchant
    data = {
        "name": "Cola Zero",
        "description": "",
        "price": "320",
        **_inline_management("item_groups"),
        **_inline_management("snoozes"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:catalogs_item_change", args=[menu.cola.pk]), data
        )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    menu.cola.refresh_from_db()
    assert (menu.cola.name, menu.cola.price) == ("Cola Zero", 320)
    assert sorted(publishes) == sorted(
        [
            (store.pk, Trigger.ADMIN, admin_user.pk, 2.0),
            (other.pk, Trigger.ADMIN, admin_user.pk, 2.0),
        ]
    )


def test_deleting_in_the_admin_republishes(
    admin_client, store, menu, publishes, django_capture_on_commit_callbacks
):
    group = ModifierGroupFactory(merchant=store.merchant)
    ItemModifierGroupFactory(item=menu.cola, group=group)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:catalogs_modifiergroup_delete", args=[group.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.ADMIN)]


def test_bulk_delete_in_the_admin_republishes(
    admin_client, store, menu, publishes, django_capture_on_commit_callbacks
):
    window = AvailabilityWindowFactory(catalog=menu.late, weekday=5)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:catalogs_availabilitywindow_changelist"),
            {"action": "delete_selected", "_selected_action": [window.pk], "post": "yes"},
        )

    assert not type(window).objects.filter(pk=window.pk).exists()
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.ADMIN)]


def test_merchant_cannot_be_changed_on_existing_content(admin_client, menu):
    response = admin_client.get(reverse("admin:catalogs_item_change", args=[menu.cola.pk]))

    assert "merchant" not in response.context["adminform"].form.fields


def test_republish_action_publishes_or_renotifies(admin_client, admin_user, store, menu):
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)
    state = PublishState.objects.get(store=store)

    response = admin_client.post(
        reverse("admin:catalogs_publishstate_changelist"),
        {"action": "republish_menus", "_selected_action": [state.pk]},
        follow=True,
    )

    assert "Gett was told about menu version" in response.text
    assert OutboundMessage.objects.filter(kind="catalog.notify").count() == 2
    assert CatalogVersion.objects.count() == 1


def test_republish_action_reports_problems(admin_client, store):
    PublishState.objects.create(store=store)

    response = admin_client.post(
        reverse("admin:catalogs_publishstate_changelist"),
        {"action": "republish_menus", "_selected_action": [store.menu_publish_state.pk]},
        follow=True,
    )

    assert "menu not published, it has 1 problem(s)" in response.text
    change = admin_client.get(
        reverse("admin:catalogs_publishstate_change", args=[store.menu_publish_state.pk])
    )
    assert "NO_CATALOGS" in change.text


def test_adding_a_publish_state_publishes_that_store(admin_client, store, menu):
    response = admin_client.post(
        reverse("admin:catalogs_publishstate_add"), {"store": store.pk}, follow=True
    )

    assert response.status_code == 200
    version = CatalogVersion.objects.get(store=store)
    assert version.trigger == Trigger.REPUBLISH
    assert Item.objects.filter(merchant=store.merchant).count() == 9


def test_the_standalone_window_page_refuses_a_window_overlapping_the_catalogs_others(
    admin_client, menu
):
    # Lunch & Dinner is open 11:00–22:00 every day.
    monday = menu.lunch.windows.get(weekday=0)
    windows_before = list(menu.lunch.windows.values_list("weekday", "start", "end"))

    add = admin_client.post(
        reverse("admin:catalogs_availabilitywindow_add"),
        {"catalog": menu.lunch.pk, "weekday": 0, "start": "21:00", "end": "23:30"},
    )
    change = admin_client.post(
        reverse("admin:catalogs_availabilitywindow_change", args=[monday.pk]),
        {"catalog": menu.lunch.pk, "weekday": 1, "start": "08:00", "end": "12:00"},
    )

    for response in (add, change):
        assert response.status_code == 200  # the form again, with the reason
        assert "overlap or touch" in response.content.decode()
    assert list(menu.lunch.windows.values_list("weekday", "start", "end")) == windows_before


def test_the_standalone_window_page_saves_a_window_that_fits_and_republishes(
    admin_client, admin_user, store, menu, publishes, django_capture_on_commit_callbacks
):
    monday = menu.lunch.windows.get(weekday=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:catalogs_availabilitywindow_change", args=[monday.pk]),
            {"catalog": menu.lunch.pk, "weekday": 0, "start": "10:00", "end": "22:00"},
        )

    assert response.status_code == 302
    monday.refresh_from_db()
    assert (monday.start.hour, monday.end.hour) == (10, 22)
    assert publishes == [(store.pk, Trigger.ADMIN, admin_user.pk, 2.0)]


def test_the_catalog_page_refuses_overlapping_windows_in_its_inline(admin_client, menu):
    catalog = menu.lunch
    windows = list(catalog.windows.order_by("weekday"))
    data = {
        "merchant": catalog.merchant_id,
        "name": catalog.name,
        "description": catalog.description,
        "position": catalog.position,
        "windows-TOTAL_FORMS": len(windows) + 1,
        "windows-INITIAL_FORMS": len(windows),
        "windows-MIN_NUM_FORMS": 0,
        "windows-MAX_NUM_FORMS": 1000,
        "sections-TOTAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000,
    }
    for index, window in enumerate(windows):
        data |= {
            f"windows-{index}-id": window.pk,
            f"windows-{index}-catalog": catalog.pk,
            f"windows-{index}-weekday": window.weekday,
            f"windows-{index}-start": "11:00",
            f"windows-{index}-end": "22:00",
        }
    new = len(windows)
    data |= {
        f"windows-{new}-catalog": catalog.pk,
        f"windows-{new}-weekday": 2,
        f"windows-{new}-start": "22:00",
        f"windows-{new}-end": "23:00",
    }

    response = admin_client.post(reverse("admin:catalogs_catalog_change", args=[catalog.pk]), data)

    assert response.status_code == 200
    assert "overlap or touch" in response.content.decode()
    assert catalog.windows.count() == len(windows)
