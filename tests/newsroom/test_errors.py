"""The 500 and 503 pages: the site's own look, only what is true, and nothing they depend on.

These tests have no database (pytest-django refuses any query outside `django_db`) and point
every cache at a port where no Redis answers: the pages must render all the same.
"""

import pytest
from django.test import RequestFactory

from newsroom.errors import server_error, service_unavailable

DOWN = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:9/0",
}


@pytest.fixture(autouse=True)
def nothing_answers(settings):
    settings.CACHES = {alias: DOWN for alias in settings.CACHES}
    settings.NEWSROOM_PUBLICATION_NAME = "The Harbourton Herald"
    settings.DEBUG = False


def request_with_reference():
    request = RequestFactory().get("/articles/the-quay/")
    request.request_id = "ref-0123456789ab"
    return request


def server_error_page():
    try:
        raise RuntimeError("secret internals")
    except RuntimeError:  # Django calls the handler while the exception is being handled
        return server_error(request_with_reference())


@pytest.mark.parametrize(
    "answer", [server_error_page, lambda: service_unavailable(request_with_reference())]
)
def test_error_pages_look_like_the_site_and_keep_the_reference(answer):
    response = answer()
    page = response.content.decode()
    assert "<title>" in page and "The Harbourton Herald</title>" in page
    assert '<p class="masthead__title"><a href="/">The Harbourton Herald</a></p>' in page
    assert 'href="/static/css/site.css"' in page and "error.css" not in page
    assert 'href="/favicon.ico"' in page
    assert "ref-0123456789ab" in page
    assert "secret internals" not in page


@pytest.mark.parametrize(
    "answer", [server_error_page, lambda: service_unavailable(request_with_reference())]
)
def test_error_pages_promise_nothing_nobody_does(answer):
    page = answer().content.decode().lower()
    assert "we have been told" not in page and "looking into it" not in page
    assert "try again" in page


def test_the_500_page_says_what_happened_and_what_the_reader_can_do():
    response = server_error_page()
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "not something you did" in page


def test_the_503_page_says_when_to_try_again_as_its_header_does():
    response = service_unavailable(request_with_reference())
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Please try again in a minute" in page


@pytest.mark.parametrize(
    "answer", [server_error_page, lambda: service_unavailable(request_with_reference())]
)
def test_error_pages_say_how_to_reach_the_newsroom_when_it_has_an_address(answer, settings):
    assert "mailto:" not in answer().content.decode()
    settings.NEWSROOM_CONTACT_EMAIL = "desk@harbourton.example"
    page = answer().content.decode()
    assert '<a href="mailto:desk@harbourton.example">desk@harbourton.example</a>' in page
