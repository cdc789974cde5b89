"""The CSRF token of a logged-in reader's page: masked afresh for each page, and accepted."""

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client, RequestFactory
from django.urls import reverse

from newsroom.csrf import page_csrf_token
from tests.factories import make_article
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def unmasked(token):
    """Return the secret a masked token carries (Django's scheme: mask, then secret + mask)."""
    chars = CSRF_ALLOWED_CHARS
    mask, cipher = token[:32], token[32:]
    pairs = zip(cipher, mask, strict=True)
    return "".join(chars[(chars.index(c) - chars.index(m)) % len(chars)] for c, m in pairs)


def form_token(html):
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_subscribers_article_page_logs_out_with_its_token_and_each_page_has_its_own():
    article = make_article(access="subscribers")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_subscription(user=make_reader()).user)
    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())
    tokens = form_token(first.content.decode()), form_token(second.content.decode())

    assert tokens[0] != tokens[1]  # masked afresh: a compressed page never repeats the secret
    secret = client.cookies["csrftoken"].value
    assert [unmasked(token) for token in tokens] == [secret, secret]
    assert "csrftoken" in second.cookies  # sent again, as Django does, to renew its expiry

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": tokens[1]})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_forged_token_is_refused():
    article = make_article(access="subscribers")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_subscription(user=make_reader()).user)
    token = form_token(client.get(article.get_absolute_url()).content.decode())
    forged = token[:32] + token[32:][::-1]

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": forged})

    assert response.status_code == 403
    assert "_auth_user_id" in client.session


def test_masks_are_uniform_over_the_allowed_characters():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * 32  # index 0: the cipher is the mask itself
    seen = {}
    for _ in range(2000):
        token = page_csrf_token(request)
        assert len(token) == 64 and token[:32] == token[32:]
        for char in token[:32]:
            seen[char] = seen.get(char, 0) + 1
    assert set(seen) == set(CSRF_ALLOWED_CHARS)
    expected = 2000 * 32 / len(CSRF_ALLOWED_CHARS)  # about 1032 each
    assert all(0.8 * expected < count < 1.2 * expected for count in seen.values())


@pytest.mark.parametrize("cookie", [None])
def test_a_request_without_a_usable_secret_gets_djangos_token_and_cookie(cookie):
    request = RequestFactory().get("/")
    if cookie is not None:
        request.META["CSRF_COOKIE"] = cookie
    token = page_csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32 and unmasked(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]
