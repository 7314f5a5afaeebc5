"""Store management endpoints: GET /v1/commerce/stores, GET/PUT /v1/commerce/stores/{storeId}."""

import json
import uuid

import pytest
from django.urls import reverse

from tests.sandbox.openapi import assert_valid, assert_valid_request, assert_valid_response

pytestmark = pytest.mark.django_db

LIST = "/v1/commerce/stores"
DETAIL = "/v1/commerce/stores/{storeId}"


def put_json(client, url, body, auth):
    return client.put(url, body, content_type="application/json", headers=auth)


def test_get_store_returns_the_store_schema(client, auth, store, store_url):
    response = client.get(store_url, headers=auth)

    assert response.status_code == 200
    body = assert_valid_response(response, DETAIL, "get")
    assert_valid(body, "Store")
    assert body == {
        "storeId": str(store.store_id),
        "name": "Pizza Roma",
        "address": {
            "street": "12 Mulberry St",
            "city": "New York",
            "state": "NY",
            "postalCode": "10013",
            "country": "US",
        },
        "phone": "+1 212 555 0100",
        "timezone": "America/New_York",
        "logoUrl": "https://cdn.example.com/pizza-roma/logo.png",
        "description": "Wood-fired pizza since 1987.",
        "status": "online",
        "deliveryAllowed": True,
        "pickupAllowed": True,
    }


def test_list_stores_returns_every_store_as_an_array(client, auth, store):
    response = client.get(reverse("sandbox:store-list"), headers=auth)

    assert response.status_code == 200
    body = assert_valid_response(response, LIST, "get")
    assert [s["storeId"] for s in body] == [str(store.store_id)]


def test_put_store_updates_the_members_sent_and_keeps_the_others(client, auth, store, store_url):
    update = {
        "name": "Pizza Roma Downtown",
        "phone": "+1 212 555 0199",
        "logoUrl": "https://cdn.example.com/pizza-roma/logo-2.png",
        "pickupAllowed": False,
    }
    assert_valid_request(update, DETAIL, "put")

    response = put_json(client, store_url, update, auth)

    assert response.status_code == 200
    body = assert_valid_response(response, DETAIL, "put")
    assert body["name"] == "Pizza Roma Downtown"
    assert body["phone"] == "+1 212 555 0199"
    assert body["logoUrl"] == "https://cdn.example.com/pizza-roma/logo-2.png"
    assert body["pickupAllowed"] is False
    assert body["deliveryAllowed"] is True
    assert body["description"] == "Wood-fired pizza since 1987."
    store.refresh_from_db()
    assert store.name == "Pizza Roma Downtown"
    assert store.pickup_allowed is False


def test_put_store_ignores_unknown_members(client, auth, store, store_url):
    response = put_json(client, store_url, {"name": "New name", "cuisine": "pizza"}, auth)

    assert response.status_code == 200
    assert assert_valid_response(response, DETAIL, "put")["name"] == "New name"


def test_put_store_with_wrong_types_is_422_with_one_error_per_member(
    client, auth, store, store_url
):
    response = put_json(
        client,
        store_url,
        {"name": 42, "logoUrl": "not a url", "deliveryAllowed": "yes", "description": None},
        auth,
    )

    assert response.status_code == 422
    body = assert_valid_response(response, DETAIL, "put")
    assert body["errorCode"] == "VALIDATION_FAILED"
    assert body["errorCategory"] == "validation"
    assert sorted(e["jsonPath"] for e in body["errors"]) == [
        "$.deliveryAllowed",
        "$.description",
        "$.logoUrl",
        "$.name",
    ]
    store.refresh_from_db()
    assert store.name == "Pizza Roma"


@pytest.mark.parametrize(
    "logo_url", ["ftp://cdn.example.com/logo.png", "/relative/logo.png", "https://", ""]
)
def test_put_store_rejects_a_logo_url_that_is_not_an_http_uri(
    client, auth, store, store_url, logo_url
):
    response = put_json(client, store_url, {"logoUrl": logo_url}, auth)

    assert response.status_code == 422
    body = assert_valid_response(response, DETAIL, "put")
    assert [e["jsonPath"] for e in body["errors"]] == ["$.logoUrl"]


def test_put_store_rejects_a_blank_name(client, auth, store, store_url):
    response = put_json(client, store_url, {"name": "   "}, auth)

    assert response.status_code == 422
    assert assert_valid_response(response, DETAIL, "put")["errors"][0]["jsonPath"] == "$.name"


