"""The body's text editor in Chromium, as a journalist writes: keyboard shortcuts, the word
count and read time as they type, and text pasted from Google Docs, Word and a news site,
which keeps its headings, lists, links and emphasis and nothing else.

The pasted HTML (`pasted/`) is what those put on the clipboard, trimmed to a few paragraphs:
Google Docs' `docs-internal-guid` wrapper and styled spans, Word's `mso-` styles, `<o:p>` and
conditional comments (and, from Word on the desktop, lists written as paragraphs with their
bullets as text), a news site's figure, share buttons, script, advert and pull quote.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from articles.models import Article, TextBlock
from tests.admin_editor import add_block, signed_in
from tests.axe import serious_violations
from tests.factories import make_article

PASTED = Path(__file__).parent / "pasted"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def form(live_server, page, django_user_model):
    """The add form, logged in as an editor, with one text block whose editor has focus."""
    editor = django_user_model.objects.create_superuser(
        email="ed@example.com", password="ed-password-42"
    )
    signed_in(page, live_server.url, editor)
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    add_block(page, "Text")
    page.locator(".prose-editor [contenteditable=true]").last.click()
    return page


def text_html(page) -> str:
    return page.locator(".prose-editor [contenteditable=true]").last.inner_html()


def test_the_word_count_and_read_time_follow_the_typing(form):
    counter = form.locator(".article-body__words")
    expect(counter).to_have_text("0 words · 1 min read")
    form.keyboard.type("The harbour plans were approved")
    expect(counter).to_have_text("5 words · 1 min read")
    form.keyboard.press("Enter")
    form.keyboard.insert_text(" ".join(["word"] * 340))  # at once: 1,700 keys took 10 s of CPU
    expect(counter).to_have_text("345 words · 2 min read")  # 230 words a minute, rounded

    form.fill("#id_headline", "Harbour plans approved")
    form.fill("#id_slug", "harbour-plans-approved")
    form.click("input[name=_continue]")
    expect(form.locator(".messagelist")).to_contain_text("was added successfully")
    # The count the article is saved with is the one the form showed.
    assert Article.objects.get().word_count == 345
    expect(form.locator(".article-body__words")).to_have_text("345 words · 2 min read")
    assert serious_violations(form) == []


def test_keyboard_shortcuts_make_headings_lists_quotes_and_emphasis(form):
    form.keyboard.type("What happens next")
    form.keyboard.press("Control+Alt+2")
    form.keyboard.press("End")
    form.keyboard.press("Enter")
    form.keyboard.press("Control+Alt+0")
    form.keyboard.type("First")
    form.keyboard.press("Control+Shift+8")
    form.keyboard.press("Enter")
    form.keyboard.type("Second")
    form.keyboard.press("Enter")
    form.keyboard.press("Enter")  # out of the list
    form.keyboard.type("Numbered")
    form.keyboard.press("Control+Shift+7")
    form.keyboard.press("Enter")
    form.keyboard.press("Enter")
    form.keyboard.type("A voice")
    form.keyboard.press("Control+Shift+B")
    form.keyboard.press("Enter")
    form.keyboard.press("Enter")
    form.keyboard.press("Control+B")
    form.keyboard.type("bold")
    form.keyboard.press("Control+B")
    form.keyboard.press("Control+I")
    form.keyboard.type("italic")

    html = text_html(form)
    assert "<h2>What happens next</h2>" in html
    assert "<ul><li><p>First</p></li><li><p>Second</p></li></ul>" in html
    assert "<ol" in html and "<li><p>Numbered</p></li></ol>" in html
    assert "<blockquote><p>A voice</p></blockquote>" in html
    assert "<strong>bold</strong><em>italic</em>" in html


def paste(page, html: str) -> None:
    """Paste `html` into the focused text editor, as the clipboard hands it over."""
    page.evaluate(
        """(html) => {
            const transfer = new DataTransfer()
            transfer.setData("text/html", html)
            transfer.setData("text/plain", html.replace(/<[^>]+>/g, " "))
            const editor = document.activeElement
            editor.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: transfer, bubbles: true, cancelable: true,
            }))
        }""",
        html,
    )


# No element the site's articles do not have, in the editor or in what is saved; and no
# attribute but a link's and the editor's own (a list's data-type) in what is saved.
DROPPED_ELEMENTS = [
    "<span",
    "<img",
    "<table",
    "<td",
    "<script",
    "<iframe",
    "<button",
    "<o:p",
    "<figure",
    "<b ",
    "<aside",
    "<h1",
    "<div",
]
DROPPED_ATTRIBUTES = ["style=", "class=", "mso-", "docs-internal", "onclick", "data-ad"]


# (source, what the editor and the saved text keep of it, what they must not keep)
PASTES = [
    (
        "google_docs.html",
        [
            "<h2>Harbour plans approved</h2>",
            "<strong>seven to two</strong>",
            "<em>after a long debate</em>",
            'href="https://council.example.org/minutes/2026-12-01"',
            "<li><p>A new quay for the ferries</p></li>",
            "<p>The council voted <strong>seven to two</strong> on Tuesday, <em>after",
            "<p>Vote: 7–2</p>",  # the table's text stays, as a paragraph
        ],
        [],
    ),
    (
        "word.html",
        [
            "<h3>Ferry fares rise in May</h3>",
            "<strong>ten per cent</strong>",
            "<em>1 May</em>",
            'href="https://ferries.example.com/news"',
            "<li><p>Adults pay £12</p></li>",
        ],
        ["Style Definitions", "StartFragment"],
    ),
    (
        # Word on the desktop: lists as paragraphs, their bullets and numbers as text.
        "word_lists.html",
        [
            "<ul><li><p>Adults pay <strong>£12</strong></p><ul><li><p>Returns included</p>",
            "<li><p>Children travel free</p></li></ul>",
            "<p>How to buy one:</p><ol ",  # numbered, as the editor writes it
            "<li><p>Buy a ticket <em>online</em></p></li><li><p>Show it at the gate</p>",
        ],
        ["·", ">o<", "1.", "List Definitions", "crossings:</p><p>"],
    ),
    (
        "news_site.html",
        [
            "<h2>What happens next</h2>",
            "<strong>Sunday</strong>",
            "<em>gale-force winds</em>",
            "<li><p>Engineers inspect the deck</p></li>",
            'href="https://www.news.example/pier-reopens"',
            "<blockquote><p>We will not take risks with people's safety.</p></blockquote>",
        ],
        ["dataLayer", "pier.jpg", "ads.example"],
    ),
]


def test_pasted_text_keeps_headings_lists_links_and_emphasis_only(form, subtests):
    # Each paste into a text block of its own, on one form saved once (one form's load and
    # save, not four): each source is reported on its own.
    for n, (source, kept, gone) in enumerate(PASTES):
        if n:
            add_block(form, "Text")
            form.locator(".prose-editor [contenteditable=true]").last.click()
        paste(form, (PASTED / source).read_text())
        html = text_html(form)
        with subtests.test(source, shown="in the editor"):
            for piece in kept:
                assert piece in html, f"{piece!r} lost from {source}: {html[:600]}"
            for piece in DROPPED_ELEMENTS + gone:
                assert piece not in html, f"{piece!r} kept from {source}: {html[:600]}"

    # And what is saved is what the editor shows: the server keeps the same and no more.
    form.fill("#id_headline", "Pasted")
    form.fill("#id_slug", "pasted")
    form.click("input[name=_continue]")
    expect(form.locator(".messagelist")).to_contain_text("was added successfully")
    saved_texts = list(TextBlock.objects.order_by("ordering").values_list("text", flat=True))
    assert len(saved_texts) == len(PASTES)
    for (source, kept, gone), saved in zip(PASTES, saved_texts, strict=True):
        with subtests.test(source, shown="as saved"):
            for piece in kept:
                assert piece in saved, f"{piece!r} not saved from {source}: {saved[:600]}"
            for piece in DROPPED_ELEMENTS + DROPPED_ATTRIBUTES + gone:
                assert piece not in saved, f"{piece!r} saved from {source}: {saved[:600]}"


def test_a_link_to_another_article_is_chosen_by_its_headline(form, settings, live_server):
    settings.NEWSROOM_SITE_URL = live_server.url
    harbour = make_article(headline="Harbour plans approved", slug="harbour-plans-approved")
    make_article(headline="Harbour draft", status=Article.Status.DRAFT)
    form.keyboard.type("Read the plans")
    form.keyboard.press("Shift+Home")
    form.locator(".prose-menubar [title='insert link']").last.click()
    address = form.locator(".prose-editor-dialog input[name=href]")
    address.fill("harbour")
    options = form.locator(".prose-editor-dialog datalist option")
    expect(options).to_have_count(1)
    url = f"{live_server.url}{harbour.get_absolute_url()}"
    expect(options.first).to_have_attribute("value", url)
    assert options.first.get_attribute("label").startswith("Harbour plans approved (")
    address.fill(url)
    address.press("Enter")
    assert f'<a href="{url}"' in text_html(form) and "Read the plans</a>" in text_html(form)
