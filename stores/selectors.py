"""What Gett has for a store's status, as far as we know, next to what the portal has.

The store page and the dashboard must not say "Online" while Gett still has the store paused
(a refused resume). They read it from the store's latest status message and the last status the
reconciler read from Gett.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Max

from gett.models import OutboundMessage
from stores.models import Store, StoreEvent

STATUS_KIND = "store.status"
_ERROR_LINE = re.compile(r"^[A-Z_]+ \([^)]*\): (.*?)(?: \[requestId [^\]]*\])?$", re.DOTALL)
ACTIONS = {Store.Status.ONLINE: "resume", Store.Status.PAUSED: "pause"}


@dataclass(frozen=True)
class GettView:
    """Gett's side of a store's status. `status` is "" when Gett does not know the store."""

    ours: str
    status: str
    problem: str = ""

    @property
    def disagrees(self) -> bool:
        return bool(self.status) and self.status != self.ours

    @property
    def label(self) -> str:
        """The badge: "Paused on Gett" when Gett's status is not ours."""
        return f"{Store.Status(self.status).label} on Gett" if self.disagrees else ""


def _gett_detail(message: OutboundMessage) -> str:
    """Gett's own words for a failure (its problem `detail`), else our error line."""
    if message.last_error_detail:
        return message.last_error_detail
    # Older rows keep only GettError's line: "VALIDATION_FAILED (422): <detail> [requestId …]".
    match = _ERROR_LINE.match(message.last_error)
    return (match.group(1) if match else message.last_error) or "no reason given"


def _other(status: str) -> str:
    return Store.Status.ONLINE if status == Store.Status.PAUSED else Store.Status.PAUSED


def store_gett_view(*, store: Store, message: OutboundMessage | None) -> GettView:
    """Gett's status for `store`, given its latest (not superseded) store.status message."""
    ours = store.status
    if not store.is_connected:
        return GettView(ours=ours, status="")
    if (
        message is not None
        and message.state == OutboundMessage.State.FAILED
        and message.payload.get("status") == ours
    ):
        # Our latest change never reached Gett. Unless a later read says otherwise, Gett still
        # has the status we were changing from.
        read_later = (
            store.gett_status
            and store.gett_status_read_at
            and message.last_attempt_at
            and store.gett_status_read_at > message.last_attempt_at
        )
        gett = store.gett_status if read_later else _other(ours)
        action = ACTIONS[Store.Status(ours)]
        detail = _gett_detail(message)
        status_code = message.last_status_code
        if status_code is not None and 400 <= status_code < 500:
            problem = f"Gett refused the {action}: {detail}"
        else:
            problem = f"Gett did not get the {action}: {detail}"
        return GettView(ours=ours, status=gett, problem=problem)
    if store.drift_unrepaired_since and store.gett_status and store.gett_status != ours:
        gett_label = Store.Status(store.gett_status).label.lower()
        problem = (
            f"Gett still shows the store as {gett_label}: sending Gett the store's status again "
            "did not fix it"
        )
        return GettView(ours=ours, status=store.gett_status, problem=problem)
    return GettView(ours=ours, status=ours)


def _latest_status_messages(stores: list[Store]) -> dict[str, OutboundMessage]:
    """The newest store.status message per store that is not superseded, in two queries."""
    keys = [s.outbox_key for s in stores]
    last_ids = (
        OutboundMessage.objects.filter(kind=STATUS_KIND, key__in=keys)
        .exclude(state=OutboundMessage.State.SUPERSEDED)
        .values("key")
        .annotate(last_id=Max("id"))
        .values_list("last_id", flat=True)
    )
    return {m.key: m for m in OutboundMessage.objects.filter(id__in=list(last_ids))}


def stores_gett_views(stores: list[Store]) -> dict[int, GettView]:
    """Gett's view of each store (by pk), in two queries whatever the number of stores."""
    latest = _latest_status_messages(stores)
    return {s.pk: store_gett_view(store=s, message=latest.get(s.outbox_key)) for s in stores}


def store_gett_view_get(*, store: Store) -> GettView:
    return stores_gett_views([store])[store.pk]


def store_events_recent(*, store: Store, limit: int = 5) -> list[StoreEvent]:
    return list(store.events.select_related("message")[:limit])
