"""What changed and the CSV import preview when a whole menu changes: counts per kind and
section, the first few changes, and the rest a page at a time on demand."""

import csv
import io
import shutil

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse

from bench.menu import menu_generate
from catalogs.models import Item, Trigger
from catalogs.publishing.diff import catalogset_diff
from catalogs.publishing.services import catalog_publish
from catalogs.publishing.views import DIFF_CHANGES_PER_PAGE, DIFF_PREVIEW_CHANGES
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ITEMS = 300  # 3 sections of 100; 30 shared modifier groups with 90 options
OPTIONS = 90


@pytest.fixture
def big_menu(store):
    menu_generate(merchant=store.merchant, items=ITEMS)
    return store


@pytest.fixture
def repriced(big_menu):
    """Two published versions of the big menu: every price (options too) up by 10 cents."""
    old = catalog_publish(store_id=big_menu.pk, trigger=Trigger.EDITOR)
    Item.objects.filter(merchant=big_menu.merchant).update(price=F("price") + 10)
    new = catalog_publish(store_id=big_menu.pk, trigger=Trigger.EDITOR)
    assert old is not None and new is not None
    return big_menu, old, new


def _diff_url(store, old, new) -> str:
    return reverse(
        "publishing:version-diff",
        kwargs={
            "store_id": store.public_id,
            "old_id": old.catalog_set_id,
            "new_id": new.catalog_set_id,
        },
    )


def _prices_section(body: str) -> str:
    start = body.index('id="diff-prices"')
    return body[start : body.index("</section>", start)]


# --- what changed --------------------------------------------------------------------------------


def test_a_diff_counts_each_group_by_kind_and_by_section():
    def document(price_step: int, extra: bool) -> dict:
        items = {
            f"it-{n}": {"name": f"Item {n}", "basePrice": 1 + n + price_step} for n in range(30)
        }
        sections = {
            f"sec-{s}": {"name": f"Section {s}", "itemIds": [f"it-{n}" for n in range(s, 30, 3)]}
            for s in range(3)
        }
        if extra:
            items["it-new"] = {"name": "New", "basePrice": 5}
            sections["sec-0"]["itemIds"].append("it-new")
        catalogs = {"cat": {"name": "All day", "sectionIds": list(sections)}}
        return {"catalogs": catalogs, "sections": sections, "items": items}

    diff = catalogset_diff(document(0, False), document(1, True))

    (items, _), (prices, changes) = diff.summaries()
    assert (items.heading, items.total, items.tags) == ("Items", 1, [("added", 1)])
    assert items.sections == [("Section 0", 1)]
    assert (prices.heading, prices.slug, prices.total) == ("Prices", "prices", 30)
    assert prices.tags == [("changed", 30)]
    assert prices.sections == [("Section 0", 10), ("Section 1", 10), ("Section 2", 10)]
    assert diff.group("prices") == ("Prices", changes)
    assert diff.group("nothing") is None


def test_a_whole_menu_price_change_is_a_summary_with_the_first_changes(owner_client, repriced):
    store, old, new = repriced

    response = owner_client.get(_diff_url(store, old, new))

    assert response.status_code == 200
    body = response.content.decode()
    assert len(response.content) < 40_000
    prices = _prices_section(body)
    assert f'<span class="diff-total">{ITEMS + OPTIONS}</span>' in prices
    assert f"{ITEMS + OPTIONS} changed" in prices
    assert prices.count('class="change change-changed"') == DIFF_PREVIEW_CHANGES
    assert f"Show all {ITEMS + OPTIONS} changes" in prices
    assert "?group=prices&amp;section=Section%201" in prices  # by section, on demand
    assert f'Modifier options</a> <span class="muted">{OPTIONS}</span>' in prices


def test_show_all_lists_one_group_a_page_at_a_time(owner_client, repriced):
    store, old, new = repriced
    url = _diff_url(store, old, new)
    total = ITEMS + OPTIONS

    first = owner_client.get(url, {"group": "prices"}).content.decode()
    last = owner_client.get(
        url, {"group": "prices", "page": "4"}, headers={"HX-Request": "true"}
    ).content.decode()
    one_section = owner_client.get(url, {"group": "prices", "section": "Section 2"})
    unknown = owner_client.get(url, {"group": "no-such-group"})

    assert f"Prices: {total} changes" in first
    assert first.count('class="change change-changed"') == DIFF_CHANGES_PER_PAGE
    assert f"Show more ({DIFF_CHANGES_PER_PAGE} of {total} shown)" in first
    assert "<html" not in last
    assert last.count('class="change change-changed"') == total - 3 * DIFF_CHANGES_PER_PAGE
    assert "Show more" not in last
    assert "Prices in Section 2: 100 changes" in one_section.content.decode()
    assert unknown.status_code == 404


