"""CatalogSet validation: the JSON Schema, then every rule of REFERENCE §17.7.

Menus are built with the small helpers below: `menu(...)` files each entity under its dictionary.
`large_menu()` builds the 5,000-item benchmark menu.
"""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gett.catalogset import paths, rules, schema
from gett.catalogset.paths import CatalogProblem
from gett.catalogset.schema import load_schema
from gett.catalogset.validation import catalogset_counts, catalogset_problems

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"

WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
ALL_WEEK = [{"dayOfWeek": day, "start": "00:00:00", "end": "00:00:00"} for day in WEEKDAYS]


# Builders


def catalog(catalog_id, *, name, section_ids=(), availability=ALL_WEEK):
    return {
        "catalogId": catalog_id,
        "name": name,
        "sectionIds": list(section_ids),
        "availability": copy.deepcopy(availability),
    }


def section(section_id, *, name, item_ids=(), section_ids=()):
    return {
        "sectionId": section_id,
        "name": name,
        "itemIds": list(item_ids),
        "sectionIds": list(section_ids),
    }


def item(item_id, *, name, group_ids=(), price=1.0):
    return {
        "itemId": item_id,
        "name": name,
        "basePrice": price,
        "modifierGroupIds": list(group_ids),
    }


def group(group_id, *, name, item_ids, minimum=0, maximum=1):
    return {
        "modifierGroupId": group_id,
        "name": name,
        "itemIds": list(item_ids),
        "minSelections": minimum,
        "maxSelections": maximum,
        "minimumAllowed": minimum,
        "maximumAllowed": maximum,
    }


def menu(*entities):
    doc = {"catalogSetId": "cs-1", "storeId": "store-1"}
    doc |= {"catalogs": {}, "sections": {}, "items": {}, "modifierGroups": {}}
    for entity in entities:
        for dictionary, id_field in (
            ("catalogs", "catalogId"),
            ("sections", "sectionId"),
            ("items", "itemId"),
            ("modifierGroups", "modifierGroupId"),
        ):
            if id_field in entity:
                doc[dictionary][entity[id_field]] = entity
    return doc


def burger_menu(*extra):
    """Lunch > Mains > Classic Burger, with a required "Choice of side" (Fries or Side Salad)."""
    return menu(
        catalog("lunch", name="Lunch", section_ids=["mains"]),
        section("mains", name="Mains", item_ids=["burger"]),
        item("burger", name="Classic Burger", group_ids=["side"]),
        group("side", name="Choice of side", item_ids=["fries", "salad"], minimum=1, maximum=1),
        item("fries", name="Fries", price=0.0),
        item("salad", name="Side Salad", price=1.5),
        *extra,
    )


def large_menu(items=5000, groups_per_item=3, options_per_group=3):
    """The benchmark menu: two catalogs, 50 sections, `items` items with their own groups each,
    whose options come from a pool of 60 shared option items."""
    pool = [f"option-{n:02d}" for n in range(60)]
    sections = [f"section-{n:02d}" for n in range(50)]
    doc = menu(
        catalog("all-day", name="All Day", section_ids=sections[:40]),
        catalog("late", name="Late Night", section_ids=sections[30:]),
        *(section(sid, name=f"Section {sid}") for sid in sections),
        *(item(oid, name=f"Option {oid}", price=0.5) for oid in pool),
    )
    for n in range(items):
        item_id = f"item-{n:05d}"
        group_ids = [f"{item_id}-group-{g}" for g in range(groups_per_item)]
        for g, group_id in enumerate(group_ids):
            options = [pool[(n + g + o) % len(pool)] for o in range(options_per_group)]
            doc["modifierGroups"][group_id] = group(
                group_id, name=f"Choice {g}", item_ids=options, minimum=g % 2, maximum=2
            )
        doc["items"][item_id] = item(item_id, name=f"Dish {n}", group_ids=group_ids, price=9.5)
        doc["sections"][sections[n % len(sections)]]["itemIds"].append(item_id)
    return doc


def the_problem(doc, code, **kwargs):
    """The one problem `doc` has, checked to carry `code`."""
    problems = catalogset_problems(doc, **kwargs)
    assert [p.code for p in problems] == [code], problems
    return problems[0]


