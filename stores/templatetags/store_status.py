from django import template

from stores import selectors
from stores.models import Store

register = template.Library()


@register.simple_tag
def store_gett_view(store: Store, views: dict | None = None) -> selectors.GettView:
    """Gett's side of the store's status: from `views` (a list page loads them at once) or read
    now (one store)."""
    if views is not None and store.pk in views:
        return views[store.pk]
    return selectors.store_gett_view_get(store=store)


@register.simple_tag
def store_events_recent(store: Store) -> list:
    """The store's latest events between us and Gett (drift found and repaired)."""
    return selectors.store_events_recent(store=store)
