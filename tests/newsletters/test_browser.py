"""Newsletters in Chromium: an editor writes a digest's note, previews it as a subscriber and as
a free reader, sends a test and sends it; a reader signs up on the newsletters page, confirms
from the email's link, and leaves from the link in the footer. Every page passes axe-core;
with NEWSROOM_SCREENSHOTS set, screenshots of each go there."""

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.core import mail
from playwright.sync_api import expect

from newsletters.models import NewsletterSend, NewsletterSubscription
from tests.admin_editor import signed_in
from tests.axe import serious_violations
from tests.factories import make_article, make_image, make_staff, paragraphs
from tests.newsletters.factories import make_newsletter, make_send, subscribe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def look(page, shots, name):
    shots(page, f"{name}.png", full_page=True)
    assert serious_violations(page) == [], name


def test_an_editor_previews_and_sends_a_digest(live_server, page, settings, shots):
    settings.NEWSROOM_SITE_URL = live_server.url
    settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND = 0
    # A transactional test's flush may have taken the permissions and groups: made again.
    create_permissions(apps.get_app_config("newsletters"), verbosity=0)
    editor = make_staff(
        *(f"newsletters.{action}_newslettersend" for action in ("view", "change", "send")),
        "newsletters.view_newsletter",
        "newsletters.view_digestitem",
        "newsletters.change_digestitem",
        email="eve@example.com",
    )
    picture = make_image(caption="The harbour at dawn", credit="Herald/Ann Lee")
    locked = make_article(
        headline="Inside the ferry accounts",
        access="subscribers",
        lead_image=picture,
        blocks=[("text", paragraphs(3)), ("break",), ("text", "<p>Beyond the cut.</p>")],
    )
    free = make_article(headline="Free notice", access="free", lead_image=make_image())
    newsletter = make_newsletter(name="The Morning Briefing")
    for n in range(5):
        subscribe(newsletter, email=f"reader{n}@example.com")
    send = make_send(newsletter, digest=[locked, free])

    signed_in(page, live_server.url, editor)
    page.goto(f"{live_server.url}/admin/newsletters/newslettersend/{send.pk}/change/")
    page.fill("#id_subject", "Tuesday's briefing")
    page.fill("#id_intro", "Good morning. Two reads for your commute.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    look(page, shots, "admin-send-draft")

    with page.expect_popup() as popup:
        page.get_by_role("link", name="a subscriber", exact=True).click()
    preview = popup.value
    expect(preview.locator("body")).to_contain_text("Good morning. Two reads for your commute.")
    expect(preview.locator(".badge")).to_have_count(0)
    shots(preview, "admin-preview-subscriber.png", full_page=True)
    preview.close()
    with page.expect_popup() as popup:
        page.get_by_role("link", name="an address without an account", exact=True).click()
    preview = popup.value
    expect(preview.locator(".badge")).to_have_text("Subscribers")
    shots(preview, "admin-preview-free-reader.png", full_page=True)
    preview.close()

    page.select_option("#test-kind", "registered")
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator(".messagelist")).to_contain_text("on its way to eve@example.com")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".send-panel")).to_contain_text("Sent")
    expect(page.locator(".send-panel__counts tbody")).to_contain_text("5")
    look(page, shots, "admin-send-sent")
    assert NewsletterSend.objects.get().status == "sent"
    assert len(mail.outbox) == 6  # the test and five readers


def test_a_reader_signs_up_confirms_and_leaves(live_server, page, settings, shots):
    settings.NEWSROOM_SITE_URL = live_server.url
    make_newsletter(name="The Morning Briefing", slug="morning", offered_on_articles=True)
    make_newsletter(name="Members' Letter", audience="registered")
    page.goto(f"{live_server.url}/newsletters/")
    look(page, shots, "newsletters-page")
    page.fill("#email-morning", "ada@example.com")
    page.locator("#morning").get_by_role("button", name="Sign up").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    look(page, shots, "newsletters-check-your-inbox")

    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/newsletters/confirm/" in line)
    page.goto(link.strip())
    look(page, shots, "newsletters-confirm")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("You're signed up")
    subscription = NewsletterSubscription.objects.get()
    assert subscription.status == "subscribed"

    from newsletters.subscribing import unsubscribe_token

    page.goto(f"{live_server.url}/newsletters/unsubscribe/{unsubscribe_token(subscription.pk)}/")
    look(page, shots, "newsletters-unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You're unsubscribed")
    subscription.refresh_from_db()
    assert subscription.status == "left"

    article = make_article(access="free")
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    expect(page.locator(".newsletter-offer")).to_contain_text("Sign up for The Morning Briefing")
    look(page, shots, "article-with-newsletter-offer")
