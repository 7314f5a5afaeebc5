from stores import access
from stores.access import Action
from stores.models import Membership


def current_merchant(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "all_memberships": Membership.objects.filter(user=user).select_related("merchant"),
        "can_manage_api_tokens": access.can(membership, Action.INTEGRATE),
    }
