"""What every editor page shares: access, per-merchant lookups, and small response helpers."""

from __future__ import annotations

import functools
import uuid
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from catalogs.models import Catalog, Item, ModifierGroup, Section
from portal.exceptions import PortalError
from portal.money import MenuMoney
from portal.typing import HtmxHttpRequest
from stores.access import Action, membership_get
from stores.models import Membership

TEMPLATES = "catalogs/editor"
DIRECTIONS = ("up", "down")


# --- access -------------------------------------------------------------------------------------


def require_editor(request: HttpRequest) -> Membership:
    return membership_get(request, Action.EDIT_MENU)


def editor_required(view):
    """Logged in, and an owner or manager of the merchant they work on (else a 403 page)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        require_editor(request)
        return view(request, *args, **kwargs)

    return wrapper


def get_catalog_for_user(request: HttpRequest, public_id) -> Catalog:
    return get_object_or_404(
        Catalog, merchant=membership_get(request).merchant, public_id=public_id
    )


def get_section_for_user(request: HttpRequest, public_id) -> Section:
    return get_object_or_404(
        Section, merchant=membership_get(request).merchant, public_id=public_id
    )


def get_item_for_user(request: HttpRequest, public_id) -> Item:
    return get_object_or_404(Item, merchant=membership_get(request).merchant, public_id=public_id)


def get_group_for_user(request: HttpRequest, public_id) -> ModifierGroup:
    return get_object_or_404(
        ModifierGroup, merchant=membership_get(request).merchant, public_id=public_id
    )


def get_items_for_user(request: HttpRequest, values: list[str]) -> list[Item]:
    """Items named by public ids in a form, in that order; any unknown or foreign id is a 404."""
    wanted: list[uuid.UUID] = []
    for value in values:
        try:
            wanted.append(forms.UUIDField().clean(str(value)))
        except ValidationError:
            raise Http404("No such item.") from None
    wanted = list(dict.fromkeys(wanted))
    found = {
        item.public_id: item
        for item in Item.objects.filter(
            merchant=membership_get(request).merchant, public_id__in=wanted
        )
    }
    if len(found) != len(wanted):
        raise Http404("No such item.")
    return [found[public_id] for public_id in wanted]


# --- input and responses ------------------------------------------------------------------------


def wants_partial(request: HtmxHttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def direction_from(request: HttpRequest, allowed=DIRECTIONS) -> str | None:
    direction = request.POST.get("direction", "")
    return direction if direction in allowed else None


def overview_url(anchor: str = "") -> str:
    return reverse("menu:overview") + (f"#{anchor}" if anchor else "")


def service_errors(form, exc: Exception) -> None:
    """A service refused (model validation or a rule): show it next to the field it names."""
    if isinstance(exc, PortalError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc))


def error_messages(exc: Exception) -> list[str]:
    if isinstance(exc, PortalError):
        return [exc.message]
    return exc.messages if isinstance(exc, ValidationError) else [str(exc)]


PICKER_SIZE = 20


def items_found(items: QuerySet[Item], find: str, money: MenuMoney) -> list[Item]:
    """An item picker's answer: the first `PICKER_SIZE` of `items` whose name contains `find`."""
    needle = find.strip()
    if not needle:
        return []
    found = list(items.filter(name__icontains=needle).order_by("name", "id")[:PICKER_SIZE])
    for item in found:
        cast(Any, item).price_display = money.show(item.price)
    return found


def confirm_page(request, *, noun: str, obj, effects: list[str], action: str, back: str):
    context = {"noun": noun, "obj": obj, "effects": effects, "action": action, "back": back}
    return render(request, f"{TEMPLATES}/confirm_delete.html", context)
