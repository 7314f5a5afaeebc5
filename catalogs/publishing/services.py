"""Publishing each store's menu: build, validate, store, record, tell Gett.

Every change of menu content calls `menu_changed`, which publishes the affected stores' menus
shortly after the transaction commits (debounced: a burst of changes publishes once).
Publishing builds the CatalogSet (`catalogs.publishing.builder`), validates it, stores it at an
immutable key (`catalogs.publishing.storage`), records a `CatalogVersion` and tells Gett through
the outbox. What changed between two versions (`catalogs.publishing.diff`) is kept in the cache;
the publish task works it out for each new version and the one before, ahead of the first look.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from catalogs.models import (
    Catalog,
    CatalogVersion,
    Item,
    PublishState,
    Section,
    StoreCatalog,
    Trigger,
)
from catalogs.publishing.builder import (
    catalog_build_for_publish,
    catalog_validate,
    gc_paused,
    problem_as_dict,
)
from catalogs.publishing.diff import CatalogDiff, catalogset_diff
from catalogs.publishing.storage import (
    CatalogStorageError,
    catalog_file_open,
    catalog_file_save,
    catalog_file_url,
    catalogset_key,
)
from catalogs.selectors import menu_version_bump
from gett import outbox
from gett.catalogset.validation import catalogset_counts
from gett.models import OutboundMessage
from portal.exceptions import InvalidStateError
from stores.models import Merchant, Store

logger = logging.getLogger(__name__)


# --- which stores a change affects -----------------------------------------------------------


def stores_for_merchant(merchant: Merchant | int) -> QuerySet[Store]:
    return Store.objects.filter(merchant=merchant)


def stores_selling_catalog(catalog: Catalog) -> QuerySet[Store]:
    """Stores that sell `catalog`: those that chose it, and those that chose nothing (all)."""
    chosen = StoreCatalog.objects.filter(store=OuterRef("pk"))
    return Store.objects.filter(merchant_id=catalog.merchant_id).filter(
        Exists(chosen.filter(catalog=catalog)) | ~Exists(chosen)
    )


def stores_selling_section(section: Section) -> QuerySet[Store]:
    catalog = _root_catalog(section)
    if catalog is None:  # a section outside any catalog reaches no store
        return Store.objects.none()
    return stores_selling_catalog(catalog)


def _root_catalog(section: Section) -> Catalog | None:
    seen: set[int] = set()
    while section.catalog_id is None and section.parent_id and section.pk not in seen:
        seen.add(section.pk)
        assert section.parent is not None  # parent_id is set
        section = section.parent
    return section.catalog if section.catalog_id else None


def stores_selling_item(item: Item) -> QuerySet[Store]:
    """Every store of the item's merchant.

    Items (and modifier groups) can be reached from anywhere in a menu: sections of several
    catalogs, other items' groups, nested options. Rather than walk that graph, a change to one
    republishes every store of the merchant; a store whose menu did not change finds the same
    content hash and stops there.
    """
    return stores_for_merchant(item.merchant_id)


# --- publishing soon after a change (debounced) ---------------------------------------------


def menu_changed(
    *,
    stores: Iterable[Store | int],
    trigger: str,
    user: AbstractBaseUser | None = None,
) -> None:
    """Publish these stores' menus once the current transaction commits, at most once per
    store per debounce window (`CATALOG_PUBLISH_DEBOUNCE_SECONDS`)."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    if isinstance(stores, QuerySet):
        store_ids = set(stores.values_list("pk", flat=True))
    else:
        store_ids = {store if isinstance(store, int) else store.pk for store in stores}
    for store_id in sorted(store_ids):
        # Order pricing re-reads the menu from the next cart on (catalogs.selectors).
        transaction.on_commit(_menu_version_bump_callback(store_id), robust=True)
        # robust: a broker outage is logged, never turned into an error for a committed edit.
        transaction.on_commit(_publish_soon_callback(store_id, trigger, user_id), robust=True)


def _menu_version_bump_callback(store_id: int):
    def menu_version_bump_on_commit() -> None:
        menu_version_bump(store_id)

    return menu_version_bump_on_commit


def _publish_soon_callback(store_id: int, trigger: str, user_id: int | None):
    # A function, not functools.partial: Django logs a failed robust callback by __qualname__.
    def publish_soon() -> None:
        _publish_soon(store_id, trigger, user_id)

    return publish_soon


def _debounce_key(store_id: int) -> str:
    return f"catalogs:publish-scheduled:{store_id}"


