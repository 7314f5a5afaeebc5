from django.urls import path

from onboarding import api

app_name = "onboarding-api"

urlpatterns = [
    path(
        "stores/<uuid:public_id>/onboarding/",
        api.OnboardingApi.as_view(),
        name="onboarding",
    ),
    path(
        "stores/<uuid:public_id>/onboarding/activate/",
        api.OnboardingActivateApi.as_view(),
        name="activate",
    ),
    path(
        "stores/<uuid:public_id>/onboarding/cancel/",
        api.OnboardingCancelApi.as_view(),
        name="cancel",
    ),
]
