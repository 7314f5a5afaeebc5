from django.apps import AppConfig


class GettConfig(AppConfig):
    name = "gett"
    verbose_name = "Gett integration"
