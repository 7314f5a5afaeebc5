"""The sandbox checks CatalogSets with its own code, and agrees with the portal's checker.

Every case runs through both `gett.sandbox.services.catalog_rules.catalogset_check` (Gett's side)
and `gett.catalogset.validation.catalogset_problems` (the portal's), which must both give the
verdict settled against REFERENCE §17 and the schema.
"""

import ast
import copy
import filecmp
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

from gett.catalogset.validation import catalogset_problems
from gett.sandbox.services import catalog_rules
from gett.sandbox.services.catalog_rules import catalogset_check

ACCEPT, REJECT = "accept", "reject"


def base() -> dict:
    return {
        "catalogSetId": "cs-1",
        "storeId": "pos-store-0042",
        "catalogs": {
            "all-day": {
                "catalogId": "all-day",
                "name": "All day",
                "sectionIds": ["mains"],
                "availability": [
                    {"dayOfWeek": day, "start": "00:00:00", "end": "00:00:00"}
                    for day in ("Monday", "Tuesday", "Wednesday")
                ],
            }
        },
        "sections": {
            "mains": {
                "sectionId": "mains",
                "name": "Mains",
                "itemIds": ["burger"],
                "sectionIds": ["specials"],
            },
            "specials": {"sectionId": "specials", "name": "Specials", "itemIds": ["burger"]},
        },
        "items": {
            "burger": {
                "itemId": "burger",
                "name": "Burger",
                "basePrice": 9.5,
                "modifierGroupIds": ["side"],
            },
            "fries": {"itemId": "fries", "name": "Fries", "basePrice": 0},
            "salad": {"itemId": "salad", "name": "Salad", "basePrice": 1.5},
        },
        "modifierGroups": {
            "side": {
                "modifierGroupId": "side",
                "name": "Choice of side",
                "itemIds": ["fries", "salad"],
                "minSelections": 1,
                "maxSelections": 1,
                "minimumAllowed": 1,
                "maximumAllowed": 1,
            }
        },
    }


def side(doc: dict) -> dict:
    return doc["modifierGroups"]["side"]


def limits(doc: dict, **values: int) -> None:
    group = side(doc)
    for name in ("minSelections", "maxSelections", "minimumAllowed", "maximumAllowed"):
        group.pop(name, None)
    group.update(values)


def hours(doc: dict, *windows: tuple[str, str, str]) -> None:
    doc["catalogs"]["all-day"]["availability"] = [
        {"dayOfWeek": day, "start": start, "end": end} for day, start, end in windows
    ]


def add_seasoning(doc: dict, options: list[str]) -> None:
    """Fries -> "Seasoning" group with `options` (nested modifiers)."""
    doc["items"]["fries"]["modifierGroupIds"] = ["seasoning"]
    doc["items"]["salt"] = {"itemId": "salt", "name": "Salt", "basePrice": 0}
    doc["modifierGroups"]["seasoning"] = {
        "modifierGroupId": "seasoning",
        "itemIds": options,
        "minSelections": 0,
        "maxSelections": 1,
    }


