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