def _publish_soon(store_id: int, trigger: str, user_id: int | None) -> None:
    from catalogs.tasks import catalog_publish_task

    delay = settings.CATALOG_PUBLISH_DEBOUNCE_SECONDS
    # The key outlives the countdown by a minute, so a lost task blocks publishing that long
    # at most; the task deletes it as it starts, so changes made during a publish are not lost.
    if not cache.add(_debounce_key(store_id), trigger, timeout=int(delay) + 60):
        return  # already scheduled: that publish will see this change
    try:
        catalog_publish_task.apply_async((store_id, trigger, user_id), countdown=delay)
    except Exception:
        cache.delete(_debounce_key(store_id))  # let the next change try again
        raise


def publish_debounce_release(*, store_id: int) -> None:
    """The scheduled publish starts: changes from now on schedule another one."""
    cache.delete(_debounce_key(store_id))


# --- publishing -------------------------------------------------------------------------------


def catalog_publish(
    *, store_id: int, trigger: str, user_id: int | None = None
) -> CatalogVersion | None:
    """Publish the store's menu if it is valid and changed; tell Gett. None: nothing published.

    Publishes of one store never interleave: they lock the store's `PublishState` row.
    """
    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        logger.info("catalog publish skipped: store %s is gone", store_id)
        return None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    PublishState.objects.get_or_create(store=store)
    with transaction.atomic():
        state = PublishState.objects.select_for_update().get(store=store)
        store.refresh_from_db()  # fulfilment flags may have changed while we waited
        now = timezone.now()
        # Built once and serialised once: the same bytes give the hash and the upload.
        with gc_paused():
            built = catalog_build_for_publish(store=store, now=now)
            document = built.document
            problems = catalog_validate(store=store, document=document)
        state.last_checked_at = now
        state.last_trigger = trigger
        state.last_problems = [problem_as_dict(problem) for problem in problems]
        state.is_valid = not problems
        state.save()
        if problems:
            logger.info(
                "menu of store %s not published: %s problem(s) (%s)",
                store.public_id,
                len(problems),
                ", ".join(sorted({problem.code for problem in problems})),
            )
            return None

        content_hash = built.content_hash
        newest = catalog_version_latest(store=store)
        if newest is not None and newest.content_hash == content_hash:
            return None  # Gett has this menu already

        catalog_set_id = document["catalogSetId"]
        body = built.body
        key = catalogset_key(partner_store_id=store.partner_store_id, catalog_set_id=catalog_set_id)
        catalog_file_save(key=key, content=body)
        url = catalog_file_url(
            key=key, partner_store_id=store.partner_store_id, catalog_set_id=catalog_set_id
        )
        version, created = CatalogVersion.objects.update_or_create(
            store=store,
            content_hash=content_hash,
            defaults={
                "url": url,
                "trigger": trigger,
                "triggered_by": user,
                "published_at": now,
            },
            create_defaults={
                "catalog_set_id": catalog_set_id,
                "storage_key": key,
                "url": url,
                "size_bytes": len(body),
                "counts": catalogset_counts(document),
                "trigger": trigger,
                "triggered_by": user,
                "created_at": now,
                "published_at": now,
            },
        )
        # Gett pulls a store's first menu from the catalogCallbackUrl given at registration;
        # until it knows the store, a notification would only be refused (STORE_NOT_FOUND).
        version.notification = _notify(store=store, url=url) if store.gett_knows_store else None
        version.save(update_fields=["notification"])
    logger.info(
        "menu of store %s published as %s (%s, %s bytes, %s)",
        store.public_id,
        catalog_set_id,
        "new" if created else "again",
        version.size_bytes,
        trigger,
    )
    return version


def _notify(*, store: Store, url: str) -> OutboundMessage:
    return outbox.enqueue(
        kind="catalog.notify",
        key=store.outbox_key,
        target_id=store.partner_store_id,
        payload={"callbackUrl": url},
    )


@transaction.atomic
def catalog_renotify(*, store: Store, version: CatalogVersion) -> OutboundMessage:
    """Tell Gett again about a published version (e.g. after its notification failed)."""
    if not store.gett_knows_store:
        raise InvalidStateError(
            "This store is not registered with Gett yet: Gett fetches its menu when you put the "
            "store on Gett."
        )
    url = catalog_file_url(
        key=version.storage_key,
        partner_store_id=store.partner_store_id,
        catalog_set_id=str(version.catalog_set_id),
    )
    message = _notify(store=store, url=url)
    version.url = url
    version.notification = message
    version.save(update_fields=["url", "notification"])
    return message


