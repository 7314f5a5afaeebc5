"""What went to Gett: the public CatalogSet files and a store's menu versions.

* Public CatalogSet URLs, fetched anonymously by Gett:
  `/catalogsets/<partnerStoreId>/<catalogSetId>.json` serves a published version (from local
  storage; with S3 it redirects to the object) and `/catalogsets/<partnerStoreId>/latest.json`
  redirects to the newest one. Only keys recorded on a `CatalogVersion` are ever read.
* The versions page lists every published `CatalogVersion` of a store with its Gett
  notification, offers the stored JSON for download, sends the current version to Gett again and
  compares two versions (`catalogs.publishing.diff`). It is scoped through `stores.access`:
  another merchant's store is a 404, and a version is looked up by its `catalogSetId` within the
  store only.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import parse_etags, urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST, require_safe

from catalogs.models import CatalogVersion, PublishState
from catalogs.publishing.services import (
    DIFF_CACHE_SECONDS,
    DIFF_PREVIEW_CHANGES,
    catalog_renotify,
    catalog_version_bytes,
    catalog_version_latest,
    catalog_versions_diff,
    catalog_versions_diff_summary,
    diff_cache_key,
)
from catalogs.publishing.storage import (
    CACHE_CONTROL,
    CONTENT_TYPE,
    CatalogStorageError,
    catalog_file_open,
    catalog_file_url,
    catalog_storage_is_local,
)
from portal.typing import AuthedHttpRequest
from stores import access
from stores.access import Action
from stores.models import Store

logger = logging.getLogger(__name__)

VERSIONS_PER_PAGE = 20
# What changed: each group shows its first changes and its busiest sections (see
# `catalog_versions_diff_summary`); the rest is a page away, so the page stays small when a
# whole menu changes.
DIFF_CHANGES_PER_PAGE = 100


# --- public CatalogSet files ----------------------------------------------------------------


@require_safe
def catalogset_file(request, partner_store_id, catalog_set_id):
    version = (
        CatalogVersion.objects.filter(
            store__public_id=partner_store_id, catalog_set_id=catalog_set_id
        )
        .only("storage_key", "catalog_set_id")
        .first()
    )
    if version is None:
        raise Http404("No such menu version.")
    # The content of a version never changes, so its id is a strong ETag.
    etag = f'"{version.catalog_set_id}"'
    if_none_match = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in if_none_match or "*" in if_none_match:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = CACHE_CONTROL
        return response
    if not catalog_storage_is_local():
        return HttpResponseRedirect(
            catalog_file_url(
                key=version.storage_key,
                partner_store_id=str(partner_store_id),
                catalog_set_id=str(catalog_set_id),
            )
        )
    try:
        stored = catalog_file_open(key=version.storage_key)
    except FileNotFoundError:
        raise Http404("This menu version is no longer stored.") from None
    response = FileResponse(stored, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_safe
def catalogset_latest(request, partner_store_id):
    version = (
        CatalogVersion.objects.filter(store__public_id=partner_store_id)
        .order_by("-published_at", "-id")
        .only("storage_key", "catalog_set_id")
        .first()
    )
    if version is None:
        raise Http404("This store has no published menu.")
    response = HttpResponseRedirect(
        catalog_file_url(
            key=version.storage_key,
            partner_store_id=str(partner_store_id),
            catalog_set_id=str(version.catalog_set_id),
        )
    )
    # The target changes with every publish: never cache the redirect.
    response["Cache-Control"] = "no-cache"
    return response


# --- versions -----------------------------------------------------------------------------


class _WithCountsText(Protocol):
    """A version on the history page, with its counts in words for the template."""

    counts_text: str


def _get_version(store: Store, version_id) -> CatalogVersion:
    """A version of this store, by its catalogSetId. Another store's version is a 404."""
    return get_object_or_404(
        CatalogVersion.objects.select_related("triggered_by", "notification"),
        store=store,
        catalog_set_id=version_id,
    )


@login_required
@require_GET
def version_list(request: HttpRequest, store_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id)
    versions = (
        CatalogVersion.objects.filter(store=store)
        .select_related("triggered_by", "notification")
        .order_by("-published_at", "-id")
    )
    page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # "Compare with previous" on the last row needs the first version of the next page.
    older = list(versions[page.end_index() : page.end_index() + 1]) if page.has_next() else []
    pairs = list(zip(rows, [*rows[1:], *older, None], strict=False))
    for version in rows:
        cast(_WithCountsText, version).counts_text = _counts_text(version.counts)
    if page.number == 1:
        current = rows[0] if rows else None
    else:
        current = versions.select_related(None).only("pk").first()
    state = PublishState.objects.filter(store=store).first()
    membership = access.membership_for(request, store.merchant_id)
    return render(
        request,
        "catalogs/store_menu/versions.html",
        {
            "store": store,
            "page": page,
            "pairs": pairs,
            "current_id": current.pk if current else None,
            "state": state,
            "can_resend": access.can(membership, Action.EDIT_MENU),
            "can_edit": access.can(membership, Action.EDIT_MENU),
            "sandbox": settings.GETT_USES_SANDBOX and request.user.is_staff,
        },
    )


COUNT_WORDS = (
    ("items", "item", "items"),
    ("sections", "section", "sections"),
    ("modifierGroups", "modifier group", "modifier groups"),
    ("catalogs", "menu", "menus"),
)


def _counts_text(counts) -> str:
    """{"items": 9, "sections": 4, ...} -> "9 items · 4 sections · …"."""
    counts = counts if isinstance(counts, dict) else {}
    parts = []
    for key, one, many in COUNT_WORDS:
        number = counts.get(key)
        if isinstance(number, int):
            parts.append(f"{number} {one if number == 1 else many}")
    return " · ".join(parts)


