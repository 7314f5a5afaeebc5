from django import template

from orders.selectors import store_new_order_count

register = template.Library()


@register.simple_tag
def new_order_count(store) -> int:
    """New orders nobody has accepted yet, for the "Orders" links (one query)."""
    return store_new_order_count(store)
