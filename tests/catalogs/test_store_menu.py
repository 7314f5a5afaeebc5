"""The store menu pages: sold-out items (snooze), menu versions, and what changed.

Publishes scheduled by snoozes go to the `publishes` recorder of tests/catalogs/conftest.py
(an autouse fixture replacing `catalogs.tasks.catalog_publish_task.apply_async`), and
published CatalogSets to a temporary MEDIA_ROOT (`local_catalog_storage`).
"""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogs.models import CatalogVersion, ItemSnooze, PublishState, Trigger
from catalogs.publishing.services import catalog_publish
from catalogs.services import item_price_set
from gett.models import OutboundMessage
from tests.factories import (
    ItemFactory,
    ItemSnoozeFactory,
    MembershipFactory,
    SectionFactory,
    SectionItemFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Monday in British Summer Time (UTC+1): the menu is open every day 11:00–22:00 London time.
MONDAY_NOON = datetime(2026, 7, 6, 12, 0, tzinfo=LONDON)
MONDAY_LATE = datetime(2026, 7, 6, 23, 30, tzinfo=LONDON)


def _url(name: str, store, **kwargs) -> str:
    return reverse(name, kwargs={"store_id": store.public_id, **kwargs})


def _snooze(client, store, item, **data):
    return client.post(_url("snoozes:item", store, item_id=item.public_id), data)


def _notifications(store):
    return OutboundMessage.objects.filter(kind="catalog.notify", key=store.outbox_key)


def _publish(store, user=None) -> CatalogVersion:
    version = catalog_publish(
        store_id=store.pk, trigger=Trigger.EDITOR, user_id=user.pk if user else None
    )
    assert version is not None
    return version


@pytest.fixture
def staff_client(client, store):
    membership = MembershipFactory(merchant=store.merchant, role="staff")
    client.force_login(membership.user)
    return client


# --- the snooze page --------------------------------------------------------------------------


def test_snooze_page_lists_sections_with_counts_and_loads_their_items_on_demand(
    owner_client, store, menu
):
    ItemSnoozeFactory(store=store, item=menu.cola)

    response = owner_client.get(_url("snoozes:list", store))

    assert response.status_code == 200
    body = response.content.decode()
    # Sections in menu order, each with its menu (the store sells two) and its counts.
    headings = ["Mains", "Mains › Burgers", "Drinks", "Snacks"]
    positions = [body.index(f'class="snooze-section-name">{heading} <span') for heading in headings]
    assert positions == sorted(positions)
    drinks = body[body.index(f'id="section-{menu.drinks.public_id}"') :]
    assert "1 item" in drinks[:800] and "1 sold out" in drinks[:800]
    # Only the sold-out item is on the page itself; a section's items come when it is opened.
    assert f'id="soldout-{menu.cola.public_id}"' in body
    for item in (menu.burger, menu.fries, menu.cola, menu.cheese, menu.bacon):
        assert f'id="item-{item.public_id}"' not in body
    assert _url("snoozes:section", store, section_id=menu.mains.public_id) in body

    mains = owner_client.get(
        _url("snoozes:section", store, section_id=menu.mains.public_id),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f'id="item-{menu.fries.public_id}"' in mains
    assert f'id="item-{menu.burger.public_id}"' not in mains  # in Mains › Burgers
    assert "<html" not in mains


def test_a_section_without_htmx_is_the_page_searching_that_section(owner_client, store, menu):
    url = _url("snoozes:section", store, section_id=menu.drinks.public_id)

    response = owner_client.get(url)
    page = owner_client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == _url("snoozes:list", store) + f"?section={menu.drinks.public_id}"
    assert f'id="item-{menu.cola.public_id}"' in page
    assert f'id="item-{menu.fries.public_id}"' not in page
    assert "1 item in Drinks" in page


def test_a_section_of_another_menu_is_404(owner_client, store, menu):
    foreign = SectionFactory()

    response = owner_client.get(
        _url("snoozes:section", store, section_id=foreign.public_id),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 404


@time_machine.travel(MONDAY_LATE, tick=False)
def test_sold_out_until_the_next_opening_in_the_store_timezone(
    owner_client, owner, store, menu, publishes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _snooze(owner_client, store, menu.cola, available="no", until="next_opening")

    assert response.status_code == 302
    assert response["Location"] == _url("snoozes:list", store) + f"#item-{menu.cola.public_id}"
    snooze = ItemSnooze.objects.get(store=store, item=menu.cola)
    assert snooze.until == datetime(2026, 7, 7, 11, 0, tzinfo=LONDON)  # 10:00 UTC
    assert snooze.created_by == owner.user
    assert [(s, t, u) for s, t, u, _ in publishes] == [(store.pk, "snooze", owner.user.pk)]

    page = owner_client.get(_url("snoozes:list", store)).content.decode()
    assert "Until tomorrow&#x27;s opening (Tue 11:00)" in page
    assert "1 sold out" in page


@time_machine.travel(MONDAY_NOON, tick=False)
def test_sold_out_until_a_time_later_today(owner_client, store, menu):
    _snooze(owner_client, store, menu.cola, available="no", until="at", at="17:30")

    snooze = ItemSnooze.objects.get(store=store, item=menu.cola)
    assert snooze.until == datetime(2026, 7, 6, 17, 30, tzinfo=LONDON)
    assert "Back at 17:30" in owner_client.get(_url("snoozes:list", store)).content.decode()


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_time_already_past_today_means_tomorrow(owner_client, store, menu):
    _snooze(owner_client, store, menu.cola, available="no", until="at", at="09:00")

    snooze = ItemSnooze.objects.get(store=store, item=menu.cola)
    assert snooze.until == datetime(2026, 7, 7, 9, 0, tzinfo=LONDON)
    assert (
        "Back tomorrow at 09:00" in owner_client.get(_url("snoozes:list", store)).content.decode()
    )


def test_sold_out_until_turned_back_on(owner_client, store, menu):
    _snooze(owner_client, store, menu.burger, available="no", until="manual")

    assert ItemSnooze.objects.get(store=store, item=menu.burger).until is None
    assert "Until turned back on" in owner_client.get(_url("snoozes:list", store)).content.decode()


def test_turning_an_item_back_on_ends_its_snooze(
    owner_client, owner, store, menu, publishes, django_capture_on_commit_callbacks
):
    ItemSnoozeFactory(store=store, item=menu.cola)

    with django_capture_on_commit_callbacks(execute=True):
        response = _snooze(owner_client, store, menu.cola, available="yes", q="co")

    assert response.status_code == 302
    assert response["Location"] == (
        _url("snoozes:list", store) + f"?q=co#item-{menu.cola.public_id}"
    )
    assert not ItemSnooze.objects.filter(store=store).exists()
    assert [trigger for _, trigger, _, _ in publishes] == ["unsnooze"]


@time_machine.travel(MONDAY_NOON, tick=False)
def test_htmx_toggle_swaps_the_row_and_the_count(owner_client, store, menu):
    response = owner_client.post(
        _url("snoozes:item", store, item_id=menu.fries.public_id),
        {"available": "no", "until": "manual"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith(
        f'<li class="snooze-row is-off" id="item-{menu.fries.public_id}"'
    )
    # The row, then out of band the count and the sold-out list, which now holds the item.
    row = body[: body.index("</li>")]
    assert 'hx-swap-oob="true"' not in row and "Until turned back on" in row
    assert 'id="snooze-summary"' in body and body.count('hx-swap-oob="true"') == 2
    assert "1 sold out" in body
    soldout = body[body.index('<section id="soldout"') :]
    assert f'id="soldout-{menu.fries.public_id}"' in soldout
    assert "Fries is sold out. Until turned back on." in soldout


@time_machine.travel(MONDAY_NOON, tick=False)
def test_bringing_an_item_back_from_the_sold_out_list_swaps_that_list(owner_client, store, menu):
    ItemSnoozeFactory(store=store, item=menu.fries)
    ItemSnoozeFactory(store=store, item=menu.cola)

    response = owner_client.post(
        _url("snoozes:item", store, item_id=menu.fries.public_id),
        {"available": "yes", "list": "soldout"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="soldout"')
    assert f'id="soldout-{menu.fries.public_id}"' not in body
    assert f'id="soldout-{menu.cola.public_id}"' in body
    assert "Fries is available again." in body
    assert "1 sold out" in body  # the count, out of band
    # Its row elsewhere on the page (search results, an open section) follows out of band.
    row = body[body.index(f'id="item-{menu.fries.public_id}"') :]
    assert row.startswith(f'id="item-{menu.fries.public_id}" hx-swap-oob="true"')
    assert "Fries: available. Mark it sold out" in row
    assert not ItemSnooze.objects.filter(item=menu.fries).exists()


def test_bringing_an_item_back_from_the_sold_out_list_without_htmx(owner_client, store, menu):
    ItemSnoozeFactory(store=store, item=menu.fries)

    response = _snooze(owner_client, store, menu.fries, available="yes", list="soldout")

    assert response["Location"] == _url("snoozes:list", store) + "#soldout"
    assert not ItemSnooze.objects.filter(item=menu.fries).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"until": "at", "at": "25:99"}, "is not a time"),
        ({"until": "at", "at": ""}, "Choose when the item comes back"),
        ({"until": "at", "at": "2026-07-06T11:00"}, "must end in the future"),
        ({"until": "at", "at": "2027-07-06T11:00"}, "within the next 30 days"),
        ({"until": "sometime"}, "Choose until when"),
        ({"until": "at", "at": "0001-01-01T00:00"}, "must end in the future"),
        ({"until": "at", "at": "9999-12-31T23:59"}, "within the next 30 days"),
    ],
)
@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_bad_until_choice_is_an_inline_error(owner_client, store, menu, data, error):
    response = _snooze(owner_client, store, menu.cola, available="no", **data)

    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="snooze-row has-error"' in body
    assert error in body
    assert not ItemSnooze.objects.exists()


@time_machine.travel(MONDAY_NOON, tick=False)
def test_a_bad_until_choice_with_htmx_comes_back_in_the_row(owner_client, store, menu):
    response = owner_client.post(
        _url("snoozes:item", store, item_id=menu.cola.public_id),
        {"available": "no", "until": "at", "at": "half past"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "is not a time" in body and 'role="alert"' in body
    assert '<option value="at" selected>' in body
    assert not ItemSnooze.objects.exists()


def test_neither_on_nor_off_is_an_inline_error(owner_client, store, menu):
    response = _snooze(owner_client, store, menu.cola, available="maybe")

    assert response.status_code == 400
    assert "Choose Available or Sold out" in response.content.decode()


def test_a_store_that_never_closes_offers_no_next_opening(owner_client, store, menu):
    menu.lunch.windows.update(start="00:00", end="00:00")

    page = owner_client.get(_url("snoozes:list", store)).content.decode()
    response = _snooze(owner_client, store, menu.cola, available="no", until="next_opening")

    assert 'value="next_opening"' not in page
    assert response.status_code == 400
    assert "never closes" in response.content.decode()


def test_staff_can_snooze(staff_client, store, menu):
    response = _snooze(staff_client, store, menu.cola, available="no", until="manual")

    assert response.status_code == 302
    assert ItemSnooze.objects.filter(store=store, item=menu.cola).exists()


def test_another_merchants_item_is_404(owner_client, store, menu):
    foreign = ItemFactory()

    response = _snooze(owner_client, store, foreign, available="no", until="manual")

    assert response.status_code == 404
    assert _snooze(owner_client, store, menu.cola).status_code == 400
    unknown = owner_client.post(_url("snoozes:item", store, item_id=uuid.uuid4()), {})
    assert unknown.status_code == 404


def test_search_filters_items_by_name(owner_client, store, menu):
    response = owner_client.get(_url("snoozes:list", store), {"q": "COL"})
    htmx = owner_client.get(
        _url("snoozes:list", store),
        {"q": "nothing like this"},
        headers={"HX-Request": "true", "HX-Target": "snooze-results"},
    )

    body = response.content.decode()
    assert f'id="item-{menu.cola.public_id}"' in body
    assert f'id="item-{menu.burger.public_id}"' not in body
    assert "1 item matching “COL”" in body
    assert htmx.content.decode().lstrip().startswith('<div id="snooze-results">')
    assert "No item matches" in htmx.content.decode()


def test_search_finds_modifier_options_and_says_where_items_are(owner_client, store, menu):
    body = owner_client.get(_url("snoozes:list", store), {"q": "ba"}).content.decode()

    assert f'id="item-{menu.bacon.public_id}"' in body
    assert f'id="item-{menu.bacon_style.public_id}"' not in body  # a group, not an item
    bacon = body[body.index(f'id="item-{menu.bacon.public_id}"') :]
    assert "Option in Toppings" in bacon[: bacon.index("</li>")]
    body = owner_client.get(_url("snoozes:list", store), {"q": "burger"}).content.decode()
    burger = body[body.index(f'id="item-{menu.burger.public_id}"') :]
    assert "Mains › Burgers" in burger[: burger.index("</li>")]


def test_search_within_a_section(owner_client, store, menu):
    body = owner_client.get(
        _url("snoozes:list", store), {"q": "", "section": str(menu.mains.public_id)}
    ).content.decode()
    unknown = owner_client.get(_url("snoozes:list", store), {"section": "not-a-section"})

    assert f'id="item-{menu.fries.public_id}"' in body
    assert f'id="item-{menu.cola.public_id}"' not in body
    assert unknown.status_code == 200  # an unknown section: the sections, not an error
    assert 'class="snooze-sections"' in unknown.content.decode()


def test_an_item_marked_from_search_results_keeps_the_search(owner_client, store, menu):
    response = _snooze(
        owner_client,
        store,
        menu.cola,
        available="no",
        until="manual",
        q="co",
        section=str(menu.drinks.public_id),
    )

    assert response["Location"] == (
        _url("snoozes:list", store)
        + f"?q=co&section={menu.drinks.public_id}#item-{menu.cola.public_id}"
    )


def test_a_store_without_items_says_to_build_the_menu_first(owner_client, store):
    page = owner_client.get(_url("snoozes:list", store)).content.decode()

    assert "This store sells no items yet" in page
    assert "Build the menu</a>" in page


def test_staff_see_the_empty_state_without_the_editor_link(staff_client, store):
    page = staff_client.get(_url("snoozes:list", store)).content.decode()

    assert "This store sells no items yet" in page
    assert "Build the menu</a>" not in page


def test_snooze_page_query_count_does_not_grow_with_items(owner_client, store, menu):
    ItemSnoozeFactory(store=store, item=menu.cola)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(_url("snoozes:list", store)).status_code == 200
        return len(captured)

    before = queries()
    extra = SectionFactory(catalog=menu.lunch, name="Desserts")
    for n in range(15):
        item = ItemFactory(merchant=store.merchant, name=f"Cake {n}")
        SectionItemFactory(section=extra, item=item)
        if n % 2:
            ItemSnoozeFactory(store=store, item=item)

    after = queries()
    assert after == before


# --- versions ---------------------------------------------------------------------------------


def test_versions_page_lists_versions_newest_first_with_their_notification(
    owner_client, owner, store, menu
):
    first = _publish(store)
    item_price_set(item=menu.cola, price=320)
    second = _publish(store, user=owner.user)
    OutboundMessage.objects.filter(pk=second.notification_id).update(
        state=OutboundMessage.State.FAILED, attempts=8, last_error="Gett said 500 eight times"
    )

    response = owner_client.get(_url("publishing:versions", store))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(f'id="version-{second.catalog_set_id}"') < body.index(
        f'id="version-{first.catalog_set_id}"'
    )
    assert "Not sent (a newer menu replaced it)" in body  # first: superseded by the second
    assert ">Failed</span>" in body
    assert "Gett said 500 eight times" in body
    assert f"Menu editor · by {owner.user.username}" in body
    assert "9 items · 4 sections · 3 modifier groups · 2 menus" in body
    assert body.count("Send to Gett again") == 1  # the current version only
    assert _url(
        "publishing:version-diff", store, old_id=first.catalog_set_id, new_id=second.catalog_set_id
    ) in (body)


def test_a_delivered_notification_reads_gett_notified(owner_client, store, menu):
    version = _publish(store)
    OutboundMessage.objects.filter(pk=version.notification_id).update(
        state=OutboundMessage.State.DELIVERED, delivered_at=datetime.now(UTC)
    )

    assert "Gett notified" in owner_client.get(_url("publishing:versions", store)).content.decode()


def test_versions_page_shows_why_the_last_change_was_not_published(owner_client, store, menu):
    _publish(store)
    PublishState.objects.filter(store=store).update(
        is_valid=False,
        last_problems=[
            {"code": "MODIFIER_MIN", "message": "Size needs more options than it has."},
            {"code": "NO_OPENING_HOURS", "message": "No catalog has opening hours."},
        ],
    )

    body = owner_client.get(_url("publishing:versions", store)).content.decode()

    assert "Your last change was not published" in body
    assert "Size needs more options than it has." in body
    assert "No catalog has opening hours." in body
    assert "Fix it in the menu editor" in body


def test_versions_page_without_versions(owner_client, store):
    body = owner_client.get(_url("publishing:versions", store)).content.decode()

    assert "No menu published yet" in body


def test_sandbox_link_for_partner_staff_only(owner_client, owner, store, menu, settings):
    settings.GETT_USES_SANDBOX = True
    _publish(store)

    before = owner_client.get(_url("publishing:versions", store)).content.decode()
    owner.user.is_staff = True
    owner.user.save()
    after = owner_client.get(_url("publishing:versions", store)).content.decode()

    assert "See what the Gett sandbox ingested" not in before
    assert "See what the Gett sandbox ingested" in after


def test_versions_are_paginated(owner_client, store):
    _make_versions(store, 23)

    first = owner_client.get(_url("publishing:versions", store)).content.decode()
    second = owner_client.get(_url("publishing:versions", store), {"page": 2}).content.decode()
    silly = owner_client.get(_url("publishing:versions", store), {"page": "x"})

    assert first.count('class="card version') == 20
    assert second.count('class="card version') == 3
    assert "Page 2 of 2" in second
    assert silly.status_code == 200


def test_versions_page_query_count_does_not_grow_with_rows(owner_client, store):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(_url("publishing:versions", store)).status_code == 200
        return len(captured)

    _make_versions(store, 21)  # two pages, as below
    before = queries()
    _make_versions(store, 30, start=21)

    after = queries()
    assert after == before


def _make_versions(store, count: int, start: int = 0) -> None:
    """Version rows without files, each with a notification, as if published over days."""
    user = MembershipFactory(merchant=store.merchant).user
    for n in range(start, start + count):
        message = OutboundMessage.objects.create(
            kind="catalog.notify", key=store.outbox_key, target_id=store.partner_store_id
        )
        CatalogVersion.objects.create(
            store=store,
            catalog_set_id=uuid.uuid4(),
            content_hash=f"{n:064d}",
            storage_key=f"catalogsets/{store.partner_store_id}/{n}.json",
            url="https://portal.example.com/x.json",
            size_bytes=1000 + n,
            counts={"items": n},
            trigger=Trigger.EDITOR,
            triggered_by=user,
            notification=message,
            published_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
        )


def test_download_returns_the_exact_stored_bytes(owner_client, store, menu, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    version = catalog_publish(store_id=store.pk, trigger="editor")
    stored = (tmp_path / "catalogs" / version.storage_key).read_bytes()

    response = owner_client.get(
        _url("publishing:version-download", store, version_id=version.catalog_set_id)
    )

    assert response.status_code == 200
    assert response.content == stored
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert str(version.catalog_set_id)[:8] in response["Content-Disposition"]


def test_download_of_a_file_no_longer_stored_is_404(owner_client, store):
    _make_versions(store, 1)
    version = CatalogVersion.objects.get()

    response = owner_client.get(
        _url("publishing:version-download", store, version_id=version.catalog_set_id)
    )

    assert response.status_code == 404


def test_resend_creates_a_new_catalog_notification(
    owner_client, store, menu, scheduled, django_capture_on_commit_callbacks
):
    version = _publish(store)
    before = set(_notifications(store).values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url("publishing:version-resend", store, version_id=version.catalog_set_id),
            {"page": "1"},
        )

    assert response.status_code == 302
    assert response["Location"] == _url("publishing:versions", store) + "?page=1"
    (new,) = _notifications(store).exclude(pk__in=before)
    assert new.payload == {"callbackUrl": version.url}
    assert new.state == OutboundMessage.State.PENDING
    version.refresh_from_db()
    assert version.notification == new
    assert scheduled[-1] == new.pk


def test_staff_cannot_resend(staff_client, store, menu):
    version = _publish(store)
    count = _notifications(store).count()

    response = staff_client.post(
        _url("publishing:version-resend", store, version_id=version.catalog_set_id)
    )

    assert response.status_code == 403
    assert _notifications(store).count() == count
    page = staff_client.get(_url("publishing:versions", store)).content.decode()
    assert "Send to Gett again" not in page


def test_only_the_current_version_can_be_resent(owner_client, store, menu):
    old = _publish(store)
    item_price_set(item=menu.cola, price=320)
    _publish(store)
    count = _notifications(store).count()

    response = owner_client.post(
        _url("publishing:version-resend", store, version_id=old.catalog_set_id), follow=True
    )

    assert "Only the current menu can be sent to Gett again" in response.content.decode()
    assert _notifications(store).count() == count


def test_diff_view_shows_a_price_change_between_two_published_versions(owner_client, store, menu):
    old = _publish(store)
    item_price_set(item=menu.cola, price=350)
    new = _publish(store)

    response = owner_client.get(
        _url("publishing:version-diff", store, old_id=old.catalog_set_id, new_id=new.catalog_set_id)
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Prices" in body
    assert "Cola: 3.00 → 3.50" in body
    assert "No differences" not in body


def test_diff_of_a_version_with_itself_has_no_differences(owner_client, store, menu):
    version = _publish(store)

    response = owner_client.get(
        _url(
            "publishing:version-diff",
            store,
            old_id=version.catalog_set_id,
            new_id=version.catalog_set_id,
        )
    )

    assert "No differences" in response.content.decode()


def test_compare_puts_the_older_version_first(owner_client, store, menu):
    old = _publish(store)
    item_price_set(item=menu.cola, price=350)
    new = _publish(store)

    response = owner_client.get(
        _url("publishing:version-compare", store),
        {"a": new.catalog_set_id, "b": old.catalog_set_id},
    )

    assert response.status_code == 302
    assert response["Location"] == _url(
        "publishing:version-diff", store, old_id=old.catalog_set_id, new_id=new.catalog_set_id
    )


@pytest.mark.parametrize("query", [{}, {"a": "nope", "b": "1"}, {"a": str(uuid.uuid4())}])
def test_compare_without_two_versions_goes_back_with_a_message(owner_client, store, query):
    response = owner_client.get(_url("publishing:version-compare", store), query, follow=True)

    assert response.status_code == 200
    assert "Choose two versions to compare" in response.content.decode()


def test_unknown_versions_and_other_stores_versions_are_404(owner_client, store, menu):
    version = _publish(store)
    sister = StoreFactory(merchant=store.merchant)
    sister_version = _publish(sister)
    mine, theirs, unknown = version.catalog_set_id, sister_version.catalog_set_id, uuid.uuid4()

    for url in (
        _url("publishing:version-download", store, version_id=unknown),
        _url("publishing:version-download", store, version_id=theirs),
        _url("publishing:version-diff", store, old_id=mine, new_id=theirs),
        _url("publishing:version-diff", store, old_id=unknown, new_id=mine),
        _url("publishing:version-compare", store) + f"?a={mine}&b={theirs}",
    ):
        assert owner_client.get(url).status_code == 404, url
    resend = owner_client.post(_url("publishing:version-resend", store, version_id=theirs))
    assert resend.status_code == 404


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "snoozes:list", {}),
        ("post", "snoozes:item", {"item_id": "item"}),
        ("get", "publishing:versions", {}),
        ("get", "publishing:version-compare", {}),
        ("get", "publishing:version-download", {"version_id": "version"}),
        ("post", "publishing:version-resend", {"version_id": "version"}),
        ("get", "publishing:version-diff", {"old_id": "version", "new_id": "version"}),
    ],
)
def test_another_merchants_store_is_404_on_every_url(owner_client, menu, method, name, extra):
    other = StoreFactory()
    item = ItemFactory(merchant=other.merchant)
    _make_versions(other, 1)
    version = CatalogVersion.objects.get(store=other)
    ids = {"item": item.public_id, "version": version.catalog_set_id}
    kwargs = {key: ids[value] for key, value in extra.items()}

    response = getattr(owner_client, method)(_url(name, other, **kwargs))

    assert response.status_code == 404


def test_pages_need_a_login(client, store):
    response = client.get(_url("snoozes:list", store))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the store page's Menu card ------------------------------------------------------------------


def test_store_page_shows_the_menu_card(owner_client, store, menu):
    _publish(store)
    ItemSnoozeFactory(store=store, item=menu.cola)

    body = owner_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert 'id="menu-heading">Menu</h2>' in body
    assert _url("snoozes:list", store) in body
    assert _url("publishing:versions", store) in body
    assert "1 item sold out" in body
    assert "Current menu published" in body
    assert "Edit menu" in body


def test_store_page_menu_card_says_when_the_last_change_was_not_published(staff_client, store):
    PublishState.objects.create(
        store=store, is_valid=False, last_problems=[{"message": "No catalog has hours."}]
    )

    body = staff_client.get(reverse("stores:detail", args=[store.public_id])).content.decode()

    assert "Your last change was not published: 1 problem to fix" in body
    assert "No menu has been published for this store yet." in body
    assert "Edit menu" not in body
