"""Putting a store on Gett (the wizard), mounted at /stores/<store_id>/gett/."""

from django.urls import path

from onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.wizard, name="wizard"),
    path("progress/", views.progress, name="progress"),
    path("publish/", views.menu_publish, name="publish"),
    path("start/", views.start, name="start"),
    path("<uuid:onboarding_id>/activate/", views.activate, name="activate"),
    path("<uuid:onboarding_id>/recheck/", views.recheck, name="recheck"),
    path("<uuid:onboarding_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:onboarding_id>/start-over/", views.start_over, name="start-over"),
]
