import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gett import outbox
from gett.models import OutboundMessage
from stores.api import StoreListApi
from stores.models import Membership, PauseReason, Store
from tests.factories import MembershipFactory, StoreFactory, StoreMessageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def deliveries(monkeypatch) -> list:
    """Record delivery tasks instead of publishing them to the broker."""
    calls = []
    monkeypatch.setattr(
        "gett.tasks.outbox_deliver_task.apply_async",
        lambda args=None, kwargs=None, **options: calls.append(args),
    )
    return calls


def _client_for(user) -> APIClient:
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(owner) -> APIClient:
    return _client_for(owner.user)


def _paused_store(**kwargs) -> Store:
    return StoreFactory(
        status=Store.Status.PAUSED,
        pause_reason=PauseReason.TOO_BUSY,
        paused_at=timezone.now(),
        **kwargs,
    )


def _list_url() -> str:
    return "/api/v1/stores/"


def _detail_url(store) -> str:
    return f"/api/v1/stores/{store.public_id}/"


def _pause_url(store) -> str:
    return f"/api/v1/stores/{store.public_id}/pause/"


def _resume_url(store) -> str:
    return f"/api/v1/stores/{store.public_id}/resume/"


def _in_future(**kwargs) -> str:
    return (timezone.now() + timedelta(**kwargs)).isoformat()


def _status_messages(store) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(key=store.outbox_key, kind="store.status"))


# --- authentication ---------------------------------------------------------------------------


def test_unauthenticated_request_gets_401_with_token_challenge(store):
    response = APIClient().get(_list_url())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_gets_401(store):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(_list_url())

    assert response.status_code == 401


def test_unauthenticated_pause_gets_401_and_changes_nothing(store):
    response = APIClient().post(_pause_url(store), {"reason": "too_busy"}, format="json")

    assert response.status_code == 401
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE


def test_token_of_inactive_user_gets_401(owner, store):
    client = _client_for(owner.user)
    owner.user.is_active = False
    owner.user.save()

    response = client.get(_list_url())

    assert response.status_code == 401


# --- list -------------------------------------------------------------------------------------


def test_list_shows_only_stores_of_the_users_merchants(owner, api):
    mine = StoreFactory(merchant=owner.merchant, name="A mine")
    other_membership = MembershipFactory(user=owner.user, role=Membership.Role.STAFF)
    also_mine = StoreFactory(merchant=other_membership.merchant, name="B also mine")
    StoreFactory(name="C someone else's")

    response = api.get(_list_url())

    assert response.status_code == 200
    assert response.data["count"] == 2
    ids = [row["partner_store_id"] for row in response.data["results"]]
    assert ids == [str(mine.public_id), str(also_mine.public_id)]


def test_list_is_paginated(owner, api, monkeypatch):
    # PAGE_SIZE is read when DRF is imported; shrink the page on the paginator itself.
    monkeypatch.setattr(StoreListApi.pagination_class, "page_size", 2)
    for _ in range(3):
        StoreFactory(merchant=owner.merchant)

    first = api.get(_list_url())
    second = api.get(first.data["next"])

    assert first.status_code == 200
    assert first.data["count"] == 3
    assert len(first.data["results"]) == 2
    assert first.data["previous"] is None
    assert second.status_code == 200
    assert len(second.data["results"]) == 1
    assert second.data["next"] is None


def test_list_with_page_out_of_range_gets_404_not_500(store, api):
    assert api.get(_list_url(), {"page": 99}).status_code == 404
    assert api.get(_list_url(), {"page": "abc"}).status_code == 404


def test_list_includes_last_sync(store, api):
    message = outbox.enqueue(
        kind="store.status", key=store.outbox_key, payload={"status": "online"}, target_id="x"
    )
    StoreFactory(merchant=store.merchant, name="ZZ never synced")

    response = api.get(_list_url())

    rows = {row["partner_store_id"]: row for row in response.data["results"]}
    last_sync = rows[str(store.public_id)]["last_sync"]
    assert last_sync["kind"] == "store.status"
    assert last_sync["state"] == message.state
    assert last_sync["attempts"] == 0
    assert [row["last_sync"] for row in response.data["results"]][-1] is None


