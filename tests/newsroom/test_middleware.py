import pytest
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_a_cookieless_preview_sets_no_cookie_and_may_be_shared(client):
    article = make_article(access=Article.Access.SUBSCRIBERS)
    response = client.get(article.get_absolute_url())
    assert "You're reading a preview" in response.content.decode()
    assert not response.cookies
    assert "public" in cache_control(response)
    assert "Cookie" in response["Vary"]


def test_a_metered_read_sets_the_meter_cookie_and_is_private(client):
    article = make_article()
    response = client.get(article.get_absolute_url())
    assert "You're reading a preview" not in response.content.decode()
    assert response.cookies
    assert "private" in cache_control(response) and "public" not in cache_control(response)


def test_a_subscribers_page_is_never_shared(client):
    article = make_article(access=Article.Access.SUBSCRIBERS)
    reader = make_reader()
    make_subscription(user=reader)
    client.force_login(reader)
    response = client.get(article.get_absolute_url())
    assert "You're reading a preview" not in response.content.decode()
    assert "private" in cache_control(response)
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("logged_in", [False, True])
def test_listings_are_public_only_without_cookies(client, logged_in):
    make_article()
    if logged_in:
        client.force_login(make_reader())
    response = client.get(reverse("home"))
    assert ("public" in cache_control(response)) is not logged_in
    assert ("private" in cache_control(response)) is logged_in


def test_forms_that_set_a_csrf_cookie_are_private(client):
    response = client.get(reverse("login"))
    assert "public" not in cache_control(response)


def test_production_asks_browsers_for_https_for_a_year():
    """HSTS of at least a year by default when DEBUG is off (tests run the real settings)."""
    from django.conf import settings

    assert not settings.DEBUG
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 3600


def max_age(response):
    (value,) = [part for part in cache_control(response) if part.startswith("max-age=")]
    return int(value.removeprefix("max-age="))


def test_a_shared_cache_never_keeps_a_page_past_its_next_scheduled_change(
    client, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 300
    quiet = make_article(access=Article.Access.FREE)
    assert max_age(client.get(reverse("home"))) == 300
    comes_down = make_article(
        access=Article.Access.FREE, unpublish_at=timezone.now() + timedelta(seconds=40)
    )
    goes_live = make_article(
        access=Article.Access.FREE, published_at=timezone.now() + timedelta(seconds=20)
    )

    for page in [
        reverse("home"),
        quiet.get_absolute_url(),
        goes_live.get_absolute_url(),
        reverse("feed"),
        reverse("sitemap_section", args=["articles"]),
    ]:
        assert 0 < max_age(client.get(page)) <= 20, page  # the next change anywhere in lists
    with django_capture_on_commit_callbacks(execute=True):
        goes_live.delete()
    assert 20 < max_age(client.get(comes_down.get_absolute_url())) <= 40


def stale_extensions(response) -> dict[str, int]:
    """Return the response's stale-if-error and stale-while-revalidate, in seconds."""
    found = (part.split("=") for part in cache_control(response) if part.startswith("stale-"))
    return {name: int(seconds) for name, seconds in found}


def test_a_public_page_says_how_long_a_shared_cache_may_serve_it_stale(client, settings):
    settings.NEWSROOM_STALE_IF_ERROR_SECONDS = 45
    settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS = 7
    article = make_article(access=Article.Access.FREE)
    for page in [reverse("home"), article.get_absolute_url(), reverse("feed")]:
        response = client.get(page)
        assert "public" in cache_control(response), page
        assert stale_extensions(response) == {
            "stale-if-error": 45,
            "stale-while-revalidate": 7,
        }, page


def test_a_private_page_is_never_to_be_served_stale(client):
    metered = make_article()
    read = client.get(metered.get_absolute_url())  # sets the meter cookie
    assert "private" in cache_control(read)
    assert stale_extensions(read) == {}
    assert stale_extensions(client.get(reverse("login"))) == {}
    client.force_login(make_reader())
    for page in [reverse("home"), metered.get_absolute_url()]:
        response = client.get(page)
        assert "private" in cache_control(response)
        assert stale_extensions(response) == {}, page


def test_the_stale_window_ends_by_the_next_scheduled_change(client, settings):
    """max-age and the stale window together never run past the page's next change."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 60
    settings.NEWSROOM_STALE_IF_ERROR_SECONDS = 60
    settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        article = make_article(
            access=Article.Access.FREE, unpublish_at=timezone.now() + timedelta(seconds=90)
        )
        pages = [article.get_absolute_url(), reverse("home")]
        for page in pages:
            response = client.get(page)
            assert max_age(response) == 60, page
            assert stale_extensions(response) == {
                "stale-if-error": 30,  # 60 + 30: the unpublish time
                "stale-while-revalidate": 10,
            }, page
        clock.shift(25)  # 65 s left
        for page in pages:
            response = client.get(page)
            assert max_age(response) == 60, page
            assert stale_extensions(response) == {
                "stale-if-error": 5,
                "stale-while-revalidate": 5,
            }, page
        clock.shift(30)  # 35 s left: max-age alone reaches the unpublish time
        for page in pages:
            response = client.get(page)
            assert max_age(response) == 35, page
            assert stale_extensions(response) == {}, page


def test_no_stale_window_where_the_settings_turn_it_off_or_nothing_may_be_kept(client, settings):
    settings.NEWSROOM_STALE_IF_ERROR_SECONDS = 0
    settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS = 0
    assert stale_extensions(client.get(reverse("home"))) == {}
    settings.NEWSROOM_STALE_IF_ERROR_SECONDS = 60
    settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS = 10
    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 0  # a copy nobody may keep is never served stale
    response = client.get(reverse("home"))
    assert max_age(response) == 0
    assert stale_extensions(response) == {}
