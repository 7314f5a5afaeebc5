from django.urls import path, re_path

from gett.sandbox import inspection, views

app_name = "sandbox"

# Mounted at /sandbox/gett/, so the sandbox's base URL stands in for https://api.gett-tech.com.
# The URL names double as the endpoint names fault switches are armed on.
urlpatterns = [
    path(
        "v1/commerce/catalogset-notification",
        views.catalogset_notification,
        name="catalogset-notification",
    ),
    path("v1/commerce/stores", views.store_list, name="store-list"),
    path("v1/commerce/stores/<uuid:store_id>", views.store_detail, name="store-detail"),
    path("v1/commerce/stores/<uuid:store_id>/status", views.store_status, name="store-status"),
    path("v1/commerce/orders/<str:order_id>/status", views.order_status, name="order-status"),
    path("v1/commerce/onboarding/stores", views.onboarding_register, name="onboarding-register"),
    path(
        "v1/commerce/onboarding/stores/<str:onboarding_id>",
        views.onboarding_detail,
        name="onboarding-detail",
    ),
    path(
        "v1/commerce/onboarding/stores/<str:onboarding_id>/activate",
        views.onboarding_activate,
        name="onboarding-activate",
    ),
    # Not part of Gett's API: the sandbox's fault switches, for tests and demos.
    path("v1/sandbox/faults", views.faults, name="faults"),
    path("v1/sandbox/test-orders", views.test_orders, name="test-orders"),
    path(
        "v1/sandbox/test-orders/<int:test_order_id>",
        views.test_order_detail,
        name="test-order-detail",
    ),
    # Staff-only HTML pages: what the sandbox saw and sent, and buttons to send test orders.
    path("inspect/", inspection.overview, name="inspect"),
    path("inspect/test-orders/", inspection.test_order_send, name="inspect-test-order-send"),
    path("inspect/test-orders/<int:pk>/", inspection.test_order_detail, name="inspect-test-order"),
    path("inspect/orders/<uuid:order_id>/", inspection.order_detail, name="inspect-order"),
    path("inspect/ingestions/<int:pk>/", inspection.ingestion_detail, name="inspect-ingestion"),
    path("inspect/calls/<int:pk>/", inspection.call_detail, name="inspect-call"),
    path(
        "inspect/webhook-calls/<int:pk>/",
        inspection.webhook_call_detail,
        name="inspect-webhook-call",
    ),
    path("inspect/faults/", inspection.fault_arm, name="inspect-fault-arm"),
    path("inspect/faults/clear/", inspection.fault_clear, name="inspect-fault-clear"),
    # Anything else under the sandbox is Gett's NOT_FOUND problem, never Django's HTML 404.
    re_path(r"^.*$", views.not_found, name="not-found"),
]
