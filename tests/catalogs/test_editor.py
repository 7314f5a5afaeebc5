"""The merchant menu editor at /menu/ (catalogs.editor.views).

Publishing is recorded, never run: `catalog_publish_task.apply_async` is replaced by the autouse
`publishes` recorder of tests/catalogs/conftest.py, which records (store_id, trigger, user_id,
countdown) for each publish handed to Celery.
"""

import io
import re
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from catalogs.models import (
    AvailabilityWindow,
    Catalog,
    Item,
    ItemModifierGroup,
    ModifierGroup,
    ModifierOption,
    Section,
    SectionItem,
    StoreCatalog,
)
from catalogs.publishing.services import catalog_publish
from stores.models import Membership
from tests.catalogs.menus import build_menu
from tests.factories import (
    CatalogFactory,
    ItemFactory,
    ItemModifierGroupFactory,
    MembershipFactory,
    ModifierGroupFactory,
    ModifierOptionFactory,
    SectionFactory,
    SectionItemFactory,
    StoreCatalogFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(name: str, *args) -> str:
    return reverse(f"menu:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def region(html: str, element_id: str) -> str:
    """The HTML of the element with this id (up to its matching closing tag)."""
    start = html.rfind("<", 0, html.index(f'id="{element_id}"'))
    name = re.match(r"<(\w+)", html[start:]).group(1)
    depth = 0
    for tag in re.finditer(rf"<(/?){name}\b", html[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return html[start : start + tag.end()]
    raise AssertionError(f"#{element_id} is not closed")


def words(html: str) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" :", ":")


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def hours_data(rows: list[tuple[str, str, str]], initial: int = 0, **extra) -> dict:
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": str(initial),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (day, start, end) in enumerate(rows):
        data |= {f"hours-{i}-day": day, f"hours-{i}-start": start, f"hours-{i}-end": end}
    return data | extra


# --- overview -----------------------------------------------------------------------------------


def test_overview_shows_the_tree_with_prices_hours_and_stores(owner_client, store, menu):
    response = owner_client.get(url("overview"))

    assert response.status_code == 200
    html = text(response)
    lunch = region(html, f"catalog-{menu.lunch.public_id}")
    assert "Lunch &amp; Dinner" in lunch
    assert "Every day 11:00–22:00" in lunch
    assert store.name in lunch
    # Sections say how many items they hold; their items come on demand (see
    # test_editor_big_menu.py), so the page stays small whatever the menu's size.
    burgers = region(html, f"section-{menu.burgers.public_id}")
    assert "1 item" in words(burgers)
    assert f"?section={menu.burgers.public_id}" in burgers
    late = region(html, f"catalog-{menu.late.public_id}")
    assert "Fri 22:00–02:00 (past midnight)" in late
    assert "Size" in region(html, f"group-{menu.size.public_id}")
    assert "Prices are in GBP." in html
    # Modifier options are in no section: counted apart, and listed by the "none" filter.
    assert "6 items" in words(region(html, "unlisted"))
    unlisted = text(owner_client.get(url("overview"), {"section": "none"}))
    assert "Crispy" in region(unlisted, "menu-body")
    burger_list = text(owner_client.get(url("overview"), {"section": menu.burgers.public_id}))
    assert "Burger" in region(burger_list, "menu-body")
    assert "14.50 GBP" in region(burger_list, "menu-body")


def test_overview_links_to_the_csv_import_and_export(owner_client, store, menu):
    html = text(owner_client.get(url("overview")))

    assert reverse("menu-csv:import") in html
    assert reverse("menu-csv:export") in html


def test_overview_shows_plain_numbers_when_stores_use_different_currencies(
    owner_client, store, menu
):
    StoreFactory(merchant=store.merchant, currency="USD")

    html = text(owner_client.get(url("overview")))

    assert "14.50 GBP" not in html
    assert "14.50" in html
    assert "different currencies (GBP, USD)" in html


def test_overview_without_a_menu_invites_to_create_the_first_catalog(owner_client, store):
    response = owner_client.get(url("overview"))

    assert response.status_code == 200
    assert "No menu yet — create your first catalog" in text(response)
    assert url("catalog-create") in text(response)


def test_overview_says_which_stores_sell_a_catalog(owner_client, store, menu):
    other = StoreFactory(merchant=store.merchant, name="Brooklyn")
    StoreCatalogFactory(store=other, catalog=menu.late)

    html = text(owner_client.get(url("overview")))

    assert "Brooklyn" not in region(html, f"catalog-{menu.lunch.public_id}")
    assert "Brooklyn" in region(html, f"catalog-{menu.late.public_id}")


def test_publish_problems_are_shown_next_to_the_entity_they_name(owner_client, store, menu):
    store.name = "Brooklyn"
    store.save()
    sauce = ModifierGroupFactory(
        merchant=store.merchant, name="Sauce", min_selections=1, max_selections=1
    )
    ItemModifierGroupFactory(item=menu.burger, group=sauce)
    catalog_publish(store_id=store.pk, trigger="editor")

    html = text(owner_client.get(url("overview")))

    assert "Brooklyn: not published — 1 problem" in words(html)
    group_html = region(html, f"group-{sauce.public_id}")
    assert "requires 1 selection but has no options" in group_html
    assert url("group-edit", sauce.public_id) in group_html
    assert "has no options" not in region(html, f"group-{menu.size.public_id}")
    assert "has no options" not in region(html, f"catalog-{menu.lunch.public_id}")
    # ...and on the group's own page.
    assert "requires 1 selection" in text(owner_client.get(url("group-edit", sauce.public_id)))


def test_a_valid_menu_shows_as_published_without_problems(owner_client, store, menu):
    catalog_publish(store_id=store.pk, trigger="editor")

    html = text(owner_client.get(url("overview")))

    assert f"{store.name}: published — no problems" in words(html)


def test_overview_query_count_does_not_grow_with_the_menu(owner_client, store):
    def menu_of(count: int) -> int:
        Catalog.objects.filter(merchant=store.merchant).delete()
        Item.objects.filter(merchant=store.merchant).delete()
        ModifierGroup.objects.filter(merchant=store.merchant).delete()
        catalog = CatalogFactory(merchant=store.merchant)
        section = SectionFactory(catalog=catalog)
        child = SectionFactory(catalog=None, parent=section)
        group = ModifierGroupFactory(merchant=store.merchant)
        for i in range(count):
            item = ItemFactory(merchant=store.merchant)
            SectionItemFactory(section=section if i % 2 else child, item=item)
            ItemModifierGroupFactory(item=item, group=group)
            ModifierOptionFactory(group=group, item=ItemFactory(merchant=store.merchant))
        catalog_publish(store_id=store.pk, trigger="editor")
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(url("overview"))
        assert response.status_code == 200
        return len(queries)

    assert menu_of(5) == menu_of(50)


# --- search -----------------------------------------------------------------------------------


def test_search_finds_items_by_name_or_description_ignoring_case(owner_client, store, menu):
    menu.cola.description = "Ice COLD fizzy drink"
    menu.cola.save()

    by_name = text(owner_client.get(url("overview"), {"q": "burg"}))
    by_description = text(owner_client.get(url("overview"), {"q": "cold"}))

    assert "1 item matching “burg”" in by_name
    assert "Lunch &amp; Dinner › Mains › Burgers" in region(by_name, "menu-body")
    assert "Fries" not in region(by_name, "menu-body")
    assert "Cola" in region(by_description, "menu-body")
    assert "Lunch &amp; Dinner › Drinks" in region(by_description, "menu-body")


def test_search_with_htmx_returns_only_the_results(owner_client, store, menu):
    response = owner_client.get(url("overview"), {"q": "fries"}, headers=HTMX)

    html = text(response)
    assert html.lstrip().startswith('<div id="menu-body"')
    assert "Fries" in html
    assert "<html" not in html


def test_search_without_matches_says_so(owner_client, store, menu):
    html = text(owner_client.get(url("overview"), {"q": "sushi"}))

    assert "No item’s name or description contains “sushi”" in html


# --- every page ---------------------------------------------------------------------------------


def _pages(menu):
    return [
        url("overview"),
        url("catalog-create"),
        url("catalog-edit", menu.lunch.public_id),
        url("catalog-delete", menu.lunch.public_id),
        url("section-create"),
        url("section-create") + f"?catalog={menu.lunch.public_id}",
        url("section-create") + f"?parent={menu.mains.public_id}",
        url("section-edit", menu.burgers.public_id),
        url("section-delete", menu.mains.public_id),
        url("item-create"),
        url("item-create") + f"?section={menu.drinks.public_id}",
        url("item-edit", menu.burger.public_id),
        url("item-delete", menu.bacon.public_id),
        url("group-create"),
        url("group-edit", menu.size.public_id),
        url("group-delete", menu.size.public_id),
        url("bulk-price") + f"?item={menu.burger.public_id}&item={menu.cola.public_id}",
    ]


def test_every_page_renders_with_a_way_back_to_the_menu(owner_client, store, menu):
    for page in _pages(menu):
        response = owner_client.get(page)
        assert response.status_code == 200, page
        assert f'href="{url("overview")}' in text(response), page


def test_the_top_bar_links_to_the_menu_for_editors_only(client, store):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    manager = MembershipFactory(merchant=store.merchant, role=Membership.Role.MANAGER)

    client.force_login(manager.user)
    assert f'href="{url("overview")}"' in text(client.get(reverse("stores:dashboard")))
    client.force_login(staff.user)
    assert f'href="{url("overview")}"' not in text(client.get(reverse("stores:dashboard")))


# --- catalogs -----------------------------------------------------------------------------------


def test_create_a_catalog_with_hours_and_stores(owner_client, store):
    breakfast = CatalogFactory(merchant=store.merchant, name="Breakfast")
    other = StoreFactory(merchant=store.merchant)
    data = hours_data(
        [("weekdays", "11:00", "15:00"), ("4", "22:00", "02:00"), ("", "", "")],
        name="Lunch",
        description="Midday",
        stores=[str(store.public_id)],
    )

    response = owner_client.post(url("catalog-create"), data)

    catalog = Catalog.objects.get(merchant=store.merchant, name="Lunch")
    assert response.status_code == 302
    assert response["Location"] == f"{url('overview')}#catalog-{catalog.public_id}"
    windows = [(w.weekday, w.start, w.end) for w in catalog.windows.order_by("weekday", "start")]
    assert windows == [
        (0, time(11), time(15)),
        (1, time(11), time(15)),
        (2, time(11), time(15)),
        (3, time(11), time(15)),
        (4, time(11), time(15)),
        (4, time(22), time(2)),
    ]
    # The other store sold every catalog (no choices); unticked, it keeps the others only.
    assert [sc.catalog for sc in StoreCatalog.objects.filter(store=other)] == [breakfast]
    assert list(StoreCatalog.objects.filter(store=store)) == []  # still sells everything


def test_a_store_that_would_sell_nothing_is_refused(owner_client, store):
    data = hours_data([], name="Only menu", stores=[])

    response = owner_client.post(url("catalog-create"), data)

    assert response.status_code == 400
    assert "sells only this catalog" in text(response)
    assert not Catalog.objects.filter(name="Only menu").exists()


def test_edit_a_catalog_replaces_its_hours(owner_client, store, menu):
    data = hours_data(
        [("5", "10:00", "16:00"), ("6", "00:00", "00:00"), ("0", "11:00", "22:00")],
        initial=3,
        name="Weekend brunch",
        description="",
        stores=[str(store.public_id)],
        **{"hours-2-DELETE": "on"},
    )

    response = owner_client.post(url("catalog-edit", menu.lunch.public_id), data)

    assert response.status_code == 302
    menu.lunch.refresh_from_db()
    assert menu.lunch.name == "Weekend brunch"
    assert [(w.weekday, w.start, w.end) for w in menu.lunch.windows.all()] == [
        (5, time(10), time(16)),
        (6, time(0), time(0)),
    ]
    assert "Sun all day" in text(owner_client.get(url("overview")))


def test_overlapping_opening_hours_are_refused_with_a_clear_message(owner_client, store, menu):
    before = list(menu.lunch.windows.values_list("weekday", "start", "end"))
    data = hours_data(
        [("0", "10:00", "14:00"), ("0", "12:00", "16:00")],
        name="Lunch",
        description="",
        stores=[str(store.public_id)],
    )

    response = owner_client.post(url("catalog-edit", menu.lunch.public_id), data)

    assert response.status_code == 400
    assert "Monday 10:00–14:00 and Monday 12:00–16:00 overlap or touch" in text(response)
    assert list(menu.lunch.windows.values_list("weekday", "start", "end")) == before


def test_a_shop_open_round_the_clock_enters_every_day_all_day(owner_client, store, menu):
    data = hours_data(
        [(str(day), "00:00", "00:00") for day in range(7)],
        name="Always",
        description="",
        stores=[str(store.public_id)],
    )

    response = owner_client.post(url("catalog-edit", menu.lunch.public_id), data)

    assert response.status_code == 302
    assert menu.lunch.windows.count() == 7
    assert "Every day all day" in text(owner_client.get(url("overview")))


def test_catalog_errors_are_shown_next_to_the_fields(owner_client, store, menu):
    data = hours_data([("2", "10:00", "10:00"), ("", "09:00", "")], name="  ", stores=[])

    response = owner_client.post(url("catalog-edit", menu.lunch.public_id), data)

    assert response.status_code == 400
    html = text(response)
    assert "Give the catalog a name" in html
    assert "It closes when it opens" in html
    assert "Choose a day." in html
    menu.lunch.refresh_from_db()
    assert menu.lunch.name == "Lunch & Dinner"


def test_delete_a_catalog_after_confirming(owner_client, store, menu):
    confirm = owner_client.get(url("catalog-delete", menu.late.public_id))

    assert "Deletes 1 section: Snacks." in text(confirm)
    assert "1 item in it stay in your menu" in text(confirm)
    assert Catalog.objects.filter(pk=menu.late.pk).exists()

    response = owner_client.post(url("catalog-delete", menu.late.public_id))

    assert response.status_code == 302
    assert not Catalog.objects.filter(pk=menu.late.pk).exists()
    assert Item.objects.filter(pk=menu.fries.pk).exists()


def test_deleting_the_only_catalog_a_store_sells_is_explained(owner_client, store, menu):
    StoreCatalogFactory(store=store, catalog=menu.late)

    html = text(owner_client.get(url("catalog-delete", menu.late.public_id)))

    assert "sells only this catalog: afterwards it sells all your other catalogs" in html


def test_catalogs_move_up_and_down(owner_client, store, menu):
    response = owner_client.post(url("catalog-move", menu.late.public_id), {"direction": "up"})

    assert response.status_code == 302
    order = list(Catalog.objects.filter(merchant=store.merchant).order_by("position", "id"))
    assert order == [menu.late, menu.lunch]
    assert (
        owner_client.post(url("catalog-move", menu.late.public_id), {"direction": "up"})
    ).status_code == 302  # already first: nothing moves
    assert (
        owner_client.post(url("catalog-move", menu.late.public_id), {"direction": "sideways"})
    ).status_code == 400


# --- sections -----------------------------------------------------------------------------------


def test_create_a_top_level_section_and_a_sub_section(owner_client, store, menu):
    owner_client.post(
        url("section-create"),
        {"name": "Desserts", "description": "", "place": f"catalog:{menu.lunch.public_id}"},
    )
    desserts = Section.objects.get(name="Desserts")
    response = owner_client.post(
        url("section-create"),
        {"name": "Ice cream", "description": "Cold", "place": f"section:{desserts.public_id}"},
    )

    ice = Section.objects.get(name="Ice cream")
    assert response.status_code == 302
    assert desserts.catalog == menu.lunch and desserts.position == 2
    assert ice.parent == desserts and ice.catalog is None


def test_edit_a_section_moves_it_to_another_place(owner_client, store, menu):
    response = owner_client.post(
        url("section-edit", menu.burgers.public_id),
        {"name": "Burgers!", "description": "", "place": f"catalog:{menu.late.public_id}"},
    )

    assert response.status_code == 302
    menu.burgers.refresh_from_db()
    assert menu.burgers.name == "Burgers!"
    assert (menu.burgers.catalog, menu.burgers.parent) == (menu.late, None)


def test_a_section_cannot_go_inside_itself(owner_client, store, menu):
    page = text(owner_client.get(url("section-edit", menu.mains.public_id)))
    assert f"section:{menu.burgers.public_id}" not in page

    response = owner_client.post(
        url("section-edit", menu.mains.public_id),
        {"name": "Mains", "description": "", "place": f"section:{menu.burgers.public_id}"},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    menu.mains.refresh_from_db()
    assert menu.mains.catalog == menu.lunch


def test_sections_move_up_and_down(owner_client, store, menu):
    owner_client.post(url("section-move", menu.drinks.public_id), {"direction": "up"})

    roots = list(Section.objects.filter(catalog=menu.lunch).order_by("position", "id"))
    assert roots == [menu.drinks, menu.mains]


def test_moving_a_section_with_htmx_returns_the_menu_again(owner_client, store, menu):
    response = owner_client.post(
        url("section-move", menu.mains.public_id), {"direction": "down"}, headers=HTMX
    )

    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="menu-body"')
    assert html.index(f"section-{menu.drinks.public_id}") < html.index(
        f"section-{menu.mains.public_id}"
    )


def test_sub_sections_are_reordered_on_their_parents_page(owner_client, store, menu):
    sides = SectionFactory(catalog=None, parent=menu.mains, name="Sides", position=1)
    page = text(owner_client.get(url("section-edit", menu.mains.public_id)))

    response = owner_client.post(
        url("section-move", sides.public_id),
        {"direction": "up"},
        headers={**HTMX, "HX-Target": "subsections"},
    )

    assert 'hx-target="#subsections"' in page
    assert f"Move {sides.name} up" in page
    html = text(response)
    assert html.lstrip().startswith('<div id="subsections"')
    assert html.index("Sides") < html.index("Burgers")
    assert 'hx-target="#subsections"' in html


def test_a_section_without_sub_sections_says_so(owner_client, store, menu):
    page = text(owner_client.get(url("section-edit", menu.drinks.public_id)))

    assert "None. A sub-section sits inside this one" in page


def test_a_catalogs_page_lists_its_sections_in_order_with_arrows(owner_client, store, menu):
    page = text(owner_client.get(url("catalog-edit", menu.lunch.public_id)))

    assert page.index("Mains") < page.index("Drinks")
    assert "Customers see the sections in this order." in page
    assert 'hx-target="#sections"' in page
    assert f"Move {menu.drinks.name} up" in page


def test_items_in_a_section_are_reordered_taken_out_and_added(owner_client, store, menu):
    SectionItemFactory(section=menu.drinks, item=menu.fries, position=1)
    move = url("section-item-move", menu.drinks.public_id, menu.fries.public_id)

    owner_client.post(move, {"direction": "up"})
    assert [si.item for si in menu.drinks.section_items.all()] == [menu.fries, menu.cola]

    response = owner_client.post(move, {"direction": "remove"}, headers=HTMX)
    assert response.status_code == 200 and 'id="items"' in text(response)
    assert [si.item for si in menu.drinks.section_items.all()] == [menu.cola]

    owner_client.post(
        url("section-item-add", menu.drinks.public_id), {"item": menu.burger.public_id}
    )
    assert [si.item for si in menu.drinks.section_items.all()] == [menu.cola, menu.burger]


def test_delete_a_section_says_what_happens_to_its_items(owner_client, store, menu):
    html = text(owner_client.get(url("section-delete", menu.mains.public_id)))

    assert "Its 1 sub-section (Burgers) is deleted too." in html
    assert "1 of them will be in no section" in html  # the burger; fries are also in Snacks

    owner_client.post(url("section-delete", menu.mains.public_id))

    assert not Section.objects.filter(pk__in=[menu.mains.pk, menu.burgers.pk]).exists()
    assert Item.objects.filter(pk=menu.burger.pk).exists()


# --- items --------------------------------------------------------------------------------------


def _item_data(menu, **overrides) -> dict:
    return {
        "name": "Margherita",
        "price": "9.50",
        "description": "Tomato, mozzarella",
        "sections": [str(menu.mains.public_id), str(menu.snacks.public_id)],
        "groups": [str(menu.toppings.public_id), str(menu.size.public_id)],
        **overrides,
    }


def test_create_an_item_in_sections_with_groups(owner_client, store, menu):
    response = owner_client.post(url("item-create"), _item_data(menu))

    item = Item.objects.get(name="Margherita")
    assert response.status_code == 302
    assert item.price == 950
    assert set(item.sections.all()) == {menu.mains, menu.snacks}
    assert menu.mains.section_items.last().item == item  # added at the end
    assert [g.group for g in item.item_groups.all()] == [menu.toppings, menu.size]


def test_edit_an_item_keeps_the_order_of_kept_groups(owner_client, store, menu):
    data = _item_data(
        menu,
        name="Cheeseburger",
        price="15",
        sections=[str(menu.burgers.public_id), str(menu.drinks.public_id)],
        groups=[
            str(menu.size.public_id),
            str(menu.toppings.public_id),
            str(menu.bacon_style.public_id),
        ],
    )

    response = owner_client.post(url("item-edit", menu.burger.public_id), data)

    assert response.status_code == 302
    menu.burger.refresh_from_db()
    assert (menu.burger.name, menu.burger.price) == ("Cheeseburger", 1500)
    assert set(menu.burger.sections.all()) == {menu.burgers, menu.drinks}
    assert [g.group for g in menu.burger.item_groups.all()] == [
        menu.toppings,
        menu.size,
        menu.bacon_style,
    ]


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1", "A price cannot be negative."),
        ("1.234", "Use at most 2 decimal places."),
        ("ten", "Write the price as a number"),
        ("1e3", "Write the price as a number"),
        ("1000000000", "A price can be at most 9999999.99."),
        ("", "Enter a price (0 for free)."),
    ],
)
def test_bad_prices_are_refused_next_to_the_field(owner_client, store, menu, price, message):
    response = owner_client.post(
        url("item-edit", menu.cola.public_id), _item_data(menu, price=price)
    )

    assert response.status_code == 400
    assert message in text(response)
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300


def test_an_item_needs_a_name(owner_client, store, menu):
    response = owner_client.post(url("item-create"), _item_data(menu, name=" "))

    assert response.status_code == 400
    assert "Give the item a name." in text(response)


def test_upload_a_picture(owner_client, store, menu):
    picture = SimpleUploadedFile("cola.png", png_bytes(), content_type="image/png")

    response = owner_client.post(
        url("item-edit", menu.cola.public_id), _item_data(menu, name="Cola", image=picture)
    )

    assert response.status_code == 302
    menu.cola.refresh_from_db()
    assert menu.cola.image.name.startswith("menu/cola")
    assert menu.cola.image.url in text(owner_client.get(url("overview"), {"q": "cola"}))

    owner_client.post(
        url("item-edit", menu.cola.public_id), _item_data(menu, name="Cola", remove_image="on")
    )
    menu.cola.refresh_from_db()
    assert not menu.cola.image


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("menu.png", b"not really a picture", content_type="image/png"),
            "This file is not a picture we can read.",
        ),
        (
            SimpleUploadedFile("big.png", png_bytes() + b"\0" * (2 * 1024 * 1024), "image/png"),
            "it must be 2 MB or smaller",
        ),
    ],
    ids=["not-an-image", "too-big"],
)
def test_bad_pictures_are_refused(owner_client, store, menu, upload, message):
    upload.seek(0)
    response = owner_client.post(
        url("item-edit", menu.cola.public_id), _item_data(menu, name="Cola", image=upload)
    )

    assert response.status_code == 400
    assert message in text(response)
    menu.cola.refresh_from_db()
    assert not menu.cola.image


