"""The "Put this store on Gett" wizard: pre-flight checks, register, live progress, activate.

Owners and managers only (`Action.ONBOARD`); another merchant's store is a 404. Every action is
a plain form POST that redirects back to the wizard, so it all works without JavaScript; htmx
only refreshes the `#progress` region while Gett is working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalogs.publishing.services import catalog_republish
from gett.errors import GettError
from onboarding import checks, services
from onboarding.models import Onboarding
from portal.exceptions import PortalError
from portal.typing import AuthedHttpRequest
from stores import access
from stores.access import Action
from stores.models import Store

Status = Onboarding.Status


@dataclass(frozen=True)
class Step:
    title: str
    meaning: str


STEPS = [
    Step("Registering", "We are telling Gett about your store."),
    Step(
        "Gett is fetching your menu",
        "Gett has your store and is about to download the menu you published.",
    ),
    Step(
        "Gett is checking your menu",
        "Gett reads every item, price, option and opening time before it accepts the menu.",
    ),
    Step(
        "Ready to go live",
        "Gett accepted your menu. Once you go live, customers can order straight away.",
    ),
    Step("Live", "Your store is on Gett and can take orders."),
]

STEP_OF_STATUS: dict[str, int] = {
    Status.REGISTERING: 0,
    Status.PENDING_CATALOG: 1,
    Status.CATALOG_INGESTING: 2,
    Status.CATALOG_FAILED: 2,
    Status.READY_TO_ACTIVATE: 3,
    Status.ACTIVE: len(STEPS),  # every step done
}

# While Gett works, the progress region asks again this often.
WORKING = (Status.REGISTERING, Status.PENDING_CATALOG, Status.CATALOG_INGESTING)

_JSON_PATH = re.compile(r"^\$[^\s:]*:\s*")
# Gett names an entity by our id after its name: “Ramen” ('3f2a…'); the name says enough.
_ENTITY_ID = re.compile(r" \('[^']*'\)")


def gett_error_lines(error: str) -> tuple[str, list[str]]:
    """Gett's `error` for a merchant: a headline and the individual problems, without the
    CatalogSet paths ("$.catalogs[0]…: ") that mean nothing to them."""
    text = (error or "").strip()
    lower = text.lower()
    if not text:
        return "Gett could not accept the menu and did not say why.", []
    if any(word in lower for word in ("download", "fetch", "http 4", "http 5", "could not reach")):
        return (
            "Gett could not download your menu from the portal. Check that the menu is "
            "published, then ask Gett to check again.",
            [text],
        )
    if "no catalogs" in lower:
        return "Your menu has nothing on sale: add a menu with at least one item.", []
    lines = [
        _ENTITY_ID.sub("", _JSON_PATH.sub("", part.strip()))
        for part in text.split("; ")
        if part.strip()
    ]
    return "Gett found problems in your menu. Fix them, then ask Gett to check again:", lines


def _store(request: AuthedHttpRequest, store_id) -> Store:
    return access.store_get_for_user(request, store_id, Action.ONBOARD)


def _onboarding(store: Store, onboarding_id) -> Onboarding:
    return get_object_or_404(Onboarding, store=store, public_id=onboarding_id)


def _progress_context(store: Store) -> dict:
    current = services.onboarding_current(store=store)
    context: dict[str, object] = {"store": store, "onboarding": current}
    if current is None:
        return context
    step = STEP_OF_STATUS.get(current.status)
    context.update(
        steps=[
            (
                item,
                "done" if step is not None and index < step else "current" if index == step else "",
            )
            for index, item in enumerate(STEPS)
        ],
        polling=current.status in WORKING
        or (current.status == Status.READY_TO_ACTIVATE and current.auto_activate),
        failed=current.status == Status.CATALOG_FAILED,
    )
    if current.status == Status.CATALOG_FAILED:
        context["error_headline"], context["error_lines"] = gett_error_lines(current.error)
    return context


def _render_wizard(request: AuthedHttpRequest, store: Store, status: int = 200) -> HttpResponse:
    store_checks = checks.store_checks(store)
    context = _progress_context(store)
    current = context["onboarding"]
    context.update(
        checks=store_checks,
        checks_pass=checks.required_checks_pass(store_checks),
        can_start=not store.is_connected and not (current and current.is_open),
        history=list(Onboarding.objects.filter(store=store).select_related("started_by")),
    )
    return render(request, "onboarding/wizard.html", context, status=status)


def _refused(request: AuthedHttpRequest, exc: PortalError | GettError) -> None:
    messages.error(request, exc.message if isinstance(exc, PortalError) else exc.detail)


@login_required
@require_GET
def wizard(request: AuthedHttpRequest, store_id) -> HttpResponse:
    return _render_wizard(request, _store(request, store_id))


@login_required
@require_GET
def progress(request: AuthedHttpRequest, store_id) -> HttpResponse:
    store = _store(request, store_id)
    if not request.htmx:
        return redirect("onboarding:wizard", store_id=store.public_id)
    return render(request, "onboarding/wizard.html#progress", _progress_context(store))


@login_required
@require_POST
def menu_publish(request: AuthedHttpRequest, store_id) -> HttpResponse:
    """The menu check's one-click fix: publish the store's menu now."""
    store = _store(request, store_id)
    if catalog_republish(store=store, user=request.user) is None:
        messages.error(request, "The menu could not be published: it has problems to fix first.")
    else:
        messages.success(request, "Menu published.")
    return redirect("onboarding:wizard", store_id=store.public_id)


@login_required
@require_POST
def start(request: AuthedHttpRequest, store_id) -> HttpResponse:
    store = _store(request, store_id)
    if not checks.required_checks_pass(checks.store_checks(store)):
        messages.error(request, "Fix the checks marked “To do” first.")
        return redirect("onboarding:wizard", store_id=store.public_id)
    try:
        services.onboarding_start(
            store=store, user=request.user, auto_activate=request.POST.get("auto_activate") == "on"
        )
    except PortalError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Registering {store.name} with Gett.")
    return redirect("onboarding:wizard", store_id=store.public_id)


@login_required
@require_POST
def activate(request: AuthedHttpRequest, store_id, onboarding_id) -> HttpResponse:
    store = _store(request, store_id)
    onboarding = _onboarding(store, onboarding_id)
    try:
        services.onboarding_activate(onboarding=onboarding, user=request.user)
    except (PortalError, GettError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{store.name} is live on Gett.")
    return redirect("onboarding:wizard", store_id=store.public_id)


@login_required
@require_POST
def recheck(request: AuthedHttpRequest, store_id, onboarding_id) -> HttpResponse:
    store = _store(request, store_id)
    onboarding = _onboarding(store, onboarding_id)
    try:
        services.onboarding_recheck(onboarding=onboarding, user=request.user)
    except (PortalError, GettError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "Gett is checking your menu again.")
    return redirect("onboarding:wizard", store_id=store.public_id)


@login_required
@require_POST
def cancel(request: AuthedHttpRequest, store_id, onboarding_id) -> HttpResponse:
    store = _store(request, store_id)
    onboarding = _onboarding(store, onboarding_id)
    try:
        services.onboarding_cancel(onboarding=onboarding, user=request.user)
    except (PortalError, GettError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "Cancelled: the store stays off Gett.")
    return redirect("onboarding:wizard", store_id=store.public_id)


@login_required
@require_POST
def start_over(request: AuthedHttpRequest, store_id, onboarding_id) -> HttpResponse:
    store = _store(request, store_id)
    onboarding = _onboarding(store, onboarding_id)
    try:
        services.onboarding_start_over(onboarding=onboarding, user=request.user)
    except (PortalError, GettError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, "Starting over: registering the store with Gett again.")
    return redirect("onboarding:wizard", store_id=store.public_id)
