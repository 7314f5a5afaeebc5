"""Store pages: dashboard, store page (status, pause/resume, Gett sync, test orders), edit form,
and the API tokens page.

Every lookup and role check goes through `stores.access`: another merchant's store is a 404, a
role that may not do a thing gets a 403 page saying who can (`portal.middleware`). Services own
the rules; a `PortalError` they raise is shown as a form error or a message here.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from gett import outbox
from gett.errors import GettError
from gett.models import OutboundMessage
from portal.exceptions import PortalError
from portal.typing import AuthedHttpRequest
from stores import access, selectors, services
from stores.access import Action
from stores.forms import MerchantSwitchForm, PauseForm, StoreForm
from stores.middleware import SESSION_KEY
from stores.models import Store


@login_required
@require_GET
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is None:
        return render(request, "stores/no_merchant.html", status=200)
    stores = list(Store.objects.for_merchant(membership.merchant).order_by("name"))
    summaries = outbox.sync_summaries([s.outbox_key for s in stores])
    # Each card's sync line is its worst current message, as on the store page.
    rows = [
        (store, summaries[store.outbox_key].headline, summaries[store.outbox_key])
        for store in stores
    ]
    template = "stores/dashboard.html#store-cards" if request.htmx else "stores/dashboard.html"
    context = {
        "rows": rows,
        "breaker": outbox.breaker_state(),
        "merchant": membership.merchant,
        "can_integrate": access.can(membership, Action.INTEGRATE),
        "can_add_store": access.can(membership, Action.EDIT_STORE),
        # What Gett has for each store's status (a refused resume is not "Online").
        "gett_views": selectors.stores_gett_views(stores),
    }
    return render(request, template, context)


@login_required
@require_POST
def merchant_switch(request: AuthedHttpRequest) -> HttpResponse:
    form = MerchantSwitchForm(request.POST)
    merchant = (
        access.merchants_for(request).filter(public_id=form.cleaned_data["merchant"]).first()
        if form.is_valid()
        else None
    )
    if merchant is None:
        raise Http404("No such merchant.")
    request.session[SESSION_KEY] = str(merchant.public_id)
    messages.success(request, f"Now working on {merchant.name}.")
    return redirect("stores:dashboard")


def _sync_context(store: Store) -> dict:
    summary = outbox.sync_summaries([store.outbox_key])[store.outbox_key]
    return {
        # The headline is the worst current state, not the newest message.
        "latest": summary.headline,
        "sync": summary,
        "status_message": summary.status,
        "recent": outbox.recent_changes(store.outbox_key),
        "breaker": outbox.breaker_state(),
    }


def _render_detail(request: AuthedHttpRequest, store: Store, pause_form: PauseForm, status=200):
    membership = access.membership_for(request, store.merchant_id)
    can_integrate = access.can(membership, Action.INTEGRATE)
    context = {
        "store": store,
        "pause_form": pause_form,
        "can_edit": access.can(membership, Action.EDIT_STORE),
        # Gett sync internals and test orders are for owners and managers; staff see a status line.
        "can_integrate": can_integrate,
        "test_orders": can_integrate and settings.GETT_USES_SANDBOX and store.is_connected,
        "test_order_scenarios": services.TEST_ORDER_SCENARIOS,
        "last_test_order": request.session.get(f"test-order:{store.public_id}"),
        **_sync_context(store),
    }
    return render(request, "stores/store_detail.html", context, status=status)


@login_required
@require_GET
def store_detail(request: AuthedHttpRequest, public_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id)
    initial: dict[str, object] = {}
    if store.is_paused:
        # "Change the reason or resume time" starts from what is set now.
        initial = {"reason": store.pause_reason, "preset": "manual"}
        if store.resume_at:
            local = store.resume_at.astimezone(store.tzinfo).replace(tzinfo=None)
            initial.update(preset="at", resume_at=local)
    return _render_detail(request, store, PauseForm(store=store, initial=initial))


@login_required
@require_GET
def store_sync(request: AuthedHttpRequest, public_id) -> HttpResponse:
    """The "Gett sync" panel alone, polled by the store page while something is in flight.

    `?part=status` (the line under the store status saying whether Gett has the last pause or
    resume yet) and `?part=line` (staff's plain sync card) are for everyone who may pause. The
    panel itself, with delivery internals and Retry, is for owners and managers.
    """
    part = {"status": "status-confirm", "line": "sync-line"}.get(request.GET.get("part", ""))
    if part:
        store = access.store_get_for_user(request, public_id, Action.PAUSE)
    else:
        store = access.store_get_for_user(request, public_id, Action.INTEGRATE)
        part = "sync"
    membership = access.membership_for(request, store.merchant_id)
    context = {
        "store": store,
        "can_integrate": access.can(membership, Action.INTEGRATE),
        **_sync_context(store),
    }
    return render(request, f"stores/store_detail.html#{part}", context)


@login_required
def store_edit(request: AuthedHttpRequest, public_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id, Action.EDIT_STORE)
    if request.method == "POST":
        form = StoreForm(request.POST, request.FILES, instance=store)
        if form.is_valid():
            try:
                services.store_update(
                    store=form.save(commit=False), changed_fields=form.changed_data
                )
            except PortalError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "Store details saved.")
                return redirect("stores:detail", public_id=store.public_id)
        messages.error(request, "Please correct the highlighted fields.")
    else:
        form = StoreForm(instance=store)
    return render(request, "stores/store_form.html", {"store": store, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def store_create(request: AuthedHttpRequest) -> HttpResponse:
    """ "Add a store": the new store starts off Gett until the merchant puts it on Gett."""
    membership = access.membership_get(request, Action.EDIT_STORE)
    store = Store(merchant=membership.merchant)
    if request.method == "POST":
        form = StoreForm(request.POST, request.FILES, instance=store)
        if form.is_valid():
            try:
                store = services.store_create(
                    merchant=membership.merchant, store=form.save(commit=False), user=request.user
                )
            except PortalError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(
                    request, f"{store.name} added. It is not on Gett yet: put it on Gett below."
                )
                return redirect("stores:detail", public_id=store.public_id)
        messages.error(request, "Please correct the highlighted fields.")
    else:
        form = StoreForm(instance=store)
    return render(request, "stores/store_create.html", {"form": form})


@login_required
@require_POST
def store_pause(request: AuthedHttpRequest, public_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id, Action.PAUSE)
    form = PauseForm(request.POST, store=store)
    if form.is_valid():
        try:
            services.store_pause(
                store=store,
                reason=form.cleaned_data["reason"],
                resume_at=form.cleaned_data["resume_at"],
                user=request.user,
            )
        except PortalError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"{store.name} is paused.")
            return redirect("stores:detail", public_id=store.public_id)
    return _render_detail(request, store, form, status=400)


@login_required
@require_POST
def store_resume(request: AuthedHttpRequest, public_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id, Action.PAUSE)
    try:
        services.store_resume(store=store, user=request.user)
    except PortalError as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{store.name} is online again.")
    return redirect("stores:detail", public_id=store.public_id)


@login_required
@require_POST
def store_sync_retry(request: AuthedHttpRequest, public_id, message_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id, Action.INTEGRATE)
    message = get_object_or_404(OutboundMessage, key=store.outbox_key, public_id=message_id)
    if request.htmx:
        # The panel itself shows the new state; a flash message would pop up on a later page.
        if message.can_retry:
            outbox.retry(message=message)
        return render(
            request,
            "stores/store_detail.html#sync",
            {"store": store, "can_integrate": True, **_sync_context(store)},
        )
    if message.can_retry:
        outbox.retry(message=message)
        messages.success(request, "Sending to Gett again.")
    else:
        messages.info(request, "That change is not waiting for a retry.")
    return redirect(reverse("stores:detail", kwargs={"public_id": store.public_id}))


@login_required
@require_POST
def store_test_order(request: AuthedHttpRequest, public_id) -> HttpResponse:
    store = access.store_get_for_user(request, public_id, Action.INTEGRATE)
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
def store_test_order_result(request: AuthedHttpRequest, public_id) -> HttpResponse:
    """The last test order this person sent to the store, polled while it runs."""
    store = access.store_get_for_user(request, public_id, Action.INTEGRATE)
    test_order_id = request.session.get(f"test-order:{store.public_id}")
    if not test_order_id:
        raise Http404("No test order sent from here yet.")
    try:
        result = services.store_test_order_result(store=store, test_order_id=test_order_id)
    except (PortalError, GettError) as exc:
        result = {"unavailable": str(exc)}
    return render(request, "stores/test_order_result.html", {"store": store, "result": result})


# --- API tokens ------------------------------------------------------------------------------


def _render_api_tokens(request: AuthedHttpRequest, *, new_key: str = ""):
    token = Token.objects.filter(user=request.user).first()
    context = {
        "token": token,
        "token_prefix": token.key[: services.API_TOKEN_PREFIX_LENGTH] if token else "",
        # Shown in full once, in the reply to the POST that made it; never stored elsewhere.
        "new_key": new_key,
    }
    return render(request, "stores/api_tokens.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthedHttpRequest) -> HttpResponse:
    """The user's API token: make one (shown once), see its prefix, revoke it."""
    access.membership_get(request, Action.INTEGRATE)
    if request.method == "GET":
        return _render_api_tokens(request)
    try:
        token = services.api_token_create(user=request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("stores:api-tokens")
    return _render_api_tokens(request, new_key=token.key)


@login_required
@require_POST
def api_token_revoke(request: AuthedHttpRequest) -> HttpResponse:
    access.membership_get(request, Action.INTEGRATE)
    try:
        services.api_token_revoke(user=request.user)
    except PortalError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, "API token revoked: programs using it can no longer sign in.")
    return redirect("stores:api-tokens")