def codes(doc, **kwargs):
    return [p.code for p in catalogset_problems(doc, **kwargs)]


# Valid menus


def test_shipped_example_is_valid():
    doc = json.loads((PAYLOADS / "catalogset.example.json").read_text())

    assert catalogset_problems(doc) == []


def test_small_menu_is_valid():
    assert catalogset_problems(burger_menu()) == []


def test_large_menu_is_valid():
    doc = large_menu()

    assert catalogset_problems(doc) == []
    assert catalogset_counts(doc) == {
        "catalogs": 2,
        "sections": 50,
        "items": 5060,
        "modifierGroups": 15000,
    }


def test_orphan_items_are_allowed():
    doc = burger_menu(item("old", name="Retired Special"))

    assert catalogset_problems(doc) == []


def test_either_spelling_of_the_limits_alone_is_enough():
    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    del side["minimumAllowed"], side["maximumAllowed"]
    assert catalogset_problems(doc) == []

    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    del side["minSelections"], side["maxSelections"]
    assert catalogset_problems(doc) == []


# Counts


def test_counts_entities_per_dictionary():
    doc = json.loads((PAYLOADS / "catalogset.example.json").read_text())

    assert catalogset_counts(doc) == {
        "catalogs": 2,
        "sections": 5,
        "items": 18,
        "modifierGroups": 5,
    }


@pytest.mark.parametrize("doc", [{}, {"items": []}, {"items": "x"}, None, []])
def test_counts_are_zero_for_what_is_missing_or_not_a_dictionary(doc):
    assert catalogset_counts(doc) == {
        "catalogs": 0,
        "sections": 0,
        "items": 0,
        "modifierGroups": 0,
    }


# JSON Schema


def test_schema_problem_names_the_entity_and_points_at_the_field():
    doc = burger_menu()
    doc["items"]["burger"]["basePrice"] = -1

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.items['burger'].basePrice"
    assert "Classic Burger" in problem.message
    assert (problem.entity, problem.entity_id) == ("item", "burger")


def test_missing_member_points_at_the_member():
    doc = burger_menu()
    del doc["modifierGroups"]["side"]["itemIds"]

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.modifierGroups['side'].itemIds"
    assert problem.message == "Modifier group “Choice of side” is missing “itemIds”."
    assert (problem.entity, problem.entity_id) == ("modifierGroup", "side")


def test_badly_written_time_is_a_schema_problem():
    doc = burger_menu()
    doc["catalogs"]["lunch"]["availability"][2]["start"] = "9:00"

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.catalogs['lunch'].availability[2].start"
    assert "Lunch" in problem.message
    assert "HH:mm:ss" in problem.message


@pytest.mark.parametrize("url", ["/media/fries.png", "fries.png", "http://[", "https://x y"])
def test_image_url_that_is_not_a_full_address_is_a_schema_problem(url):
    doc = burger_menu()
    doc["items"]["fries"]["imageUrl"] = url

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.items['fries'].imageUrl"


def test_image_url_must_be_absolute():
    doc = burger_menu()
    doc["items"]["fries"]["imageUrl"] = "/media/fries.png"

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.items['fries'].imageUrl"
    assert "Fries" in problem.message
    doc["items"]["fries"]["imageUrl"] = "https://cdn.example.com/fries.png"
    assert catalogset_problems(doc) == []


def test_empty_id_is_a_schema_problem_at_the_key():
    doc = burger_menu(item("", name="Nameless"))

    key, member = catalogset_problems(doc)

    assert (key.code, key.json_path) == ("SCHEMA", "$.items['']")
    assert (key.entity, key.entity_id) == ("item", "")
    assert (member.code, member.json_path) == ("SCHEMA", "$.items[''].itemId")
    assert "Nameless" in member.message


def test_not_a_number_price_is_a_problem():
    doc = burger_menu()
    doc["items"]["burger"]["basePrice"] = float("nan")

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.items['burger'].basePrice"
    assert "Classic Burger" in problem.message


def test_ids_are_quoted_in_json_paths():
    doc = burger_menu(item("it's \\ odd", name="Odd", price=-1))

    problem = the_problem(doc, "SCHEMA")

    assert problem.json_path == "$.items['it\\'s \\\\ odd'].basePrice"


