from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from gett import outbox
from gett.errors import GettError
from gett.models import OutboundMessage
from portal.exceptions import PortalError
from stores import services
from stores.forms import PauseForm, StoreForm
from stores.middleware import SESSION_KEY
from stores.models import Membership, Store


def get_membership(request: HttpRequest) -> Membership:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("You are not a member of any merchant.")
    return membership


def get_store_for_user(request: HttpRequest, public_id) -> Store:
    """Every store lookup goes through here: another merchant's store is a 404."""
    membership = get_membership(request)
    return get_object_or_404(Store, merchant=membership.merchant, public_id=public_id)


def _require_editor(request: HttpRequest) -> Membership:
    membership = get_membership(request)
    if not membership.can_edit_stores:
        raise Http404("Only owners and managers can change store details.")
    return membership


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is None:
        return render(request, "stores/no_merchant.html", status=200)
    stores = list(Store.objects.for_merchant(membership.merchant).order_by("name"))
    latest = outbox.latest_for_keys([s.outbox_key for s in stores])
    rows = [(store, latest.get(store.outbox_key)) for store in stores]
    template = "stores/dashboard.html#store-cards" if request.htmx else "stores/dashboard.html"
    return render(request, template, {"rows": rows, "merchant": membership.merchant})


@login_required
@require_POST
def merchant_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("merchant", "")
    membership = (
        Membership.objects.filter(user=request.user, merchant__public_id=wanted)
        .select_related("merchant")
        .first()
        if _is_uuid(wanted)
        else None
    )
    if membership is None:
        raise Http404("No such merchant.")
    request.session[SESSION_KEY] = str(membership.merchant.public_id)
    messages.success(request, f"Now working on {membership.merchant.name}.")
    return redirect("stores:dashboard")


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _sync_context(store: Store) -> dict:
    latest = outbox.latest_for_key(store.outbox_key)
    recent = OutboundMessage.objects.filter(key=store.outbox_key).exclude(
        state=OutboundMessage.State.SUPERSEDED
    )[:5]
    return {"latest": latest, "recent": recent}


def _render_detail(request: HttpRequest, store: Store, pause_form: PauseForm, status=200):
    context = {
        "store": store,
        "pause_form": pause_form,
        "can_edit": request.membership.can_edit_stores,
        "test_orders": settings.GETT_USES_SANDBOX and store.is_connected,
        "test_order_scenarios": services.TEST_ORDER_SCENARIOS,
        "last_test_order": request.session.get(f"test-order:{store.public_id}"),
        **_sync_context(store),
    }
    return render(request, "stores/store_detail.html", context, status=status)


@login_required
@require_GET
def store_detail(request: HttpRequest, public_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    initial = {}
    if store.is_paused:
        # "Change the reason or resume time" starts from what is set now.
        initial = {"reason": store.pause_reason, "preset": "manual"}
        if store.resume_at:
            local = store.resume_at.astimezone(store.tzinfo).replace(tzinfo=None)
            initial.update(preset="at", resume_at=local)
    return _render_detail(request, store, PauseForm(store=store, initial=initial))


@login_required
@require_GET
def store_sync(request: HttpRequest, public_id) -> HttpResponse:
    """The "Gett sync" panel alone, polled by the store page while something is in flight."""
    store = get_store_for_user(request, public_id)
    part = "status-confirm" if request.GET.get("part") == "status" else "sync"
    return render(
        request, f"stores/store_detail.html#{part}", {"store": store, **_sync_context(store)}
    )


@login_required
def store_edit(request: HttpRequest, public_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    _require_editor(request)
    if request.method == "POST":
        form = StoreForm(request.POST, request.FILES, instance=store)
        if form.is_valid():
            services.store_update(store=form.save(commit=False), changed_fields=form.changed_data)
            messages.success(request, "Store details saved.")
            return redirect("stores:detail", public_id=store.public_id)
        messages.error(request, "Please correct the highlighted fields.")
    else:
        form = StoreForm(instance=store)
    return render(request, "stores/store_form.html", {"store": store, "form": form})


@login_required
@require_POST
def store_pause(request: HttpRequest, public_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    form = PauseForm(request.POST, store=store)
    if not form.is_valid():
        return _render_detail(request, store, form, status=400)
    try:
        services.store_pause(
            store=store,
            reason=form.cleaned_data["reason"],
            resume_at=form.cleaned_data["resume_at"],
            user=request.user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{store.name} is paused.")
    return redirect("stores:detail", public_id=store.public_id)


@login_required
@require_POST
def store_resume(request: HttpRequest, public_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    try:
        services.store_resume(store=store, user=request.user)
    except PortalError as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{store.name} is online again.")
    return redirect("stores:detail", public_id=store.public_id)


@login_required
@require_POST
def store_sync_retry(request: HttpRequest, public_id, message_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    message = get_object_or_404(OutboundMessage, key=store.outbox_key, public_id=message_id)
    if request.htmx:
        # The panel itself shows the new state; a flash message would pop up on a later page.
        if message.can_retry:
            outbox.retry(message=message)
        return render(
            request, "stores/store_detail.html#sync", {"store": store, **_sync_context(store)}
        )
    if message.can_retry:
        outbox.retry(message=message)
        messages.success(request, "Sending to Gett again.")
    else:
        messages.info(request, "That change is not waiting for a retry.")
    return redirect(reverse("stores:detail", kwargs={"public_id": store.public_id}))


@login_required
@require_POST
def store_test_order(request: HttpRequest, public_id) -> HttpResponse:
    store = get_store_for_user(request, public_id)
    scenario = request.POST.get("scenario", "valid")
    try:
        reply = services.store_send_test_order(store=store, scenario=scenario)
    except PortalError as exc:
        messages.error(request, str(exc))
    except GettError as exc:
        messages.error(request, f"The sandbox could not send a test order: {exc.detail}")
    else:
        label = services.TEST_ORDER_SCENARIOS[scenario].lower()
        messages.success(
            request,
            f"Test order sent ({label}): the Gett sandbox is calling your webhooks now.",
        )
        request.session[f"test-order:{store.public_id}"] = reply.get("testOrderId")
    return redirect("stores:detail", public_id=store.public_id)


@login_required
@require_GET
def store_test_order_result(request: HttpRequest, public_id) -> HttpResponse:
    """The last test order this person sent to the store, polled while it runs."""
    store = get_store_for_user(request, public_id)
    test_order_id = request.session.get(f"test-order:{store.public_id}")
    if not test_order_id:
        raise Http404("No test order sent from here yet.")
    try:
        result = services.store_test_order_result(store=store, test_order_id=test_order_id)
    except (PortalError, GettError) as exc:
        result = {"unavailable": str(exc)}
    return render(request, "stores/test_order_result.html", {"store": store, "result": result})
