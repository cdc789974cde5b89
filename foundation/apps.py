from django.apps import AppConfig


class FoundationConfig(AppConfig):
    name = "foundation"
    verbose_name = "Background work"

    def ready(self):
        from foundation import checks  # noqa: F401 - registers the system checks
