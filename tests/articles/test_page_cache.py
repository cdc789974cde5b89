"""Page caches follow what the database says, even while a write is still being committed."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from articles.models import Article
from tests.factories import make_article, paragraphs

MARKER = "BEYOND-THE-CUT-7f3a"


def fetch_in_another_connection(url):
    """GET `url` from a thread: its own database connection, outside our transaction."""
    result = {}

    def read():
        try:
            result["response"] = Client().get(url)
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=30)
    return result["response"]


def story(**fields):
    body = paragraphs(2) + f"<p>{MARKER} in the part for subscribers.</p>" + paragraphs(2)
    return make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", body)], **fields)


@pytest.mark.django_db(transaction=True)
def test_a_reader_during_the_commit_window_cannot_keep_an_old_access_level_cached():
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    assert MARKER in Client().get(url).content.decode()  # free: the whole text, cached

    with transaction.atomic():
        article.access = Article.Access.SUBSCRIBERS
        article.save()
        # A reader arrives before the change commits: the database still says "free".
        assert MARKER in fetch_in_another_connection(url).content.decode()

    assert MARKER not in Client().get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_reader_during_the_commit_window_cannot_keep_an_unpublished_article_live():
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    assert Client().get(url).status_code == 200

    with transaction.atomic():
        article.status = Article.Status.DRAFT
        article.save()
        assert fetch_in_another_connection(url).status_code == 200

    assert Client().get(url).status_code == 404