def test_schema_problems_are_those_of_a_full_jsonschema_run():
    # Only entities the fast checks cannot prove valid reach jsonschema; nothing may be lost.
    doc = large_menu(items=200)
    doc["catalogSetId"] = ""
    doc["items"]["item-00003"]["basePrice"] = "9.50"
    doc["items"]["item-00004"]["modifierGroupIds"].append(7)
    doc["items"]["item-00005"]["imageUrl"] = "not a url"
    del doc["items"]["item-00006"]["itemId"]
    doc["items"]["item-00007"] = "burger"
    doc["items"][""] = item("", name="Empty id")
    doc["modifierGroups"]["item-00008-group-0"]["minSelections"] = -1
    doc["modifierGroups"]["item-00009-group-1"]["maxSelections"] = 1.5
    doc["sections"]["section-01"]["sectionIds"] = "section-02"
    doc["catalogs"]["late"]["availability"] = [{"dayOfWeek": "Funday", "start": "24:00:00"}]
    doc["catalogs"]["all-day"]["availability"] = {}

    full = Draft202012Validator(load_schema(), format_checker=schema.FORMAT_CHECKER)
    expected = [schema._schema_problem(error, doc) for error in full.iter_errors(doc)]
    found = [problem for problem in catalogset_problems(doc) if problem.code == "SCHEMA"]

    assert sorted(found, key=repr) == sorted(expected, key=repr)
    assert len(found) == 15


def test_fast_schema_checks_understand_the_whole_schema():
    # If the schema grows a keyword they do not know, validation still works but gets slow.
    assert schema._fast_schema() is not None


# Keywords fastjsonschema checks exactly as jsonschema does for this schema. A new one needs a
# look first: fastjsonschema lacks some 2020-12 keywords (prefixItems, unevaluatedProperties, …).
FAST_KEYWORDS = {
    *("$schema", "$id", "$defs", "$ref", "title", "description"),
    *("type", "enum", "minimum", "minLength", "pattern", "format", "items"),
    *("required", "properties", "propertyNames", "additionalProperties"),
}


def _schemas(schema):
    yield schema
    for keyword, value in schema.items():
        if keyword in ("properties", "$defs"):
            for sub in value.values():
                yield from _schemas(sub)
        elif isinstance(value, dict):
            yield from _schemas(value)


def test_schema_uses_only_keywords_fastjsonschema_checks_like_jsonschema():
    for subschema in _schemas(load_schema()):
        assert set(subschema) <= FAST_KEYWORDS, subschema
        if "$ref" in subschema:
            # fastjsonschema ignores the siblings of $ref; draft 2020-12 applies them.
            assert set(subschema) <= {"$ref", "description", "title"}, subschema


def test_fast_gate_lets_through_no_broken_entity_on_a_large_menu():
    doc = large_menu(items=300)
    doc["items"]["item-00100"]["imageUrl"] = "fries.png"
    doc["modifierGroups"]["item-00200-group-2"]["maximumAllowed"] = True
    doc["catalogs"]["late"]["availability"][6]["end"] = "24:00:00"

    problems = catalogset_problems(doc)

    assert [(p.code, p.json_path) for p in problems] == [
        ("SCHEMA", "$.catalogs['late'].availability[6].end"),
        ("SCHEMA", "$.items['item-00100'].imageUrl"),
        ("SCHEMA", "$.modifierGroups['item-00200-group-2'].maximumAllowed"),
    ]


# Rule 1: every key equals the id inside


def test_key_must_equal_the_id_inside():
    doc = burger_menu()
    doc["items"]["burger"]["itemId"] = "burger-2"

    problem = the_problem(doc, "ID_MISMATCH")

    assert problem.json_path == "$.items['burger'].itemId"
    assert "Classic Burger" in problem.message
    assert (problem.entity, problem.entity_id) == ("item", "burger")


# Rule 2: references point at existing entities


