"""Previews, share links and corrections in Chromium: an editor previews a draft as a reader out
of free reads, makes a share link on the article, a lawyer opens it, and readers see a
correction on the article and on /corrections/. With NEWSROOM_SCREENSHOTS set, screenshots go
there."""

import pytest
from playwright.sync_api import expect

from articles.corrections import correction_save
from articles.models import Article, Correction
from tests.admin_editor import signed_in
from tests.factories import make_article, make_staff, paragraphs
from tests.newsroom.test_csp_browser import EDITOR_PERMISSIONS as CSP_EDITOR_PERMISSIONS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The Editor group's (a flush between transactional tests can leave the group out).
EDITOR_PERMISSIONS = [*CSP_EDITOR_PERMISSIONS, "articles.publish_article"]


@pytest.fixture
def refusals(page):
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: seen.append(f"{page.url}: uncaught {error}"))
    return seen


def test_an_editor_previews_shares_and_corrects(live_server, page, browser, shots, refusals):
    editor = make_staff(*EDITOR_PERMISSIONS)
    draft = make_article(
        headline="Inquiry into the ferry contract",
        status=Article.Status.DRAFT,
        published_at=None,
        blocks=[
            ("text", paragraphs(3)),
            ("break",),
            ("text", "<p>What the inquiry found, for entitled readers.</p>"),
        ],
    )
    signed_in(page, live_server.url, editor)

    page.goto(f"{live_server.url}/admin/articles/article/{draft.pk}/change/")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="An anonymous reader out of free reads").click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator(".preview-marker")).to_contain_text(
        "Preview — as an anonymous reader out of free reads"
    )
    expect(preview.locator(".paywall-prompt")).to_contain_text("You have read your 3 free")
    expect(preview.get_by_text("What the inquiry found")).to_have_count(0)
    shots(preview, "preview-out-of-reads.png", full_page=True)
    preview.get_by_role("link", name="a subscriber", exact=True).click()
    expect(preview.get_by_text("What the inquiry found")).to_be_visible()
    shots(preview, "preview-subscriber.png", full_page=True)
    preview.close()

    page.get_by_role("link", name="Create or revoke share links").click()
    page.get_by_role("button", name="Create a share link").click()
    expect(page.locator(".messagelist")).to_contain_text("A new share link is ready")
    link = page.locator("input[readonly]").first.input_value()
    shots(page, "share-links.png", full_page=True)

    lawyer = browser.new_page()
    lawyer.goto(link)
    expect(lawyer.locator(".preview-marker")).to_contain_text("Preview, not published")
    expect(lawyer.get_by_text("What the inquiry found")).to_be_visible()
    shots(lawyer, "share-link-page.png", full_page=True)

    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messagelist")).to_contain_text("revoked")
    assert lawyer.goto(link).status == 404
    lawyer.close()

    live = make_article(headline="Ferry fares frozen for a year")
    correction_save(
        correction=Correction(article=live, text="An earlier version gave the wrong fare."),
        by=editor,
    )
    page.goto(f"{live_server.url}/admin/articles/article/{live.pk}/change/")
    shots(page, "change-form-live.png", full_page=True)
    reader = browser.new_page()
    reader.goto(f"{live_server.url}{live.get_absolute_url()}")
    expect(reader.locator(".corrections")).to_contain_text("An earlier version gave the wrong")
    expect(reader.locator(".updated")).to_be_visible()
    shots(reader, "article-with-correction.png", full_page=True)
    reader.get_by_role("link", name="Corrections").click()
    expect(reader.locator(".correction-list")).to_contain_text("Ferry fares frozen for a year")
    shots(reader, "corrections-page.png", full_page=True)
    reader.close()
    assert not refusals