def test_the_two_versions_are_read_from_storage_once(owner_client, repriced, local_catalog_storage):
    store, old, new = repriced
    url = _diff_url(store, old, new)
    assert owner_client.get(url).status_code == 200

    shutil.rmtree(local_catalog_storage)  # "Show all" and "Show more" read the kept diff
    response = owner_client.get(url, {"group": "prices", "page": "2"})

    assert response.status_code == 200
    assert f"Prices: {ITEMS + OPTIONS} changes" in response.content.decode()


# --- the CSV import preview ---------------------------------------------------------------------


def _repriced_csv(client) -> bytes:
    exported = client.get(reverse("menu-csv:export")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    for row in rows[1:]:
        row[3] = f"{float(row[3]) + 0.1:.2f}"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _preview(client, data: bytes):
    upload = SimpleUploadedFile("menu.csv", data, content_type="text/csv")
    return client.post(reverse("menu-csv:import"), {"file": upload})


def test_a_whole_menu_csv_preview_is_a_summary_and_the_page_does_not_carry_the_file(
    owner_client, big_menu
):
    total = ITEMS + OPTIONS
    data = _repriced_csv(owner_client)

    response = _preview(owner_client, data)

    assert response.status_code == 200
    body = response.content.decode()
    assert len(response.content) < 40_000 < len(data)
    assert f"{total} changes: {total} price changes" in body
    assert body.count("Price: ") == 50
    assert f"Show all {total} changes" in body
    assert "kind=price" in body and f"{total} price changes</a>" in body
    assert "Section 1 <span" in body  # the changes by section
    assert len(response.context["confirm_form"].initial["payload"]) < 300


def test_every_change_of_a_preview_comes_a_page_at_a_time_and_it_can_be_confirmed(
    owner_client, big_menu
):
    total = ITEMS + OPTIONS
    preview = _preview(owner_client, _repriced_csv(owner_client))
    payload = preview.context["confirm_form"].initial["payload"]
    url = reverse("menu-csv:changes")

    first = owner_client.get(url, {"preview": payload})
    rest = owner_client.get(url, {"preview": payload, "page": "2"}, headers={"HX-Request": "true"})
    prices = owner_client.get(url, {"preview": payload, "kind": "price"})

    body = first.content.decode()
    assert body.count("Price: ") == 200
    assert f"Show more (200 of {total} shown)" in body
    assert f"Import {total} changes" in body  # confirmable from here too
    assert "<html" not in rest.content.decode()
    assert rest.content.decode().count("Price: ") == total - 200
    assert f"{total} price changes" in prices.content.decode()

    done = owner_client.post(
        reverse("menu-csv:confirm"),
        {"payload": payload, "digest": preview.context["confirm_form"].initial["digest"]},
        follow=True,
    )
    assert f"Imported. {total} changes" in done.content.decode()


def test_every_problem_of_a_preview_comes_a_page_at_a_time(owner_client, big_menu):
    rows = ["item_id,name,price"] + [f",Item {n},free" for n in range(120)]
    preview = _preview(owner_client, "\r\n".join(rows).encode())
    payload = preview.context["confirm_form"].initial["payload"]

    listed = owner_client.get(reverse("menu-csv:changes"), {"preview": payload, "kind": "problems"})

    assert preview.status_code == 400
    assert "Show all 120 problems" in preview.content.decode()
    assert listed.content.decode().count("<td><code>price</code></td>") == 120
    assert "Import" not in listed.content.decode()


def test_a_preview_is_only_readable_by_its_merchant_and_while_it_is_kept(
    owner_client, owner, big_menu
):
    preview = _preview(owner_client, _repriced_csv(owner_client))
    payload = preview.context["confirm_form"].initial["payload"]
    url = reverse("menu-csv:changes")
    other = MembershipFactory(user=owner.user, role="owner")

    forged = owner_client.get(url, {"preview": "forged"})
    owner_client.post("/merchant/switch/", {"merchant": str(other.merchant.public_id)})
    foreign = owner_client.get(url, {"preview": payload})

    assert forged.status_code == 404
    assert foreign.status_code == 404


def test_confirming_a_preview_no_longer_kept_asks_for_the_file_again(owner_client, big_menu):
    preview = _preview(owner_client, _repriced_csv(owner_client))
    prices = dict(Item.objects.values_list("pk", "price"))
    cache.clear()

    done = owner_client.post(
        reverse("menu-csv:confirm"),
        {
            "payload": preview.context["confirm_form"].initial["payload"],
            "digest": preview.context["confirm_form"].initial["digest"],
        },
        follow=True,
    )

    assert "Upload the file again" in done.content.decode()
    assert dict(Item.objects.values_list("pk", "price")) == prices
