"""Item pages: create, edit (sections, groups, picture), duplicate, delete."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogs import services
from catalogs.editor import services as editor_services
from catalogs.editor.forms import ItemForm
from catalogs.editor.views.common import (
    DIRECTIONS,
    TEMPLATES,
    confirm_page,
    direction_from,
    editor_required,
    error_messages,
    get_group_for_user,
    get_item_for_user,
    overview_url,
    service_errors,
    wants_partial,
)
from catalogs.models import Item, ModifierGroup
from catalogs.selectors import (
    TreeSection,
    entity_problems_list,
    group_label,
    groups_listed,
    item_groups_list,
    item_sections_list,
    search_text,
    section_tree_get,
)
from portal.exceptions import PortalError
from portal.money import menu_money
from portal.typing import EditorHttpRequest

logger = logging.getLogger(__name__)


GROUPS_FOUND = 20


def _item_form_choices(request: EditorHttpRequest, item: Item | None):
    """Every section (a menu has few), but only the groups that matter here: the item's own,
    or those sent with the form. Others are found by name (`_groups_found`), never all listed."""
    merchant = request.membership.merchant
    _, sections = section_tree_get(merchant=merchant)
    if request.method == "POST":
        wanted = []
        for value in request.POST.getlist("groups"):
            try:
                wanted.append(uuid.UUID(value))
            except ValueError:
                continue  # not among the choices: the form says so
        groups = list(
            ModifierGroup.objects.filter(merchant=merchant, public_id__in=wanted).order_by(
                "name", "id"
            )
        )
    else:
        groups = item_groups_list(item=item) if item is not None else []
    return (
        [(str(s.public_id), cast(TreeSection, s).path, s) for s in sections],
        [(str(g.public_id), group_label(g), g) for g in groups],
    )


def _groups_found(request: EditorHttpRequest, item: Item | None) -> tuple[str, list]:
    """The item page's group finder: groups whose name contains `find_group`, not yet on it."""
    find = search_text(request.GET.get("find_group", ""), limit=200)
    if not find:
        return find, []
    groups = groups_listed(merchant=request.membership.merchant, q=find)
    if item is not None:
        groups = groups.exclude(item_groups__item=item)
    found = list(groups[:GROUPS_FOUND])
    for group in found:
        cast(_WithLabel, group).label = group_label(group)
    return find, found


@editor_required
def item_create(request: EditorHttpRequest) -> HttpResponse:
    return _item_page(request, None)


@editor_required
def item_edit(request: EditorHttpRequest, public_id) -> HttpResponse:
    return _item_page(request, get_item_for_user(request, public_id))