def test_duplicate_an_item(owner_client, store, menu):
    response = owner_client.post(url("item-duplicate", menu.burger.public_id))

    copy = Item.objects.get(name="Copy of Burger")
    assert response.status_code == 302
    assert response["Location"] == url("item-edit", copy.public_id)
    assert copy.price == 1450 and copy.public_id != menu.burger.public_id
    assert [g.group for g in copy.item_groups.all()] == [menu.toppings, menu.size]
    assert [si.item for si in menu.burgers.section_items.all()] == [menu.burger, copy]


def test_item_groups_are_reordered_and_taken_off(owner_client, store, menu):
    move = url("item-group-move", menu.burger.public_id, menu.size.public_id)

    owner_client.post(move, {"direction": "up"})
    assert [g.group for g in menu.burger.item_groups.all()] == [menu.size, menu.toppings]

    response = owner_client.post(move, {"direction": "remove"}, headers=HTMX)
    assert response.status_code == 200 and 'id="groups"' in text(response)
    assert [g.group for g in menu.burger.item_groups.all()] == [menu.toppings]
    # A group the item does not use cannot be moved.
    assert owner_client.post(move, {"direction": "up"}).status_code == 404


def test_delete_an_item_says_where_it_is_used(owner_client, store, menu):
    ModifierOptionFactory(group=menu.size, item=menu.bacon)

    html = text(owner_client.get(url("item-delete", menu.bacon.public_id)))

    assert "Used as an option in 2 groups (Size, Toppings)" in html
    assert "Its modifier groups (Bacon style) stay" in html

    owner_client.post(url("item-delete", menu.bacon.public_id))

    assert not Item.objects.filter(pk=menu.bacon.pk).exists()
    assert list(menu.toppings.options.all()) == [menu.cheese]


