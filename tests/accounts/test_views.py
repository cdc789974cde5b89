"""Signing up, logging in and out, and passwords, over HTTP."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from accounts.models import User
from tests.subscriptions.factories import PASSWORD, make_reader, page_text

pytestmark = pytest.mark.django_db

ARTICLE_PATH = "/articles/a-story/"

# `next` values that must never send a reader off the site.
OFF_SITE = [
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "https:evil.example",
    "http:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/",
    "http://testserver.evil.example/",
    "http://testserver@evil.example/",
    "/\t/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\n/evil.example",
    "evil.example",
    "http://testserver/account/",  # absolute, even to this site: only paths are accepted
]


def sign_up(client, email="new@example.com", **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post(reverse("signup"), data)


def log_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.email, "password": PASSWORD, **extra})


# Sign up --------------------------------------------------------------------------------------


def test_sign_up_page_labels_every_field(client):
    response = client.get(reverse("signup"))

    assert response.status_code == 200
    html = response.content.decode()
    for field in ("email", "name", "password1", "password2"):
        assert f'<label for="id_{field}"' in html
    assert 'autocomplete="new-password"' in html


def test_sign_up_logs_the_new_reader_in(client):
    response = sign_up(client, email="ada@example.com", name="Ada")

    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "Welcome! Your account is ready." in page_text(client.get(reverse("account")))


def test_sign_up_with_an_address_taken_in_another_case(client):
    make_reader(email="ada@example.com")

    response = sign_up(client, email="ADA@Example.com", name="Ada Lovelace")

    assert response.status_code == 400
    assert "An account with this email address already exists." in page_text(response)
    html = response.content.decode()
    assert 'value="ADA@Example.com"' in html  # what was typed stays
    assert 'value="Ada Lovelace"' in html
    assert PASSWORD not in html
    assert User.objects.count() == 1


# What a display name may hold: it goes into the subject of gift emails to any address.
REFUSED_NAMES = {
    "A" * 61: "at most 60 characters",
    "Free money at http://evil.example": "a web address",
    "Claim it on www.evil.example now": "a web address",
    "Visit evil.example": "a web address",
    "Visit evil．example": "a web address",  # a full-width dot is still a dot
    "bit.ly/prize": "a web address",
    "ann@evil.example": "an email address",
    "Ann\nBcc: victim@example.com": "line breaks",
    "Ann\r\nLee": "line breaks",
    "Ann\u2028Lee": "line breaks",
    "Ann\tLee": "control characters",
    "Ann\x07Lee": "control characters",
    "Ann \u202eeeL": "control characters",  # a right-to-left override
}


@pytest.mark.parametrize(("name", "why"), REFUSED_NAMES.items(), ids=range(len(REFUSED_NAMES)))
def test_sign_up_refuses_a_name_that_could_carry_a_link_or_a_header(client, name, why):
    response = sign_up(client, name=name)
    assert response.status_code == 400
    assert why in page_text(response)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["Ann Lee", "Siobhán O'Brien-Ní Dhuibhir", "J.R.R. Tolkien", "Dr. Ann Lee", "Zoë 李", "A" * 60],
)
def test_sign_up_keeps_a_persons_name(client, name):
    assert sign_up(client, name=name).status_code == 302
    assert User.objects.get().name == name


def test_the_name_field_says_how_long_a_name_may_be(client):
    html = client.get(reverse("signup")).content.decode()
    assert re.search(r'<input type="text" name="name"[^>]*maxlength="60"', html)


def test_sign_up_errors_are_tied_to_their_fields(client):
    response = client.post(
        reverse("signup"),
        {"email": "ada@example.com", "password1": PASSWORD, "password2": "something-else"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The two password fields didn\u2019t match." in html
    assert 'id="id_password2_error"' in html
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_password2_error[^"]*"', html)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_password2"', html)
    assert 'role="alert"' in html
    assert 'value="ada@example.com"' in html
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short."),
        ("password123", "This password is too common."),
        ("83749201937465", "This password is entirely numeric."),
    ],
)
def test_sign_up_uses_the_password_validators(client, password, message):
    response = client.post(
        reverse("signup"),
        {"email": "ada@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 400
    assert message in page_text(response)


def test_sign_up_with_an_invalid_email_rerenders(client):
    response = sign_up(client, email="not-an-email")
    assert response.status_code == 400
    assert "Enter a valid email address." in page_text(response)


def test_a_logged_in_reader_skips_sign_up(client):
    client.force_login(make_reader())
    response = client.get(reverse("signup") + f"?next={ARTICLE_PATH}")
    assert (response.status_code, response["Location"]) == (302, ARTICLE_PATH)


# Log in and out -------------------------------------------------------------------------------


def test_log_in_page_links_sign_up_and_reset(client):
    response = client.get(reverse("login") + f"?next={ARTICLE_PATH}")

    html = response.content.decode()
    assert '<label for="id_username">Email address:</label>' in html
    assert f'<input type="hidden" name="next" value="{ARTICLE_PATH}">' in html
    assert f'href="{reverse("signup")}?{urlencode({"next": ARTICLE_PATH})}"' in html
    assert reverse("password_reset") in html


def test_log_in_ignores_the_case_of_the_email(client):
    user = make_reader(email="ada@example.com")
    response = client.post(reverse("login"), {"username": "ADA@EXAMPLE.COM", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, reverse("account"))
    assert int(client.session["_auth_user_id"]) == user.pk


def test_log_in_rotates_the_session(client):
    user = make_reader()
    session = client.session
    session["before"] = "kept"
    session.save()
    before = session.session_key

    log_in(client, user)

    after = client.cookies["sessionid"].value
    assert after != before
    assert not SessionStore().exists(before)
    assert client.session["before"] == "kept"


def test_wrong_password_keeps_the_email_and_says_so(client):
    user = make_reader(email="ada@example.com")

    response = client.post(reverse("login"), {"username": user.email, "password": "wrong-one"})

    assert response.status_code == 400
    text = page_text(response)
    assert "That email address and password do not match an account." in text
    assert 'value="ada@example.com"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_in_returns_to_a_same_site_next(client):
    response = log_in(client, make_reader(), next=f"{ARTICLE_PATH}?ref=prompt#more")
    assert response["Location"] == f"{ARTICLE_PATH}?ref=prompt#more"


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_log_in_never_leaves_the_site(client, next_url):
    response = client.post(
        reverse("login") + "?" + urlencode({"next": next_url}),
        {"username": make_reader().email, "password": PASSWORD, "next": next_url},
    )
    assert (response.status_code, response["Location"]) == (302, reverse("account"))


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_log_in_page_never_carries_an_off_site_next(client, next_url):
    response = client.get(reverse("login") + "?" + urlencode({"next": next_url}))
    assert response.status_code == 200
    assert 'name="next"' not in response.content.decode()


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_sign_up_never_leaves_the_site(client, next_url):
    response = sign_up(client, next=next_url)
    assert (response.status_code, response["Location"]) == (302, reverse("account"))


@pytest.mark.parametrize("name", ["login", "signup"])
def test_a_next_pointing_at_the_page_itself_is_ignored(client, name):
    client.force_login(make_reader())
    response = client.get(reverse(name) + "?" + urlencode({"next": reverse(name)}))
    assert (response.status_code, response["Location"]) == (302, reverse("account"))


def test_log_out_is_post_only(client):
    client.force_login(make_reader())

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert (response.status_code, response["Location"]) == (302, reverse("home"))
    assert "_auth_user_id" not in client.session


# Passwords -----------------------------------------------------------------------------------


def test_password_change(client):
    user = make_reader()
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200

    wrong = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "a-new-pass-2026", "new_password2": "x"},
    )
    assert wrong.status_code == 400
    assert "Your old password was entered incorrectly." in page_text(wrong)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pass-2026",
            "new_password2": "a-new-pass-2026",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-new-pass-2026")
    assert "_auth_user_id" in client.session  # still logged in


def test_password_change_needs_a_log_in(client):
    response = client.get(reverse("password_change"))
    assert response["Location"].startswith(reverse("login"))


def test_password_reset_link_works_once(client, mailoutbox):
    user = make_reader(email="ada@example.com")

    response = client.post(reverse("password_reset"), {"email": "ADA@example.com"})

    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.com"]
    link = re.search(r"http://testserver(/account/password/reset/\S+/)", mailoutbox[0].body)[1]
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "fresh-pass-2026", "new_password2": "fresh-pass-2026"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("fresh-pass-2026")
    assert int(client.session["_auth_user_id"]) == user.pk  # logged in straight away

    client.post(reverse("logout"))
    again = client.get(link, follow=True)
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert "This link no longer works" in page_text(again)


def test_password_reset_for_an_unknown_address_sends_nothing(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


# Sign-ups per address --------------------------------------------------------------------------

SIGNUPS_PAUSED = "Too many accounts have been created from your network in the last hour."


def sign_up_from(client, address, email, *, meta=None, **fields):
    """Sign up from `address` (and log out again, so that the next sign-up is not skipped)."""
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **fields}
    response = client.post(reverse("signup"), data, REMOTE_ADDR=address, **(meta or {}))
    client.post(reverse("logout"))
    return response


@pytest.fixture
def signups_per_hour(settings):
    return settings.NEWSROOM_SIGNUPS_PER_HOUR


def test_sign_ups_from_one_address_stop_at_the_hourly_limit(client, signups_per_hour):
    for n in range(signups_per_hour):
        assert sign_up_from(client, "203.0.113.9", f"reader{n}@example.com").status_code == 302

    response = sign_up_from(client, "203.0.113.9", "one-more@example.com", name="Ada Lovelace")

    assert response.status_code == 429
    assert SIGNUPS_PAUSED in page_text(response)
    html = response.content.decode()
    # What was typed is kept, except the passwords.
    assert 'value="one-more@example.com"' in html
    assert 'value="Ada Lovelace"' in html
    assert PASSWORD not in html
    assert not User.objects.filter(email="one-more@example.com").exists()
    assert "_auth_user_id" not in client.session
    # Elsewhere, sign-up goes on.
    assert sign_up_from(client, "192.0.2.1", "one-more@example.com").status_code == 302


def test_a_paused_address_still_sees_the_sign_up_page(client, signups_per_hour):
    for n in range(signups_per_hour):
        sign_up_from(client, "203.0.113.9", f"reader{n}@example.com")
    assert client.get(reverse("signup"), REMOTE_ADDR="203.0.113.9").status_code == 200


def test_trying_addresses_that_are_taken_counts_too(client, signups_per_hour):
    make_reader(email="taken@example.com")
    for _ in range(signups_per_hour):
        response = sign_up_from(client, "203.0.113.9", "taken@example.com")
        assert "already exists" in page_text(response)

    response = sign_up_from(client, "203.0.113.9", "taken@example.com")

    # Refused before the address is looked up: no more answers about who has an account.
    assert response.status_code == 429
    assert "already exists" not in page_text(response)


def test_typos_in_the_form_do_not_count(client, signups_per_hour):
    for _ in range(signups_per_hour + 2):
        response = sign_up_from(
            client, "203.0.113.9", "new@example.com", password2="not-the-same-password"
        )
        assert response.status_code == 400
    assert sign_up_from(client, "203.0.113.9", "new@example.com").status_code == 302


def test_rotating_x_forwarded_for_does_not_reset_the_sign_up_limit(client, signups_per_hour):
    for n in range(signups_per_hour):
        sign_up_from(
            client,
            "203.0.113.9",
            f"reader{n}@example.com",
            meta={"HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"},
        )
    response = sign_up_from(
        client, "203.0.113.9", "one-more@example.com", meta={"HTTP_X_FORWARDED_FOR": "192.0.2.9"}
    )
    assert response.status_code == 429
