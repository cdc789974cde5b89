"""Pages a shared cache may serve count themselves in a real browser: with JavaScript, once the
page is shown, with where the reader came from; without it, by their image. None is missed."""

import pytest

from articles.models import Article
from insight.models import Kind
from tests.factories import make_article
from tests.insight import recorded

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_every_view_of_a_page_a_cdn_may_serve_is_counted_with_or_without_javascript(
    live_server, browser
):
    free = make_article(access=Article.Access.FREE, headline="The harbour opens its gates")
    paid = make_article(access=Article.Access.SUBSCRIBERS, headline="The harbour's accounts")
    with_script = browser.new_context()
    without_script = browser.new_context(java_script_enabled=False)

    for context in (with_script, without_script):
        page = context.new_page()
        for article in (free, paid):
            with page.expect_request(lambda request: request.url.endswith("/seen")) as seen:
                page.goto(
                    live_server.url + article.get_absolute_url(), referer="https://www.google.com/"
                )
            assert seen.value.response().status in (200, 204)
        assert context.cookies() == []  # counting set no cookie
        page.close()

    events = recorded()
    assert [(event.kind, event.article_id) for event in events] == [
        (Kind.READ, free.pk),
        (Kind.WALL, paid.pk),
        (Kind.READ, free.pk),
        (Kind.WALL, paid.pk),
    ]
    assert [event.referrer for event in events] == ["search", "search", "", ""]
    assert all(event.reader_kind == "anonymous" and event.device == "desktop" for event in events)