# --- modifier groups ------------------------------------------------------------------------------


def test_create_a_group_then_add_its_options(owner_client, store, menu):
    response = owner_client.post(
        url("group-create"), {"name": "Sauce", "min_selections": "1", "max_selections": "2"}
    )

    sauce = ModifierGroup.objects.get(name="Sauce")
    assert response.status_code == 302
    assert response["Location"] == url("group-edit", sauce.public_id)
    assert "required (choose at least 1) but has 0 options" in text(
        owner_client.get(response["Location"])
    )

    owner_client.post(url("group-option-add", sauce.public_id), {"item": menu.cheese.public_id})
    response = owner_client.post(
        url("group-option-create", sauce.public_id), {"name": "Garlic mayo", "price": "0.80"}
    )

    assert response.status_code == 302
    mayo = Item.objects.get(name="Garlic mayo")
    assert mayo.price == 80 and mayo.merchant == store.merchant
    assert [o.item for o in sauce.group_options.all()] == [menu.cheese, mayo]


def test_group_minimum_above_maximum_is_refused(owner_client, store, menu):
    response = owner_client.post(
        url("group-edit", menu.size.public_id),
        {"name": "Size", "min_selections": "3", "max_selections": "2"},
    )

    assert response.status_code == 400
    assert "The minimum (3) cannot be above the maximum (2)." in text(response)
    menu.size.refresh_from_db()
    assert (menu.size.min_selections, menu.size.max_selections) == (1, 1)