@pytest.mark.parametrize(
    ("dictionary", "key", "field", "name", "entity"),
    [
        ("catalogs", "lunch", "sectionIds", "Lunch", "catalog"),
        ("sections", "mains", "sectionIds", "Mains", "section"),
        ("sections", "mains", "itemIds", "Mains", "section"),
        ("items", "burger", "modifierGroupIds", "Classic Burger", "item"),
        ("modifierGroups", "side", "itemIds", "Choice of side", "modifierGroup"),
    ],
)
def test_dangling_reference_is_a_problem(dictionary, key, field, name, entity):
    doc = burger_menu()
    ids = doc[dictionary][key][field]
    ids.append("ghost")
    if dictionary == "modifierGroups":
        doc[dictionary][key]["maxSelections"] = doc[dictionary][key]["maximumAllowed"] = 1

    problem = the_problem(doc, "DANGLING_REFERENCE")

    assert problem.json_path == f"$.{dictionary}['{key}'].{field}[{len(ids) - 1}]"
    assert name in problem.message
    assert "ghost" in problem.message
    assert (problem.entity, problem.entity_id) == (entity, key)


# Rule 3: no cycles


def test_section_listing_itself_is_a_cycle():
    doc = burger_menu()
    doc["sections"]["mains"]["sectionIds"] = ["mains"]

    problem = the_problem(doc, "SECTION_CYCLE")

    assert problem.json_path == "$.sections['mains'].sectionIds[0]"
    assert "Mains" in problem.message
    assert (problem.entity, problem.entity_id) == ("section", "mains")


def test_two_sections_containing_each_other_are_a_cycle():
    doc = burger_menu(section("burgers", name="Burgers", section_ids=["mains"]))
    doc["sections"]["mains"]["sectionIds"] = ["burgers"]

    problem = the_problem(doc, "SECTION_CYCLE")

    assert problem.json_path == "$.sections['burgers'].sectionIds[0]"
    assert "“Mains” → “Burgers” → “Mains”" in problem.message


def test_option_leading_back_to_its_item_is_a_cycle():
    doc = burger_menu()
    doc["modifierGroups"]["side"]["itemIds"].append("burger")
    doc["modifierGroups"]["side"]["maxSelections"] = 1

    problem = the_problem(doc, "MODIFIER_CYCLE")

    assert problem.json_path == "$.modifierGroups['side'].itemIds[2]"
    assert "Choice of side" in problem.message
    assert "“Classic Burger” → group “Choice of side” → “Classic Burger”" in problem.message
    assert (problem.entity, problem.entity_id) == ("modifierGroup", "side")


def test_loop_through_nested_modifiers_is_a_cycle():
    # Burger > side: Fries > seasoning: Cajun > dip: Fries again.
    doc = burger_menu(
        group("seasoning", name="Fries seasoning", item_ids=["cajun"]),
        item("cajun", name="Cajun", group_ids=["dip"]),
        group("dip", name="Add a dip", item_ids=["fries"]),
    )
    doc["items"]["fries"]["modifierGroupIds"] = ["seasoning"]

    problem = the_problem(doc, "MODIFIER_CYCLE")

    assert problem.json_path == "$.modifierGroups['dip'].itemIds[0]"
    assert "Add a dip" in problem.message
    assert (
        "“Fries” → group “Fries seasoning” → “Cajun” → group “Add a dip” → “Fries”"
        in problem.message
    )


def test_group_of_an_option_leading_back_is_a_cycle():
    # The loop closes on a group: Fries offers "Choice of side", which offers Fries.
    doc = burger_menu()
    doc["items"]["fries"]["modifierGroupIds"] = ["side"]

    problem = the_problem(doc, "MODIFIER_CYCLE")

    assert problem.json_path == "$.items['fries'].modifierGroupIds[0]"
    assert "Fries" in problem.message


def test_long_loop_is_detected_and_summarised():
    depth = 3000
    doc = menu(catalog("lunch", name="Lunch"))
    for n in range(depth):
        doc["items"][f"i{n}"] = item(f"i{n}", name=f"Level {n}", group_ids=[f"g{n}"])
        following = f"i{(n + 1) % depth}"
        doc["modifierGroups"][f"g{n}"] = group(f"g{n}", name=f"Group {n}", item_ids=[following])

    problem = the_problem(doc, "MODIFIER_CYCLE")

    assert problem.json_path == f"$.modifierGroups['g{depth - 1}'].itemIds[0]"
    assert "…" in problem.message
    assert len(problem.message) < 500


def test_shared_modifier_item_is_not_a_cycle():
    # Fries is an option of two groups, and both groups sit on the same burger.
    doc = burger_menu(
        group("second-side", name="Second side", item_ids=["fries", "salad"]),
    )
    doc["items"]["burger"]["modifierGroupIds"].append("second-side")

    assert catalogset_problems(doc) == []