CASES: list[tuple[str, Callable[[dict], object], str]] = [
    ("the base menu", lambda d: None, ACCEPT),
    ("unknown members everywhere", lambda d: d["items"]["burger"].update(colour="red"), ACCEPT),
    # basePrice: every item, options included, is priced (§17.3, §17.5, §17.6)
    ("item without basePrice", lambda d: d["items"]["burger"].pop("basePrice"), REJECT),
    ("modifier option without basePrice", lambda d: d["items"]["fries"].pop("basePrice"), REJECT),
    ("free option (basePrice 0)", lambda d: d["items"]["salad"].update(basePrice=0), ACCEPT),
    ("negative basePrice", lambda d: d["items"]["burger"].update(basePrice=-1), REJECT),
    ("basePrice as text", lambda d: d["items"]["burger"].update(basePrice="9.50"), REJECT),
    ("basePrice NaN", lambda d: d["items"]["burger"].update(basePrice=float("nan")), REJECT),
    # group limits (§17.3, §17.7 rule 4)
    ("group with no min/max", lambda d: limits(d), REJECT),
    ("group with only a min", lambda d: limits(d, minSelections=1), REJECT),
    ("group with only a max", lambda d: limits(d, maxSelections=1), REJECT),
    ("current spelling only", lambda d: limits(d, minSelections=0, maxSelections=2), ACCEPT),
    ("old spelling only", lambda d: limits(d, minimumAllowed=0, maximumAllowed=2), ACCEPT),
    (
        "min in one spelling, max in the other",
        lambda d: limits(d, minSelections=0, maximumAllowed=1),
        ACCEPT,
    ),  # noqa: E501
    ("spellings disagree", lambda d: side(d).update(minimumAllowed=0), REJECT),
    (
        "max above the number of options",
        lambda d: limits(d, minSelections=0, maxSelections=3),
        ACCEPT,
    ),  # noqa: E501
    (
        "min above the number of options",
        lambda d: limits(d, minSelections=3, maxSelections=4),
        ACCEPT,
    ),  # noqa: E501
    ("min above max", lambda d: limits(d, minSelections=2, maxSelections=1), REJECT),
    ("required group without options", lambda d: side(d).update(itemIds=[]), REJECT),
    (
        "optional group without options",
        lambda d: (side(d).update(itemIds=[]), limits(d, minSelections=0, maxSelections=0)),
        ACCEPT,
    ),  # noqa: E501
    ("negative minimum", lambda d: limits(d, minSelections=-1, maxSelections=1), REJECT),
    ("fractional maximum", lambda d: limits(d, minSelections=0, maxSelections=1.5), REJECT),
    # availability (§17.4, rules 5 and 6)
    (
        "overnight split at midnight",
        lambda d: hours(
            d, ("Friday", "22:00:00", "00:00:00"), ("Saturday", "00:00:00", "02:00:00")
        ),
        ACCEPT,
    ),  # noqa: E501
    ("window crossing midnight", lambda d: hours(d, ("Friday", "22:00:00", "02:00:00")), REJECT),
    (
        "window that ends as it starts",
        lambda d: hours(d, ("Friday", "10:00:00", "10:00:00")),
        REJECT,
    ),  # noqa: E501
    (
        "lunch and dinner",
        lambda d: hours(d, ("Friday", "11:00:00", "14:00:00"), ("Friday", "18:00:00", "22:00:00")),
        ACCEPT,
    ),  # noqa: E501
    ("availability null", lambda d: d["catalogs"]["all-day"].update(availability=None), REJECT),
    ("availability empty", lambda d: hours(d), REJECT),
    ("availability missing", lambda d: d["catalogs"]["all-day"].pop("availability"), REJECT),
    ("day in lower case", lambda d: hours(d, ("friday", "10:00:00", "12:00:00")), REJECT),
    ("time without seconds", lambda d: hours(d, ("Friday", "10:00", "12:00:00")), REJECT),
    # cycles (rule 3)
    (
        "section lists itself",
        lambda d: d["sections"]["specials"].update(sectionIds=["specials"]),
        REJECT,
    ),  # noqa: E501
    (
        "two sections in a loop",
        lambda d: d["sections"]["specials"].update(sectionIds=["mains"]),
        REJECT,
    ),  # noqa: E501
    (
        "a section shared by two parents",
        lambda d: (
            d["sections"].update(drinks={"sectionId": "drinks", "sectionIds": ["specials"]}),
            d["catalogs"]["all-day"]["sectionIds"].append("drinks"),
        ),
        ACCEPT,
    ),  # noqa: E501
    ("an option of its own item", lambda d: side(d)["itemIds"].append("burger"), REJECT),
    ("nested modifiers loop back", lambda d: add_seasoning(d, ["salt", "burger"]), REJECT),
    ("nested modifiers without a loop", lambda d: add_seasoning(d, ["salt"]), ACCEPT),
    (
        "a group shared by two items",
        lambda d: (
            d["items"]["salad"].update(modifierGroupIds=[])
            or d["items"].update(
                wrap={"itemId": "wrap", "basePrice": 7, "modifierGroupIds": ["side"]}
            )
        ),
        ACCEPT,
    ),  # noqa: E501
    # references and ids (rules 1, 2, 8)
    (
        "missing section of a catalog",
        lambda d: d["catalogs"]["all-day"]["sectionIds"].append("nope"),
        REJECT,
    ),  # noqa: E501
    ("missing sub-section", lambda d: d["sections"]["mains"]["sectionIds"].append("nope"), REJECT),
    (
        "missing item of a section",
        lambda d: d["sections"]["mains"]["itemIds"].append("nope"),
        REJECT,
    ),  # noqa: E501
    (
        "missing group of an item",
        lambda d: d["items"]["burger"]["modifierGroupIds"].append("nope"),
        REJECT,
    ),  # noqa: E501
    ("missing option of a group", lambda d: side(d)["itemIds"].append("nope"), REJECT),
    ("key and id differ", lambda d: d["items"]["fries"].update(itemId="chips"), REJECT),
    (
        "an id twice in one list",
        lambda d: d["sections"]["mains"]["itemIds"].append("burger"),
        REJECT,
    ),  # noqa: E501
    ("an item missing its id", lambda d: d["items"]["fries"].pop("itemId"), REJECT),
    ("a group missing itemIds", lambda d: side(d).pop("itemIds"), REJECT),
    ("a catalog missing sectionIds", lambda d: d["catalogs"]["all-day"].pop("sectionIds"), REJECT),
    ("no catalogs at all", lambda d: d.update(catalogs={}), REJECT),
    ("no sections dictionary", lambda d: d.pop("sections"), REJECT),
    (
        "relative imageUrl",
        lambda d: d["items"]["burger"].update(imageUrl="/media/burger.png"),
        REJECT,
    ),  # noqa: E501
    (
        "absolute imageUrl",
        lambda d: d["items"]["burger"].update(imageUrl="https://cdn.example.com/b.png"),
        ACCEPT,
    ),  # noqa: E501
    ("an empty id", lambda d: d["items"]["burger"]["modifierGroupIds"].append(""), REJECT),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sandbox_and_portal_agree(mutate, expected):
    doc = base()
    mutate(doc)

    sandbox = ACCEPT if not catalogset_check(copy.deepcopy(doc)) else REJECT
    portal = ACCEPT if not catalogset_problems(copy.deepcopy(doc)) else REJECT

    assert (sandbox, portal) == (expected, expected)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"deliveryAllowed": True, "pickupAllowed": False}, ACCEPT),
        ({"deliveryAllowed": False, "pickupAllowed": True}, ACCEPT),
        ({"deliveryAllowed": False, "pickupAllowed": False}, REJECT),
    ],
)
def test_sandbox_and_portal_agree_on_fulfillment_flags(flags, expected):
    sandbox = ACCEPT if not catalogset_check(base(), store=flags) else REJECT
    portal = ACCEPT if not catalogset_problems(base(), store=flags) else REJECT

    assert (sandbox, portal) == (expected, expected)


