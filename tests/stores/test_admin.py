import pytest
from django.urls import reverse
from django.utils import timezone

from gett.models import OutboundMessage
from stores.models import PauseReason, Store, StoreEvent
from tests.factories import (
    MembershipFactory,
    MerchantFactory,
    StoreFactory,
    StoreMessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _form_data(response, **changes) -> dict:
    """The change form's current values as a POST body, with `changes` applied."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False or name == "logo":
            continue  # unchecked boxes and empty file inputs are absent from a real POST
        data[name] = value
    data.update(changes)
    return data


def _paused_store(**kwargs) -> Store:
    return StoreFactory(
        status=Store.Status.PAUSED,
        pause_reason=PauseReason.TOO_BUSY,
        paused_at=timezone.now(),
        **kwargs,
    )


def _record_deliveries(monkeypatch) -> list:
    """Record delivery tasks instead of publishing them to the broker."""
    calls = []
    monkeypatch.setattr(
        "gett.tasks.outbox_deliver_task.apply_async",
        lambda args=None, kwargs=None, **options: calls.append(args),
    )
    return calls


# --- smoke: changelist, search, change page ---------------------------------------------------


def test_merchant_admin_pages_load(admin_client):
    merchant = MerchantFactory(name="Pizza Palace")
    StoreFactory(merchant=merchant)
    MembershipFactory(merchant=merchant)

    changelist = reverse("admin:stores_merchant_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": "pizza"})
    assert response.status_code == 200
    assert "Pizza Palace" in response.text
    response = admin_client.get(reverse("admin:stores_merchant_change", args=[merchant.pk]))
    assert response.status_code == 200


def test_merchant_changelist_shows_store_count(admin_client):
    merchant = MerchantFactory()
    StoreFactory.create_batch(3, merchant=merchant)

    response = admin_client.get(reverse("admin:stores_merchant_changelist"))

    assert response.context["cl"].result_list.get(pk=merchant.pk).store_count == 3


def test_membership_admin_pages_load(admin_client):
    membership = MembershipFactory(user=UserFactory(username="alice"))

    changelist = reverse("admin:stores_membership_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": "alice@example.com"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [membership]
    response = admin_client.get(reverse("admin:stores_membership_change", args=[membership.pk]))
    assert response.status_code == 200


def test_store_admin_pages_load(admin_client):
    store = StoreFactory(name="Camden Kitchen")
    StoreFactory(name="Elsewhere")

    changelist = reverse("admin:stores_store_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": "camden"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [store]
    response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))
    assert response.status_code == 200


def test_store_admin_search_finds_gett_store_id(admin_client):
    store = StoreFactory()
    StoreFactory()

    response = admin_client.get(
        reverse("admin:stores_store_changelist"), {"q": str(store.gett_store_id)}
    )

    assert list(response.context["cl"].result_list) == [store]


def test_user_admin_pages_show_memberships(admin_client):
    membership = MembershipFactory(user=UserFactory(username="bob"), merchant__name="Bob's Bagels")

    changelist = reverse("admin:auth_user_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.get(changelist, {"q": "Bob's Bagels"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [membership.user]
    response = admin_client.get(reverse("admin:auth_user_change", args=[membership.user.pk]))
    assert response.status_code == 200
    assert "Bob&#x27;s Bagels" in response.text


# --- store change form ------------------------------------------------------------------------


def test_gett_store_id_is_read_only_in_store_change_form(admin_client):
    store = StoreFactory()

    response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))

    form = response.context["adminform"].form
    assert "gett_store_id" not in form.fields
    assert "public_id" not in form.fields
    assert str(store.gett_store_id) in response.text


def test_gett_store_id_cannot_be_changed_by_posting_it(admin_client):
    store = StoreFactory()
    original = store.gett_store_id
    url = reverse("admin:stores_store_change", args=[store.pk])
    data = _form_data(admin_client.get(url), gett_store_id="00000000-0000-0000-0000-000000000001")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    store.refresh_from_db()
    assert store.gett_store_id == original


def test_saving_store_in_admin_writes_store_update_to_outbox(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    published = _record_deliveries(monkeypatch)
    store = StoreFactory(name="Old name")
    url = reverse("admin:stores_store_change", args=[store.pk])
    data = _form_data(admin_client.get(url), name="New name")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    store.refresh_from_db()
    assert store.name == "New name"
    message = OutboundMessage.objects.get(key=store.outbox_key)
    assert message.kind == "store.update"
    assert message.payload["name"] == "New name"
    assert message.target_id == str(store.gett_store_id)
    assert published == [(message.pk,)]


def test_store_change_form_shows_latest_gett_sync_state(admin_client):
    store = StoreFactory()
    OutboundMessage.objects.create(
        kind="store.status",
        key=store.outbox_key,
        target_id=str(store.gett_store_id),
        state=OutboundMessage.State.FAILED,
        last_error="Gett said no",
    )

    response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))

    assert "Store status" in response.text
    assert "Failed" in response.text
    assert "Gett said no" in response.text
    assert f"?key=store%3A{store.public_id}" in response.text


# --- actions ------------------------------------------------------------------------------------


def test_resume_action_resumes_paused_stores_and_tells_gett(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    published = _record_deliveries(monkeypatch)
    paused = _paused_store()
    online = StoreFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:stores_store_changelist"),
            {"action": "resume_stores", "_selected_action": [paused.pk, online.pk]},
            follow=True,
        )

    assert response.status_code == 200
    paused.refresh_from_db()
    assert paused.status == Store.Status.ONLINE
    assert paused.pause_reason == ""
    message = OutboundMessage.objects.get(key=paused.outbox_key)
    assert message.kind == "store.status"
    assert message.payload == {"status": "online"}
    assert not OutboundMessage.objects.filter(key=online.outbox_key).exists()
    assert published == [(message.pk,)]
    text = response.text
    assert "Resumed 1 store(s)." in text
    assert f"Skipped 1 store(s) already online: {online.name}." in text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "United Kingdom"}, "country"),
        ({"street": ""}, "street"),
        ({"minimum_order": "1000000000"}, "minimum_order"),
    ],
)
def test_the_admin_applies_the_same_store_rules(admin_client, changes, field):
    store = StoreFactory(name="Kept")
    url = reverse("admin:stores_store_change", args=[store.pk])
    data = _form_data(admin_client.get(url), name="Renamed", **changes)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    store.refresh_from_db()
    assert store.name == "Kept"


# --- drift from Gett ---------------------------------------------------------------------------


def _drifted_store(**fields) -> Store:
    store = StoreFactory(gett_status="paused", gett_status_read_at=timezone.now(), **fields)
    StoreEvent.objects.create(
        store=store, kind="drift_unrepaired", ours="online", gett="paused", detail="Gett refused it"
    )
    return store


def test_staff_count_and_find_stores_whose_drift_was_not_repaired(admin_client):
    drifted = _drifted_store(name="Drifting Diner", drift_unrepaired_since=timezone.now())
    StoreFactory(name="Calm Cafe", gett_status="online", gett_status_read_at=timezone.now())
    url = reverse("admin:stores_store_changelist")

    response = admin_client.get(url, {"drift": "unrepaired"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Drifting Diner" in page
    assert "Calm Cafe" not in page
    assert "Not repaired (1)" in page  # the count staff see next to the filter
    assert "Gett agrees" in page

    response = admin_client.get(reverse("admin:stores_store_change", args=[drifted.pk]))
    assert response.status_code == 200
    assert "Drift not repaired" in response.content.decode()


def test_store_event_admin_pages_load(admin_client):
    store = _drifted_store(name="Drifting Diner")
    event = store.events.get()
    url = reverse("admin:stores_storeevent_changelist")

    assert admin_client.get(url).status_code == 200
    response = admin_client.get(url, {"q": "Drifting"})
    assert response.status_code == 200
    assert "Drift not repaired" in response.content.decode()
    change = reverse("admin:stores_storeevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200


def test_store_change_form_shows_a_failure_a_newer_delivery_of_another_kind_did_not_fix(
    admin_client,
):
    store = StoreFactory()
    StoreMessageFactory(
        store=store,
        kind="store.update",
        state=OutboundMessage.State.FAILED,
        last_error="Gett refused the address",
    )
    StoreMessageFactory(store=store, state=OutboundMessage.State.DELIVERED)

    response = admin_client.get(reverse("admin:stores_store_change", args=[store.pk]))

    assert "Gett refused the address" in response.text
    assert "Failed" in response.text