def test_a_bad_new_option_is_shown_in_the_options_panel(owner_client, store, menu):
    plain = owner_client.post(
        url("group-option-create", menu.size.public_id), {"name": "", "price": "-2"}
    )
    swapped = owner_client.post(
        url("group-option-create", menu.size.public_id),
        {"name": "Huge", "price": "-2"},
        headers=HTMX,
    )

    assert plain.status_code == 400
    assert "Name the new option." in text(plain) and "<html" in text(plain)
    assert swapped.status_code == 400
    assert "A price cannot be negative." in text(swapped) and "<html" not in text(swapped)
    assert not Item.objects.filter(name="Huge").exists()


def test_group_options_are_reordered_and_removed(owner_client, store, menu):
    move = url("group-option-move", menu.size.public_id, menu.large.public_id)

    owner_client.post(move, {"direction": "up"})
    assert [o.item for o in menu.size.group_options.all()] == [menu.large, menu.small]

    owner_client.post(move, {"direction": "remove"})
    assert [o.item for o in menu.size.group_options.all()] == [menu.small]
    assert Item.objects.filter(pk=menu.large.pk).exists()


def test_delete_a_group_says_which_items_lose_it(owner_client, store, menu):
    html = text(owner_client.get(url("group-delete", menu.size.public_id)))

    assert "Taken off 2 items: Burger, Fries." in html
    assert "Its 2 options (Small, Large) stay as items." in html

    owner_client.post(url("group-delete", menu.size.public_id))

    assert not ModifierGroup.objects.filter(pk=menu.size.pk).exists()
    assert not ItemModifierGroup.objects.filter(group_id=menu.size.pk).exists()
    assert Item.objects.filter(pk=menu.large.pk).exists()