def test_item_in_two_catalogs_and_shared_sub_section_are_not_cycles():
    doc = burger_menu(
        catalog("late", name="Late Night", section_ids=["mains", "snacks"]),
        section("snacks", name="Snacks", item_ids=["burger", "fries"], section_ids=["sides"]),
        section("sides", name="Sides", item_ids=["fries", "salad"]),
    )
    doc["sections"]["mains"]["sectionIds"] = ["sides"]

    assert catalogset_problems(doc) == []


def test_deep_chain_of_nested_modifiers_does_not_hit_the_recursion_limit():
    depth = 3000
    doc = burger_menu()
    doc["items"]["salad"]["modifierGroupIds"] = ["level-0"]
    for n in range(depth):
        option = f"option-{n}"
        doc["modifierGroups"][f"level-{n}"] = group(
            f"level-{n}", name=f"Level {n}", item_ids=[option]
        )
        following = [f"level-{n + 1}"] if n + 1 < depth else []
        doc["items"][option] = item(option, name=f"Option {n}", group_ids=following)

    assert catalogset_problems(doc) == []


def test_deep_chain_of_sub_sections_does_not_hit_the_recursion_limit():
    depth = 3000
    doc = burger_menu()
    doc["sections"]["mains"]["sectionIds"] = ["s0"]
    for n in range(depth):
        children = [f"s{n + 1}"] if n + 1 < depth else []
        doc["sections"][f"s{n}"] = section(f"s{n}", name=f"Level {n}", section_ids=children)

    assert catalogset_problems(doc) == []


# Rule 4: modifier group limits


def test_minimum_above_maximum_is_a_problem():
    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    side["minSelections"] = side["minimumAllowed"] = 2

    problem = the_problem(doc, "MIN_GT_MAX")

    assert problem.json_path == "$.modifierGroups['side'].minSelections"
    assert problem.message == (
        "Modifier group “Choice of side” requires 2 selections but allows at most 1."
    )
    assert (problem.entity, problem.entity_id) == ("modifierGroup", "side")


def test_maximum_above_number_of_options_is_fine_since_an_option_has_a_quantity():
    # REFERENCE §17.7.4 allows it when options can be chosen more than once, and §17.6 prices
    # "option basePrice × option quantity".
    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    side["maxSelections"] = side["maximumAllowed"] = 3

    assert catalogset_problems(doc) == []


def test_maximum_above_number_of_options_is_a_problem_if_options_cannot_repeat(monkeypatch):
    monkeypatch.setattr(rules, "ALLOW_MAX_ABOVE_OPTION_COUNT", False)
    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    side["maxSelections"] = side["maximumAllowed"] = 3

    problem = the_problem(doc, "MAX_GT_OPTIONS")

    assert problem.json_path == "$.modifierGroups['side'].maxSelections"
    assert problem.message == (
        "Modifier group “Choice of side” allows up to 3 selections but has only 2 options."
    )


@pytest.mark.parametrize(
    "removed",
    [
        ("minSelections", "minimumAllowed", "maxSelections", "maximumAllowed"),
        ("maxSelections", "maximumAllowed"),
        ("minSelections", "minimumAllowed"),
    ],
)
def test_group_without_its_limits_is_a_problem(removed):
    doc = burger_menu()
    side = doc["modifierGroups"]["side"]
    for name in removed:
        del side[name]

    problem = the_problem(doc, "MISSING_LIMIT")

    assert problem.json_path == "$.modifierGroups['side']"
    assert "Choice of side" in problem.message


def test_item_without_a_price_is_a_problem():
    doc = burger_menu()
    del doc["items"]["burger"]["basePrice"]

    problem = the_problem(doc, "MISSING_PRICE")

    assert problem.json_path == "$.items['burger']"
    assert "Burger" in problem.message


def test_required_group_without_options_is_a_problem():
    doc = burger_menu()
    doc["modifierGroups"]["side"]["itemIds"] = []

    problem = the_problem(doc, "REQUIRED_GROUP_EMPTY")

    assert problem.json_path == "$.modifierGroups['side'].itemIds"
    assert "Choice of side" in problem.message


