"""Public CatalogSet URLs, fetched anonymously by Gett.

`/catalogsets/<partnerStoreId>/<catalogSetId>.json` serves a published version (from local
storage; with S3 it redirects to the object) and `/catalogsets/<partnerStoreId>/latest.json`
redirects to the newest one. Only keys recorded on a `CatalogVersion` are ever read.
"""

from django.http import FileResponse, Http404, HttpResponseNotModified, HttpResponseRedirect
from django.utils.cache import parse_etags
from django.views.decorators.http import require_safe

from catalogs.models import CatalogVersion
from catalogs.storage import (
    CACHE_CONTROL,
    CONTENT_TYPE,
    catalog_file_open,
    catalog_file_url,
    catalog_storage_is_local,
)


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
