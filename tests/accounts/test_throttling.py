"""Failed log-ins are throttled by django-axes, on the site and in the admin."""

import re

import pytest
from django.urls import reverse

from accounts.throttling import axes_username
from tests.subscriptions.factories import PASSWORD, make_reader, page_text

pytestmark = pytest.mark.django_db

LOCKOUT = "Too many failed log-in attempts. Try again in 15 minutes or reset your password."


def attempt(client, url, email, *, right_password=False, **meta):
    password = PASSWORD if right_password else "not-the-password"
    return client.post(url, {"username": email, "password": password}, **meta)


def assert_locked_out(response):
    assert response.status_code in (403, 429)
    assert LOCKOUT in page_text(response)


@pytest.fixture(autouse=True)
def axes_knows_the_account(settings):
    """What newsroom/settings.py must say (system check accounts.W001 asks for it)."""
    settings.AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"


@pytest.fixture
def limit(settings):
    return settings.AXES_FAILURE_LIMIT


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_failures_up_to_the_limit_are_form_errors_then_everything_is_refused(client, limit, url):
    user = make_reader(is_staff=True)

    for _ in range(limit - 1):
        response = attempt(client, url, user.email)
        # The form again, with its error: 400 on the site; Django's admin log-in answers 200.
        assert response.status_code == (200 if url.startswith("/admin/") else 400)

    assert_locked_out(attempt(client, url, user.email))
    # Locked out: even the right password is refused, and nobody is logged in.
    assert_locked_out(attempt(client, url, user.email, right_password=True))
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_links_to_password_reset(client, limit):
    user = make_reader()
    for _ in range(limit):
        response = attempt(client, reverse("login"), user.email)
    assert f'href="{reverse("password_reset")}"' in response.content.decode()


def test_a_spoofed_x_forwarded_for_does_not_evade_the_address_lockout(client, limit):
    # A different account each time, so only the address can trip the lockout.
    for n in range(limit):
        response = attempt(
            client,
            reverse("login"),
            f"guess{n}@example.com",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert_locked_out(response)
    user = make_reader()
    assert_locked_out(
        attempt(
            client,
            reverse("login"),
            user.email,
            right_password=True,
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR="192.0.2.77",
        )
    )


def test_one_account_is_throttled_from_many_addresses(client, limit):
    user = make_reader()
    for n in range(limit):
        response = attempt(client, reverse("login"), user.email, REMOTE_ADDR=f"192.0.2.{n + 1}")
    assert_locked_out(response)
    assert_locked_out(
        attempt(
            client, reverse("login"), user.email, right_password=True, REMOTE_ADDR="198.51.100.200"
        )
    )


def test_other_readers_elsewhere_can_still_log_in(client, limit):
    for _ in range(limit):
        attempt(client, reverse("login"), "target@example.com", REMOTE_ADDR="203.0.113.9")
    other = make_reader()
    response = attempt(
        client, reverse("login"), other.email, right_password=True, REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, limit):
    user = make_reader()
    for _ in range(limit - 1):
        attempt(client, reverse("login"), user.email)
    assert attempt(client, reverse("login"), user.email, right_password=True).status_code == 302
    client.post(reverse("logout"))
    for _ in range(limit - 1):
        assert attempt(client, reverse("login"), user.email).status_code == 400


def test_resetting_the_password_lifts_the_lockout(client, limit, mailoutbox):
    user = make_reader(email="ada@example.com")
    for _ in range(limit):
        attempt(client, reverse("login"), user.email)
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"http://testserver(/\S+/)", mailoutbox[0].body)[1]
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]

    client.post(
        set_password_url,
        {"new_password1": "fresh-pass-2026", "new_password2": "fresh-pass-2026"},
    )

    assert int(client.session["_auth_user_id"]) == user.pk
    client.post(reverse("logout"))
    response = client.post(
        reverse("login"), {"username": user.email, "password": "fresh-pass-2026"}
    )
    assert response.status_code == 302


def test_axes_username_finds_the_address_wherever_axes_puts_it(rf):
    assert axes_username(None, {"username": " Ada@Example.COM "}) == "ada@example.com"
    assert axes_username(None, {"email": "Ada@Example.COM"}) == "ada@example.com"
    assert axes_username(rf.post("/", {"username": "ADA@x.org"}), {}) == "ada@x.org"
    assert axes_username(rf.post("/"), None) is None


def test_every_spelling_of_an_address_shares_one_count(client, limit):
    user = make_reader(email="ada@example.com")
    spellings = ["ada@example.com", "ADA@example.com", "Ada@Example.com", "aDa@EXAMPLE.com"]
    for n in range(limit):
        response = attempt(
            client,
            reverse("login"),
            spellings[n % len(spellings)],
            REMOTE_ADDR=f"192.0.2.{n + 1}",
        )
    assert_locked_out(response)
    assert_locked_out(
        attempt(
            client, reverse("login"), user.email, right_password=True, REMOTE_ADDR="198.51.100.1"
        )
    )
