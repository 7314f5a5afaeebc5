from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, password_reset

# Swagger UI with its start-up script as a file (no inline script, for the CSP); behind a login
# outside development, like the schema it reads (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
api_docs = SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html")
if not settings.DEBUG:
    api_docs = login_required(api_docs)

urlpatterns = [
    # For load balancers: process up, and dependencies reachable (public, no session).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("stores.urls")),
    # Public CatalogSet files for Gett, and a store's menu versions.
    path("", include("catalogs.publishing.urls")),
    path("menu/", include("catalogs.editor.urls")),
    path("menu/csv/", include("catalogs.csv.urls")),
    path("stores/<uuid:store_id>/menu/snooze/", include("catalogs.snoozes.urls")),
    path("stores/<uuid:store_id>/orders/", include("orders.board.urls")),
    path("stores/<uuid:store_id>/gett/", include("onboarding.urls")),
    path("orders/", include("orders.history.urls")),
    # Gett's order webhooks: CSRF-exempt, signed (the webhookUrl given to Gett ends here).
    path("webhooks/gett/", include("orders.webhooks.urls")),
    # Django's password reset, with a cap on emails per address and per client (same URL name).
    path(
        "accounts/password_reset/",
        password_reset.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("stores.api_urls")),
    path("api/v1/", include("catalogs.api_urls")),
    path("api/v1/", include("orders.api_urls")),
    path("api/v1/", include("onboarding.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", api_docs, name="api-docs"),
]

if settings.GETT_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/gett/", include("gett.sandbox.urls")))

# Uploaded logos (and, later, catalog files) are served by Django only when no real storage is set.
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Pages get Django's 404 page; the API gets problem+json (a malformed id in an API URL, say).
handler404 = "portal.api_errors.page_not_found"