# --- bulk price change ------------------------------------------------------------------------


def _bulk(menu, step, change, value, *items, **extra) -> dict:
    chosen = items or (menu.burger, menu.cola, menu.small)
    return {
        "step": step,
        "change": change,
        "value": value,
        "item": [str(item.public_id) for item in chosen],
        **extra,
    }


def test_bulk_price_starts_from_the_ticked_items(owner_client, store, menu):
    response = owner_client.post(
        url("bulk-price"), {"step": "choose", "item": [str(menu.burger.public_id)]}
    )

    assert response.status_code == 200
    assert "Change the prices of 1 item" in text(response)
    assert "14.50 GBP" in text(response)


def test_bulk_price_with_nothing_ticked_goes_back_to_the_menu(owner_client, store, menu):
    response = owner_client.post(url("bulk-price"), {"step": "choose"})

    assert response.status_code == 302
    assert response["Location"] == url("overview")


def test_bulk_price_preview_then_apply(
    owner_client, store, menu, publishes, django_capture_on_commit_callbacks
):
    preview = owner_client.post(url("bulk-price"), _bulk(menu, "preview", "increase_percent", "10"))

    html = text(preview)
    assert preview.status_code == 200
    assert "14.50 GBP" in html and "15.95 GBP" in html  # 1450 * 1.10
    assert "3.30 GBP" in html  # 300 * 1.10
    assert "(no change)" in html  # a free option stays free
    assert "Apply to 2 items" in html
    menu.burger.refresh_from_db()
    assert menu.burger.price == 1450  # nothing changed yet

    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("bulk-price"),
            _bulk(menu, "apply", "increase_percent", "10", fingerprint=fingerprint),
        )

    assert response.status_code == 302
    assert [Item.objects.get(pk=i.pk).price for i in (menu.burger, menu.cola, menu.small)] == [
        1595,
        330,
        0,
    ]
    # One publish for the store, however many prices changed.
    assert [call[:2] for call in publishes] == [(store.pk, "editor")]


