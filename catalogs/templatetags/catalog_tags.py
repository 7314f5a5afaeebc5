from django import template

from catalogs.models import CatalogVersion, ItemSnooze, PublishState

register = template.Library()


@register.inclusion_tag("catalogs/store_menu/_menu_card.html", takes_context=True)
def store_menu_card(context, store) -> dict:
    """The store page's "Menu" card: the current version and its notification, whether the
    last change was published, how many items are sold out, and links. Three queries."""
    latest = (
        CatalogVersion.objects.filter(store=store)
        .select_related("notification")
        .order_by("-published_at", "-id")
        .first()
    )
    state = PublishState.objects.filter(store=store).only("is_valid", "last_problems").first()
    return {
        "store": store,
        "latest": latest,
        "problems": state.last_problems if state and state.is_valid is False else [],
        "sold_out": ItemSnooze.objects.filter(store=store).active().count(),
        "can_edit": context.get("can_edit", False),
    }
