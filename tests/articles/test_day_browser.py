"""The newsroom's day in Chromium, as its people live it: a journalist writes and submits, an
editor previews it as a reader out of free reads and sends it back, the journalist puts it
right, the editor schedules it and it appears at its time; an editor prepares changes to a live
article, previews them as a subscriber and publishes them. Everyone logs in through the login
page, in a browser of their own, as a member of the Journalist or Editor group.

With NEWSROOM_SCREENSHOTS set, screenshots of the main steps go to its test_day_browser folder.
"""

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from articles.corrections import correction_save
from articles.models import Article, Author, Correction, Section
from tests.admin_editor import add_block, choose
from tests.axe import serious_violations
from tests.factories import make_article, make_author, make_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "staff-password-123"  # tests.factories.make_staff
BEFORE_THE_CUT = "The ferry company signed the contract in March without a tender."
HEADLINE = "Ferry contract signed without a tender"
AFTER_THE_CUT = "The inquiry's report names the three officials who approved it."


@pytest.fixture(autouse=True)
def the_newsroom_groups():
    """The Journalist and Editor groups as `migrate` makes them. A transactional test's flush
    may leave them (and the content types their permissions point at) out, or with new ids
    that the content type cache does not know: make them again, as the migration does."""
    ContentType.objects.clear_cache()
    groups = importlib.import_module("articles.migrations.0004_journalists_and_editors")
    groups.create_groups(apps, SimpleNamespace(connection=connection))
    yield
    ContentType.objects.clear_cache()


