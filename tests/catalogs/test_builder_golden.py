"""Pinned output of the CatalogSet builder, validator and publisher for fixed menus.

The published bytes, the catalogSetId and the problems found are part of our contract with Gett
(an unchanged menu must keep its id; a changed serialisation would republish every store). These
tests pin them for menus whose ids are fixed, so any optimisation of the builder, the validator or
the publisher can prove it changed nothing. If one fails, the output changed: do not update the
pinned values unless that change is intended.
"""

import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from bench.menu import menu_generate
from catalogs.models import Catalog, Item, ModifierGroup, Section, Trigger
from catalogs.publishing.builder import (
    _canonical_json_with_id,
    catalog_build,
    catalog_build_for_publish,
    catalog_validate,
    catalogset_canonical_json,
    catalogset_content_hash,
    problem_as_dict,
)
from catalogs.publishing.services import catalog_publish
from catalogs.selectors import uuid_text
from gett.catalogset.validation import catalogset_problems
from stores.models import Merchant, Store
from tests.catalogs.menus import build_menu
from tests.factories import ItemSnoozeFactory, StoreFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
IDS = uuid.UUID("0b6a3c55-51f4-4d3c-9a53-2f2f4b0c9e11")


def _fix_ids(store: Store) -> None:
    """Give the store and every entity of its merchant's menu an id derived from its order."""
    Store.objects.filter(pk=store.pk).update(public_id=uuid.uuid5(IDS, f"store-{store.name}"))
    store.refresh_from_db()
    for model in (Catalog, Section, Item, ModifierGroup):
        pks = model.objects.filter(merchant=store.merchant).order_by("pk").values_list("pk")
        for n, (pk,) in enumerate(pks):
            model.objects.filter(pk=pk).update(public_id=uuid.uuid5(IDS, f"{model.__name__}-{n}"))


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@pytest.fixture
def fixed_store(store):
    store.name = "Golden"
    store.save()
    menu = build_menu(store.merchant)
    menu.cola.name = "Café crème “grande”"
    menu.cola.image = "menu/cola.png"
    menu.cola.save()
    # A snoozed option: Toppings keeps one option and its maximum is capped from 2 to 1.
    ItemSnoozeFactory(store=store, item=menu.cheese)
    _fix_ids(store)
    return store


def test_realistic_menu_bytes_and_id_are_pinned(fixed_store):
    document = catalog_build(store=fixed_store, now=NOW)
    body = catalogset_canonical_json(document)

    assert catalog_validate(store=fixed_store, document=document) == []
    assert len(body) == 4256
    assert _sha(body) == "09d76510347e1ec48407b4983486988166d9b105dd0bbe53a571a61106ef3f05"
    assert catalogset_content_hash(document) == (
        "c51b6575944c3b5d1722f60236c5716bf545d49408c755a55006a81784dbad69"
    )
    assert document["catalogSetId"] == "169accfe-1b3e-5a4a-a156-e0b2512db14e"


def test_published_bytes_are_the_pinned_canonical_json(fixed_store, local_catalog_storage):
    with time_machine.travel(NOW, tick=False):
        version = catalog_publish(store_id=fixed_store.pk, trigger=Trigger.EDITOR)

    stored = (local_catalog_storage / version.storage_key).read_bytes()
    document = catalog_build(store=fixed_store, now=NOW)
    assert stored == catalogset_canonical_json(document)
    assert _sha(stored) == "09d76510347e1ec48407b4983486988166d9b105dd0bbe53a571a61106ef3f05"
    assert version.content_hash == catalogset_content_hash(document)
    assert str(version.catalog_set_id) == document["catalogSetId"]
    assert version.size_bytes == len(stored)
    assert version.counts == {"catalogs": 2, "sections": 4, "items": 8, "modifierGroups": 3}


@pytest.mark.parametrize(
    ("profile", "expected_sha", "expected_set_id"),
    [
        (
            "shared",
            "e4e607d23dcade132df232ef2c16f71b2a859d5d6f0bf29f33ea87d641d94d9f",
            "4a0f51a7-0fcc-5003-aae2-071868ce25a6",
        ),
        (
            "unique",
            "dba27341262963463654f98ad38a258036d127b4c10ae075856887f730a3b325",
            "dad31410-c3ec-5d61-8335-7fe3e5ee257b",
        ),
    ],
)
def test_generated_menu_bytes_and_id_are_pinned(profile, expected_sha, expected_set_id):
    merchant = Merchant.objects.create(name=f"Golden {profile}")
    store = StoreFactory(merchant=merchant, name=f"Golden {profile}", currency="EUR")
    menu_generate(merchant=merchant, items=60, profile=profile)
    _fix_ids(store)

    document = catalog_build(store=store, now=NOW)

    assert catalog_validate(store=store, document=document) == []
    assert _sha(catalogset_canonical_json(document)) == expected_sha
    assert document["catalogSetId"] == expected_set_id