def _item_page(request: EditorHttpRequest, item: Item | None) -> HttpResponse:
    merchant = request.membership.merchant
    money = menu_money(merchant)
    sections, groups = _item_form_choices(request, item)
    find_group, groups_found = _groups_found(request, item)
    if wants_partial(request) and request.htmx.target == "group-picker":
        return render(
            request,
            f"{TEMPLATES}/item_form.html#group-picker",
            {"find_group": find_group, "groups_found": groups_found},
        )
    kwargs = {"menu_money": money, "sections": sections, "groups": groups}
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = editor_services.item_save(
                    merchant=merchant,
                    item=item,
                    name=data["name"],
                    description=data["description"],
                    price=form.price_minor,
                    sections=data["sections"],
                    groups=data["groups"],
                    image=data["image"] or None,
                    remove_image=bool(data["remove_image"]),
                    user=request.user,
                )
            except (ValidationError, PortalError) as exc:
                service_errors(form, exc)
            else:
                messages.success(request, f"“{item.name}” saved.")
                first = next(iter(item_sections_list(item=item)), None)
                return redirect(overview_url(f"section-{first.public_id}" if first else "unlisted"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    elif item is None:
        wanted = request.GET.get("section", "")
        initial = {"sections": [wanted] if wanted in {v for v, _, _ in sections} else []}
        form = ItemForm(initial=initial, **kwargs)
    else:
        form = ItemForm(
            initial={
                "name": item.name,
                "description": item.description,
                "price": item.price,
                "sections": [str(s.public_id) for s in item_sections_list(item=item)],
                "groups": [str(g.public_id) for g in item_groups_list(item=item)],
            },
            **kwargs,
        )
    context: dict[str, object] = {
        "item": item,
        "form": form,
        "money": money,
        "find_group": find_group,
        "groups_found": groups_found,
    }
    if item is not None:
        context |= _item_groups_context(item)
        context["option_of"] = list(
            ModifierGroup.objects.filter(group_options__item=item).order_by("name", "id")
        )
        context["problems"] = entity_problems_list(merchant=merchant, public_id=item.public_id)
    return render(request, f"{TEMPLATES}/item_form.html", context, status=status)


class _WithLabel(Protocol):
    """A group on the item page, with the label that says its rule."""

    label: str


def _item_groups_context(item: Item) -> dict:
    groups = item_groups_list(item=item)
    for group in groups:
        cast(_WithLabel, group).label = group_label(group)
    return {"item": item, "item_groups": groups}


@editor_required
@require_POST
def item_group_move(request: EditorHttpRequest, public_id, group_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    group = get_group_for_user(request, group_id)
    direction = direction_from(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    groups = item_groups_list(item=item)
    index = next((i for i, other in enumerate(groups) if other.pk == group.pk), None)
    if index is None:
        raise Http404("This item does not use that group.")
    if direction == "remove":
        groups.pop(index)
    else:
        groups = services.reordered(groups, index, direction)
    services.item_groups_set(item=item, groups=groups, user=request.user)
    if wants_partial(request):
        return render(
            request, f"{TEMPLATES}/item_form.html#item-groups", _item_groups_context(item)
        )
    return redirect(reverse("menu:item-edit", args=[item.public_id]) + "#groups")


@editor_required
@require_POST
def item_duplicate(request: EditorHttpRequest, public_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    try:
        copy = editor_services.item_duplicate(item=item, user=request.user)
    except (ValidationError, PortalError) as exc:
        logger.info("item %s not duplicated: %s", item.public_id, exc)
        messages.error(request, f"Could not copy “{item.name}”: {'; '.join(error_messages(exc))}")
        return redirect("menu:item-edit", public_id=item.public_id)
    messages.success(request, f"Copied “{item.name}”. You are now editing the copy.")
    return redirect("menu:item-edit", public_id=copy.public_id)


@editor_required
def item_delete(request: EditorHttpRequest, public_id) -> HttpResponse:
    item = get_item_for_user(request, public_id)
    if request.method == "POST":
        name = item.name
        services.item_delete(item=item, user=request.user)
        messages.success(request, f"“{name}” deleted.")
        return redirect("menu:overview")
    _, sections = section_tree_get(merchant=request.membership.merchant)
    paths = {s.pk: cast(TreeSection, s).path for s in sections}
    places = [paths.get(section.pk, "?") for section in item_sections_list(item=item)]
    option_of = list(ModifierGroup.objects.filter(group_options__item=item).order_by("name"))
    own_groups = item_groups_list(item=item)
    effects = []
    if places:
        effects.append(f"Taken out of {len(places)} section(s): {'; '.join(places)}.")
    else:
        effects.append("It is in no section.")
    if option_of:
        effects.append(
            f"Used as an option in {len(option_of)} group{'s' if len(option_of) != 1 else ''} "
            f"({', '.join(g.name for g in option_of)}): it disappears from "
            f"{'them' if len(option_of) != 1 else 'it'}."
        )
        for group in option_of:
            if group.min_selections > 0:
                effects.append(
                    f"“{group.name}” is required (choose {group.min_selections}): check it "
                    "still has enough options."
                )
    if own_groups:
        effects.append(
            f"Its modifier groups ({', '.join(g.name for g in own_groups)}) stay for other items."
        )
    return confirm_page(
        request,
        noun="item",
        obj=item,
        effects=effects,
        action=reverse("menu:item-delete", args=[item.public_id]),
        back=reverse("menu:item-edit", args=[item.public_id]),
    )
