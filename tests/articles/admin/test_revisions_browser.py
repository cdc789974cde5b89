"""The article's revisions in Chromium: a save from a stale form is refused and keeps what was
typed, and restoring a revision of a live article asks first and is logged.

Preparing changes to a live article, looking at them and publishing them is walked in Chromium
by the journalist's day (tests/articles/test_day_browser.py), and over HTTP, with what readers
see meanwhile, by tests/articles/admin/test_revisions.py."""

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