def member_of(group, *, name, email):
    user = make_staff(name=name, email=email)
    user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(browser, live_server, user):
    """A browser of `user`'s own, logged in through the admin's login page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    return page


def open_form(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")  # every editor has set itself up


def type_into_block(page, index, text):
    box = page.locator(".prose-editor [contenteditable=true]").nth(index)
    box.click()
    page.keyboard.type(text)


def test_a_story_goes_from_the_journalist_through_review_to_its_scheduled_minute(
    live_server, browser, shots, time_machine
):
    jo = member_of("Journalist", name="Jo Reporter", email="jo@example.com")
    ed = member_of("Editor", name="Ed Desk", email="ed@example.com")
    Section.objects.create(name="Politics", slug="politics")
    Author.objects.create(name="Jo Reporter", slug="jo-reporter", user=jo)
    make_article(  # a busy list: long headlines and bylines beside the day's story
        headline="Harbour master's diary of every storm since 1987 goes on show at the museum",
        authors=[make_author(name=name) for name in ("Ann Lee", "Bo Chen", "Cy Adeyemi-Hart")],
        published_at=timezone.now() + timedelta(days=2),
    )
    journalist = logged_in(browser, live_server, jo)
    editor = logged_in(browser, live_server, ed)

    # The journalist writes: headline, standfirst, section, byline, text, the cut, more text.
    open_form(journalist, f"{live_server.url}/admin/articles/article/add/")
    journalist.fill("#id_headline", HEADLINE)
    journalist.fill("#id_standfirst", "Questions about the ferry.")
    choose(journalist, "id_section", "Politics")
    choose(journalist, "id_bylines-0-author", "Jo Reporter")
    add_block(journalist, "Text")
    type_into_block(journalist, 0, BEFORE_THE_CUT)
    add_block(journalist, "Paywall break")
    add_block(journalist, "Text")
    type_into_block(journalist, 1, AFTER_THE_CUT)
    shots(journalist, "a01-journalist-writes.png", full_page=True)
    journalist.get_by_role("button", name="Save and submit for review").first.click()
    expect(journalist.locator(".messagelist")).to_contain_text(
        "is saved and submitted for review: the editors have it now"
    )
    article = Article.objects.get(headline=HEADLINE)
    assert article.status == Article.Status.REVIEW and article.created_by == jo
    shots(journalist, "a02-journalist-submitted.png", full_page=True)

    # The editor finds it in review and reads it as a reader out of free reads would.
    editor.goto(f"{live_server.url}/admin/articles/article/")
    # Every column fits at 1280 px, beside the filters, with no sideways scrolling.
    assert editor.evaluate("document.documentElement.scrollWidth") <= 1280
    table = editor.locator("#result_list").bounding_box()
    assert table["x"] + table["width"] <= editor.locator("#changelist-filter").bounding_box()["x"]
    shots(editor, "a03-editor-list.png", full_page=True)
    # Authors are one list to choose from in a small form (a newsroom has hundreds).
    editor.select_option("#filter-authors__id__exact", label="Jo Reporter")
    editor.locator(".select-filter button").click()
    expect(editor.locator("#result_list tbody tr")).to_have_count(1)
    assert serious_violations(editor) == []
    editor.goto(f"{live_server.url}/admin/articles/article/")
    editor.get_by_role("link", name="In review", exact=True).click()
    expect(editor.locator("#result_list tbody tr")).to_have_count(1)
    editor.get_by_role("link", name=HEADLINE).click()
    expect(editor.locator(".review-summary")).to_contain_text("In review")
    editor.wait_for_load_state("networkidle")  # of the form, now that it is there
    with editor.expect_popup() as opened:
        editor.get_by_role("link", name="An anonymous reader out of free reads").click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator(".preview-marker")).to_contain_text("out of free reads")
    expect(preview.get_by_text(BEFORE_THE_CUT)).to_be_visible()
    expect(preview.get_by_text(AFTER_THE_CUT)).to_have_count(0)
    expect(preview.locator(".paywall-prompt")).to_be_visible()
    shots(preview, "a04-editor-preview-out-of-reads.png", full_page=True)
    preview.close()

    # The standfirst says nothing: back to the journalist with a note.
    editor.get_by_text("Send back to Jo Reporter with a note").click()
    editor.fill("#id_send_back_note", "The standfirst should say who signed it and when.")
    shots(editor, "a05-editor-sends-back.png", full_page=True)
    assert serious_violations(editor) == []  # the review controls and the note included
    editor.get_by_role("button", name="Save and send back to Jo Reporter").click()
    expect(editor.locator(".messagelist")).to_contain_text("sent back to Jo Reporter")

    journalist.goto(f"{live_server.url}/admin/articles/article/")
    expect(journalist.locator("#result_list")).to_contain_text("Sent back")
    journalist.get_by_role("link", name=HEADLINE).click()
    expect(journalist.locator(".review-note")).to_contain_text(
        "The standfirst should say who signed it and when."
    )
    journalist.wait_for_load_state("networkidle")
    shots(journalist, "a06-journalist-sees-the-note.png", full_page=True)
    journalist.fill(
        "#id_standfirst", "The council's transport chief signed it in March, with no other bids."
    )
    journalist.get_by_role("button", name="Save and submit for review").first.click()
    expect(journalist.locator(".messagelist")).to_contain_text("submitted for review")

    # The editor schedules it ten minutes ahead, typed in the site's time zone.
    goes_live = timezone.localtime(timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    open_form(editor, f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    expect(editor.locator("#id_standfirst")).to_have_value(
        "The council's transport chief signed it in March, with no other bids."
    )
    editor.select_option("#id_status", "published")
    editor.fill("#id_published_at_0", goes_live.strftime("%Y-%m-%d"))
    editor.fill("#id_published_at_1", goes_live.strftime("%H:%M:%S"))
    shots(editor, "a07-editor-schedules.png", full_page=True)
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist")).to_contain_text(
        f"“{HEADLINE}” is scheduled: it goes live on"
    )
    expect(editor.locator(".review-summary")).to_contain_text("Scheduled: it goes live on")
    shots(editor, "a08-editor-scheduled.png", full_page=True)
    article.refresh_from_db()
    assert article.is_scheduled and article.published_at == goes_live

    # A reader, before its time: nowhere. After it, with nobody saving anything: everywhere.
    reader = browser.new_page()
    url = f"{live_server.url}{article.get_absolute_url()}"
    assert timezone.now() < goes_live, "the test took too long to get here"
    assert reader.goto(url).status == 404
    reader.goto(f"{live_server.url}/")
    expect(reader.get_by_text(HEADLINE)).to_have_count(0)
    feed = reader.request.get(f"{live_server.url}/feed.rss")
    assert "Ferry contract" not in feed.text()
    # The site's clock (this process's: the live server's) moves past it; nobody waits. The
    # browser's own clock does not move: a reader arriving then comes with an empty cache.
    time_machine.move_to(goes_live + timedelta(seconds=1), tick=True)
    reader = browser.new_page()
    reader.goto(f"{live_server.url}/")
    expect(reader.get_by_role("link", name=HEADLINE)).to_be_visible()
    shots(reader, "a09-reader-home-after.png", full_page=True)
    assert HEADLINE in reader.request.get(f"{live_server.url}/feed.rss").text()
    assert reader.goto(url).status == 200
    expect(reader.locator("h1")).to_have_text(HEADLINE)
    shots(reader, "a10-reader-article-after.png", full_page=True)
    reader.close()


def test_an_editor_prepares_changes_to_a_live_article_previews_them_and_publishes_them(
    live_server, browser, shots
):
    jo = member_of("Journalist", name="Jo Reporter", email="jo@example.com")
    ed = member_of("Editor", name="Ed Desk", email="ed@example.com")
    live = make_article(
        headline="Ferry fares frozen",
        slug="ferry-fares",
        created_by=jo,
        access=Article.Access.METERED,
        blocks=[
            ("text", "<p>The council froze ferry fares today.</p>"),
            ("break",),
            ("text", "<p>Fares stay at £4.20 until April.</p>"),
        ],
    )
    url = f"{live_server.url}/admin/articles/article/{live.pk}/change/"

    # Its journalist may not change it as it is, and is offered to prepare changes instead.
    journalist = logged_in(browser, live_server, jo)
    errors = []
    journalist.on("pageerror", lambda error: errors.append(str(error)))
    open_form(journalist, url)
    expect(journalist.locator("#id_headline")).to_have_count(0)  # read-only
    body = journalist.locator(".read-only-body")
    expect(body).to_contain_text("The council froze ferry fares today.")
    expect(body).to_contain_text("Fares stay at £4.20 until April.")
    assert body.inner_text().index("Paywall break") < body.inner_text().index("Fares stay")
    expect(journalist.get_by_text("No items.")).to_be_hidden()  # no empty block editor
    expect(journalist.locator(".review-summary")).to_contain_text("Prepare changes")
    assert errors == []
    assert serious_violations(journalist) == []
    expect(journalist.get_by_role("button", name="Prepare changes")).to_be_visible()
    shots(journalist, "b01-journalist-own-live-article.png", full_page=True)
    journalist.context.close()

    editor = logged_in(browser, live_server, ed)
    open_form(editor, url)
    editor.get_by_role("button", name="Prepare changes").click()
    expect(editor.locator(".revision-notice")).to_contain_text(
        "Changes to Ferry fares frozen: readers see the live version until you publish"
    )
    editor.wait_for_load_state("networkidle")  # the prepared changes' editors are set up
    draft = Article.objects.get(draft_of=live)
    after_the_cut = editor.locator(".prose-editor [contenteditable=true]").nth(1)
    after_the_cut.click()
    editor.keyboard.press("End")
    editor.keyboard.type(" Then they rise by ten pence.")
    shots(editor, "b02-editor-prepares-changes.png", full_page=True)
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist").first).to_contain_text("was changed successfully")
    # Before the click below: while the reloaded form's editors set themselves up, the page
    # moves under the pointer, and a click on the preview link can miss it (in CI: no popup).
    editor.wait_for_load_state("networkidle")

    # A subscriber's view of the prepared changes; readers still get the live article.
    with editor.expect_popup() as opened:
        editor.get_by_role("link", name="A subscriber").click()
    preview = opened.value
    preview.wait_for_load_state()
    assert f"/admin/articles/article/{draft.pk}/preview/subscriber/" in preview.url
    expect(preview.locator(".preview-marker")).to_contain_text("Preview — as a subscriber")
    expect(preview.locator(".preview-marker")).to_contain_text(
        "Changes to “Ferry fares frozen”, not published: readers see the live version"
    )
    expect(preview.locator(".article__body")).to_contain_text("Then they rise by ten pence.")
    shots(preview, "b03-editor-previews-changes.png", full_page=True)
    preview.close()
    reader = browser.new_page()
    assert reader.goto(f"{live_server.url}/articles/ferry-fares/").status == 200
    expect(reader.locator(".article__body")).to_contain_text("Fares stay at £4.20 until April.")
    expect(reader.locator(".article__body")).not_to_contain_text("ten pence")
    assert reader.goto(f"{live_server.url}/articles/{draft.slug}/").status == 404
    reader.close()

    editor.click("input[name=_publish_changes]")
    expect(editor.locator(".messagelist").first).to_contain_text("The changes are published")
    editor.wait_for_load_state("networkidle")
    assert editor.url.startswith(url)  # the live article's form
    reader = browser.new_page()
    reader.goto(f"{live_server.url}/articles/ferry-fares/")
    expect(reader.locator(".article__body")).to_contain_text("Then they rise by ten pence.")
    shots(reader, "b04-reader-sees-the-changes.png", full_page=True)
    reader.close()
    assert not Article.objects.filter(draft_of=live).exists()

    # A correction, too: the form with its corrections passes axe.
    correction_save(
        correction=Correction(article=live, text="An earlier version gave the wrong fare."),
        by=ed,
    )
    open_form(editor, url)
    expect(editor.locator("#id_corrections-0-text")).to_be_visible()
    shots(editor, "b05-editor-live-with-corrections.png", full_page=True)
    editor.get_by_role("button", name=re.compile("Add another correction", re.I)).click()
    editor.fill("#id_corrections-1-text", "The fares rise by ten pence, not twenty.")
    shots(editor.locator("#corrections-1"), "b06-new-correction.png")
    assert serious_violations(editor) == []
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist").first).to_contain_text("was changed successfully")
    reader = browser.new_page()
    reader.goto(f"{live_server.url}/articles/ferry-fares/")
    expect(reader.locator(".corrections")).to_contain_text("rise by ten pence, not twenty.")
    shots(reader, "b07-reader-sees-the-correction.png", full_page=True)
    reader.close()
