"""Who may see and do what: the one place pages, the API and tasks ask.

Two rules, each in one place:

* **Scope**: a user sees the merchants they are a member of, and their stores; anything else
  does not exist for them (404, never 403, so another merchant's ids are not confirmed).
* **Roles** (ARCHITECTURE): owner (everything, users), manager (menus, stores, orders), staff
  (orders, snooze, pause). A role that may not do a thing gets `NotAllowed` (403) with a message
  saying who can.

Pages get `Http404`/`NotAllowed` as 404/403 pages (`portal.middleware`); the API gets both as
problem+json (`portal.api_errors`).
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from portal.exceptions import NotAllowed
from stores.models import Membership, Merchant, Store

Role = Membership.Role


class Action(StrEnum):
    EDIT_STORE = "edit_store"
    EDIT_MENU = "edit_menu"
    PAUSE = "pause"
    SNOOZE = "snooze"
    WORK_ORDERS = "work_orders"
    ONBOARD = "onboard"
    # Test orders, re-sending failed Gett messages, API tokens: what integrators and managers do.
    INTEGRATE = "integrate"


_ALL = frozenset(Role)
_MANAGERS = frozenset({Role.OWNER, Role.MANAGER})

ALLOWED: dict[Action, frozenset[str]] = {
    Action.EDIT_STORE: _MANAGERS,
    Action.EDIT_MENU: _MANAGERS,
    Action.PAUSE: _ALL,
    Action.SNOOZE: _ALL,
    Action.WORK_ORDERS: _ALL,
    Action.ONBOARD: _MANAGERS,
    Action.INTEGRATE: _MANAGERS,
}

REFUSALS: dict[Action, str] = {
    Action.EDIT_STORE: "Only owners and managers can change store details.",
    Action.EDIT_MENU: "Only owners and managers can change the menu.",
    Action.PAUSE: "Your role cannot pause or resume stores.",
    Action.SNOOZE: "Your role cannot mark items sold out.",
    Action.WORK_ORDERS: "Your role cannot work orders.",
    Action.ONBOARD: "Only owners and managers can put a store on Gett.",
    Action.INTEGRATE: (
        "Only owners and managers can send test orders, re-send messages to Gett "
        "or manage API tokens."
    ),
}


def can(membership: Membership | None, action: Action) -> bool:
    return membership is not None and membership.role in ALLOWED[action]


def require(membership: Membership, action: Action) -> Membership:
    if not can(membership, action):
        raise NotAllowed(REFUSALS[action])
    return membership


def membership_get(request: HttpRequest, action: Action | None = None) -> Membership:
    """The user's membership in the merchant they are working on now (pages)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("You are not a member of any merchant.")
    return require(membership, action) if action else membership


def membership_for(request: HttpRequest, merchant_id: int, action: Action | None = None):
    """The user's membership in one of their merchants (cached on the request)."""
    cache = request.__dict__.setdefault("_memberships", {})
    if merchant_id not in cache:
        current = getattr(request, "membership", None)
        if current is not None and current.merchant_id == merchant_id:
            cache[merchant_id] = current
        else:
            cache[merchant_id] = get_object_or_404(
                Membership.objects.select_related("merchant"),
                user_id=request.user.pk,
                merchant_id=merchant_id,
            )
    membership = cache[merchant_id]
    return require(membership, action) if action else membership


def merchants_for(request: HttpRequest) -> QuerySet[Merchant]:
    if not request.user.is_authenticated:
        return Merchant.objects.none()
    return Merchant.objects.filter(memberships__user_id=request.user.pk)


def stores_for(request: HttpRequest) -> QuerySet[Store]:
    if not request.user.is_authenticated:
        return Store.objects.none()
    return Store.objects.filter(merchant__memberships__user_id=request.user.pk).select_related(
        "merchant"
    )


def store_get_for_user(request: HttpRequest, public_id, action: Action | None = None) -> Store:
    """Every store lookup goes through here: another merchant's store is a 404."""
    store = get_object_or_404(stores_for(request), public_id=public_id)
    if action:
        membership_for(request, store.merchant_id, action)
    return store
