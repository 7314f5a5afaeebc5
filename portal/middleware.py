from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render, resolve_url

from portal.exceptions import PortalError


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired gets a full-page redirect to the login page,
    instead of the login page swapped into a panel."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response["Location"]
            return redirect
        return response


class PortalErrorMiddleware:
    """A refusal a page did not turn into a form error becomes a page that says why.

    `NotAllowed` (a role that may not do this) is a 403 page; any other `PortalError` a 400 page
    (409 for a state conflict). The API answers the same errors as problem+json itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PortalError):
            return None
        return render(
            request,
            "refused.html",
            {"message": exception.message, "status": exception.status},
            status=exception.status,
        )