def test_two_spellings_of_a_limit_must_agree():
    doc = burger_menu()
    doc["modifierGroups"]["side"]["minimumAllowed"] = 0

    problem = the_problem(doc, "LIMIT_SPELLING_MISMATCH")

    assert problem.json_path == "$.modifierGroups['side'].minimumAllowed"
    assert "Choice of side" in problem.message


# Rules 5 and 6: availability


def test_window_crossing_midnight_is_a_problem():
    doc = burger_menu()
    doc["catalogs"]["lunch"]["availability"] = [
        {"dayOfWeek": "Friday", "start": "22:00:00", "end": "02:00:00"}
    ]

    problem = the_problem(doc, "WINDOW_CROSSES_MIDNIGHT")

    assert problem.json_path == "$.catalogs['lunch'].availability[0].end"
    assert "Lunch" in problem.message
    assert "Friday 22:00:00–00:00:00 and Saturday 00:00:00–02:00:00" in problem.message
    assert (problem.entity, problem.entity_id) == ("catalog", "lunch")


def test_window_opening_and_closing_at_once_is_a_problem():
    doc = burger_menu()
    doc["catalogs"]["lunch"]["availability"][3] = {
        "dayOfWeek": "Wednesday",
        "start": "10:00:00",
        "end": "10:00:00",
    }

    problem = the_problem(doc, "WINDOW_ORDER")

    assert problem.json_path == "$.catalogs['lunch'].availability[3].end"
    assert "Lunch" in problem.message


def test_windows_ending_at_midnight_are_fine():
    doc = burger_menu()
    doc["catalogs"]["lunch"]["availability"] = [
        {"dayOfWeek": "Friday", "start": "22:00:00", "end": "00:00:00"},
        {"dayOfWeek": "Saturday", "start": "00:00:00", "end": "02:00:00"},
        {"dayOfWeek": "Saturday", "start": "11:00:00", "end": "15:00:00"},
        {"dayOfWeek": "Sunday", "start": "00:00:00", "end": "00:00:00"},
    ]

    assert catalogset_problems(doc) == []


@pytest.mark.parametrize("availability", [None, [], "missing"])
def test_catalog_without_windows_is_never_shown(availability):
    doc = burger_menu()
    if availability == "missing":
        del doc["catalogs"]["lunch"]["availability"]
    else:
        doc["catalogs"]["lunch"]["availability"] = availability

    problem = the_problem(doc, "NO_AVAILABILITY")

    assert problem.json_path == "$.catalogs['lunch'].availability"
    assert "Lunch" in problem.message
    assert (problem.entity, problem.entity_id) == ("catalog", "lunch")


# Rule 7: store level


def test_store_must_allow_delivery_or_pickup():
    store = {"deliveryAllowed": False, "pickupAllowed": False}

    problem = the_problem(burger_menu(), "NO_FULFILLMENT_METHOD", store=store)

    assert problem.json_path == "$"
    assert "delivery" in problem.message


@pytest.mark.parametrize(
    "store",
    [
        {"deliveryAllowed": True, "pickupAllowed": False},
        {"deliveryAllowed": False, "pickupAllowed": True},
        None,
    ],
)
def test_store_allowing_one_way_to_fulfil_is_fine(store):
    assert catalogset_problems(burger_menu(), store=store) == []


@pytest.mark.parametrize("store", [{}, {"deliveryAllowed": "yes"}, "open", []])
def test_store_flags_that_are_not_true_count_as_false(store):
    assert codes(burger_menu(), store=store) == ["NO_FULFILLMENT_METHOD"]


# Rule 8: no repeats inside one id list


def test_same_id_twice_in_one_list_is_a_problem():
    doc = burger_menu()
    doc["sections"]["mains"]["itemIds"] = ["burger", "burger"]

    problem = the_problem(doc, "DUPLICATE_ID")

    assert problem.json_path == "$.sections['mains'].itemIds[1]"
    assert "Mains" in problem.message
    assert "Classic Burger" in problem.message


# Nothing to sell


def test_menu_without_catalogs_is_a_problem():
    doc = burger_menu()
    doc["catalogs"] = {}

    problem = the_problem(doc, "NO_CATALOGS")

    assert problem.json_path == "$.catalogs"


