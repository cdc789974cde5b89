"""The reader's path, end to end in Chromium: the meter, the preview, sign-up, checkout."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import make_plan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_reader_meets_the_paywall_subscribes_and_reads_on(live_server, page, settings, shots):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True  # subscribing without a payment provider
    make_plan(name="Monthly", slug="monthly", trial_days=14)
    articles = [
        make_article(
            headline=f"Harbour story {n}",
            access=Article.Access.METERED,
            blocks=[
                ("text", paragraphs(3)),
                ("break",),
                ("text", f"<p>The rest of story {n}.</p>"),
            ],
        )
        for n in range(1, 5)
    ]

    for n, article in enumerate(articles[:3], start=1):
        page.goto(f"{live_server.url}{article.get_absolute_url()}")
        expect(page.locator(".article__body")).to_contain_text(f"The rest of story {n}.")
    expect(page.locator(".meter-note")).to_contain_text(
        "This is your last free article this month."
    )

    fourth = f"{live_server.url}{articles[3].get_absolute_url()}"
    page.goto(fourth)
    prompt = page.locator(".paywall-prompt")
    expect(prompt).to_contain_text("You're reading a preview, subscribe to read more.")
    expect(page.locator(".article__body")).not_to_contain_text("The rest of story 4.")
    shots(page, "preview.png", full_page=True)

    prompt.get_by_role("link", name="Subscribe", exact=True).click()
    page.get_by_role("link", name="Choose Monthly").click()
    expect(page).to_have_url(re.compile(r"/signup/\?next=%2Fsubscribe%2Fmonthly%2F"))
    page.get_by_label("Email address").fill("new.reader@example.com")
    page.fill("#id_password1", "a-long-harbour-password")
    page.fill("#id_password2", "a-long-harbour-password")
    page.get_by_role("button", name="Create account").click()

    expect(page.locator("main")).to_contain_text("No payment will be taken")
    page.get_by_role("button", name="Start my subscription").click()

    expect(page).to_have_url(fourth)
    expect(page.locator(".article__body")).to_contain_text("The rest of story 4.")
    expect(page.locator(".paywall-prompt")).to_have_count(0)
    shots(page, "subscribed.png", full_page=True)
