"""The two files every site answers at its root: /robots.txt and /favicon.ico."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def news_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "news.example.com"]


def cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def robots(client, **kwargs):
    response = client.get("/robots.txt", **kwargs)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response


def rules(response):
    return [line.strip() for line in response.content.decode().splitlines() if line.strip()]


def test_robots_txt_names_the_sitemap_index_by_its_absolute_address(client):
    lines = rules(robots(client, headers={"Host": "news.example.com"}))
    assert "Sitemap: http://news.example.com/sitemap.xml" in lines
    assert "Sitemap: http://news.example.com/news-sitemap.xml" in lines
    assert client.get("/sitemap.xml", headers={"Host": "news.example.com"}).status_code == 200


def test_robots_txt_names_https_when_the_reader_came_over_https(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = robots(client, headers={"Host": "news.example.com", "X-Forwarded-Proto": "https"})
    assert "Sitemap: https://news.example.com/sitemap.xml" in rules(response)


def test_robots_txt_keeps_crawlers_out_of_the_admin_share_links_gifts_and_private_feeds(client):
    lines = rules(robots(client))
    assert lines[0] == "User-agent: *"
    private_paths = (
        "/admin/",
        "/preview/",
        "/gift/",
        "/feed/private/",
        "/login/link/",
        "/account/",
    )
    for private in private_paths:
        assert f"Disallow: {private}" in lines
    # The readers' pages stay open: nothing disallows the front page or an article.
    assert "Disallow: /" not in lines and "Disallow: /articles/" not in lines


@pytest.mark.parametrize("path", ["/robots.txt", "/favicon.ico"])
def test_root_files_cost_no_query_and_may_be_kept_a_day(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    assert len(queries) == 0
    assert {"public", "max-age=86400"} <= cache_control(response)
    assert not response.cookies


def test_favicon_ico_is_an_icon_with_the_small_sizes_browsers_ask_for(client):
    response = client.get("/favicon.ico")
    assert response["Content-Type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32)} <= set(icon.info["sizes"])


def test_every_page_names_its_icons(client):
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/favicon.ico" sizes="32x32"' in page
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page