def test_list_query_count_does_not_grow_with_the_number_of_stores(owner, api):
    def add_stores(count):
        for _ in range(count):
            store = StoreFactory(merchant=owner.merchant)
            outbox.enqueue(
                kind="store.status",
                key=store.outbox_key,
                payload={"status": "online"},
                target_id=str(store.gett_store_id),
            )

    add_stores(2)
    with CaptureQueriesContext(connection) as few:
        response = api.get(_list_url())
    assert len(response.data["results"]) == 2

    add_stores(10)
    with CaptureQueriesContext(connection) as many:
        response = api.get(_list_url())
    assert len(response.data["results"]) == 12
    assert all(row["last_sync"] is not None for row in response.data["results"])

    assert len(many.captured_queries) == len(few.captured_queries)


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_the_store(store, api):
    response = api.get(_detail_url(store))

    assert response.status_code == 200
    assert response.data["partner_store_id"] == str(store.public_id)
    assert response.data["merchant"] == store.merchant.name
    assert response.data["address"]["postal_code"] == store.postal_code
    assert response.data["last_sync"] is None


def test_the_address_is_snake_case_like_the_rest_of_the_api(store, api):
    address = api.get(_detail_url(store)).json()["address"]

    assert address == {
        "street": store.street,
        "city": store.city,
        "state": store.state,
        "postal_code": store.postal_code,
        "country": "GB",
    }


def test_every_money_value_carries_its_currency(owner, api):
    store = StoreFactory(
        merchant=owner.merchant, currency="GBP", delivery_fee=250, minimum_order=1000
    )
    yen = StoreFactory(merchant=owner.merchant, currency="JPY", delivery_fee=300)

    body = api.get(_detail_url(store)).json()
    listed = {row["partner_store_id"]: row for row in api.get(_list_url()).json()["results"]}

    assert body["delivery_fee"] == {"amount": "2.50", "amount_minor": 250, "currency": "GBP"}
    assert body["minimum_order"] == {"amount": "10.00", "amount_minor": 1000, "currency": "GBP"}
    assert listed[str(yen.public_id)]["delivery_fee"] == {
        "amount": "300",
        "amount_minor": 300,
        "currency": "JPY",
    }


def test_detail_of_another_merchants_store_is_404(api):
    theirs = StoreFactory()

    assert api.get(_detail_url(theirs)).status_code == 404


def test_detail_of_unknown_uuid_is_404(store, api):
    assert api.get(f"/api/v1/stores/{uuid.uuid4()}/").status_code == 404


def test_detail_with_non_uuid_path_is_404(store, api):
    assert api.get("/api/v1/stores/not-a-uuid/").status_code == 404
    assert api.get(f"/api/v1/stores/{store.pk}/").status_code == 404


def test_delete_on_detail_is_405(store, api):
    response = api.delete(_detail_url(store))

    assert response.status_code == 405
    assert Store.objects.filter(pk=store.pk).exists()


# --- pause ------------------------------------------------------------------------------------


