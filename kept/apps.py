from django.apps import AppConfig


class KeptConfig(AppConfig):
    name = "kept"
    verbose_name = "Kept values"

    def ready(self):
        from kept import checks  # noqa: F401 - registers the system checks
