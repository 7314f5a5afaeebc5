"""Section pages: create, edit (place and items), move, delete."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogs import services
from catalogs.editor import services as editor_services
from catalogs.editor.forms import OptionAddForm, SectionForm
from catalogs.editor.views.common import (
    DIRECTIONS,
    TEMPLATES,
    confirm_page,
    direction_from,
    editor_required,
    get_item_for_user,
    get_section_for_user,
    items_found,
    overview_url,
    service_errors,
    wants_partial,
)
from catalogs.editor.views.overview import render_menu_body
from catalogs.models import Catalog, Item, Section
from catalogs.selectors import (
    ItemFilter,
    TreeSection,
    entity_problems_list,
    items_filtered,
    items_places_get,
    items_sold_out_at_get,
    search_text,
    section_items_list,
    section_tree_get,
)
from portal.exceptions import PortalError
from portal.money import menu_money
from portal.typing import EditorHttpRequest
from stores.models import Merchant


def _places(merchant: Merchant, section: Section | None) -> tuple[dict, list, list[Section]]:
    """Where a section may sit: every catalog, and every section outside `section` itself."""
    catalogs, sections = section_tree_get(merchant=merchant)
    excluded: set[int] = set()
    if section is not None:
        stack = [s for s in sections if s.pk == section.pk]
        while stack:
            current = stack.pop()
            excluded.add(current.pk)
            stack.extend(cast(TreeSection, current).subsections)
    places: dict[str, Catalog | Section] = {f"catalog:{c.public_id}": c for c in catalogs}
    places |= {f"section:{s.public_id}": s for s in sections if s.pk not in excluded}
    choices = [
        ("Catalogs (top-level section)", [(f"catalog:{c.public_id}", c.name) for c in catalogs]),
    ]
    inside = [
        (f"section:{s.public_id}", cast(TreeSection, s).path)
        for s in sections
        if s.pk not in excluded
    ]
    if inside:
        choices.append(("Sections (sub-section)", inside))
    return places, choices, sections


@editor_required
def section_create(request: EditorHttpRequest) -> HttpResponse:
    return _section_page(request, None)


@editor_required
def section_edit(request: EditorHttpRequest, public_id) -> HttpResponse:
    return _section_page(request, get_section_for_user(request, public_id))


def _section_page(request: EditorHttpRequest, section: Section | None) -> HttpResponse:
    merchant = request.membership.merchant
    places, choices, sections = _places(merchant, section)
    if section is not None:
        here = cast(TreeSection, next(s for s in sections if s.pk == section.pk))
        tree = cast(TreeSection, section)
        tree.path, tree.subsections = here.path, here.subsections
        tree.root_catalog = here.root_catalog
    status = 200
    if request.method == "POST":
        form = SectionForm(request.POST, places=places, choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            place = data["place"]
            try:
                section = editor_services.section_save(
                    merchant=merchant,
                    section=section,
                    name=data["name"],
                    description=data["description"],
                    catalog=place if isinstance(place, Catalog) else None,
                    parent=place if isinstance(place, Section) else None,
                    user=request.user,
                )
            except (ValidationError, PortalError) as exc:
                service_errors(form, exc)
            else:
                messages.success(request, f"Section “{section.name}” saved.")
                return redirect(overview_url(f"section-{section.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    else:
        if section is None:
            if request.GET.get("parent"):
                place = f"section:{request.GET['parent']}"
            else:
                place = f"catalog:{request.GET.get('catalog', '')}"
            initial = {"place": place if place in places else ""}
        else:
            owner = (
                f"catalog:{cast(TreeSection, section).root_catalog.public_id}"
                if section.catalog_id
                else next(f"section:{s.public_id}" for s in sections if s.pk == section.parent_id)
            )
            initial = {"name": section.name, "description": section.description, "place": owner}
        form = SectionForm(initial=initial, places=places, choices=choices)
    if section is not None and wants_partial(request) and request.htmx.target == "item-picker":
        return render(
            request,
            f"{TEMPLATES}/section_form.html#item-picker",
            _section_items_context(request, section),
        )
    context = {
        "section": section,
        "form": form,
        "has_catalogs": any(key.startswith("catalog:") for key in places),
        "subsections": cast(TreeSection, section).subsections if section is not None else [],
        **(_section_items_context(request, section) if section is not None else {}),
    }
    return render(request, f"{TEMPLATES}/section_form.html", context, status=status)


PAGE_SIZE = 50


def _addable(section: Section):
    return Item.objects.filter(merchant_id=section.merchant_id).exclude(
        section_items__section=section
    )


def _page_number(request: EditorHttpRequest) -> str | None:
    return request.POST.get("page") or request.GET.get("page")


def _section_items_context(request: EditorHttpRequest, section: Section, add_form=None) -> dict:
    """One page of the section's items (in its order), and the picker to add more."""
    merchant = request.membership.merchant
    money = menu_money(merchant)
    items = items_filtered(merchant=merchant, item_filter=ItemFilter(section=section))
    page = Paginator(items, PAGE_SIZE).get_page(_page_number(request))
    entries = list(page.object_list)
    sold_out = items_sold_out_at_get(item_ids=[item.pk for item in entries])
    for index, item in enumerate(entries, start=page.start_index() - 1):
        row = cast(Any, item)
        row.price_display = money.show(item.price)
        row.sold_out_at = sold_out.get(item.pk, [])
        row.index = index
    find = search_text(request.GET.get("find", ""), limit=200)
    return {
        "section": section,
        "entries": entries,
        "page": page,
        "last_index": page.paginator.count - 1,
        "add_form": add_form or OptionAddForm(items=_addable(section)),
        "find": find,
        "found": items_found(_addable(section), find, money),
        "problems": entity_problems_list(merchant=merchant, public_id=section.public_id),
    }


