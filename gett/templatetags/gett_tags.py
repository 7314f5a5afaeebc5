from django import template

from gett import outbox

register = template.Library()


@register.filter
def kind_label(kind: str) -> str:
    """What an outbox message is about, in words ("store.status" -> "Store status")."""
    return outbox.kind_label(kind)
