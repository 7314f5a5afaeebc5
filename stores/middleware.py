from stores.models import Membership

SESSION_KEY = "current_merchant"


def _current_membership(request) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=request.user).select_related("merchant")
    wanted = request.session.get(SESSION_KEY)
    if wanted:
        chosen = memberships.filter(merchant__public_id=wanted).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("merchant__name", "pk").first()


class CurrentMerchantMiddleware:
    """Sets `request.membership`: the user's role in the merchant they are working on now.

    A user may belong to several merchants; the switcher stores the choice in the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = _current_membership(request)
        return self.get_response(request)
