import csv
import io
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogs.csv.services import menu_csv_apply, menu_csv_export, menu_csv_read
from catalogs.models import Item, ItemModifierGroup, Section, SectionItem, Trigger
from stores.models import Membership
from tests.catalogs.menus import pid
from tests.factories import (
    AvailabilityWindowFactory,
    CatalogFactory,
    ItemFactory,
    MembershipFactory,
    ModifierGroupFactory,
    SectionFactory,
    SectionItemFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _write(rows: list[dict], fieldnames=None) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=fieldnames or list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _row_for(rows: list[dict], item) -> dict:
    return next(row for row in rows if row["item_id"] == pid(item))


def _menu_state(merchant) -> tuple:
    """Everything an import may change, to assert that nothing did."""
    items = Item.objects.filter(merchant=merchant)
    section_items = SectionItem.objects.filter(section__merchant=merchant)
    item_groups = ItemModifierGroup.objects.filter(item__merchant=merchant)
    return (
        list(items.values_list("pk", "name", "description", "price")),
        list(section_items.values_list("section", "item", "position")),
        list(item_groups.values_list("item", "group", "position")),
    )


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# --- export ------------------------------------------------------------------------------------


def test_export_has_one_row_per_item_with_prices_sections_and_groups(store, menu):
    rows = _rows(menu_csv_export(merchant=store.merchant))

    assert list(rows[0]) == [
        "item_id",
        "name",
        "description",
        "price",
        "sections",
        "modifier_groups",
    ]
    assert len(rows) == 9
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)
    burger = _row_for(rows, menu.burger)
    assert burger["price"] == "14.50"
    assert burger["sections"] == "Burgers"
    assert burger["modifier_groups"] == "Toppings|Size"
    assert set(_row_for(rows, menu.fries)["sections"].split("|")) == {"Mains", "Snacks"}
    assert _row_for(rows, menu.small)["price"] == "0.00"
    assert _row_for(rows, menu.small)["sections"] == ""


def test_export_reads_the_menu_with_a_fixed_number_of_queries(store, menu):
    with CaptureQueriesContext(connection) as small:
        menu_csv_export(merchant=store.merchant)
    for _ in range(30):
        item = ItemFactory(merchant=store.merchant)
        SectionItemFactory(section=menu.drinks, item=item)
        ItemModifierGroup.objects.create(item=item, group=menu.size)

    with CaptureQueriesContext(connection) as large:
        menu_csv_export(merchant=store.merchant)

    assert len(large.captured_queries) == len(small.captured_queries)


# --- round trip --------------------------------------------------------------------------------


def _tricky_menu(merchant):
    """Names that CSV and the ``|`` lists must survive."""
    catalog = CatalogFactory(merchant=merchant, name="Main")
    AvailabilityWindowFactory(catalog=catalog, weekday=0, start=time(9), end=time(17))
    a = SectionFactory(catalog=catalog, name="Drinks")
    b = SectionFactory(catalog=catalog, name="Drinks")  # the same name twice
    piped = SectionFactory(catalog=catalog, name="Wine | Beer \\ Cider")
    group = ModifierGroupFactory(merchant=merchant, name='Sauce, "house"')
    items = [
        ItemFactory(merchant=merchant, name='Fish, chips & "mushy" peas', price=1299),
        ItemFactory(merchant=merchant, name="Crème brûlée 🍮", description="Line 1\nLine 2"),
        ItemFactory(merchant=merchant, name="=SUM(A1:A2)", description="-5% today, @home"),
        ItemFactory(merchant=merchant, name="Windows\r\nlines", description="a\r\nb\r\n"),
        ItemFactory(merchant=merchant, name="Ünïcødé ДЖ 中文", price=5),
    ]
    for item, section in zip(items, [a, b, piped, a, b], strict=True):
        SectionItemFactory(section=section, item=item)
    SectionItemFactory(section=piped, item=items[0])
    ItemModifierGroup.objects.create(item=items[0], group=group)
    return items


def test_export_then_import_of_the_same_file_changes_nothing_and_publishes_nothing(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    _tricky_menu(store.merchant)
    text = menu_csv_export(merchant=store.merchant)
    before = _menu_state(store.merchant)

    plan = menu_csv_read(merchant=store.merchant, data=text)
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):
            menu_csv_apply(plan=plan)

    assert plan.errors == []
    assert plan.changes == []
    assert plan.rows == 14
    assert plan.summary() == "No changes."
    assert _writes(queries) == []
    assert publishes == []
    assert _menu_state(store.merchant) == before


