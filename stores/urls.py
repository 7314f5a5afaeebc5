from django.urls import path

from stores import views

app_name = "stores"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("merchant/switch/", views.merchant_switch, name="merchant-switch"),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path("account/api-tokens/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("stores/new/", views.store_create, name="create"),
    path("stores/<uuid:public_id>/", views.store_detail, name="detail"),
    path("stores/<uuid:public_id>/edit/", views.store_edit, name="edit"),
    path("stores/<uuid:public_id>/pause/", views.store_pause, name="pause"),
    path("stores/<uuid:public_id>/resume/", views.store_resume, name="resume"),
    path("stores/<uuid:public_id>/sync/", views.store_sync, name="sync"),
    path("stores/<uuid:public_id>/test-order/", views.store_test_order, name="test-order"),
    path(
        "stores/<uuid:public_id>/test-order/last/",
        views.store_test_order_result,
        name="test-order-result",
    ),
    path(
        "stores/<uuid:public_id>/sync/<uuid:message_id>/retry/",
        views.store_sync_retry,
        name="sync-retry",
    ),
]