def _section_items_url(section: Section, request: EditorHttpRequest) -> str:
    page = _page_number(request)
    query = f"?page={page}" if page and page.isdigit() else ""
    return reverse("menu:section-edit", args=[section.public_id]) + query + "#items"


def _section_items_response(request: EditorHttpRequest, section: Section, add_form=None):
    if wants_partial(request):
        context = _section_items_context(request, section, add_form)
        return render(
            request,
            f"{TEMPLATES}/section_form.html#section-items",
            context,
            status=400 if add_form is not None else 200,
        )
    return redirect(_section_items_url(section, request))


@editor_required
@require_POST
def section_move(request: EditorHttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    direction = direction_from(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    editor_services.section_reorder(section=section, direction=direction, user=request.user)
    # The arrows are on the catalog's page (its sections) and on the parent section's page.
    catalog, parent = section.catalog, section.parent
    if wants_partial(request):
        if request.htmx.target == "sections" and catalog is not None:
            sections = list(catalog.sections.order_by("position", "id"))
            return render(
                request,
                f"{TEMPLATES}/catalog_form.html#sections",
                {"catalog": catalog, "sections": sections},
            )
        if request.htmx.target == "subsections" and parent is not None:
            subsections = list(parent.children.order_by("position", "id"))
            return render(
                request,
                f"{TEMPLATES}/section_form.html#subsections",
                {"section": parent, "subsections": subsections},
            )
        return render_menu_body(request)
    if catalog is not None:
        return redirect(reverse("menu:catalog-edit", args=[catalog.public_id]) + "#sections")
    assert parent is not None  # a section is in a catalog or in a parent section
    return redirect(reverse("menu:section-edit", args=[parent.public_id]) + "#subsections")


@editor_required
@require_POST
def section_item_move(request: EditorHttpRequest, public_id, item_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    item = get_item_for_user(request, item_id)
    direction = direction_from(request, (*DIRECTIONS, "remove"))
    if direction is None:
        return HttpResponseBadRequest("Move up or down, or remove.")
    items = section_items_list(section=section)
    index = next((i for i, other in enumerate(items) if other.pk == item.pk), None)
    if index is None:
        raise Http404("That item is not in this section.")
    if direction == "remove":
        items.pop(index)
    else:
        items = services.reordered(items, index, direction)
    services.section_items_set(section=section, items=items, user=request.user)
    if direction == "remove" and not wants_partial(request):
        messages.success(request, f"“{item.name}” taken out of {section.name}.")
    return _section_items_response(request, section)


@editor_required
@require_POST
def section_item_add(request: EditorHttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    form = OptionAddForm(request.POST, items=_addable(section))
    if not form.is_valid():
        if wants_partial(request):
            return _section_items_response(request, section, form)
        messages.error(request, " ".join(str(e) for e in form.errors.get("item", [])))
        return redirect(reverse("menu:section-edit", args=[section.public_id]) + "#items")
    item = form.cleaned_data["item"]
    entries = section_items_list(section=section)
    services.section_items_set(section=section, items=[*entries, item], user=request.user)
    if not wants_partial(request):
        messages.success(request, f"“{item.name}” added to {section.name}.")
    return _section_items_response(request, section)


@editor_required
def section_delete(request: EditorHttpRequest, public_id) -> HttpResponse:
    section = get_section_for_user(request, public_id)
    if request.method == "POST":
        name = section.name
        services.section_delete(section=section, user=request.user)
        messages.success(request, f"Section “{name}” deleted.")
        return redirect("menu:overview")
    _, sections = section_tree_get(merchant=request.membership.merchant)
    here = next(s for s in sections if s.pk == section.pk)
    gone, stack = [], [here]
    while stack:
        current = stack.pop()
        gone.append(current)
        stack.extend(reversed(cast(TreeSection, current).subsections))
    effects = []
    if len(gone) > 1:
        effects.append(
            f"Its {len(gone) - 1} sub-section{'s' if len(gone) > 2 else ''} "
            f"({', '.join(s.name for s in gone[1:])}) {'are' if len(gone) > 2 else 'is'} "
            "deleted too."
        )
    effects.extend(sections_effects(gone)[1:] or ["It has no items."])
    return confirm_page(
        request,
        noun="section",
        obj=here,
        effects=effects,
        action=reverse("menu:section-delete", args=[section.public_id]),
        back=reverse("menu:section-edit", args=[section.public_id]),
    )


def sections_effects(gone: list[Section]) -> list[str]:
    """What deleting these sections does to their items (the items themselves stay)."""
    if not gone:
        return ["It has no sections."]
    effects = [
        f"Deletes {len(gone)} section{'s' if len(gone) != 1 else ''}: "
        + ", ".join(s.name for s in gone[:8])
        + (f" and {len(gone) - 8} more" if len(gone) > 8 else "")
        + "."
    ]
    gone_pks = {s.pk for s in gone}
    places = items_places_get(section_ids=gone_pks)
    if places:
        stranded = [pk for pk, where in places.items() if where <= gone_pks]
        text = (
            f"{len(places)} item{'s' if len(places) != 1 else ''} in "
            f"{'them' if len(gone) > 1 else 'it'} stay in your menu"
        )
        if stranded:
            text += (
                f"; {len(stranded)} of them will be in no section, so not on sale "
                "until you put them in one"
            )
        effects.append(text + ".")
    return effects