def test_bulk_price_rounds_to_the_minor_unit(owner_client, store, menu):
    html = text(
        owner_client.post(
            url("bulk-price"), _bulk(menu, "preview", "decrease_percent", "33.33", menu.cola)
        )
    )

    assert "2.00 GBP" in html  # 300 * 0.6667 = 200.01 -> 200


def test_bulk_price_refuses_to_go_below_zero(owner_client, store, menu):
    response = owner_client.post(
        url("bulk-price"), _bulk(menu, "preview", "decrease_amount", "4.00")
    )

    html = text(response)
    assert response.status_code == 400
    assert "Prices cannot go below zero: 2 items would (Cola, Small)" in html
    assert "Apply to" not in html

    applied = owner_client.post(
        url("bulk-price"), _bulk(menu, "apply", "decrease_amount", "4.00", fingerprint="x")
    )
    assert applied.status_code == 400
    menu.burger.refresh_from_db()
    assert menu.burger.price == 1450


def test_bulk_price_apply_after_a_change_asks_to_check_again(owner_client, store, menu):
    html = text(
        owner_client.post(url("bulk-price"), _bulk(menu, "preview", "increase_amount", "1"))
    )
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    Item.objects.filter(pk=menu.cola.pk).update(price=999)

    response = owner_client.post(
        url("bulk-price"), _bulk(menu, "apply", "increase_amount", "1", fingerprint=fingerprint)
    )

    assert response.status_code == 409
    assert "differ from the preview you saw" in text(response)
    menu.burger.refresh_from_db()
    assert menu.burger.price == 1450


