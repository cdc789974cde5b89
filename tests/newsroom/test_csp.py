"""The Content-Security-Policy header: on every kind of response, the same strict policy, and
nothing inline in our pages that it would refuse (the browser test shows Chromium agrees)."""

import re
import runpy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from articles.models import Article
from tests.factories import make_article, make_image, make_staff, paragraphs

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Scripts of these types are data, never run: CSP does not govern them (JSON-LD for search
# engines, the content editor's settings).
DATA_BLOCKS = {"application/ld+json", "application/json"}


def policy(response):
    """Return the response's Content-Security-Policy as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


class InlineCode(HTMLParser):
    """Collect what a policy without 'unsafe-inline' refuses: inline scripts and styles."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.found.append(f"<{tag} style={attrs['style']!r}>")
        if any(name.startswith("on") for name in attrs):
            self.found.append(f"<{tag}> with an event handler attribute")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in attrs and attrs.get("type") not in DATA_BLOCKS:
            self.found.append(f"inline <script type={attrs.get('type')!r}>")


def inline_code(response):
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


@pytest.fixture
def article(db):
    return make_article(
        slug="the-quay",
        access=Article.Access.SUBSCRIBERS,
        lead_image=make_image(),
        blocks=[("text", paragraphs(2)), ("image", make_image()), ("break",), ("text", "<p>x</p>")],
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/articles/the-quay/", 200),
        ("/search/?q=quay", 200),
        ("/login/", 200),
        ("/signup/", 200),
        ("/subscribe/", 200),
        ("/feed.rss", 200),
        ("/sitemap.xml", 200),
        ("/healthz", 200),
        ("/static/css/site.css", 200),  # whitenoise answers before Django's views
        ("/account/", 302),
        ("/articles/no-such-story/", 404),
        ("/admin/login/", 200),
        ("/admin/", 302),
    ],
)
def test_every_kind_of_response_carries_the_strict_policy(client, article, path, status):
    response = client.get(path)
    response.close()  # a static file is a stream
    assert response.status_code == status
    assert policy(response) == STRICT
    assert response["X-Frame-Options"] == "DENY"  # for browsers that read only the older header


def test_a_form_sent_back_with_errors_and_a_refused_post_carry_it(db):
    client = Client(enforce_csrf_checks=True)
    assert policy(client.post("/login/", {"username": "x"})) == STRICT  # no CSRF token: 403
    sent_back = Client().post("/login/", {"username": "nobody@example.com", "password": "no"})
    assert sent_back.status_code == 400
    assert policy(sent_back) == STRICT


def test_the_error_page_carries_it_and_has_nothing_inline(db, settings):
    settings.ROOT_URLCONF = "tests.newsroom.broken_urls"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert policy(response) == STRICT
    assert inline_code(response) == []
    assert "/static/css/site.css" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/articles/the-quay/", "/search/?q=quay", "/login/", "/signup/", "/nope/"]
)
def test_readers_pages_have_no_inline_script_or_style(client, article, path):
    response = client.get(path)
    assert inline_code(response) == []


def test_the_article_page_keeps_its_json_ld(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<script type="application/ld+json">' in page
    assert '"isAccessibleForFree": false' in page


def test_the_admin_lists_and_picture_form_have_no_inline_style(client, article):
    editor = make_staff("articles.view_article", "media.view_image", "media.change_image")
    client.force_login(editor)
    picture = f"/admin/media/image/{article.lead_image.pk}/change/"
    for path, shows in [
        ("/admin/articles/article/", f">{article.headline}</a>"),  # no pictures: no room
        ("/admin/media/image/", 'class="thumbnail"'),
        (picture, 'class="image-preview"'),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert shows in response.content.decode()  # sized by newsroom/admin.css instead
        assert policy(response) == STRICT
        assert inline_code(response) == [], path


def test_only_the_article_editor_allows_its_import_map_and_two_stylesheets(client, article):
    client.force_login(make_staff("articles.change_article", "articles.view_article"))
    response = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert response.status_code == 200
    directives = policy(response)
    (nonce,) = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    assert directives["script-src"] == ["'self'", nonce]
    assert directives["style-src"] == ["'self'"]  # style attributes: still none
    assert directives["style-src-elem"][0] == "'self'"
    assert all(s.startswith("'sha256-") for s in directives["style-src-elem"][1:])
    assert len(directives["style-src-elem"]) == 3
    # The one inline script that runs is the import map, and it carries this response's nonce.
    assert inline_code(response) == ["inline <script type='importmap'>"]
    importmap = re.search(r'<script type="importmap" nonce="([^"]+)">', response.content.decode())
    assert f"'nonce-{importmap[1]}'" == nonce
    # A fresh nonce each time: a nonce seen once is no use to an attacker.
    again = policy(client.get(f"/admin/articles/article/{article.pk}/change/"))["script-src"]
    assert again[1] != nonce


def settings_with(monkeypatch, **environ):
    """Read newsroom/settings.py afresh with `environ` on top of the test environment."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings.BASE_DIR) / "newsroom" / "settings.py"))


def test_pictures_from_another_host_are_allowed_by_that_host_only(monkeypatch):
    directives = settings_with(monkeypatch, MEDIA_URL="https://pictures.example.net/uploads/")[
        "CONTENT_SECURITY_POLICY"
    ]["DIRECTIVES"]
    assert directives["img-src"] == ["'self'", "data:", "https://pictures.example.net"]


def test_with_stripe_a_form_may_lead_to_its_checkout_and_billing_pages(monkeypatch):
    stripe = settings_with(
        monkeypatch, NEWSROOM_PAYMENT_PROVIDER="subscriptions.stripe_provider.StripeProvider"
    )
    assert stripe["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
    ]
