"""The builder and the validator together: what stops a menu from being published."""

import copy

import pytest

from catalogs.models import CatalogVersion, PublishState, Trigger
from catalogs.publishing.builder import catalog_build, catalog_validate
from catalogs.publishing.services import catalog_publish
from gett.models import OutboundMessage
from stores.models import Store
from tests.catalogs.menus import pid
from tests.factories import (
    CatalogFactory,
    ItemModifierGroupFactory,
    ModifierGroupFactory,
    ModifierOptionFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def _codes(problems) -> set[str]:
    return {problem.code for problem in problems}


def test_required_group_without_options_points_at_the_group(store, menu):
    empty = ModifierGroupFactory(merchant=store.merchant, name="Sauce", min_selections=1)
    ItemModifierGroupFactory(item=menu.cola, group=empty)

    problems = catalog_validate(store=store, document=catalog_build(store=store))

    [problem] = problems
    assert problem.code == "REQUIRED_GROUP_EMPTY"
    assert (problem.entity, problem.entity_id) == ("modifierGroup", pid(empty))


def test_group_allowing_more_than_its_options_is_accepted(store, menu):
    # An option can be chosen more than once (REFERENCE §17.6, §17.7.4).
    ModifierGroupFactory._meta.model.objects.filter(pk=menu.size.pk).update(max_selections=3)

    problems = catalog_validate(store=store, document=catalog_build(store=store))

    assert problems == []


def test_min_above_max_points_at_the_group(store, menu):
    # The database refuses min > max, so the document is changed by hand.
    doc = catalog_build(store=store)
    group = doc["modifierGroups"][pid(menu.toppings)]
    group["minSelections"] = group["minimumAllowed"] = 2
    group["maxSelections"] = group["maximumAllowed"] = 1

    problems = catalog_validate(store=store, document=doc)

    assert [(p.code, p.entity, p.entity_id) for p in problems] == [
        ("MIN_GT_MAX", "modifierGroup", pid(menu.toppings))
    ]


def test_catalog_without_hours_is_reported_and_so_is_a_store_without_any(store):
    catalog = CatalogFactory(merchant=store.merchant)
    SectionFactory(catalog=catalog)

    problems = catalog_validate(store=store, document=catalog_build(store=store))

    assert [(p.code, p.entity_id) for p in problems] == [
        ("NO_AVAILABILITY", pid(catalog)),
        ("NO_OPENING_HOURS", None),
    ]


def test_store_hours_rule_is_met_by_one_catalog_with_hours(store, menu):
    CatalogFactory(merchant=store.merchant, name="Breakfast")  # no hours: reported alone

    problems = catalog_validate(store=store, document=catalog_build(store=store))

    assert _codes(problems) == {"NO_AVAILABILITY"}


def test_menu_without_catalogs_is_refused(store):
    problems = catalog_validate(store=store, document=catalog_build(store=store))

    assert _codes(problems) == {"NO_CATALOGS"}


def test_store_without_delivery_or_pickup_is_refused(store, menu):
    doc = catalog_build(store=store)
    # The database forbids this store; the rule still stands for what the validator is given.
    closed = Store(delivery_allowed=False, pickup_allowed=False)

    assert _codes(catalog_validate(store=closed, document=doc)) == {"NO_FULFILLMENT_METHOD"}


def test_dangling_references_point_at_the_entity_that_holds_them(store, menu):
    doc = catalog_build(store=store)
    del doc["items"][pid(menu.cola)]
    del doc["modifierGroups"][pid(menu.bacon_style)]
    del doc["sections"][pid(menu.burgers)]

    problems = catalog_validate(store=store, document=doc)

    assert {(p.code, p.entity, p.entity_id, p.json_path) for p in problems} == {
        (
            "DANGLING_REFERENCE",
            "section",
            pid(menu.drinks),
            f"$.sections['{pid(menu.drinks)}'].itemIds[0]",
        ),
        (
            "DANGLING_REFERENCE",
            "item",
            pid(menu.bacon),
            f"$.items['{pid(menu.bacon)}'].modifierGroupIds[0]",
        ),
        (
            "DANGLING_REFERENCE",
            "section",
            pid(menu.mains),
            f"$.sections['{pid(menu.mains)}'].sectionIds[0]",
        ),
    }


def test_modifier_cycle_built_from_the_database_is_reported(store, menu):
    # Burger -> Toppings -> Bacon -> Bacon style -> Burger.
    ModifierOptionFactory(group=menu.bacon_style, item=menu.burger)

    problems = catalog_validate(store=store, document=catalog_build(store=store))

    [cycle] = problems
    assert cycle.code == "MODIFIER_CYCLE"
    loop = {pid(menu.burger), pid(menu.toppings), pid(menu.bacon), pid(menu.bacon_style)}
    assert cycle.entity in ("item", "modifierGroup") and cycle.entity_id in loop
    assert "“Burger”" in cycle.message


def test_section_cycle_is_reported(store, menu):
    doc = catalog_build(store=store)
    doc["sections"][pid(menu.burgers)]["sectionIds"] = [pid(menu.mains)]

    problems = catalog_validate(store=store, document=doc)

    assert [(p.code, p.entity_id) for p in problems] == [("SECTION_CYCLE", pid(menu.burgers))]


def test_invalid_menu_is_not_published_and_its_problems_are_kept(
    store, menu, django_capture_on_commit_callbacks
):
    empty = ModifierGroupFactory(merchant=store.merchant, name="Sauce", min_selections=1)
    ItemModifierGroupFactory(item=menu.cola, group=empty)

    with django_capture_on_commit_callbacks(execute=True):
        version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert version is None
    assert not CatalogVersion.objects.exists()
    assert not OutboundMessage.objects.filter(kind="catalog.notify").exists()
    state = PublishState.objects.get(store=store)
    assert state.is_valid is False
    assert state.last_trigger == Trigger.EDITOR
    [problem] = state.last_problems
    assert problem["code"] == "REQUIRED_GROUP_EMPTY"
    assert problem["entity"] == "modifierGroup"
    assert problem["entityId"] == pid(empty)
    assert problem["jsonPath"].startswith(f"$.modifierGroups['{pid(empty)}']")
    assert "Sauce" in problem["message"]
    assert state.problems_for(empty.public_id) == [problem]


def test_fixing_the_menu_clears_the_problems(store, menu):
    empty = ModifierGroupFactory(merchant=store.merchant, name="Sauce", min_selections=1)
    ItemModifierGroupFactory(item=menu.cola, group=empty)
    catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    ModifierOptionFactory(group=empty)
    version = catalog_publish(store_id=store.pk, trigger=Trigger.EDITOR)

    assert version is not None
    state = PublishState.objects.get(store=store)
    assert (state.is_valid, state.last_problems) == (True, [])


def test_builder_output_survives_a_deep_copy_round_trip(store, menu):
    doc = catalog_build(store=store)
    assert catalog_validate(store=store, document=copy.deepcopy(doc)) == []
