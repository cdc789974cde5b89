"""Keep the readers' pages in step with the database: every write says what it changed.

Each handler tells the kept values (`foundation.kept`, through `articles.site.pages`) inside the
writing transaction; they follow once it commits, and are repaired if the cache misses it.
Direct saves (the shell, a data migration) are covered as well as the services' writes, and all
the saves of one admin form (the article, its blocks, byline and tags) are one refresh.
"""

from django.db.models.signals import post_delete

from articles.site import pages

from .models import Article, Author, ImageBlock


def article_saved(sender, instance, created=False, **kwargs):
    # The slug's kept pointer follows only a slug that may have moved: new, deleted, changed
    # since the row was read, or not known as read (an article made in the shell). A pointer
    # is checked against the head it points to (`pages.article_head`), so one left behind
    # would be slower, never wrong.
    moved = (
        created
        or kwargs.get("signal") is post_delete  # the slug is free again
        or getattr(instance, "slug_as_read", None) != instance.slug
    )
    pages.article_changed(instance.pk, slug=instance.slug if moved else None, created=created)


def article_part_saved(sender, instance, **kwargs):
    """A byline, a correction or a body block changed: its article's parts have a new version."""
    article_id = getattr(instance, "article_id", None) or getattr(instance, "parent_id", None)
    if article_id:
        pages.article_changed(article_id)


def article_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # tag.articles.add(...): the articles are in pk_set
        for article_id in pk_set or ():
            pages.article_changed(article_id)
    else:
        pages.article_changed(instance.pk)


def taxonomy_saved(sender, **kwargs):
    """A section, author or tag changed: every page may name it."""
    pages.site_changed()


def image_saved(sender, instance, **kwargs):
    """A picture's caption, credit, alt text or file changed: the articles that show it follow
    (an author's photo is on every page that names them). A picture nobody shows changes
    nothing on the site."""
    if Author.objects.filter(photo_id=instance.pk).exists():
        pages.site_changed()
    lead = Article.objects.filter(lead_image_id=instance.pk).values_list("pk", flat=True)
    inline = ImageBlock.objects.filter(image_id=instance.pk).values_list("parent_id", flat=True)
    shown_in_lists = lead.exists()
    for article_id in {*lead, *inline}:
        pages.article_changed(article_id)
    if shown_in_lists:
        pages.listings_changed()  # cards show the lead picture


def image_renditions_made(sender, image, **kwargs):
    """A picture's renditions are made: pages that showed its original may show them now."""
    image_saved(sender, instance=image)