def _stored_bytes(version: CatalogVersion) -> bytes:
    """The file as it was published. Http404 if it is gone; CatalogStorageError otherwise."""
    try:
        return catalog_version_bytes(version=version)
    except FileNotFoundError:
        raise Http404("This menu version is no longer stored.") from None


def _unavailable(request: HttpRequest, store: Store) -> HttpResponse:
    messages.error(request, "The menu file could not be read from storage. Try again shortly.")
    return redirect("publishing:versions", store_id=store.public_id)


@login_required
@require_GET
def version_download(request: HttpRequest, store_id, version_id) -> HttpResponse:
    store = access.store_get_for_user(request, store_id)
    version = _get_version(store, version_id)
    try:
        body = _stored_bytes(version)
    except CatalogStorageError:
        return _unavailable(request, store)
    published = version.published_at.astimezone(store.tzinfo)
    filename = (
        f"{slugify(store.name) or 'store'}-menu-{published:%Y%m%d-%H%M}-"
        f"{str(version.catalog_set_id)[:8]}.json"
    )
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def version_resend(request: HttpRequest, store_id, version_id) -> HttpResponse:
    """Tell Gett again about the current version (after its notification failed, say).

    Only the current version: sending an older one would give Gett a menu the portal no
    longer shows (and that `latest.json` does not point to); going back is an edit.
    """
    store = access.store_get_for_user(request, store_id, Action.EDIT_MENU)
    version = _get_version(store, version_id)
    back = reverse("publishing:versions", kwargs={"store_id": store.public_id})
    page = request.POST.get("page", "")
    if page.isdigit():
        back += "?" + urlencode({"page": page})
    current = catalog_version_latest(store=store)
    if current is None or current.pk != version.pk:
        messages.error(
            request,
            "Only the current menu can be sent to Gett again. To go back to an older menu, "
            "change the menu in the editor.",
        )
        return redirect(back)
    try:
        catalog_renotify(store=store, version=version)
    except CatalogStorageError:
        logger.warning("menu version %s: no URL to send", version.catalog_set_id)
        messages.error(request, "The menu's address could not be made. Try again shortly.")
    else:
        messages.success(request, "Sending this menu to Gett again.")
    return redirect(back)


def _diff_group_get(
    store: Store, old: CatalogVersion, new: CatalogVersion, slug: str, section: str
) -> tuple[str, list[tuple[str, str]]] | None:
    """One group's changes as (tag, text), only those in `section` if given; kept in the cache
    as plain strings, quick to read back for every "Show more". None: no such group."""
    key = diff_cache_key("diff-group", store, old, new) + f":{slug}"
    if section:
        key += ":" + hashlib.sha256(section.encode()).hexdigest()[:16]
    found = cache.get(key)
    if found is None:
        group = catalog_versions_diff(store=store, old=old, new=new).group(slug)
        if group is None:
            return None
        heading, changes = group
        found = (
            heading,
            [(c.tag, c.text) for c in changes if not section or c.section == section],
        )
        cache.set(key, found, DIFF_CACHE_SECONDS)
    return found


@login_required
@require_GET
def version_diff(request: AuthedHttpRequest, store_id, old_id, new_id) -> HttpResponse:
    """What changed, bounded whatever the size of the menu: per group, its counts (added,
    removed, changed, and by section) and its first changes. `?group=<slug>` lists one group
    a page at a time (`section` narrows it to one section); with htmx, "Show more" gets only the
    next page's rows."""
    store = access.store_get_for_user(request, store_id)
    old = _get_version(store, old_id)
    new = old if new_id == old_id else _get_version(store, new_id)
    slug = request.GET.get("group", "")[:50]
    context: dict = {"store": store, "old": old, "new": new}
    try:
        if not slug:
            context.update(catalog_versions_diff_summary(store=store, old=old, new=new))
            context["preview_changes"] = DIFF_PREVIEW_CHANGES
            return render(request, "catalogs/store_menu/diff.html", context)
        section = request.GET.get("section", "")[:500]
        found = _diff_group_get(store, old, new, slug, section)
    except FileNotFoundError:
        raise Http404("This menu version is no longer stored.") from None
    except CatalogStorageError:
        return _unavailable(request, store)
    if found is None:
        raise Http404("No such group of changes.")
    heading, changes = found
    page = Paginator(changes, DIFF_CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    query = {"group": slug, **({"section": section} if section else {})}
    context.update(
        heading=heading,
        slug=slug,
        section=section,
        page=page,
        changes=page.object_list,
        query=urlencode(query),
    )
    if request.htmx:
        return render(request, "catalogs/store_menu/diff.html#change-rows", context)
    return render(request, "catalogs/store_menu/diff.html", context)


@login_required
@require_GET
def version_compare(request: HttpRequest, store_id) -> HttpResponse:
    """The compare form on the versions page: two versions, the older one first."""
    store = access.store_get_for_user(request, store_id)
    try:
        ids = [forms.UUIDField().clean(request.GET.get(name, "")) for name in ("a", "b")]
    except ValidationError:
        messages.error(request, "Choose two versions to compare.")
        return redirect("publishing:versions", store_id=store.public_id)
    versions = {
        v.catalog_set_id: v
        for v in CatalogVersion.objects.filter(store=store, catalog_set_id__in=ids).only(
            "catalog_set_id", "published_at", "id"
        )
    }
    if any(version_id not in versions for version_id in ids):
        raise Http404("No such menu version.")
    first, second = sorted(
        (versions[version_id] for version_id in ids), key=lambda v: (v.published_at, v.pk)
    )
    return redirect(
        "publishing:version-diff",
        store_id=store.public_id,
        old_id=first.catalog_set_id,
        new_id=second.catalog_set_id,
    )
