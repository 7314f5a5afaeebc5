"""The admin site: Django's, with the rows chosen for an action checked before any view sees them.

Django's admin filters an action's rows by the posted pks as they come: a value that is not a
pk (edited in the browser, or past 64 bits) made every action a 500. Every model here has an
integer pk, so a choice is refused, in words, unless each value is one.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponseRedirect

MAX_PK = 2**63 - 1  # a BigAutoField's largest


def pks_valid(values: list[str]) -> bool:
    return all(
        value.isascii() and value.isdigit() and len(value) <= 19 and int(value) <= MAX_PK
        for value in values
    )


class PortalAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs):
            chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if request.method == "POST" and not pks_valid(chosen):
                messages.error(request, "Some of the chosen rows do not exist: choose them again.")
                return HttpResponseRedirect(request.get_full_path())
            return view(request, *args, **kwargs)

        # Inside Django's wrapper: the permission and CSRF checks come first.
        return super().admin_view(checked, cacheable)


class PortalAdminConfig(AdminConfig):
    """Django's admin app, on this site (in INSTALLED_APPS instead of django.contrib.admin)."""

    default_site = "portal.admin_site.PortalAdminSite"