@pytest.mark.parametrize(
    ("change", "value", "message"),
    [
        ("increase_percent", "0", "Enter a number above zero."),
        ("increase_percent", "abc", "Enter a number, like 10 or 0.50."),
        ("increase_amount", "0.005", "Use at most 2 decimal places for an amount."),
        ("double", "2", "Select a valid choice."),
    ],
)
def test_bulk_price_bad_input_is_a_form_error(owner_client, store, menu, change, value, message):
    response = owner_client.post(url("bulk-price"), _bulk(menu, "preview", change, value))

    assert response.status_code == 400
    assert message in text(response)


def test_a_price_change_schedules_a_publish_for_the_merchants_stores(
    owner_client, owner, store, menu, publishes, django_capture_on_commit_callbacks
):
    other = StoreFactory(merchant=store.merchant)
    data = _item_data(menu, name="Cola", price="3.20", sections=[], groups=[])

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url("item-edit", menu.cola.public_id), data)

    assert sorted(call[:3] for call in publishes) == [
        (store.pk, "editor", owner.user.pk),
        (other.pk, "editor", owner.user.pk),
    ]


# --- who may do what --------------------------------------------------------------------------

# (url name, objects named in the URL, method, form data)
EVERY_URL = [
    ("catalog-edit", ["lunch"], "get", {}),
    ("catalog-edit", ["lunch"], "post", {"name": "Mine"}),
    ("catalog-delete", ["lunch"], "get", {}),
    ("catalog-delete", ["lunch"], "post", {}),
    ("catalog-move", ["lunch"], "post", {"direction": "down"}),
    ("section-edit", ["mains"], "get", {}),
    ("section-edit", ["mains"], "post", {"name": "Mine"}),
    ("section-delete", ["mains"], "get", {}),
    ("section-delete", ["mains"], "post", {}),
    ("section-move", ["mains"], "post", {"direction": "down"}),
    ("section-item-add", ["mains"], "post", {}),
    ("section-item-move", ["mains", "fries"], "post", {"direction": "up"}),
    ("item-edit", ["burger"], "get", {}),
    ("item-edit", ["burger"], "post", {"name": "Mine", "price": "1"}),
    ("item-delete", ["burger"], "get", {}),
    ("item-delete", ["burger"], "post", {}),
    ("item-duplicate", ["burger"], "post", {}),
    ("item-group-move", ["burger", "size"], "post", {"direction": "up"}),
    ("group-edit", ["size"], "get", {}),
    ("group-edit", ["size"], "post", {"name": "Mine"}),
    ("group-delete", ["size"], "get", {}),
    ("group-delete", ["size"], "post", {}),
    ("group-option-add", ["size"], "post", {}),
    ("group-option-create", ["size"], "post", {"name": "Mine", "price": "1"}),
    ("group-option-move", ["size", "large"], "post", {"direction": "up"}),
]