def test_problems_of_a_broken_document_are_pinned(fixed_store):
    document = copy.deepcopy(catalog_build(store=fixed_store, now=NOW))
    items = document["items"]
    groups = document["modifierGroups"]
    first_item, second_item = sorted(items)[:2]
    items[first_item]["basePrice"] = -1
    items[second_item]["modifierGroupIds"].append("no-such-group")
    items[second_item]["imageUrl"] = "not a url"
    first_group = sorted(groups)[0]
    groups[first_group]["minSelections"] = 5
    groups[first_group]["minimumAllowed"] = "five"
    del groups[sorted(groups)[1]]["itemIds"]
    catalog = next(iter(document["catalogs"].values()))
    catalog["availability"][0]["start"] = "25:00:00"
    document["sections"][""] = {"sectionId": 7}

    problems = [
        problem_as_dict(p)
        for p in catalogset_problems(
            document, store={"deliveryAllowed": False, "pickupAllowed": False}
        )
    ]

    # Schema problems come first; among themselves their order follows jsonschema, which walks
    # a dictionary's entries as a set (it varies with PYTHONHASHSEED), so they are compared sorted.
    assert [p["code"] for p in problems] == ["SCHEMA"] * 7 + [
        "DANGLING_REFERENCE",
        "MIN_GT_MAX",
        "NO_FULFILLMENT_METHOD",
    ]
    assert sorted((p["code"], p["jsonPath"]) for p in problems) == sorted(
        [
            ("SCHEMA", "$.catalogs['17357b3a-3762-51ec-bea1-2150d7df847a'].availability[0].start"),
            ("SCHEMA", "$.sections['']"),
            ("SCHEMA", "$.sections[''].sectionId"),
            ("SCHEMA", "$.items['0a0404d7-f748-5d8e-ab81-08b33992e79a'].imageUrl"),
            ("SCHEMA", "$.items['044fd4ea-6060-5d26-93a8-c2864f292198'].basePrice"),
            ("SCHEMA", "$.modifierGroups['3e03b71b-24e4-5b98-9a21-da2576c24929'].minimumAllowed"),
            ("SCHEMA", "$.modifierGroups['c324160a-a4a6-597d-938e-a82cd3a99d1b'].itemIds"),
            (
                "DANGLING_REFERENCE",
                "$.items['0a0404d7-f748-5d8e-ab81-08b33992e79a'].modifierGroupIds[1]",
            ),
            (
                "MIN_GT_MAX",
                "$.modifierGroups['3e03b71b-24e4-5b98-9a21-da2576c24929'].minSelections",
            ),
            ("NO_FULFILLMENT_METHOD", "$"),
        ]
    )
    # Messages, entities and ids too.
    ordered = sorted(problems, key=lambda p: (p["code"], p["jsonPath"], p["message"]))
    assert _sha(json.dumps(ordered, sort_keys=True, ensure_ascii=False).encode()) == (
        "9c845a792dd8d340f08cf28b3b9bc4ab676348bf85f91849536205e17106e764"
    )


def test_build_for_publish_serialises_once_to_the_same_bytes(fixed_store):
    built = catalog_build_for_publish(store=fixed_store, now=NOW)

    assert built.document == catalog_build(store=fixed_store, now=NOW)
    assert list(built.document)[-1] == "catalogSetId"  # key order as before
    assert built.body == catalogset_canonical_json(built.document)
    assert built.content_hash == catalogset_content_hash(built.document)
    assert _sha(built.body) == "09d76510347e1ec48407b4983486988166d9b105dd0bbe53a571a61106ef3f05"


def test_canonical_json_with_id_falls_back_when_the_id_would_not_come_first():
    document = {"Apples": 1, "catalogs": {}, "catalogSetId": "x"}
    content = catalogset_canonical_json({"Apples": 1, "catalogs": {}})

    assert _canonical_json_with_id(document, content) == catalogset_canonical_json(document)
    plain = {"storeId": "s", "items": {"é": [1.5]}, "catalogSetId": "y"}
    assert _canonical_json_with_id(
        plain, catalogset_canonical_json({k: v for k, v in plain.items() if k != "catalogSetId"})
    ) == catalogset_canonical_json(plain)


def test_uuid_text_is_str_of_the_uuid():
    value = uuid.uuid4()
    for raw in (value.hex, value.hex.upper(), str(value), value, f"{{{value}}}"):
        assert uuid_text(raw) == str(value)
    with pytest.raises(ValueError):
        uuid_text("z" * 32)
