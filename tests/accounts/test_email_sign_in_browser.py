"""Sign-in by email in Chromium: ask, read the email from the outbox, follow the link (after a
mail scanner opened it) or type the code, and land signed in; every page checked with axe-core.

With NEWSROOM_SCREENSHOTS set, screenshots go there.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import EmailSignIn, User
from tests.axe import serious_violations
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import make_reader

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCANNER = "Mozilla/5.0 (compatible; Microsoft Outlook Safe Links; +https://aka.ms/safelinks)"
LINK = re.compile(r"https?://[^/\s]+(/login/link/[A-Za-z0-9_-]+/)")
CODE = re.compile(r"^(\d{6})$", re.MULTILINE)


def looked_at(page, shots, name):
    """Screenshot `page` at a desktop and a phone width, and check it with axe-core at each."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        shots(page, f"{name}-{width}.png", full_page=True)
        assert serious_violations(page) == [], name


def test_a_reader_asks_on_the_log_in_page_and_signs_in_with_the_link_a_scanner_opened(
    live_server, page, browser, shots, mailoutbox
):
    reader = make_reader(email="ada@example.com")
    article = make_article(headline="Harbour story", blocks=[("text", paragraphs(3))])
    page.goto(f"{live_server.url}/login/?next={article.get_absolute_url()}")
    looked_at(page, shots, "log-in")

    page.get_by_label("Email address").fill("Ada@Example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text("If there is an account for Ada@example.com")
    looked_at(page, shots, "check-your-email")
    [email] = mailoutbox
    assert email.to == [reader.email]
    path = LINK.search(email.body)[1]

    scanner = browser.new_context(user_agent=SCANNER)  # no cookies of the reader's
    for _ in range(3):
        scanned = scanner.new_page()
        assert scanned.goto(live_server.url + path).status == 200
        scanned.close()
    scanner.close()
    assert EmailSignIn.objects.get().ended_at is None

    referrers = []
    page.on("request", lambda request: referrers.append(request.headers.get("referer")))
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sign in to The Daily Newsroom as ada@example.com")
    # Its stylesheet and icon are asked for with the site's origin at most, never the address.
    assert referrers and all(referrer in (None, f"{live_server.url}/") for referrer in referrers)
    looked_at(page, shots, "link")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="Harbour story")).to_be_visible()
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are logged in.")
    assert page.url == live_server.url + article.get_absolute_url()
    # Nor did the article, asked for after the redirect, hear where the reader came from.
    assert not any("/login/link/" in (referrer or "") for referrer in referrers)

    # Followed again (the reader's mail app, later): it says why it no longer works.
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name="This sign-in link no longer works")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You are logged in already.")
    looked_at(page, shots, "link-used")


def test_a_newcomer_asks_on_the_sign_up_page_and_types_the_code(
    live_server, page, shots, mailoutbox
):
    page.goto(f"{live_server.url}/login/email/?purpose=sign-up")  # the page of its own
    expect(page.get_by_role("heading", name="Create an account by email")).to_be_visible()
    looked_at(page, shots, "ask")
    page.goto(f"{live_server.url}/signup/")
    looked_at(page, shots, "sign-up")
    page.get_by_label("Email address").fill("nia@example.com")
    page.get_by_label("Name (optional)").fill("Nia Reader")
    page.get_by_role("button", name="Email me a sign-in link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text("We have sent an email to nia@example.com")
    code = CODE.search(mailoutbox[0].body)[1]

    field = page.get_by_label("Sign-in code")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    field.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#id_code_error")).to_contain_text("That is not the code we sent.")
    looked_at(page, shots, "code-wrong")

    page.get_by_label("Sign-in code").fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Welcome! Your account is ready.")
    user = User.objects.get()
    assert (user.email, user.name) == ("nia@example.com", "Nia Reader")
    assert user.email_verified_at is not None
    looked_at(page, shots, "signed-up")