def test_round_trip_survives_excel_bytes_with_bom(store, menu):
    _tricky_menu(store.merchant)
    data = ("\ufeff" + menu_csv_export(merchant=store.merchant)).encode("utf-8")

    plan = menu_csv_read(merchant=store.merchant, data=data)

    assert plan.errors == []
    assert plan.changes == []


def test_export_protects_formula_like_cells_and_import_reads_them_back(store):
    item = ItemFactory(merchant=store.merchant, name="=HYPERLINK(1)", description="+1 free")
    rows = _rows(menu_csv_export(merchant=store.merchant))

    assert _row_for(rows, item)["name"] == "'=HYPERLINK(1)"
    assert _row_for(rows, item)["description"] == "'+1 free"
    # As Excel writes it back after showing the cell as text:
    rows[0]["name"] = "=HYPERLINK(1)"
    assert menu_csv_read(merchant=store.merchant, data=_write(rows)).changes == []


def test_a_section_name_shared_by_two_sections_is_exported_with_its_id(store):
    items = _tricky_menu(store.merchant)
    rows = _rows(menu_csv_export(merchant=store.merchant))
    a, b = Section.objects.filter(name="Drinks").order_by("pk")

    assert _row_for(rows, items[1])["sections"] == f"Drinks [{b.public_id.hex[:8]}]"
    assert _row_for(rows, items[0])["sections"].endswith("Wine \\| Beer \\\\ Cider")
    assert a.public_id.hex[:8] in _row_for(rows, items[3])["sections"]


# --- changes -------------------------------------------------------------------------------------


