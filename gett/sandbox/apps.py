from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "gett.sandbox"
    label = "sandbox"
    verbose_name = "Gett sandbox"
