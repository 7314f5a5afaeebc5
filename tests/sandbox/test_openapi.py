"""The OpenAPI helper must fail on bad documents, or every check built on it proves nothing."""

import pytest

from tests.sandbox.openapi import assert_valid, assert_valid_request, response_schema


@pytest.mark.parametrize(
    ("instance", "schema_name"),
    [
        ({"storeId": "not-a-uuid"}, "Store"),
        ({"status": "closed"}, "Store"),
        ({"logoUrl": "not a uri"}, "Store"),
        ({"address": {"city": 1}}, "Store"),
        ({"status": "paused", "pausedAt": "yesterday"}, "StoreStatus"),
        ({"status": "paused", "resumeAt": None}, "StoreStatus"),
        ({"status": "paused"}, "StoreStatusUpdate"),
        ({"reason": "too_busy"}, "StoreStatusUpdate"),
        ({"deliveryAllowed": "yes"}, "StoreUpdate"),
        ({"status": "401", "retryable": "no"}, "ProblemDetails"),
        ({"errorCategory": "oops"}, "ProblemDetails"),
    ],
)
def test_assert_valid_rejects_documents_that_break_the_schema(instance, schema_name):
    with pytest.raises(AssertionError, match="does not match"):
        assert_valid(instance, schema_name)


def test_assert_valid_request_follows_refs_in_the_operation():
    with pytest.raises(AssertionError, match="does not match"):
        assert_valid_request({"status": "paused"}, "/v1/commerce/stores/{storeId}/status", "post")


def test_response_schema_resolves_shared_responses():
    media_type, pointer = response_schema("/v1/commerce/stores/{storeId}", "get", 404)

    assert media_type == "application/problem+json"
    assert pointer.endswith(
        "#/components/responses/NotFound/content/application~1problem+json/schema"
    )


def test_error_statuses_common_to_every_operation_fall_back_to_the_shared_responses():
    # REFERENCE §3 lists 422 for every call; the spec leaves it out of the notification.
    media_type, pointer = response_schema("/v1/commerce/catalogset-notification", "post", 422)

    assert media_type == "application/problem+json"
    assert pointer.endswith(
        "#/components/responses/Unprocessable/content/application~1problem+json/schema"
    )


@pytest.mark.parametrize("status", [200, 201, 204, 405])
def test_undocumented_success_or_other_statuses_still_fail(status):
    with pytest.raises(AssertionError, match="no documented"):
        response_schema("/v1/commerce/catalogset-notification", "post", status)
