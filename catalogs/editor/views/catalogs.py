"""Catalog pages: create, edit (with opening hours and stores), move, delete."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogs import services
from catalogs.editor import services as editor_services
from catalogs.editor.forms import CatalogForm, WindowFormSet, window_initial
from catalogs.editor.views.common import (
    TEMPLATES,
    confirm_page,
    direction_from,
    editor_required,
    get_catalog_for_user,
    overview_url,
    service_errors,
    wants_partial,
)
from catalogs.editor.views.overview import render_menu_body
from catalogs.editor.views.sections import sections_effects
from catalogs.models import Catalog
from catalogs.publishing import services as publishing_services
from catalogs.selectors import (
    TreeSection,
    entity_problems_list,
    section_tree_get,
    store_catalog_ids_get,
)
from portal.exceptions import PortalError
from portal.typing import EditorHttpRequest
from stores.models import Store


@editor_required
def catalog_create(request: EditorHttpRequest) -> HttpResponse:
    return _catalog_page(request, None)


@editor_required
def catalog_edit(request: EditorHttpRequest, public_id) -> HttpResponse:
    return _catalog_page(request, get_catalog_for_user(request, public_id))


def _catalog_page(request: EditorHttpRequest, catalog: Catalog | None) -> HttpResponse:
    merchant = request.membership.merchant
    if request.method == "POST":
        # Bound without initial data: a row left blank is no row.
        form = CatalogForm(request.POST, merchant=merchant)
        hours = WindowFormSet(request.POST, prefix="hours")
        if form.is_valid() and hours.is_valid():
            data = form.cleaned_data
            try:
                catalog = editor_services.catalog_save(
                    merchant=merchant,
                    catalog=catalog,
                    name=data["name"],
                    description=data["description"],
                    windows=hours.windows(),
                    stores=data["stores"],
                    user=request.user,
                )
            except (ValidationError, PortalError) as exc:
                service_errors(form, exc)
            else:
                messages.success(request, f"Catalog “{catalog.name}” saved.")
                return redirect(overview_url(f"catalog-{catalog.public_id}"))
        messages.error(request, "Please correct the highlighted fields.")
        status = 400
    else:
        initial: dict[str, object]
        if catalog is None:
            stores = Store.objects.filter(merchant=merchant)
            initial = {"stores": [store.public_id for store in stores]}
            windows = []
        else:
            initial = {
                "name": catalog.name,
                "description": catalog.description,
                "stores": [
                    s.public_id for s in publishing_services.stores_selling_catalog(catalog)
                ],
            }
            windows = window_initial(catalog.windows.all())
        form = CatalogForm(initial=initial, merchant=merchant)
        hours = WindowFormSet(prefix="hours", initial=windows)
        status = 200
    context = {
        "catalog": catalog,
        "form": form,
        "hours": hours,
        "problems": (
            entity_problems_list(merchant=merchant, public_id=catalog.public_id) if catalog else []
        ),
        "sections": (
            list(catalog.sections.order_by("position", "id")) if catalog is not None else []
        ),
    }
    return render(request, f"{TEMPLATES}/catalog_form.html", context, status=status)


@editor_required
@require_POST
def catalog_move(request: EditorHttpRequest, public_id) -> HttpResponse:
    catalog = get_catalog_for_user(request, public_id)
    direction = direction_from(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    editor_services.catalog_reorder(catalog=catalog, direction=direction, user=request.user)
    if wants_partial(request):
        return render_menu_body(request)
    return redirect(overview_url(f"catalog-{catalog.public_id}"))


@editor_required
def catalog_delete(request: EditorHttpRequest, public_id) -> HttpResponse:
    catalog = get_catalog_for_user(request, public_id)
    if request.method == "POST":
        name = catalog.name
        services.catalog_delete(catalog=catalog, user=request.user)
        messages.success(request, f"Catalog “{name}” deleted.")
        return redirect("menu:overview")
    _, sections = section_tree_get(merchant=request.membership.merchant)
    gone = [s for s in sections if cast(TreeSection, s).root_catalog.pk == catalog.pk]
    effects = [*sections_effects(gone)]
    chosen = store_catalog_ids_get(merchant_id=catalog.merchant_id)
    for store in publishing_services.stores_selling_catalog(catalog).order_by("name"):
        if chosen[store.pk] == {catalog.pk}:
            effects.append(
                f"{store.name} sells only this catalog: afterwards it sells all your other "
                "catalogs."
            )
        else:
            effects.append(f"{store.name} stops selling it.")
    return confirm_page(
        request,
        noun="catalog",
        obj=catalog,
        effects=effects,
        action=reverse("menu:catalog-delete", args=[catalog.public_id]),
        back=reverse("menu:catalog-edit", args=[catalog.public_id]),
    )
