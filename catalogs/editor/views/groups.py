"""Modifier group pages: create, edit (options), delete."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogs import services
from catalogs.editor import services as editor_services
from catalogs.editor.forms import GroupForm, OptionAddForm, OptionCreateForm
from catalogs.editor.views.common import (
    DIRECTIONS,
    TEMPLATES,
    confirm_page,
    direction_from,
    editor_required,
    get_group_for_user,
    get_item_for_user,
    items_found,
    overview_url,
    service_errors,
    wants_partial,
)
from catalogs.models import Item, ModifierGroup
from catalogs.selectors import entity_problems_list, group_options_list, search_text
from portal.exceptions import PortalError
from portal.money import menu_money
from portal.typing import EditorHttpRequest


@editor_required
def group_create(request: EditorHttpRequest) -> HttpResponse:
    return _group_page(request, None)


@editor_required
def group_edit(request: EditorHttpRequest, public_id) -> HttpResponse:
    return _group_page(request, get_group_for_user(request, public_id))


def _group_page(
    request: EditorHttpRequest, group: ModifierGroup | None, **option_forms
) -> HttpResponse:
    merchant = request.membership.merchant
    creating = group is None
    status = 400 if option_forms else 200
    if request.method == "POST" and not option_forms:
        form = GroupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if group is None:
                    group = services.group_create(merchant=merchant, user=request.user, **data)
                else:
                    group = services.group_update(group=group, user=request.user, **data)
            except (ValidationError, PortalError) as exc:
                service_errors(form, exc)
            else:
                if creating:
                    messages.success(request, f"Group “{group.name}” created. Now add its options.")
                    return redirect("menu:group-edit", public_id=group.public_id)
                messages.success(request, f"Group “{group.name}” saved.")
                return redirect(overview_url(f"group-{group.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    elif group is None:
        form = GroupForm()
    else:
        form = GroupForm(
            initial={
                "name": group.name,
                "min_selections": group.min_selections,
                "max_selections": group.max_selections,
            }
        )
    if group is not None and wants_partial(request) and request.htmx.target == "option-picker":
        return render(
            request,
            f"{TEMPLATES}/group_form.html#option-picker",
            _group_options_context(request, group),
        )
    context: dict[str, Any] = {"group": group, "form": form}
    if group is not None:
        context |= _group_options_context(request, group, **option_forms)
        used_on = Item.objects.filter(item_groups__group=group).order_by("name", "id")
        context["used_on"] = list(used_on[:USED_ON_SHOWN])
        context["used_on_count"] = used_on.count()
    return render(request, f"{TEMPLATES}/group_form.html", context, status=status)


USED_ON_SHOWN = 50


class _WithPriceDisplay(Protocol):
    """An option on the group page, with its price in the merchant's money."""

    price_display: str


def _addable(group: ModifierGroup):
    return Item.objects.filter(merchant_id=group.merchant_id).exclude(group_options__group=group)


def _group_options_context(
    request: EditorHttpRequest, group: ModifierGroup, add_form=None, create_form=None
) -> dict:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    options = group_options_list(group=group)
    for item in options:
        cast(_WithPriceDisplay, item).price_display = money.show(item.price)
    find = search_text(request.GET.get("find", ""), limit=200)
    return {
        "group": group,
        "options": options,
        "money": money,
        "add_form": add_form or OptionAddForm(items=_addable(group)),
        "find": find,
        "found": items_found(_addable(group), find, money),
        "create_form": create_form or OptionCreateForm(menu_money=money),
        "problems": entity_problems_list(merchant=merchant, public_id=group.public_id),
        "short_of_options": len(options) < group.min_selections,
        "max_above_options": bool(options) and group.max_selections > len(options),
    }


def _group_options_response(request, group, *, add_form=None, create_form=None):
    failed = add_form is not None or create_form is not None
    if wants_partial(request):
        context = _group_options_context(request, group, add_form=add_form, create_form=create_form)
        return render(
            request,
            f"{TEMPLATES}/group_form.html#group-options",
            context,
            status=400 if failed else 200,
        )
    if failed:
        messages.error(request, "Please correct the highlighted fields.")
        kwargs = {"add_form": add_form} if add_form is not None else {"create_form": create_form}
        return _group_page(request, group, **kwargs)
    return redirect(reverse("menu:group-edit", args=[group.public_id]) + "#options")


@editor_required
@require_POST
def group_option_move(request: EditorHttpRequest, public_id, item_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    item = get_item_for_user(request, item_id)
    direction = direction_from(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    options = group_options_list(group=group)
    index = next((i for i, other in enumerate(options) if other.pk == item.pk), None)
    if index is None:
        raise Http404("That item is not an option of this group.")
    if direction == "remove":
        options.pop(index)
    else:
        options = services.reordered(options, index, direction)
    services.group_options_set(group=group, items=options, user=request.user)
    if direction == "remove" and not wants_partial(request):
        messages.success(request, f"“{item.name}” is no longer an option of {group.name}.")
    return _group_options_response(request, group)


@editor_required
@require_POST
def group_option_add(request: EditorHttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    form = OptionAddForm(request.POST, items=_addable(group))
    if not form.is_valid():
        return _group_options_response(request, group, add_form=form)
    options = group_options_list(group=group)
    services.group_options_set(
        group=group, items=[*options, form.cleaned_data["item"]], user=request.user
    )
    return _group_options_response(request, group)


@editor_required
@require_POST
def group_option_create(request: EditorHttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    form = OptionCreateForm(request.POST, menu_money=menu_money(request.membership.merchant))
    if form.is_valid():
        try:
            editor_services.group_option_create(
                group=group,
                name=form.cleaned_data["name"],
                price=form.price_minor,
                user=request.user,
            )
        except (ValidationError, PortalError) as exc:
            service_errors(form, exc)
        else:
            return _group_options_response(request, group)
    return _group_options_response(request, group, create_form=form)


@editor_required
def group_delete(request: EditorHttpRequest, public_id) -> HttpResponse:
    group = get_group_for_user(request, public_id)
    if request.method == "POST":
        name = group.name
        services.group_delete(group=group, user=request.user)
        messages.success(request, f"Group “{name}” deleted.")
        return redirect("menu:overview")
    used_on_items = Item.objects.filter(item_groups__group=group).order_by("name")
    used_on = list(used_on_items[:10])
    used_on_count = used_on_items.count() if len(used_on) == 10 else len(used_on)
    options = group_options_list(group=group)
    effects = []
    if used_on:
        effects.append(
            f"Taken off {used_on_count} item{'s' if used_on_count != 1 else ''}: "
            f"{', '.join(i.name for i in used_on)}"
            + (f" and {used_on_count - 10} more" if used_on_count > 10 else "")
            + "."
        )
    else:
        effects.append("No item uses it.")
    if options:
        effects.append(
            f"Its {len(options)} option{'s' if len(options) != 1 else ''} "
            f"({', '.join(i.name for i in options[:10])}) stay as items."
        )
    return confirm_page(
        request,
        noun="modifier group",
        obj=group,
        effects=effects,
        action=reverse("menu:group-delete", args=[group.public_id]),
        back=reverse("menu:group-edit", args=[group.public_id]),
    )
