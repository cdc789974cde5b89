"""What a reader gets when the database fails: a plain 503, whichever layer met the failure."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path

from newsroom.urls import handler500, urlpatterns  # noqa: F401 - the site's own handler
from tests.newsroom.test_csp import STRICT, inline_code, policy


def database_gone(request):
    raise OperationalError("connection to server at 10.0.0.5 failed: secret internals")


def connection_closed(request):
    raise InterfaceError("the connection is closed")


class SessionSaveFails:
    """Stands for a middleware meeting the database after the view (a session being saved)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("could not save the session: secret internals")


urlpatterns = [
    path("database-gone/", database_gone),
    path("connection-closed/", connection_closed),
    *urlpatterns,
]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.faults]


def assert_plain_503(response):
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "We will be back in a moment" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert policy(response) == STRICT and inline_code(response) == []


@pytest.mark.parametrize("url", ["/database-gone/", "/connection-closed/"])
def test_a_view_that_cannot_reach_the_database_answers_503(url, settings):
    settings.DEBUG = False
    assert_plain_503(Client(raise_request_exception=False).get(url))


def test_a_middleware_that_cannot_reach_the_database_answers_503_too(settings):
    settings.DEBUG = False
    sessions = settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:sessions],
        f"{__name__}.SessionSaveFails",
        *settings.MIDDLEWARE[sessions:],
    ]
    response = Client(raise_request_exception=False).get("/healthz")
    assert_plain_503(response)
    assert response["X-Request-ID"] in response.content.decode()  # the reference to quote