def catalog_republish(
    *, store: Store, user: AbstractBaseUser | None = None
) -> CatalogVersion | None:
    """Publish now (no debounce); if nothing changed, notify Gett again of the current version.

    Returns the version Gett is told about, or None when the menu is invalid (see the store's
    `PublishState`) or was never published.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    version = catalog_publish(store_id=store.pk, trigger=Trigger.REPUBLISH, user_id=user_id)
    if version is not None:
        return version
    state = PublishState.objects.get(store=store)
    latest = catalog_version_latest(store=store)
    if not state.is_valid or latest is None:
        return None
    catalog_renotify(store=store, version=latest)
    return latest


def catalog_version_latest(*, store: Store) -> CatalogVersion | None:
    return CatalogVersion.objects.filter(store=store).order_by("-published_at", "-id").first()


def catalog_version_previous(*, version: CatalogVersion) -> CatalogVersion | None:
    """The store's version published just before `version` (the versions page's order)."""
    earlier = Q(published_at__lt=version.published_at) | Q(
        published_at=version.published_at, pk__lt=version.pk
    )
    return (
        CatalogVersion.objects.filter(store_id=version.store_id)
        .filter(earlier)
        .order_by("-published_at", "-id")
        .first()
    )


# --- what changed between two versions ---------------------------------------------------------
# A version's content never changes, so the diff of two versions is worked out once and kept:
# the whole diff (for "Show all" and "Show more"), and apart from it the summary page's few
# kilobytes (its counts and first changes), quick to read back however many changes there are.

DIFF_CACHE_SECONDS = 24 * 3600
DIFF_PREVIEW_CHANGES = 20  # each group's first changes on the summary page
DIFF_PREVIEW_SECTIONS = 12  # and its busiest sections


def diff_cache_key(kind: str, store: Store, old: CatalogVersion, new: CatalogVersion) -> str:
    return f"catalogs:{kind}:{old.content_hash}:{new.content_hash}:{store.currency}"


def catalog_version_bytes(*, version: CatalogVersion) -> bytes:
    """The file as it was published. FileNotFoundError if it is gone; CatalogStorageError
    when storage cannot be read."""
    try:
        with catalog_file_open(key=version.storage_key) as stored:
            return stored.read()
    except FileNotFoundError:
        raise
    except (OSError, BotoCoreError, ClientError) as exc:
        logger.warning("menu version %s could not be read: %s", version.catalog_set_id, exc)
        raise CatalogStorageError(f"could not read {version.storage_key}") from exc


def _catalog_version_document(version: CatalogVersion) -> dict:
    body = catalog_version_bytes(version=version)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogStorageError(f"{version.storage_key} is not JSON") from exc
    return document if isinstance(document, dict) else {}


def catalog_versions_diff(*, store: Store, old: CatalogVersion, new: CatalogVersion) -> CatalogDiff:
    """What changed from `old` to `new`, kept in the cache (both files are read only once)."""
    key = diff_cache_key("diff", store, old, new)
    diff = cache.get(key)
    if not isinstance(diff, CatalogDiff):
        diff = catalogset_diff(
            _catalog_version_document(old), _catalog_version_document(new), currency=store.currency
        )
        cache.set(key, diff, DIFF_CACHE_SECONDS)
    return diff


def catalog_versions_diff_summary(
    *, store: Store, old: CatalogVersion, new: CatalogVersion
) -> dict:
    """The summary page's part of the diff: `total` changes and, per group, its summary, first
    changes, first sections and how many more sections; kept in the cache on its own."""
    key = diff_cache_key("diff-summary", store, old, new)
    summary = cache.get(key)
    if not isinstance(summary, dict):
        diff = catalog_versions_diff(store=store, old=old, new=new)
        summary = {
            "total": len(diff),
            "summaries": [
                (
                    group,
                    changes[:DIFF_PREVIEW_CHANGES],
                    group.sections[:DIFF_PREVIEW_SECTIONS],
                    max(0, len(group.sections) - DIFF_PREVIEW_SECTIONS),
                )
                for group, changes in diff.summaries()
            ],
        }
        cache.set(key, summary, DIFF_CACHE_SECONDS)
    return summary


def catalog_versions_diff_warm(*, version: CatalogVersion) -> bool:
    """Work out and keep what changed from the store's previous version to `version` (the pair
    the versions page links), so the merchant's first look is quick on a big menu.

    Best effort, after the publish: a failure is logged and False returned, never raised.
    """
    try:
        previous = catalog_version_previous(version=version)
        if previous is None:
            return False
        catalog_versions_diff_summary(store=version.store, old=previous, new=version)
    except Exception:  # any failure here only costs the first look its speed
        logger.warning(
            "what changed in menu version %s not prepared", version.catalog_set_id, exc_info=True
        )
        return False
    return True


def catalogset_latest_url(*, store: Store) -> str:
    """The stable URL of the store's current CatalogSet (the onboarding catalogCallbackUrl)."""
    path = reverse(
        "publishing:catalogset-latest", kwargs={"partner_store_id": store.partner_store_id}
    )
    return f"{settings.PUBLIC_BASE_URL}{path}"


_User = TypeVar("_User", bound=AbstractBaseUser)


def user_or_none(user: _User | None) -> _User | None:
    return user if user is not None and user.is_authenticated else None
