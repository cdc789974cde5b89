"""Failed log-ins are throttled per account, and per address at a higher limit, site and admin."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.throttling import axes_username
from foundation.rates import client_address
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


@pytest.fixture
def address_limit(settings):
    return settings.NEWSROOM_LOGIN_ADDRESS_LIMIT


def test_one_readers_typos_lock_only_their_account(client, limit):
    office = {"REMOTE_ADDR": "203.0.113.9"}
    clumsy, colleague = make_reader(), make_reader()
    editor = make_reader(is_staff=True, is_superuser=True)
    for _ in range(limit):
        response = attempt(client, reverse("login"), clumsy.email, **office)
    assert_locked_out(response)
    assert_locked_out(
        attempt(client, reverse("login"), clumsy.email, right_password=True, **office)
    )

    # Everybody else in the office logs in as usual, on the site and in the admin.
    response = attempt(client, reverse("login"), colleague.email, right_password=True, **office)
    assert response.status_code == 302
    client.post(reverse("logout"))
    response = attempt(client, reverse("admin:login"), editor.email, right_password=True, **office)
    assert response.status_code == 302
    assert client.get(reverse("admin:index"), **office).status_code == 200


def test_many_failures_across_accounts_pause_the_address(client, limit, address_limit):
    assert address_limit >= 5 * limit  # an office's typos are far from it
    for n in range(address_limit):
        response = attempt(
            client, reverse("login"), f"guess{n}@example.com", REMOTE_ADDR="203.0.113.9"
        )
    assert_locked_out(response)
    reader = make_reader()
    assert_locked_out(
        attempt(
            client, reverse("login"), reader.email, right_password=True, REMOTE_ADDR="203.0.113.9"
        )
    )
    # The address is paused, not the reader: elsewhere, they log in.
    response = attempt(
        client, reverse("login"), reader.email, right_password=True, REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 302


def test_failures_just_below_the_address_limit_pause_nobody(client, limit, address_limit):
    for n in range(address_limit - 1):
        attempt(client, reverse("login"), f"guess{n}@example.com", REMOTE_ADDR="203.0.113.9")
    reader = make_reader()
    response = attempt(
        client, reverse("login"), reader.email, right_password=True, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302


def test_a_spoofed_x_forwarded_for_does_not_evade_the_address_pause(client, address_limit):
    # No proxy in front (NEWSROOM_PROXY_COUNT=0): X-Forwarded-For is the client's own invention.
    for n in range(address_limit):
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


def test_a_spoofed_x_forwarded_for_does_not_evade_the_account_lock(client, limit):
    user = make_reader()
    for n in range(limit):
        response = attempt(
            client,
            reverse("login"),
            user.email,
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert_locked_out(response)


@pytest.fixture
def behind_one_proxy(settings):
    """The proxy at 10.0.0.2 appends the address it saw to X-Forwarded-For."""
    settings.NEWSROOM_PROXY_COUNT = 1
    return {"REMOTE_ADDR": "10.0.0.2"}


def test_behind_a_proxy_only_the_address_it_appended_counts(
    client, address_limit, behind_one_proxy
):
    for n in range(address_limit):
        response = attempt(
            client,
            reverse("login"),
            f"guess{n}@example.com",
            # What the client sent, then what the proxy appended.
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.{n % 3}, 203.0.113.9",
            **behind_one_proxy,
        )
    assert_locked_out(response)
    reader = make_reader()
    assert_locked_out(
        attempt(
            client,
            reverse("login"),
            reader.email,
            right_password=True,
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            **behind_one_proxy,
        )
    )
    # Other readers behind the same proxy are other addresses.
    response = attempt(
        client,
        reverse("login"),
        reader.email,
        right_password=True,
        HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.50",
        **behind_one_proxy,
    )
    assert response.status_code == 302


def test_behind_a_proxy_one_readers_typos_lock_only_their_account(client, limit, behind_one_proxy):
    clumsy, colleague = make_reader(), make_reader()
    for _ in range(limit):
        attempt(
            client,
            reverse("login"),
            clumsy.email,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
            **behind_one_proxy,
        )
    response = attempt(
        client,
        reverse("login"),
        colleague.email,
        right_password=True,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
        **behind_one_proxy,
    )
    assert response.status_code == 302


def test_a_locked_account_opens_again_when_the_cool_off_ends_and_not_before(
    client, settings, limit
):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    user = make_reader()
    for _ in range(limit):
        attempt(client, reverse("login"), user.email)
    locked_at = time.monotonic()

    time.sleep(1)
    # Refused without a password check; the retry does not extend the pause either.
    response = attempt(client, reverse("login"), user.email, right_password=True)
    assert response.status_code == 429
    assert "Too many failed log-in attempts. Try again in 1 minute" in page_text(response)

    time.sleep(max(0, locked_at + 2.2 - time.monotonic()))
    assert attempt(client, reverse("login"), user.email, right_password=True).status_code == 302


def test_refused_attempts_do_not_count_towards_the_address(client, limit, address_limit):
    locked_out = make_reader()
    for _ in range(address_limit):
        attempt(client, reverse("login"), locked_out.email, REMOTE_ADDR="203.0.113.9")
    # Only the first `limit` were checked; the rest were refused and pause nobody else.
    colleague = make_reader()
    response = attempt(
        client, reverse("login"), colleague.email, right_password=True, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302


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


def test_logging_in_to_ones_own_account_does_not_clear_the_address_count(client, address_limit):
    own = make_reader()
    for n in range(address_limit - 1):
        attempt(client, reverse("login"), f"guess{n}@example.com", REMOTE_ADDR="203.0.113.9")
        if n % 4 == 0:
            attempt(
                client, reverse("login"), own.email, right_password=True, REMOTE_ADDR="203.0.113.9"
            )
            client.post(reverse("logout"))
    assert_locked_out(
        attempt(client, reverse("login"), "guess-last@example.com", REMOTE_ADDR="203.0.113.9")
    )


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "198.51.100.1", "10.0.0.2"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "anything, 198.51.100.1", "198.51.100.1"),
        (2, "anything, 198.51.100.1, 192.0.2.3", "198.51.100.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, "", "10.0.0.2"),  # not through the proxy after all
        (2, "198.51.100.1", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "198.51.100.1, ,", "10.0.0.2"),
    ],
)
def test_client_address_trusts_only_what_the_proxies_appended(
    rf, settings, proxies, forwarded, address
):
    settings.NEWSROOM_PROXY_COUNT = proxies
    request = rf.post("/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == address
