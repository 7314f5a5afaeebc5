"""schemathesis against the merchant API's own OpenAPI schema (drf-spectacular), in process.

Every operation gets generated requests, valid and invalid (`fuzz_settings` bounds how many),
authenticated as a merchant owner with an API token, against a realistic world: path ids, the
snooze body's `item` and the `store`/`merchant` filters are swapped for real ids often enough
that requests reach real stores, items and orders (and another merchant's, which must be 404s).

The property that matters: no 5xx, ever. Responses must also match the schema (status codes,
content types, bodies), so the schema stays an honest description of the API.
"""

from __future__ import annotations

import json
import uuid

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis import checks

from tests.fuzz.conftest import World, fuzz_settings

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


def _merchant_api_schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_merchant_api_schema()).include(path_regex="^/api/")


def _pick(value, choices: list[str]):
    """A real id for a generated UUID most of the time; the generated one (unknown) otherwise."""
    try:
        number = uuid.UUID(str(value)).int
    except ValueError:
        return value  # not a UUID: an invalid request on purpose, keep it
    slot = number % (len(choices) + 1)
    return choices[slot] if slot < len(choices) else value


def _aim(case, world: World) -> None:
    """Point the generated ids at the world's objects (theirs and another merchant's)."""
    path = case.operation.path
    stores = [*world.stores, world.other_store]
    for name, value in (case.path_parameters or {}).items():
        if name == "item_id" or path.startswith("/api/v1/menu/items/"):
            choices = world.items
        elif path.startswith("/api/v1/orders/"):
            choices = [*world.orders, world.other_order]
        else:
            choices = stores
        case.path_parameters[name] = _pick(value, choices)
    query = case.query or {}
    if "store" in query:
        query["store"] = _pick(query["store"], stores)
    if "merchant" in query:
        query["merchant"] = _pick(query["merchant"], world.merchants)
    if isinstance(case.body, dict) and "item" in case.body:
        case.body["item"] = _pick(case.body["item"], world.items)


# Left out: `positive_data_acceptance` (a schema-valid request may still break a business rule:
# cancel "other" without a note, a snooze of an item not on the menu); `negative_data_rejection`
# (DRF's lenient parsing is kept on purpose: a number where a string is expected is read as
# text, an empty query value or form field as absent); `ignored_auth` (our token rides on every
# call, so its "invalid auth" probe still carries a valid one; the token tests cover that).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
]


@schema.parametrize()
@fuzz_settings
def test_merchant_api_never_answers_5xx_and_keeps_to_its_schema(case, world, app):
    _aim(case, world)
    response = case.call(app=app, headers={"Authorization": f"Token {world.token}"})
    case.validate_response(response, checks=CHECKS)
