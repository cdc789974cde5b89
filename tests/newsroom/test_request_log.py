import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_every_request_is_one_log_line_with_its_id_status_and_time(client, caplog):
    with caplog.at_level(logging.INFO, logger="newsroom.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})
    assert response["X-Request-ID"] == "lb-0123456789"
    (line,) = [r for r in caplog.records if r.name == "newsroom.requests"]
    assert line.getMessage().startswith("GET /healthz 200 ")
    assert line.getMessage().endswith("ms")


def test_a_made_up_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert len(response["X-Request-ID"]) == 32 and "<" not in response["X-Request-ID"]


def test_an_error_shows_a_reference_and_no_internals_and_logs_them_together(settings, caplog):
    settings.ROOT_URLCONF = "tests.newsroom.broken_urls"
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.get("/broken/", headers={"X-Request-ID": "ref-abcdef123456"})
    page = response.content.decode()
    assert response.status_code == 500
    assert "ref-abcdef123456" in page and "hunter2" not in page and "Traceback" not in page
    error = next(r for r in caplog.records if r.levelno >= logging.ERROR)
    assert error.request_id == "ref-abcdef123456"
    assert "hunter2" in caplog.text  # the internals go to the log, not to the reader


@pytest.mark.parametrize(
    ("route", "masked"),
    [("private_feed", "/feed/private/[token]"), ("sign_in_link", "/login/link/[token]/")],
)
def test_a_private_address_is_masked_in_every_access_log_the_same_way(route, masked):
    """The site's line, gunicorn's access line and nginx's mask the token of the routes
    `private_feed` and `sign_in_link` resolve to; gunicorn's and nginx's files hold their own
    copy of the pattern (neither can import the site), kept equal to the site's here."""
    import re
    import runpy
    from datetime import timedelta
    from pathlib import Path
    from types import SimpleNamespace

    from django.urls import reverse
    from gunicorn.config import Config

    from newsroom.request_log import PRIVATE_ADDRESS, mask_private_addresses

    root = Path(__file__).resolve().parents[2]
    token = "Abc-_123" * 5
    path = reverse(route, args=[token])
    assert mask_private_addresses(path) == masked
    assert mask_private_addresses("/feed.rss") == "/feed.rss"
    assert mask_private_addresses("/login/email/") == "/login/email/"

    gunicorn = runpy.run_path(str(root / "deploy" / "gunicorn.conf.py"))
    assert gunicorn["PRIVATE_ADDRESS"].pattern == PRIVATE_ADDRESS.pattern
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?x=1",
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = gunicorn["AccessLogWithoutKeys"](Config()).atoms(
        response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1)
    )
    assert atoms["r"] == f"GET {masked}?x=1 HTTP/1.1"
    assert atoms["U"] == masked
    assert token not in str(atoms)

    # nginx's map, run on the request line as nginx runs it (PCRE's (?<name>) is (?P<name>) here).
    nginx = (root / "deploy" / "newsroom.nginx.conf").read_text()
    assert re.search(r'"\$newsroom_logged_request"', nginx)
    pattern, replacement = re.search(
        r'map \$request \$newsroom_logged_request \{\s*"~([^"]+)"\s*"([^"]+)";', nginx
    ).groups()
    line = re.match(pattern.replace("(?<", "(?P<"), f"GET {path}?x=1 HTTP/1.1")
    logged = replacement.replace("${newsroom_before}", line["newsroom_before"]).replace(
        "${newsroom_after}", line["newsroom_after"]
    )
    assert logged == f"GET {masked}?x=1 HTTP/1.1"