def test_sandbox_problems_say_where_and_what():
    doc = base()
    doc["items"]["burger"].pop("basePrice")
    doc["sections"]["specials"]["sectionIds"] = ["mains"]

    problems = catalogset_check(doc)

    assert {(p["code"], p["jsonPath"], p["entityId"]) for p in problems} == {
        ("MISSING_PRICE", "$.items['burger']", "burger"),
        ("SECTION_CYCLE", "$.sections['specials'].sectionIds[0]", "specials"),
    }


def test_sandbox_reports_schema_problems_with_their_path():
    doc = base()
    doc["items"]["burger"]["basePrice"] = -1

    [problem] = catalogset_check(doc)

    assert (problem["code"], problem["jsonPath"]) == ("SCHEMA", "$.items['burger'].basePrice")


def test_sandbox_survives_any_json():
    for doc in (None, [], "menu", 3, {"catalogs": []}, {"items": {"x": 1}}):
        assert catalogset_check(doc)


def test_sandbox_uses_the_published_schema_file():
    shared = Path("/work/shared/gett-api/catalogset.schema.json")
    if shared.exists():
        assert filecmp.cmp(catalog_rules.SCHEMA_FILE, shared, shallow=False)
    assert catalog_rules.SCHEMA_FILE == Path(settings.BASE_DIR) / "gett/spec/catalogset.schema.json"


def test_sandbox_imports_nothing_from_the_portals_catalogset_checker():
    offenders = []
    for path in (Path(settings.BASE_DIR) / "gett" / "sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("gett.catalogset")]
    assert offenders == []