def test_a_price_change_updates_the_item_and_publishes_once_per_store(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    second = StoreFactory(merchant=store.merchant)
    user = UserFactory()
    rows = _rows(menu_csv_export(merchant=store.merchant))
    _row_for(rows, menu.burger)["price"] = "15.5"
    _row_for(rows, menu.cola)["price"] = "3,20"  # a decimal comma, as some spreadsheets write

    plan = menu_csv_read(merchant=store.merchant, data=_write(rows))
    with django_capture_on_commit_callbacks(execute=True):
        menu_csv_apply(plan=plan, user=user)

    assert plan.summary() == "2 changes: 2 price changes"
    assert [change.row for change in plan.changes] == [
        rows.index(_row_for(rows, menu.burger)) + 2,
        rows.index(_row_for(rows, menu.cola)) + 2,
    ]
    menu.burger.refresh_from_db()
    menu.cola.refresh_from_db()
    assert (menu.burger.price, menu.cola.price) == (1550, 320)
    assert sorted(publishes) == sorted(
        [(store.pk, Trigger.IMPORT, user.pk, 2.0), (second.pk, Trigger.IMPORT, user.pk, 2.0)]
    )


def test_name_description_section_and_group_changes(store, menu):
    rows = _rows(menu_csv_export(merchant=store.merchant))
    fries = _row_for(rows, menu.fries)
    fries.update(
        name="Chips",
        description="Triple cooked",
        sections="Drinks|Mains",
        modifier_groups="Toppings|Size",
    )
    _row_for(rows, menu.burger)["modifier_groups"] = ""

    plan = menu_csv_read(merchant=store.merchant, data=_write(rows))
    menu_csv_apply(plan=plan)

    assert plan.summary() == (
        "2 changes: 1 name change, 1 description change, 1 section change, 2 modifier group changes"
    )
    menu.fries.refresh_from_db()
    assert (menu.fries.name, menu.fries.description) == ("Chips", "Triple cooked")
    assert set(menu.fries.sections.all()) == {menu.drinks, menu.mains}
    assert list(
        ItemModifierGroup.objects.filter(item=menu.fries).values_list("group", flat=True)
    ) == [menu.toppings.pk, menu.size.pk]
    assert not ItemModifierGroup.objects.filter(item=menu.burger).exists()
    # The item joins Drinks at the end, after Cola; Snacks lost it; Mains kept it.
    assert list(menu.drinks.section_items.values_list("item", flat=True)) == [
        menu.cola.pk,
        menu.fries.pk,
    ]
    assert not menu.snacks.section_items.exists()


def test_new_items_are_created_in_their_sections_with_their_groups(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    text = menu_csv_export(merchant=store.merchant)
    text += '"",Lemonade,"Fresh, ""cloudy""",2.80,Drinks,Size\r\n,Water,,1,,\r\n'

    plan = menu_csv_read(merchant=store.merchant, data=text)
    with django_capture_on_commit_callbacks(execute=True):
        menu_csv_apply(plan=plan)

    assert plan.errors == []
    assert plan.summary() == "2 changes: 2 new items"
    lemonade = Item.objects.get(name="Lemonade")
    assert (lemonade.description, lemonade.price) == ('Fresh, "cloudy"', 280)
    assert list(lemonade.sections.all()) == [menu.drinks]
    assert list(lemonade.modifier_groups.all()) == [menu.size]
    water = Item.objects.get(name="Water")
    assert (water.price, water.sections.count(), water.modifier_groups.count()) == (100, 0, 0)
    assert [call[:2] for call in publishes] == [(store.pk, Trigger.IMPORT)]
    # And exporting again, then importing, changes nothing.
    again = menu_csv_read(merchant=store.merchant, data=menu_csv_export(merchant=store.merchant))
    assert again.changes == []


def test_a_new_row_named_like_an_existing_item_gets_a_warning(store, menu):
    text = "item_id,name,price\r\n,Burger,9.00\r\n"

    plan = menu_csv_read(merchant=store.merchant, data=text)

    assert plan.errors == []
    assert len(plan.warnings) == 1
    assert "“Burger”" in plan.warnings[0]


def test_columns_left_out_leave_those_fields_alone(store, menu):
    text = f"Price,Item ID,Name,notes\r\n9.99,{pid(menu.fries)},Fries,call Bob\r\n"

    plan = menu_csv_read(merchant=store.merchant, data=text)
    menu_csv_apply(plan=plan)

    assert plan.summary() == "1 change: 1 price change"
    assert plan.ignored_columns == ["notes"]
    menu.fries.refresh_from_db()
    assert menu.fries.price == 999
    assert menu.fries.sections.count() == 2
    assert menu.fries.modifier_groups.count() == 1


def test_a_500_row_import_schedules_one_publish_per_store(
    store, publishes, django_capture_on_commit_callbacks
):
    second = StoreFactory(merchant=store.merchant)
    StoreFactory()  # another merchant's store is not affected
    catalog = CatalogFactory(merchant=store.merchant)
    section = SectionFactory(catalog=catalog, name="Everything")
    ItemFactory.create_batch(300, merchant=store.merchant, price=100)
    rows = _rows(menu_csv_export(merchant=store.merchant))
    for row in rows:
        row["price"] = "2.00"
        row["sections"] = "Everything"
    rows += [
        {"item_id": "", "name": f"New {n}", "description": "", "price": "1.50",
         "sections": "Everything", "modifier_groups": ""}
        for n in range(200)
    ]  # fmt: skip

    plan = menu_csv_read(merchant=store.merchant, data=_write(rows))
    with django_capture_on_commit_callbacks(execute=True):
        menu_csv_apply(plan=plan)

    assert plan.summary() == "500 changes: 200 new items, 300 price changes, 300 section changes"
    assert sorted(call[:2] for call in publishes) == sorted(
        [(store.pk, Trigger.IMPORT), (second.pk, Trigger.IMPORT)]
    )
    assert section.section_items.count() == 500
    assert Item.objects.filter(merchant=store.merchant, price=200).count() == 300


# --- errors: all or nothing ----------------------------------------------------------------------


def test_invalid_rows_are_reported_with_row_and_column_and_nothing_is_written(
    store, menu, publishes, django_capture_on_commit_callbacks
):
    theirs = ItemFactory()  # another merchant's item
    rows = _rows(menu_csv_export(merchant=store.merchant))
    _row_for(rows, menu.cola)["price"] = "2.00"  # a valid change, not applied either
    _row_for(rows, menu.burger)["price"] = "twelve"
    _row_for(rows, menu.fries)["name"] = "  "
    rows.append({**rows[0], "item_id": "3f1c9a1e-0000-4000-8000-000000000000", "name": "Ghost"})
    rows.append({**rows[0], "item_id": pid(theirs), "name": "Theirs"})
    rows.append({**rows[0], "item_id": "not-an-id", "name": "Bad id"})
    rows.append({**rows[0], "item_id": "", "name": "Negative", "price": "-1"})
    rows.append({**rows[0], "item_id": "", "name": "Sectionless", "sections": "Nope"})
    rows.append({**rows[0]})  # the first item again
    before = _menu_state(store.merchant)

    plan = menu_csv_read(merchant=store.merchant, data=_write(rows))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValueError):
            menu_csv_apply(plan=plan)

    line = {row["name"]: n for n, row in enumerate(rows, start=2)}
    found = {(error.row, error.column) for error in plan.errors}
    assert found == {
        (line["Burger"], "price"),
        (line["  "], "name"),
        (line["Ghost"], "item_id"),
        (line["Theirs"], "item_id"),
        (line["Bad id"], "item_id"),
        (line["Negative"], "price"),
        (line["Sectionless"], "sections"),
        (len(rows) + 1, "item_id"),
    }
    messages = {(error.row, error.column): error.message for error in plan.errors}
    assert messages[(line["Theirs"], "item_id")] == messages[(line["Ghost"], "item_id")]
    assert messages[(len(rows) + 1, "item_id")] == "This item is on row 2 already."
    assert messages[(line["Negative"], "price")] == "A price cannot be negative."
    assert str(plan.errors[0]).startswith(f"Row {plan.errors[0].row}, ")
    assert _menu_state(store.merchant) == before
    assert publishes == []


@pytest.mark.parametrize(
    "price, message",
    [
        ("", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("£12.50", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("1,250.00", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("12.505", "Use at most 2 decimal places."),
        ("-0.50", "A price cannot be negative."),
        ("1e3", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("NaN", "Write the price as a number with a . for decimals, e.g. 12.50."),
        ("99999999999", "A price can be at most 9999999.99."),
    ],
)
def test_bad_prices_are_explained(store, menu, price, message):
    text = f'item_id,name,price\r\n{pid(menu.cola)},Cola,"{price}"\r\n'

    plan = menu_csv_read(merchant=store.merchant, data=text)

    assert [(e.row, e.column, e.message) for e in plan.errors] == [(2, "price", message)]


def test_a_row_with_more_cells_than_the_header_is_an_error(store, menu):
    text = (
        f"item_id,name,price\r\n{pid(menu.cola)},Cola,1,250.00\r\n{pid(menu.fries)},Fries,4.5,\r\n"
    )

    plan = menu_csv_read(merchant=store.merchant, data=text)

    # An unquoted 1,250.00 spills into a fourth cell; an empty extra cell is harmless.
    assert [(e.row, e.message) for e in plan.errors] == [
        (2, "This row has 4 cells; the header has 3.")
    ]


def test_prices_follow_the_menu_currency(owner):
    StoreFactory(merchant=owner.merchant, currency="JPY")
    text = "item_id,name,price\r\n,Ramen,1200\r\n,Gyoza,12.5\r\n"

    plan = menu_csv_read(merchant=owner.merchant, data=text)

    assert [(e.row, e.column) for e in plan.errors] == [(3, "price")]
    assert "no decimal places" in plan.errors[0].message


@pytest.mark.parametrize("price", ["1e3", "1E3", "12.5e1", "-1", "1000000000"])
def test_a_price_with_an_exponent_sign_or_above_the_cap_is_refused(store, price):
    plan = menu_csv_read(merchant=store.merchant, data=f"item_id,name,price\r\n,Tea,{price}\r\n")

    assert [(e.row, e.column) for e in plan.errors] == [(2, "price")]


def test_a_name_two_sections_share_must_carry_its_id(store):
    _tricky_menu(store.merchant)
    item = ItemFactory(merchant=store.merchant, name="Tea")
    a = Section.objects.filter(name="Drinks").order_by("pk").first()
    text = (
        "item_id,name,price,sections\r\n"
        f"{pid(item)},Tea,1,Drinks\r\n"
        f",Coffee,1,drinks [{a.public_id.hex[:8]}]\r\n"
    )

    plan = menu_csv_read(merchant=store.merchant, data=text)

    [error] = plan.errors
    assert (error.row, error.column) == (2, "sections")
    assert "Several sections are called “Drinks”" in error.message


def test_a_missing_required_column_is_a_header_error(store, menu):
    plan = menu_csv_read(merchant=store.merchant, data="item_id,name\r\n,Tea\r\n")

    assert [(e.row, e.column) for e in plan.errors] == [(1, "price")]
    assert "no “price” column" in plan.errors[0].message


def test_short_rows_and_empty_files_are_errors_not_guesses(store, menu):
    short = menu_csv_read(
        merchant=store.merchant,
        data=f"item_id,name,price,sections\r\n{pid(menu.fries)},Fries,4.50\r\n",
    )
    empty = menu_csv_read(merchant=store.merchant, data=b"")

    assert [(e.row, e.message) for e in short.errors] == [
        (2, "This row has 3 cells; the header has 4.")
    ]
    assert [str(e) for e in empty.errors] == ["File: The file is empty: export the menu to start."]


def test_blank_rows_are_skipped_and_row_numbers_count_records(store, menu):
    text = (
        "item_id,name,description,price\r\n"
        f'{pid(menu.fries)},Fries,"two\r\nlines",4.50\r\n'
        ",,,\r\n"
        f"{pid(menu.cola)},Cola,,nope\r\n"
    )

    plan = menu_csv_read(merchant=store.merchant, data=text)

    assert plan.rows == 2
    assert [(e.row, e.column) for e in plan.errors] == [(4, "price")]


def test_too_long_name_and_description_are_row_errors(store, menu):
    text = f"item_id,name,description,price\r\n,{'n' * 201},{'d' * 2001},1\r\n"

    plan = menu_csv_read(merchant=store.merchant, data=text)

    assert {(e.row, e.column) for e in plan.errors} == {(2, "name"), (2, "description")}


# --- encodings and dialects ----------------------------------------------------------------------


def test_non_utf8_file_is_refused_with_advice(store, menu):
    data = f"item_id,name,price\r\n{pid(menu.cola)},Café,3.00\r\n".encode("cp1252")

    plan = menu_csv_read(merchant=store.merchant, data=data)

    [error] = plan.errors
    assert error.row is None
    assert "CSV UTF-8" in error.message


def test_utf16_and_semicolons_are_read(store, menu):
    text = f"item_id;name;price\r\n{pid(menu.cola)};Crème Cola;3,10\r\n"

    plan = menu_csv_read(merchant=store.merchant, data=text.encode("utf-16"))
    menu_csv_apply(plan=plan)

    menu.cola.refresh_from_db()
    assert (menu.cola.name, menu.cola.price) == ("Crème Cola", 310)


def test_tab_separated_file_is_read(store, menu):
    text = f"item_id\tname\tprice\n{pid(menu.cola)}\tCola\t3.30\n"

    plan = menu_csv_read(merchant=store.merchant, data=text.encode())

    assert plan.summary() == "1 change: 1 price change"


def test_a_file_with_a_nul_byte_or_huge_cell_is_an_error_not_a_crash(store, menu):
    for data in [b"item_id,name,price\r\n,a\x00b,1\r\n", b'a,"' + b"x" * 200_000 + b'"\r\n']:
        plan = menu_csv_read(merchant=store.merchant, data=data)
        assert plan.errors, data[:30]


# --- pages -------------------------------------------------------------------------------------


def _upload(text: str | bytes, name="menu.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_export_page_downloads_utf8_csv_with_bom(owner_client, store, menu):
    response = owner_client.get("/menu/csv/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="menu-')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = _rows(response.content.decode("utf-8-sig"))
    assert len(rows) == 9


@pytest.mark.parametrize("url", ["/menu/csv/export/", "/menu/csv/import/"])
def test_staff_get_a_403_saying_who_may_use_the_csv_pages(store, client, url):
    staff = MembershipFactory(merchant=store.merchant, role=Membership.Role.STAFF)
    client.force_login(staff.user)

    response = client.get(url)

    assert response.status_code == 403
    assert "Only owners and managers can change the menu." in response.content.decode()


def test_csv_pages_need_a_login(client):
    response = client.get("/menu/csv/import/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_import_previews_then_applies_on_confirm(
    owner_client, owner, store, menu, publishes, django_capture_on_commit_callbacks
):
    rows = _rows(menu_csv_export(merchant=store.merchant))
    _row_for(rows, menu.cola)["price"] = "3.50"
    text = _write(rows) + ",Lemonade,,2.80,Drinks,\r\n"

    form = owner_client.get("/menu/csv/import/")
    preview = owner_client.post("/menu/csv/import/", {"file": _upload(text)})

    assert form.status_code == 200
    assert b"Download CSV" in form.content
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "2 changes: 1 new item, 1 price change" in page
    assert "Price: 3.00 GBP → 3.50 GBP" in page
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300  # nothing before the confirmation
    assert not Item.objects.filter(name="Lemonade").exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = owner_client.post(
            "/menu/csv/import/confirm/",
            {
                "payload": preview.context["confirm_form"].initial["payload"],
                "digest": preview.context["confirm_form"].initial["digest"],
            },
            follow=True,
        )

    assert done.redirect_chain == [("/menu/csv/import/", 302)]
    assert "Imported. 2 changes: 1 new item, 1 price change." in done.content.decode()
    menu.cola.refresh_from_db()
    assert menu.cola.price == 350
    assert Item.objects.get(name="Lemonade").sections.get() == menu.drinks
    assert [call[:3] for call in publishes] == [(store.pk, Trigger.IMPORT, owner.user.pk)]


def test_preview_with_errors_lists_them_and_offers_no_confirmation(owner_client, store, menu):
    text = f"item_id,name,price\r\n{pid(menu.cola)},Cola,abc\r\n,,1\r\n"

    response = owner_client.post("/menu/csv/import/", {"file": _upload(text)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "2 problems: nothing was imported" in page
    assert "Write the price as a number" in page
    assert "A name is required." in page
    assert "/menu/csv/import/confirm/" not in page


def test_upload_of_a_non_utf8_or_too_big_file_is_a_form_error(owner_client, store, menu):
    latin = owner_client.post(
        "/menu/csv/import/", {"file": _upload("name\r\nCafé".encode("cp1252"))}
    )
    big = owner_client.post("/menu/csv/import/", {"file": _upload(b"a" * (2 * 1024 * 1024 + 1))})
    missing = owner_client.post("/menu/csv/import/", {})

    assert latin.status_code == 400
    assert "CSV UTF-8" in latin.content.decode()
    assert big.status_code == 400
    assert "2 MB or smaller" in big.content.decode()
    assert missing.status_code == 400


def test_confirm_refuses_a_tampered_preview(owner_client, store, menu):
    response = owner_client.post(
        "/menu/csv/import/confirm/", {"payload": "forged", "digest": "x"}, follow=True
    )

    assert "could not be read" in response.content.decode()
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300


def test_confirm_after_the_menu_changed_shows_the_new_preview(owner_client, store, menu):
    text = f"item_id,name,price\r\n{pid(menu.cola)},Cola,3.50\r\n"
    preview = owner_client.post("/menu/csv/import/", {"file": _upload(text)})
    menu.cola.price = 350  # someone else made the same change meanwhile
    menu.cola.save()

    response = owner_client.post(
        "/menu/csv/import/confirm/",
        {
            "payload": preview.context["confirm_form"].initial["payload"],
            "digest": preview.context["confirm_form"].initial["digest"],
        },
    )

    assert response.status_code == 409
    assert "The menu changed since this preview" in response.content.decode()
    assert "No changes." in response.content.decode()


def test_confirm_for_another_merchant_than_the_current_one_is_refused(
    owner_client, owner, store, menu
):
    text = f"item_id,name,price\r\n{pid(menu.cola)},Cola,3.50\r\n"
    preview = owner_client.post("/menu/csv/import/", {"file": _upload(text)})
    other = MembershipFactory(user=owner.user, role=Membership.Role.OWNER)
    owner_client.post("/merchant/switch/", {"merchant": str(other.merchant.public_id)})

    response = owner_client.post(
        "/menu/csv/import/confirm/",
        {
            "payload": preview.context["confirm_form"].initial["payload"],
            "digest": preview.context["confirm_form"].initial["digest"],
        },
        follow=True,
    )

    assert "checked for another merchant" in response.content.decode()
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300


# --- commands ----------------------------------------------------------------------------------


def test_export_and_import_commands_round_trip(store, menu, tmp_path):
    path = tmp_path / "menu.csv"

    call_command("menu_export_csv", "--merchant", str(store.merchant.public_id), "-o", str(path))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    path.write_bytes(data.replace(b",3.00,", b",3.25,"))
    out = io.StringIO()
    call_command(
        "menu_import_csv", str(path), "--merchant", store.merchant.name, "--dry-run", stdout=out
    )
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300
    assert "Dry run, nothing written. 1 change: 1 price change" in out.getvalue()

    call_command("menu_import_csv", str(path), "--merchant", store.merchant.name, stdout=out)

    menu.cola.refresh_from_db()
    assert menu.cola.price == 325


def test_import_command_with_errors_fails_and_writes_nothing(store, menu, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"item_id,name,price\n{pid(menu.cola)},Cola,free\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command(
            "menu_import_csv", str(path), "--merchant", str(store.merchant.public_id), stderr=err
        )

    assert "Row 2, price:" in err.getvalue()
    menu.cola.refresh_from_db()
    assert menu.cola.price == 300


def test_commands_refuse_an_unknown_merchant(tmp_path):
    with pytest.raises(CommandError, match="No merchant"):
        call_command("menu_export_csv", "--merchant", "Nobody")
