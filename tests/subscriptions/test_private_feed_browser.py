"""The private feed on the account page, in Chromium: copied with its button, made anew, read.

With NEWSROOM_SCREENSHOTS set, screenshots go there.
"""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article
from subscriptions.models import Subscription
from tests.axe import serious_violations
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import PASSWORD, make_plan, make_reader, make_subscription

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BEYOND = "The rest of the harbour story."


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/?next=/account/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_a_subscriber_copies_their_feed_address_reads_it_and_makes_a_new_one(
    live_server, page, shots
):
    make_article(
        headline="Harbour story",
        access=Article.Access.SUBSCRIBERS,
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
    )
    reader = make_reader(email="sue@example.com")
    make_subscription(user=reader, plan=make_plan(name="Digital monthly"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server, reader)

    section = page.get_by_role("region", name="Your private feed")
    field = section.get_by_label("Feed address")
    token = r"[A-Za-z0-9_-]{43}"
    expect(field).to_have_value(
        re.compile(rf"^{re.escape(live_server.url)}/feed/private/{token}\.rss$")
    )
    address = field.input_value()
    page.set_viewport_size({"width": 1280, "height": 900})
    shots(page, "account-1280.png", full_page=True)
    assert serious_violations(page) == []

    section.get_by_role("button", name="Copy").click()
    expect(section.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address
    shots(page, "account-copied.png", full_page=True)

    feed = page.context.request.get(address)
    assert feed.status == 200 and BEYOND in feed.text()

    section.get_by_role("button", name="Make a new address").click()
    expect(page.locator(".messages")).to_contain_text("The old one no longer works")
    new = page.get_by_role("region", name="Your private feed").get_by_label("Feed address")
    expect(new).not_to_have_value(address)
    assert page.context.request.get(address).status == 404
    assert page.context.request.get(new.input_value()).status == 200
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "account-new-address-390.png", full_page=True)
    assert serious_violations(page) == []


def test_a_reader_whose_subscription_ended_is_told_what_their_feed_carries(
    live_server, page, shots
):
    reader = make_reader(email="former@example.com")
    subscription = make_subscription(user=reader)
    log_in(page, live_server, reader)  # the address is made while they subscribe
    Subscription.objects.filter(pk=subscription.pk).update(status=Subscription.Status.EXPIRED)

    page.reload()

    section = page.get_by_role("region", name="Your private feed")
    expect(section).to_contain_text("Your subscription has ended, so your feed carries")
    page.set_viewport_size({"width": 1280, "height": 900})
    shots(page, "account-ended.png", full_page=True)
    assert serious_violations(page) == []