@pytest.mark.parametrize(
    ("name", "objects", "method", "data"),
    EVERY_URL,
    ids=[f"{method}-{name}" for name, _, method, _ in EVERY_URL],
)
def test_another_merchants_menu_is_a_404_on_every_url(
    owner_client, store, menu, name, objects, method, data
):
    theirs = build_menu(StoreFactory().merchant)
    before = (
        Item.objects.count(),
        SectionItem.objects.count(),
        ModifierOption.objects.count(),
        ItemModifierGroup.objects.count(),
        Catalog.objects.count(),
    )

    response = getattr(owner_client, method)(
        url(name, *[getattr(theirs, attr).public_id for attr in objects]), data
    )

    assert response.status_code == 404
    assert before == (
        Item.objects.count(),
        SectionItem.objects.count(),
        ModifierOption.objects.count(),
        ItemModifierGroup.objects.count(),
        Catalog.objects.count(),
    )


def test_another_merchants_items_are_a_404_in_mixed_urls_and_forms(owner_client, store, menu):
    theirs = build_menu(StoreFactory().merchant)

    assert (
        owner_client.post(
            url("section-item-move", menu.mains.public_id, theirs.fries.public_id),
            {"direction": "up"},
        ).status_code
        == 404
    )
    assert (
        owner_client.post(
            url("item-group-move", menu.burger.public_id, theirs.size.public_id),
            {"direction": "up"},
        ).status_code
        == 404
    )
    assert (
        owner_client.post(
            url("bulk-price"), _bulk(menu, "preview", "increase_percent", "10", theirs.burger)
        ).status_code
        == 404
    )
    assert (
        owner_client.post(url("bulk-price"), {"step": "choose", "item": ["not-a-uuid"]}).status_code
        == 404
    )
    # In a form, their objects are simply not among the choices.
    response = owner_client.post(
        url("group-option-add", menu.size.public_id), {"item": theirs.cheese.public_id}
    )
    assert response.status_code == 400
    assert not menu.size.options.filter(pk=theirs.cheese.pk).exists()


ALL_PAGES = [
    ("overview", [], "get"),
    ("bulk-price", [], "post"),
    ("catalog-create", [], "get"),
    ("catalog-create", [], "post"),
    ("section-create", [], "get"),
    ("item-create", [], "get"),
    ("group-create", [], "get"),
    *[(name, objects, method) for name, objects, method, _ in EVERY_URL],
]


@pytest.mark.parametrize(
    ("name", "objects", "method"),
    ALL_PAGES,
    ids=[f"{method}-{name}" for name, _, method in ALL_PAGES],
)
def test_staff_get_a_403_saying_who_may_edit_the_menu(client, store, menu, name, objects, method):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)

    response = getattr(client, method)(
        url(name, *[getattr(menu, attr).public_id for attr in objects])
    )

    assert response.status_code == 403
    assert "Only owners and managers can change the menu." in response.content.decode()


def test_managers_can_edit_the_menu(client, store, menu):
    manager = MembershipFactory(merchant=store.merchant, role=Membership.Role.MANAGER)
    client.force_login(manager.user)

    assert client.get(url("overview")).status_code == 200
    assert (
        client.post(url("section-move", menu.drinks.public_id), {"direction": "up"}).status_code
        == 302
    )


def test_anonymous_visitors_are_sent_to_log_in(client, store, menu):
    response = client.get(url("item-edit", menu.burger.public_id))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_hours_summary_keeps_different_windows_apart(owner_client, store, menu):
    # A regression guard for the summary: several windows on one day stay separate.
    AvailabilityWindow.objects.create(catalog=menu.late, weekday=5, start=time(12), end=time(15))

    late = region(text(owner_client.get(url("overview"))), f"catalog-{menu.late.public_id}")

    assert "Fri 22:00–02:00 (past midnight)" in late
    assert "Sat 12:00–15:00" in late
