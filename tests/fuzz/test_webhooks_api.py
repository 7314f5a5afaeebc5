"""schemathesis against Gett's order webhooks, as our schema describes them.

Bodies are generated from the schema (valid and invalid), aimed at the world's store and menu
often enough to reach the pricing rules, then SIGNED like Gett signs them so that they get past
the signature check to the parser and the services. Some are sent unsigned, with a wrong secret,
a stale or absurd timestamp, or garbled after signing, and must be refused with a 401.
Whatever comes in: no 5xx, and the reply matches the schema.
"""

from __future__ import annotations

import json
import time
import zlib

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis import checks
from schemathesis.core import NotSet

from gett import signing
from gett.models import InboundWebhook
from orders.webhooks import parsing
from tests.fuzz.conftest import World, fuzz_settings

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

SECRET = "whsec_test_current"


def _document() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


schema = schemathesis.openapi.from_dict(_document()).include(path_regex="^/webhooks/")

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

# How the generated body is sent, chosen by the body's checksum (schema examples allow no extra
# strategy). Mostly signed, so the parser and the services see it.
SIGNED = "signed"
MODES = [SIGNED] * 6 + ["unsigned", "wrong secret", "stale", "huge timestamp", "tampered"]


def _pick(value, choices: list[str]):
    """A real id for most generated strings; the generated one otherwise (an unknown id)."""
    if not isinstance(value, str):
        return value
    slot = zlib.crc32(value.encode("utf-8", "surrogatepass")) % (len(choices) + 1)
    return choices[slot] if slot < len(choices) else value


def _aim_selection(entry, world: World) -> None:
    if not isinstance(entry, dict):
        return
    if "itemId" in entry:
        entry["itemId"] = _pick(entry["itemId"], world.items)
    groups = entry.get("modifierGroups")
    for group in groups if isinstance(groups, list) else ():
        if isinstance(group, dict):
            if "modifierGroupId" in group:
                group["modifierGroupId"] = _pick(group["modifierGroupId"], world.groups)
            chosen = group.get("selectedModifiers")
            for modifier in chosen if isinstance(chosen, list) else ():
                _aim_selection(modifier, world)


def _aim(body, world: World) -> None:
    cart = body.get("cart") if isinstance(body, dict) else None
    if not isinstance(cart, dict):
        return
    if "storeId" in cart:
        cart["storeId"] = _pick(cart["storeId"], world.store_refs)
    lines = cart.get("lineItems")
    for line in lines if isinstance(lines, list) else ():
        _aim_selection(line, world)


def _raw(body) -> bytes:
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body).encode()


def _headers(raw: bytes, mode: str) -> dict[str, str]:
    now = int(time.time())
    if mode == "unsigned":
        return {}
    secret = "whsec_someone_else" if mode == "wrong secret" else SECRET
    stamp = {"stale": now - 301, "huge timestamp": int("9" * 40)}.get(mode, now)
    headers = signing.signed_headers(raw, secret, timestamp=stamp)
    headers.pop("Content-Type")
    return headers


@schema.parametrize()
@fuzz_settings
def test_webhooks_never_answer_5xx_and_keep_to_their_schema(case, world, app):
    _aim(case.body, world)
    raw = _raw(case.body)
    mode = MODES[zlib.crc32(raw) % len(MODES)]
    headers = _headers(raw, mode)
    if mode == "tampered":
        raw = raw[: len(raw) // 2] + b"#" + raw[len(raw) // 2 :]
    case.headers = {}  # the schema's own Signature/Timestamp are replaced by real ones
    response = case.call(app=app, data=raw, headers={"Content-Type": "application/json", **headers})

    case.validate_response(response, checks=CHECKS)
    if mode != SIGNED and case.method == "POST":
        assert response.status_code == 401, response.text
    entry = InboundWebhook.objects.order_by("-pk").first()
    if case.method == "POST":
        assert entry is not None and entry.status == response.status_code


def test_the_schema_describes_both_webhooks_with_the_parser_limits():
    document = _document()
    paths = document["paths"]
    assert {"/webhooks/gett/validateOrder", "/webhooks/gett/placeOrder"} <= set(paths)
    place = paths["/webhooks/gett/placeOrder"]["post"]
    assert place["security"] == []
    assert {"200", "400", "401", "404", "409"} <= set(place["responses"])
    assert [p["name"] for p in place["parameters"] if p["required"]] == ["Signature", "Timestamp"]
    schemas = document["components"]["schemas"]
    assert schemas["GettCart"]["properties"]["lineItems"]["maxItems"] == parsing.MAX_LINES
    quantity = schemas["GettLineItem"]["properties"]["quantity"]
    assert quantity["maximum"] == parsing.MAX_QUANTITY


def test_the_merchant_api_schema_documents_problem_responses_and_local_times():
    document = _document()
    detail = document["paths"]["/api/v1/stores/{public_id}/"]["get"]["responses"]
    assert {"401", "403", "404", "429"} <= set(detail)
    assert "application/problem+json" in detail["404"]["content"]
    window = document["components"]["schemas"]["WindowOutput"]["properties"]["start"]
    assert "format" not in window and window["pattern"].startswith("^")
