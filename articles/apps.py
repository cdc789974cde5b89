from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from django.contrib.admin.models import LogEntry

        from media import usage as picture_usage
        from media.models import Image
        from media.signals import renditions_made

        from . import checks, revisions, signals, usage  # noqa: F401 - checks registers the system checks
        from .blocks import BLOCK_MODELS
        from .models import Article, Author, Byline, Correction, Section, Tag

        for signal in (post_save, post_delete):
            signal.connect(signals.article_saved, sender=Article)
            for model in (Byline, Correction, *BLOCK_MODELS):
                signal.connect(signals.article_part_saved, sender=model)
            for model in (Section, Author, Tag):
                signal.connect(signals.taxonomy_saved, sender=model)
            signal.connect(signals.image_saved, sender=Image)
        m2m_changed.connect(signals.article_tags_changed, sender=Article.tags.through)
        # The picture's page says where it is used; the chooser counts the live uses and
        # finds the unused pictures.
        picture_usage.register(
            usage.picture_uses,
            used=usage.pictures_used,
            public=usage.articles_showing_pictures,
        )
        renditions_made.connect(signals.image_renditions_made, sender=Image)
        # What the services log during a save of the change form goes in its revision's note.
        post_save.connect(revisions.note_log_entry, sender=LogEntry)
