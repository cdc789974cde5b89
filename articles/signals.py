"""Keep page caches in step with the database: side effects only, run after commit.

Every handler defers its work to `transaction.on_commit`, so that a reader arriving while a
write is in flight can never re-cache the old row under a new version. Direct saves (the
shell, a data migration) are covered as well as the services' announcements.
"""

from functools import partial

from django.db import transaction

from articles.site import pages

from .models import ImageBlock


def _after_commit(function, *args):
    transaction.on_commit(partial(function, *args), robust=True)


def article_saved(sender, instance, created=False, **kwargs):
    transaction.on_commit(partial(pages.refresh_article, instance.pk, created=created), robust=True)


def article_part_saved(sender, instance, **kwargs):
    """A byline or a body block changed: its article's parts have a new version."""
    article_id = getattr(instance, "article_id", None) or getattr(instance, "parent_id", None)
    if article_id:
        _after_commit(pages.refresh_article, article_id)


def article_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # tag.articles.add(...): the articles are in pk_set
        for article_id in pk_set or ():
            _after_commit(pages.refresh_article, article_id)
    else:
        _after_commit(pages.refresh_article, instance.pk)


def taxonomy_saved(sender, **kwargs):
    """A section, author or tag changed: every page may name it."""
    _after_commit(pages.site_changed)


def image_saved(sender, instance, **kwargs):
    """A picture's caption, credit or alt text changed: refresh the articles that show it.

    A picture nobody shows yet changes nothing on the site.
    """
    _after_commit(_refresh_pages_showing, instance.pk)


def _refresh_pages_showing(image_id):
    from .models import Article, Author

    if Author.objects.filter(photo_id=image_id).exists():
        pages.site_changed()
    lead = Article.objects.filter(lead_image_id=image_id).values_list("pk", flat=True)
    inline = ImageBlock.objects.filter(image_id=image_id).values_list("parent_id", flat=True)
    for article_id in {*lead, *inline}:
        pages.refresh_article(article_id)


def article_change_announced(sender, article_id, **kwargs):
    """`articles.events.article_changed` is sent after commit already."""
    pages.refresh_article(article_id)
