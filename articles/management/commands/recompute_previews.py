"""Cut every article's searchable preview text again, with the settings in force.

Run it after changing NEWSROOM_PREVIEW_PARAGRAPHS: until then, search ignores the preview
text of articles cut with the old number (it could reach beyond today's cut), and finds them by
their headline and standfirst only.
"""

from django.core.management.base import BaseCommand

from articles.models import Article
from articles.search import preview_cut_otherwise_q
from articles.services import article_recompute_preview
from articles.site.pages import listings_changed


class Command(BaseCommand):
    help = "Recompute the searchable preview text of articles cut with an old preview length."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Recompute every article, not only stale ones."
        )

    def handle(self, *args, **options):
        articles = Article.objects.all()
        if not options["all"]:
            articles = articles.filter(preview_cut_otherwise_q())
        changed = 0
        for article in articles.iterator(chunk_size=200):
            if article_recompute_preview(article=article):
                Article.objects.filter(pk=article.pk).update(
                    preview_text=article.preview_text,
                    preview_text_paragraphs=article.preview_text_paragraphs,
                )
                changed += 1
        if changed:
            listings_changed()  # search results cached before now may be missing these words
        self.stdout.write(f"Recomputed the preview of {changed} article(s).")
