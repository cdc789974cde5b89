from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo newsroom: content files and `manage.py seed_demo`. Installed in development only
    (`NEWSROOM_DEMO`); nothing else imports it."""

    name = "demo"
    verbose_name = "Demo content"