def test_put_store_with_both_fulfillment_flags_false_is_422(client, auth, store, store_url):
    response = put_json(client, store_url, {"deliveryAllowed": False, "pickupAllowed": False}, auth)

    assert response.status_code == 422
    body = assert_valid_response(response, DETAIL, "put")
    assert body["errors"][0]["jsonPath"] in ("$.deliveryAllowed", "$.pickupAllowed")
    store.refresh_from_db()
    assert store.delivery_allowed and store.pickup_allowed


def test_put_store_turning_off_the_only_remaining_fulfillment_is_422(
    client, auth, store, store_url
):
    assert put_json(client, store_url, {"pickupAllowed": False}, auth).status_code == 200

    response = put_json(client, store_url, {"deliveryAllowed": False}, auth)

    assert response.status_code == 422
    assert assert_valid_response(response, DETAIL, "put")["errors"] == [
        {
            "code": "no_fulfillment",
            "message": "At least one of deliveryAllowed and pickupAllowed must be true.",
            "jsonPath": "$.deliveryAllowed",
        }
    ]


def test_put_store_with_malformed_json_is_400_invalid_request(client, auth, store, store_url):
    response = client.put(
        store_url, '{"name": "Pizza', content_type="application/json", headers=auth
    )

    assert response.status_code == 400
    body = assert_valid_response(response, DETAIL, "put")
    assert body["errorCode"] == "INVALID_REQUEST"
    assert body["retryable"] is False


@pytest.mark.parametrize("raw", ["", "NaN", '{"name": Infinity}', b"\xff\xfe"])
def test_put_store_with_a_body_that_is_not_json_is_400(client, auth, store, store_url, raw):
    response = client.put(store_url, raw, content_type="application/json", headers=auth)

    assert response.status_code == 400
    assert assert_valid_response(response, DETAIL, "put")["errorCode"] == "INVALID_REQUEST"


@pytest.mark.parametrize("body", [[], "name", 3, None])
def test_put_store_with_json_that_is_not_an_object_is_422(client, auth, store, store_url, body):
    response = client.put(
        store_url, json.dumps(body), content_type="application/json", headers=auth
    )

    assert response.status_code == 422
    assert assert_valid_response(response, DETAIL, "put")["errors"][0]["jsonPath"] == "$"


def test_put_store_with_a_non_json_content_type_is_rejected(client, auth, store, store_url):
    response = client.put(store_url, "name=x", content_type="text/plain", headers=auth)

    assert response.status_code == 415
    assert json.loads(response.content)["errorCode"] == "INVALID_REQUEST"


def test_put_store_with_a_body_over_one_megabyte_is_413(client, auth, store, store_url):
    huge = json.dumps({"description": "x" * (1024 * 1024)})

    response = client.put(store_url, huge, content_type="application/json", headers=auth)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert_valid(json.loads(response.content), "ProblemDetails")
    store.refresh_from_db()
    assert store.description == "Wood-fired pizza since 1987."


def test_deeply_nested_json_is_400_not_500(client, auth, store, store_url):
    response = client.put(
        store_url, "[" * 100_000 + "]" * 100_000, content_type="application/json", headers=auth
    )

    assert response.status_code == 400


def test_unknown_store_is_404_store_not_found(client, auth, db):
    unknown = uuid.uuid4()

    response = client.get(
        reverse("sandbox:store-detail", kwargs={"store_id": unknown}), headers=auth
    )

    assert response.status_code == 404
    body = assert_valid_response(response, DETAIL, "get")
    assert body["errorCode"] == "STORE_NOT_FOUND"
    assert body["errorCategory"] == "not_found"
    assert body["instance"] == f"/v1/commerce/stores/{unknown}"


def test_unknown_store_on_put_is_404(client, auth, db):
    url = reverse("sandbox:store-detail", kwargs={"store_id": uuid.uuid4()})

    response = put_json(client, url, {"name": "x"}, auth)

    assert response.status_code == 404
    assert assert_valid_response(response, DETAIL, "put")["errorCode"] == "STORE_NOT_FOUND"


def test_store_id_that_is_not_a_uuid_is_404_problem(client, auth, db):
    response = client.get("/sandbox/gett/v1/commerce/stores/pos-store-0042", headers=auth)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["errorCode"] == "NOT_FOUND"


def test_wrong_method_is_405_problem_with_allow_header(client, auth, store, store_url):
    response = client.delete(store_url, headers=auth)

    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT"
    assert response["Content-Type"] == "application/problem+json"
    assert_valid(json.loads(response.content), "ProblemDetails")
