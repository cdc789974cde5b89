from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from media.models import Image

        from . import signals
        from .models import Section

        for signal in (post_save, post_delete):
            signal.connect(signals.forget_nav_sections, sender=Section)
            # Bodies show an image's caption, credit and alt text unless a block overrides them.
            signal.connect(signals.forget_rendered_bodies, sender=Image)
