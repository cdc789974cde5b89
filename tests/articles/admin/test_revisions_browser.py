"""An editor changes a live article as a draft revision, in Chromium: readers keep the live
version while the changes are prepared and looked at, until they are published."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect

from articles import revisions
from articles.models import Article, TextBlock
from tests.admin_editor import signed_in
from tests.articles.admin.test_change_form_browser import serious_violations
from tests.factories import make_article

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def fresh_content_types():
    """Forget content type ids cached by earlier tests: after a transactional test's flush
    they may be made again with new ids, and the admin log would point at the old ones."""
    ContentType.objects.clear_cache()


def test_an_editor_prepares_previews_and_publishes_changes_to_a_live_article(
    live_server, page, browser, django_user_model, shots
):
    # Superusers, as in tests/articles/test_browser.py: after an earlier browser test, the
    # groups that a data migration made are not always back (the event loop Playwright runs
    # sees another database connection than the one that kept them).
    ann = django_user_model.objects.create_superuser(
        email="ann@example.com", password="ann-password-42", name="Ann Editor"
    )
    live = make_article(
        headline="Ferry fares frozen",
        slug="ferry-fares",
        access=Article.Access.FREE,
        blocks=[("text", "<p>The council froze fares today.</p>")],
    )

    signed_in(page, live_server.url, ann)
    page.goto(f"{live_server.url}/admin/articles/article/{live.pk}/change/")
    page.click("button:has-text('Prepare changes')")

    expect(page.locator(".revision-notice")).to_contain_text(
        "Changes to Ferry fares frozen: readers see the live version until you publish"
    )
    page.fill("#id_headline", "Ferry fares frozen for a year")
    editor_box = page.locator("#articles_textblock_set-0 [contenteditable=true]")
    editor_box.click()
    page.keyboard.press("End")
    page.keyboard.type(" They stay frozen for a year.")
    shots(page, "prepared-changes.png", full_page=True)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist").first).to_contain_text("was changed successfully")

    draft = Article.objects.get(draft_of=live)
    page.goto(f"{live_server.url}/admin/articles/article/{live.pk}/change/")
    expect(page.locator(".revision-notice")).to_contain_text(
        "Changes are being prepared by Ann Editor"
    )
    shots(page, "live-with-changes.png")
    # The staff view of the draft's own address shows the changes (preview personas come later).
    page.goto(f"{live_server.url}{draft.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text("Ferry fares frozen for a year")
    expect(page.locator(".article__body")).to_contain_text("They stay frozen for a year.")
    # An anonymous reader, in a browser of their own (a free page may be kept for a minute).
    reader = browser.new_page()
    reader.goto(f"{live_server.url}{live.get_absolute_url()}")
    expect(reader.locator("h1")).to_have_text("Ferry fares frozen")
    expect(reader.locator(".article__body")).not_to_contain_text("for a year")
    reader.close()

    page.goto(f"{live_server.url}/admin/articles/article/{draft.pk}/change/")
    page.click("input[name=_publish_changes]")
    expect(page.locator(".messagelist").first).to_contain_text("The changes are published")
    assert f"/admin/articles/article/{live.pk}/change/" in page.url

    reader = browser.new_page()
    reader.goto(f"{live_server.url}{live.get_absolute_url()}")
    expect(reader.locator("h1")).to_have_text("Ferry fares frozen for a year")
    expect(reader.locator(".article__body")).to_contain_text("They stay frozen for a year.")
    reader.close()
    assert not Article.objects.filter(pk=draft.pk).exists()

    page.click("a:has-text('Revisions')")
    shots(page, "revisions.png")
    page.click("input[value='Compare the two picked revisions']")
    expect(page.locator(".revision-compare")).to_contain_text("They stay frozen for a year.")
    expect(page.locator(".revision-compare ins").first).to_be_visible()
    shots(page, "revision-compare.png", full_page=True)


def test_a_stale_save_is_refused_and_keeps_what_was_typed(
    live_server, page, browser, django_user_model, shots
):
    make = django_user_model.objects.create_superuser
    ann = make(email="ann@example.com", password="pass-word-4242", name="Ann Editor")
    bob_user = make(email="bob@example.com", password="pass-word-4242", name="Bob Desk")
    article = make_article(
        headline="Ferry fares frozen", blocks=[("text", "<p>The council froze fares.</p>")]
    )
    url = f"{live_server.url}/admin/articles/article/{article.pk}/change/"
    bob = browser.new_page()
    for who, tab in [(ann, page), (bob_user, bob)]:
        signed_in(tab, live_server.url, who)
        tab.goto(url)

    page.fill("#id_headline", "Ann's headline")
    page.click("#articles_textblock_set-0 [contenteditable=true]")
    page.keyboard.press("End")
    page.keyboard.type(" Ann typed this.")
    bob.fill("#id_standfirst", "Bob was quicker.")
    bob.click("input[name=_continue]")
    expect(bob.locator(".messagelist").first).to_contain_text("was changed successfully")
    bob.close()
    page.click("input[name=_continue]")

    expect(page.locator(".errornote + .errorlist")).to_contain_text(
        "Bob Desk saved this article at"
    )
    expect(page.locator("#id_headline")).to_have_value("Ann's headline")
    expect(page.locator("#articles_textblock_set-0 [contenteditable=true]")).to_contain_text(
        "Ann typed this."
    )
    shots(page, "stale-save.png")
    article.refresh_from_db()
    assert article.headline == "Ferry fares frozen" and article.standfirst == "Bob was quicker."


def test_restoring_a_live_article_asks_first_and_the_revisions_say_so(
    live_server, page, django_user_model, shots
):
    ann = django_user_model.objects.create_superuser(
        email="ann@example.com", password="pass-word-4242", name="Ann Editor"
    )
    live = make_article(
        headline="Ferry fares frozen",
        access=Article.Access.FREE,
        blocks=[("text", "<p>The council froze fares today.</p>")],
    )
    first = revisions.revision_record(article=live, by=ann, note="Saved")
    TextBlock.objects.filter(parent=live).update(text="<p>A mistaken rewrite.</p>")
    later = revisions.revision_record(article=live, by=ann, note="Saved")
    signed_in(page, live_server.url, ann)
    base = f"{live_server.url}/admin/articles/article/{live.pk}"

    page.goto(f"{base}/revisions/compare/?a={first.pk}&b={later.pk}")
    shots(page, "compare-offers-restore.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"^Restore this revision \(")).first.click()

    expect(page.locator("h1")).to_contain_text("Restore the revision of")
    expect(page.locator("#content-main")).to_contain_text(
        "“Ferry fares frozen” is live: readers will see the restored version at once."
    )
    shots(page, "restore-asks.png", full_page=True)
    assert serious_violations(page) == []
    assert TextBlock.objects.get(parent=live).text == "<p>A mistaken rewrite.</p>"

    page.get_by_role("button", name="Restore it: readers see it now").click()

    expect(page.locator(".messagelist").first).to_contain_text("readers see it now")
    assert TextBlock.objects.get(parent=live).text == "<p>The council froze fares today.</p>"
    page.goto(f"{base}/revisions/")
    expect(page.locator(".revision-list tbody tr").first).to_contain_text(
        "Restored the revision of"
    )
    shots(page, "restored-revisions.png", full_page=True)
    assert serious_violations(page) == []
