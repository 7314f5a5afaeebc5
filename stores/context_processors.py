from stores.models import Membership


def current_merchant(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "membership": getattr(request, "membership", None),
        "all_memberships": Membership.objects.filter(user=user).select_related("merchant"),
    }
