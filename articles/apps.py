from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from media.models import Image

        from . import signals
        from .models import Article, Author, Byline, Section, Tag

        for signal in (post_save, post_delete):
            # Pages show articles, their bylines, sections, authors, tags and pictures (with
            # the caption, credit and alt text of the library unless a block overrides them).
            for model in (Article, Byline, Section, Author, Tag, Image):
                signal.connect(signals.forget_rendered_pages, sender=model)
        m2m_changed.connect(signals.forget_rendered_pages, sender=Article.tags.through)
