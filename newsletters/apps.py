from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class NewslettersConfig(AppConfig):
    name = "newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        from anymail.signals import inbound, tracking

        from accounts.signals import reader_signed_up
        from articles.events import article_changed

        from . import receivers
        from .models import Newsletter

        # Side effects only (STYLE.md): each records or queues, and the engine does the work.
        tracking.connect(receivers.provider_event_received, dispatch_uid="newsletters.tracking")
        inbound.connect(receivers.inbound_received, dispatch_uid="newsletters.inbound")
        article_changed.connect(receivers.article_went_out, dispatch_uid="newsletters.published")
        reader_signed_up.connect(receivers.reader_signed_up, dispatch_uid="newsletters.signup")
        for signal in (post_save, post_delete):
            signal.connect(receivers.newsletter_saved, sender=Newsletter)
