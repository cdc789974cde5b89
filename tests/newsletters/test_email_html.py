"""The emails' HTML, as mail clients need it, and how it looks.

Every kind (an article in full, an article's preview with the invitation, a digest) passes a
basic check: no script, no external or linked CSS (every style inline, the dark-mode block
aside), every picture with alt text, a width and an absolute address, a colour-scheme meta, the
preheader first; and a plain-text part. The browser test renders each to a file and opens it in
Chromium at a desktop and a phone width, light and dark (with NEWSROOM_SCREENSHOTS set,
screenshots of each go there).
"""

import re
from html.parser import HTMLParser

import pytest

from articles.models import Article
from newsletters.rendering import (
    RecipientKind,
    personalise,
    reader_of_kind,
    render_variant,
    send_content,
    variant_key,
)
from tests.factories import make_article, make_image, paragraphs
from tests.newsletters.factories import make_newsletter, make_send

pytestmark = pytest.mark.django_db


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def html_problems(html: str) -> list[str]:
    """Return what keeps `html` from rendering as intended in Gmail, Outlook and Apple Mail."""
    problems = []
    found = elements(html)
    for tag, attributes in found:
        if tag == "script":
            problems.append("a <script>")
        if tag == "link":
            problems.append(f"a <link> ({attributes.get('rel')}): external CSS is dropped")
        if tag == "img":
            for needed in ("alt", "width"):
                if needed not in attributes:
                    problems.append(f"an <img> without {needed}: {attributes.get('src')}")
            if not (attributes.get("src") or "").startswith(("http://", "https://")):
                problems.append(f"an <img> with a relative address: {attributes.get('src')}")
        if tag == "a" and (attributes.get("href") or "/").startswith("/"):
            problems.append(f"a relative link: {attributes.get('href')}")
    if "@import" in html:
        problems.append("an @import")
    if not any(tag == "meta" and a.get("name") == "color-scheme" for tag, a in found):
        problems.append("no color-scheme meta (dark mode)")
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    leftover = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", " ".join(styles)).strip()
    if leftover:
        problems.append(f"CSS outside the dark-mode and narrow-screen blocks: {leftover[:80]}")
    return problems


@pytest.fixture
def kinds():
    return render_kinds()


def render_kinds():
    """Return {name: (html, text)} for each kind of email, as its recipient gets it."""
    picture = make_image(caption="The harbour at dawn", credit="Herald/Ann Lee")
    article = make_article(
        headline="Ferry timetable changes from May",
        standfirst="Fewer sailings at night, more in the morning: what changes for commuters.",
        lead_image=picture,
        access=Article.Access.SUBSCRIBERS,
        blocks=[
            ("text", paragraphs(2, prefix="The ferry")),
            ("image", picture, {"caption": "Queueing for the 7:10", "credit": "Herald"}),
            ("quote", "We were never asked.", "A commuter"),
            ("text", paragraphs(1, prefix="More")),
            ("break",),
            ("text", "<h2>What it costs</h2>" + paragraphs(3, prefix="Beyond")),
        ],
    )
    others = [make_article(lead_image=make_image(), access="free") for _ in range(2)]
    newsletter = make_newsletter(name="The Morning Briefing")
    article_send = make_send(newsletter, article=article)
    digest = make_send(newsletter, digest=[article, *others], intro="Good morning.\n\nThree reads.")
    rendered = {}
    for name, send, kind in (
        ("article-full", article_send, RecipientKind.SUBSCRIBER),
        ("article-preview", article_send, RecipientKind.ADDRESS),
        ("digest", digest, RecipientKind.REGISTERED),
    ):
        content = send_content(send)
        key = variant_key(articles=content, reader=reader_of_kind(kind))
        email = personalise(
            render_variant(send=send, articles=content, key=key),
            name="Ada",
            unsubscribe_url="https://news.example/newsletters/unsubscribe/token/",
            preferences_url="https://news.example/account/newsletters/",
        )
        rendered[name] = (email.html, email.text)
    return rendered


def test_every_kind_passes_the_mail_client_check(kinds):
    for name, (html, text) in kinds.items():
        assert html_problems(html) == [], name
        assert html.index('class="preheader"') < html.index('class="masthead"'), name
        assert "The Morning Briefing" in text and "Unsubscribe:" in text, name


def test_pictures_carry_their_captions_and_credits(kinds):
    html, text = kinds["article-full"]
    assert "The harbour at dawn" in html and "Source: Herald/Ann Lee" in html
    assert "Queueing for the 7:10" in html and "(Herald)" in html
    assert "[Picture: " in text and "Queueing for the 7:10" in text
    assert "<h2" in html and "## What it costs" in text


def test_the_check_sees_what_mail_clients_drop():
    bad = (
        '<html><head><link rel="stylesheet" href="x.css"><style>p{color:red}</style></head>'
        '<body><script>1</script><img src="/a.jpg"><a href="/x">x</a></body></html>'
    )
    problems = " ".join(html_problems(bad))
    for expected in ("<script>", "<link>", "without alt", "without width", "relative", "color-"):
        assert expected in problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_kind_looks_right_in_chromium(live_server, settings, page, tmp_path, shots):
    settings.NEWSROOM_SITE_URL = live_server.url  # the pictures come from the site
    kinds = render_kinds()
    for name, (html, _text) in kinds.items():
        path = tmp_path / f"email-{name}.html"
        path.write_text(html)
        for scheme in ("light", "dark"):
            for width in (800, 375):
                page.emulate_media(color_scheme=scheme)
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(path.as_uri())
                shots(page, f"email-{name}-{scheme}-{width}.png", full_page=True)
                # Nothing wider than the screen: a phone never scrolls sideways.
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                background = page.evaluate(
                    "getComputedStyle(document.querySelector('.sheet')).backgroundColor"
                )
                assert (background == "rgb(28, 27, 25)") == (scheme == "dark"), (name, scheme)