def test_pause_with_reason_and_future_resume_time_pauses_the_store(
    store, api, deliveries, django_capture_on_commit_callbacks
):
    resume_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            _pause_url(store),
            {"reason": "too_busy", "resume_at": resume_at.isoformat()},
            format="json",
        )

    assert response.status_code == 200, response.data
    assert response.data["status"] == "paused"
    assert response.data["pause_reason"] == "too_busy"
    store.refresh_from_db()
    assert store.status == Store.Status.PAUSED
    assert store.pause_reason == PauseReason.TOO_BUSY
    assert store.resume_at == resume_at
    [message] = _status_messages(store)
    assert message.target_id == str(store.gett_store_id)
    assert message.payload == {
        "status": "paused",
        "reason": "too_busy",
        "resumeAt": resume_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert deliveries == [(message.pk,)]
    assert response.data["last_sync"]["kind"] == "store.status"


def test_pause_without_resume_time_pauses_until_resumed_by_hand(store, api):
    response = api.post(_pause_url(store), {"reason": "maintenance"}, format="json")

    assert response.status_code == 200
    store.refresh_from_db()
    assert store.status == Store.Status.PAUSED
    assert store.resume_at is None
    [message] = _status_messages(store)
    assert message.payload == {"status": "paused", "reason": "maintenance"}


def test_pause_accepts_a_form_encoded_body(store, api):
    response = api.post(_pause_url(store), {"reason": "staff_shortage"})

    assert response.status_code == 200
    store.refresh_from_db()
    assert store.pause_reason == PauseReason.STAFF_SHORTAGE


def _assert_pause_rejected(store, response, field: str | None = None) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()  # problem+json, plus its errors[] by field ("$.reason" -> "reason")
    for error in list(body["errors"]):
        body.setdefault(error["jsonPath"].removeprefix("$").removeprefix("."), []).append(
            error["message"]
        )
    if field is not None:
        assert field in body, body
        assert isinstance(body[field], list) and body[field]
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert _status_messages(store) == []
    return body


def test_pause_without_reason_is_400_with_field_error(store, api):
    response = api.post(_pause_url(store), {"resume_at": _in_future(hours=1)}, format="json")

    body = _assert_pause_rejected(store, response, "reason")
    assert body["reason"] == ["This field is required."]


def test_pause_with_empty_body_is_400_with_field_error(store, api):
    response = api.post(_pause_url(store))

    _assert_pause_rejected(store, response, "reason")


def test_pause_with_unknown_reason_is_400(store, api):
    response = api.post(_pause_url(store), {"reason": "lunch"}, format="json")

    _assert_pause_rejected(store, response, "reason")


@pytest.mark.parametrize("reason", [None, "", 42, ["too_busy"], {"too_busy": True}])
def test_pause_with_reason_of_wrong_type_is_400(store, api, reason):
    response = api.post(_pause_url(store), {"reason": reason}, format="json")

    _assert_pause_rejected(store, response, "reason")


def test_pause_with_resume_time_in_the_past_is_400_with_clear_message(store, api):
    past = (timezone.now() - timedelta(minutes=5)).isoformat()

    response = api.post(_pause_url(store), {"reason": "too_busy", "resume_at": past}, format="json")

    body = _assert_pause_rejected(store, response, "resume_at")
    assert body["resume_at"] == ["The resume time must be in the future."]


@pytest.mark.parametrize(
    "resume_at",
    [
        "tomorrow",
        "2030-13-45T99:99:99Z",
        12345,
        True,
        ["2030-01-01T00:00:00Z"],
        {"at": "2030-01-01T00:00:00Z"},
        "0001-01-01T00:00:00+05:00",  # out of range once converted to UTC
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_pause_with_resume_time_that_is_not_a_datetime_is_400(store, api, resume_at):
    response = api.post(
        _pause_url(store), {"reason": "too_busy", "resume_at": resume_at}, format="json"
    )

    _assert_pause_rejected(store, response, "resume_at")


def test_pause_with_resume_time_too_far_ahead_is_400(store, api):
    response = api.post(
        _pause_url(store), {"reason": "too_busy", "resume_at": _in_future(days=31)}, format="json"
    )

    _assert_pause_rejected(store, response, "resume_at")


def test_pause_with_malformed_json_is_400_not_500(store, api):
    response = api.post(
        _pause_url(store), '{"reason": "too_busy",', content_type="application/json"
    )

    body = _assert_pause_rejected(store, response)
    assert "detail" in body


def test_pause_with_non_utf8_json_is_400_not_500(store, api):
    response = api.post(_pause_url(store), b"\xff\xfe{", content_type="application/json")

    _assert_pause_rejected(store, response)


def test_pause_with_deeply_nested_json_is_400_not_500(store, api):
    response = api.post(_pause_url(store), "[" * 100_000, content_type="application/json")

    body = _assert_pause_rejected(store, response)
    assert "nested too deeply" in body["detail"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"reason": "too_busy", "x": "' + "a" * 3_000_000 + '"}', "application/json"),
        ("reason=too_busy&x=" + "a" * 3_000_000, "application/x-www-form-urlencoded"),
    ],
    ids=["json", "form"],
)
def test_pause_with_huge_body_is_413_json_not_500(store, api, settings, body, content_type):
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = api.post(_pause_url(store), body, content_type=content_type)

    assert response.status_code == 413
    assert response.json()["detail"] == "Request body too large."
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE


def test_pause_errors_render_in_the_browsable_api_too(owner, store, monkeypatch):
    # The browsable API is on in development only (production renders JSON alone).
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

    from stores.api import StorePauseApi

    monkeypatch.setattr(StorePauseApi, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    client = APIClient()
    client.force_login(owner.user)

    response = client.post(
        _pause_url(store), "[" * 100_000, content_type="application/json", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 400


@pytest.mark.parametrize("body", [["too_busy"], "too_busy", 42, None])
def test_pause_with_json_body_that_is_not_an_object_is_400(store, api, body):
    response = api.post(_pause_url(store), body, format="json")

    _assert_pause_rejected(store, response)


def test_pause_with_unsupported_media_type_is_415(store, api):
    response = api.post(_pause_url(store), "reason: too_busy", content_type="text/yaml")

    assert response.status_code == 415
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE


def test_pause_on_another_merchants_store_is_404_and_changes_nothing(api):
    theirs = StoreFactory()

    response = api.post(_pause_url(theirs), {"reason": "too_busy"}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Store.Status.ONLINE
    assert _status_messages(theirs) == []


def test_pause_on_unknown_store_is_404(store, api):
    response = api.post(f"/api/v1/stores/{uuid.uuid4()}/pause/", {"reason": "too_busy"})

    assert response.status_code == 404


def test_get_on_pause_is_405(store, api):
    assert api.get(_pause_url(store)).status_code == 405


# --- resume -----------------------------------------------------------------------------------


def test_resume_of_paused_store_brings_it_online(
    owner, api, deliveries, django_capture_on_commit_callbacks
):
    store = _paused_store(merchant=owner.merchant)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(_resume_url(store))

    assert response.status_code == 200
    assert response.data["status"] == "online"
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE
    assert store.pause_reason == ""
    [message] = _status_messages(store)
    assert message.payload == {"status": "online"}
    assert deliveries == [(message.pk,)]


def test_resume_of_online_store_is_409_with_detail(store, api):
    response = api.post(_resume_url(store))

    assert response.status_code == 409
    assert response.data["detail"] == "The store is already online."
    assert _status_messages(store) == []


def test_resume_on_another_merchants_store_is_404_and_changes_nothing(api):
    theirs = _paused_store()

    response = api.post(_resume_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Store.Status.PAUSED
    assert _status_messages(theirs) == []


def test_get_on_resume_is_405(store, api):
    assert api.get(_resume_url(store)).status_code == 405


# --- roles ------------------------------------------------------------------------------------


def test_staff_role_may_pause_and_resume_stores_as_architecture_allows():
    staff = MembershipFactory(role=Membership.Role.STAFF)
    store = StoreFactory(merchant=staff.merchant)
    api = _client_for(staff.user)

    paused = api.post(_pause_url(store), {"reason": "too_busy"}, format="json")
    resumed = api.post(_resume_url(store))

    assert paused.status_code == 200
    assert resumed.status_code == 200
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE


def test_pause_limits_are_the_same_as_on_the_page(store, api):
    response = api.post(
        _pause_url(store), {"reason": "too_busy", "resume_at": _in_future(days=365)}, format="json"
    )

    body = _assert_pause_rejected(store, response, "resume_at")
    assert body["resume_at"] == ["Pauses longer than 30 days are not supported; resume by hand."]


def test_manager_role_may_pause_stores():
    manager = MembershipFactory(role=Membership.Role.MANAGER)
    store = StoreFactory(merchant=manager.merchant)

    response = _client_for(manager.user).post(_pause_url(store), {"reason": "too_busy"})

    assert response.status_code == 200


# --- CSRF -------------------------------------------------------------------------------------


def test_session_authenticated_post_without_csrf_token_is_403(owner, store):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner.user)

    response = client.post(_pause_url(store), {"reason": "too_busy"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.data["detail"]
    store.refresh_from_db()
    assert store.status == Store.Status.ONLINE


def test_session_authenticated_get_needs_no_csrf_token(owner, store):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner.user)

    assert client.get(_list_url()).status_code == 200


def test_token_authenticated_post_needs_no_csrf_token(owner, store):
    token = Token.objects.create(user=owner.user)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post(_pause_url(store), {"reason": "too_busy"}, format="json")

    assert response.status_code == 200


# --- schema and docs --------------------------------------------------------------------------


def test_schema_is_a_valid_openapi_document_with_the_store_paths(api):
    response = api.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert {
        "/api/v1/stores/",
        "/api/v1/stores/{public_id}/",
        "/api/v1/stores/{public_id}/pause/",
        "/api/v1/stores/{public_id}/resume/",
    } <= set(document["paths"])
    assert "post" in document["paths"]["/api/v1/stores/{public_id}/pause/"]
    assert "post" in document["paths"]["/api/v1/stores/{public_id}/resume/"]
    assert "delete" not in document["paths"]["/api/v1/stores/{public_id}/"]


def test_schema_describes_last_sync(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    last_sync = document["components"]["schemas"]["StoreOutput"]["properties"]["last_sync"]
    assert "Sync" in str(last_sync)


def test_schema_describes_money_and_address_shapes(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()
    schemas = document["components"]["schemas"]

    store = schemas["StoreOutput"]["properties"]
    assert "#/components/schemas/Money" in str(store["delivery_fee"])
    assert set(schemas["Money"]["properties"]) == {"amount", "amount_minor", "currency"}
    assert "postal_code" in schemas["Address"]["properties"]


def test_docs_render_for_a_logged_in_user(owner_client):
    response = owner_client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_user_without_merchant_sees_an_empty_list():
    api = _client_for(UserFactory())

    response = api.get(_list_url())

    assert response.status_code == 200
    assert response.data["count"] == 0


def test_api_docs_page_serves_swagger_ui_itself_not_from_a_cdn(client, owner):
    client.force_login(owner.user)

    page = client.get("/api/v1/docs/").content.decode()

    assert "cdn.jsdelivr.net" not in page
    assert "swagger-ui" in page


def test_last_sync_is_the_worst_current_message_not_a_newer_delivered_one(store, api):
    """A failed change must not hide behind a newer "Delivered" of another kind (as on the
    store page): the list and the detail agree with the merchant's pages."""
    StoreMessageFactory(
        store=store,
        kind="store.update",
        state=OutboundMessage.State.FAILED,
        last_error="Gett refused the address",
    )
    StoreMessageFactory(store=store, state=OutboundMessage.State.DELIVERED)

    listed = api.get(_list_url()).data["results"][0]["last_sync"]
    detail = api.get(_detail_url(store)).data["last_sync"]

    for sync in (listed, detail):
        assert (sync["kind"], sync["state"]) == ("store.update", "failed")
        assert sync["last_error"] == "Gett refused the address"