# Garbage in, problems out


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "x",
        42,
        {},
        {"catalogs": []},
        {"catalogs": "a", "sections": "b", "items": "c", "modifierGroups": "d"},
        {
            "catalogs": {"c": "x"},
            "sections": {"s": 1},
            "items": {"i": []},
            "modifierGroups": {"g": None},
        },
        {"catalogs": {1: {}}, "sections": {}, "items": {}, "modifierGroups": {}},
    ],
)
def test_garbage_gives_problems_not_exceptions(doc):
    problems = catalogset_problems(doc)

    assert problems
    assert all(isinstance(p, CatalogProblem) and p.json_path.startswith("$") for p in problems)


def test_document_that_is_not_an_object_is_one_schema_problem():
    problem = the_problem([], "SCHEMA")

    assert problem.json_path == "$"
    assert problem.message == "The CatalogSet must be an object (got a list)."


def test_missing_dictionaries_stop_the_checks_after_the_schema():
    problems = catalogset_problems({"catalogs": []})

    assert {p.code for p in problems} == {"SCHEMA"}
    assert {p.json_path for p in problems} == {
        "$.catalogs",
        "$.sections",
        "$.items",
        "$.modifierGroups",
    }


WRONG_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    "",
    "x",
    "http://[",
    [],
    [None],
    [[]],
    [{}],
    {},
]


