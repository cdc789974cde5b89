from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article, ImageBlock, PaywallBreak, TextBlock
from articles.services import article_count_words, article_recompute_preview
from tests.factories import make_author, make_image, make_section, make_tag

pytestmark = pytest.mark.django_db


def seed(n):
    out = StringIO()
    call_command("seed_archive", articles=n, stdout=out)
    return out.getvalue()


def test_the_archive_is_what_the_services_would_have_made_and_is_not_made_twice(client):
    make_section(), make_section(), make_author(), make_tag(), make_image()
    seed(12)
    archive = Article.objects.filter(slug__startswith="archive-")
    assert archive.count() == 12
    assert "already" in seed(12) and archive.count() == 12
    seed(15)  # more: only the missing ones
    assert archive.count() == 15
    for article in archive:
        assert article.is_live
        assert article.word_count == article_count_words(article=article) > 100
        stored = (article.preview_text, article.preview_text_paragraphs)
        assert article_recompute_preview(article=article) is False, stored  # unchanged
        assert article.preview_text and article.preview_text_paragraphs is None  # the break
    article = archive.first()
    assert TextBlock.objects.filter(parent=article).count() == 6
    assert ImageBlock.objects.filter(parent=article).count() == 2
    assert PaywallBreak.objects.filter(parent=article).count() == 1
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200 and article.headline in page.content.decode()


def test_a_large_archive_has_its_own_contributors_made_once(monkeypatch):
    """An archive's bylines are spread as a newsroom's are: one contributor for every 500
    articles, besides the demo's authors, so that searching a name finds a writer's share."""
    from articles.models import Author, Byline
    from demo.management.commands import seed_archive

    make_section(), make_author(), make_tag(), make_image()
    monkeypatch.setattr(seed_archive, "ARTICLES_PER_CONTRIBUTOR", 4)  # a small archive shows it
    seed(12)
    seed(12)
    contributors = Author.objects.filter(slug__startswith="archive-contributor-")
    assert contributors.count() == 3  # made once, not again
    assert Byline.objects.filter(author__in=contributors).exists()