def _every_location(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _every_location(member, (*path, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _every_location(member, (*path, index))


def test_wrong_types_anywhere_never_raise():
    original = burger_menu(
        group("seasoning", name="Fries seasoning", item_ids=["salad"], maximum=1),
    )
    original["items"]["fries"]["modifierGroupIds"] = ["seasoning"]
    original["items"]["salad"]["imageUrl"] = "https://cdn.example.com/salad.png"
    full = Draft202012Validator(load_schema(), format_checker=schema.FORMAT_CHECKER)
    for path in list(_every_location(original))[1:]:
        for wrong in WRONG_VALUES:
            doc = copy.deepcopy(original)
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = copy.deepcopy(wrong)

            problems = catalogset_problems(doc, store={"pickupAllowed": True})

            assert all(isinstance(p, CatalogProblem) for p in problems)
            # The fast schema checks let through nothing jsonschema would catch. (A NaN price
            # passes jsonschema; it is reported on top.)
            expected = [schema._schema_problem(e, doc) for e in full.iter_errors(doc)]
            found = [
                p
                for p in problems
                if p.code == "SCHEMA" and "must be a number (got nan)" not in p.message
            ]
            assert sorted(found, key=repr) == sorted(expected, key=repr), path


# The plain-Python schema gate and the acyclicity check (speed-ups that must change no answer)


def _fast_says_valid(doc):
    return schema._is_valid(schema._fast_schema(), doc)


class _Dict(dict):
    pass


# (dictionary, entity id, field, value): each makes the entity something the gate must not accept
# unless fastjsonschema does; None as the field replaces the whole entity.
_GATE_MUTATIONS = [
    *(
        ("items", "burger", field, value)
        for field in ("itemId", "name", "description", "imageUrl", "basePrice", "modifierGroupIds")
        for value in (
            None, True, 0, -1, -0.5, 1.5, float("nan"), float("inf"), "", "x", "not a uri",
            "https://example.com/a.png", [], ["side"], [""], [1], ("side",), {}, _Dict(),
        )
    ),
    *(
        ("modifierGroups", "side", field, value)
        for field in (
            "modifierGroupId", "name", "itemIds", "minSelections", "maxSelections",
            "minimumAllowed", "maximumAllowed",
        )
        for value in (None, True, False, 0, 2, -1, 1.0, 1.5, "1", "", [], ["fries"], [""], [3],
                      ("fries",))
    ),
    *(
        (dictionary, key, None, value)
        for dictionary, key in (("items", "burger"), ("modifierGroups", "side"))
        for value in (None, [], "x", _Dict(), {})
    ),
]  # fmt: skip


@pytest.mark.parametrize(("dictionary", "key", "field", "value"), _GATE_MUTATIONS)
def test_plain_gate_accepts_nothing_fastjsonschema_rejects(dictionary, key, field, value):
    doc = burger_menu()
    if field is None:
        doc[dictionary][key] = value
    else:
        doc[dictionary][key][field] = value
    missing = burger_menu()
    if field is not None:
        missing[dictionary][key].pop(field, None)

    for candidate in (doc, missing):
        if schema._plainly_valid(candidate):
            assert _fast_says_valid(candidate)
        # Whatever the gate says, the answer is that of fastjsonschema then jsonschema.
        assert schema.schema_problems(candidate) == (
            []
            if _fast_says_valid(candidate)
            else [
                schema._schema_problem(error, candidate)
                for error in schema._schema_validator().iter_errors(
                    schema._entities_to_check(candidate)
                )
            ]
        )


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.pop("items"),
        lambda doc: doc.update(items=[]),
        lambda doc: doc.update(catalogSetId=""),
        lambda doc: doc.update(storeId=7),
        lambda doc: doc["items"].update({"": item("x", name="X")}),
        lambda doc: doc["items"].update({3: item("x", name="X")}),
        lambda doc: doc["modifierGroups"].update({"": group("g", name="G", item_ids=[])}),
        lambda doc: doc["catalogs"]["lunch"].update(availability=[{"dayOfWeek": "Funday"}]),
        lambda doc: doc["sections"]["mains"].update(itemIds="burger"),
    ],
)
def test_plain_gate_rejects_what_the_schema_rejects_outside_entities(change):
    doc = burger_menu()
    change(doc)

    assert not schema._plainly_valid(doc)
    assert not _fast_says_valid(doc)


def test_plain_gate_takes_valid_menus_and_is_written_for_this_schema():
    # A change to the schema file turns the gate off: check the gate against the new schema,
    # then update SCHEMA_FILE_SHA256.
    assert schema._plain_gate_applies()
    assert schema._plainly_valid(burger_menu())
    assert schema._plainly_valid(large_menu(items=50))
    with_image = burger_menu()
    with_image["items"]["burger"] |= {"imageUrl": "https://cdn.example.com/b.png"}
    with_image["items"]["burger"]["description"] = None
    assert schema._plainly_valid(with_image)


def test_plain_gate_is_off_for_another_schema(monkeypatch):
    monkeypatch.setattr(schema, "SCHEMA_FILE_SHA256", "0" * 64)
    schema._plain_gate_applies.cache_clear()
    try:
        assert not schema._plainly_valid(burger_menu())
        assert catalogset_problems(burger_menu()) == []
    finally:
        monkeypatch.undo()
        schema._plain_gate_applies.cache_clear()


def _random_modifier_menu(rng):
    items = [f"i{n}" for n in range(rng.randrange(1, 9))]
    groups = [f"g{n}" for n in range(rng.randrange(0, 5))]
    doc = menu(catalog("c", name="C"))
    for item_id in items:
        refs = rng.sample(groups + ["missing", 5], rng.randrange(0, min(3, len(groups) + 2) + 1))
        doc["items"][item_id] = item(item_id, name=item_id, group_ids=refs)
    for group_id in groups:
        refs = rng.choices(items + ["nowhere"], k=rng.randrange(0, 4))
        doc["modifierGroups"][group_id] = group(group_id, name=group_id, item_ids=refs)
    if rng.random() < 0.2 and items:
        doc["items"][items[0]]["modifierGroupIds"] = "not a list"
    return doc


def test_acyclicity_check_agrees_with_the_cycle_search():
    import random

    rng = random.Random(20240501)
    seen = {True: 0, False: 0}
    for _ in range(3000):
        doc = _random_modifier_menu(rng)
        checked = rules.Menu(doc)
        acyclic = checked._modifiers_are_acyclic()
        seen[acyclic] += 1
        nodes = [(paths.ITEM, key) for key in checked.entities[paths.ITEM]]
        nodes += [(paths.GROUP, key) for key in checked.entities[paths.GROUP]]

        def successors(node, checked=checked):
            kind, key = node
            if kind is paths.ITEM:
                found = checked.successors(kind, key, "modifierGroupIds", paths.GROUP)
                return [(i, (paths.GROUP, g)) for i, g in found]
            found = checked.successors(kind, key, "itemIds", paths.ITEM)
            return [(i, (paths.ITEM, it)) for i, it in found]

        assert acyclic == (not list(rules._closing_edges(nodes, successors)))
    assert seen[True] > 300 and seen[False] > 300
