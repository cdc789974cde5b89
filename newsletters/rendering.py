"""What a newsletter email says to each kind of reader, rendered once per variant.

A send's articles are fetched and their bodies rendered once (`send_content`). Each recipient's
`Reader` is built without a request (`subscriptions.paywall`) and `decide_article_access`
decides each article for them, exactly as the article page would (and never spending a read):
the decisions are the recipient's *variant* (`variant_key`). A variant is rendered once for
every recipient who shares it (`render_variant`): the full body only where the decision
grants it, otherwise the part before the preview cut, the cut and an invitation; the text
beyond a cut is never handed to the template of a variant that may not have it. Per recipient,
only their greeting and their unsubscribe and preferences links are put in (`personalise`).

Email HTML: a table layout 600 px wide, the site's serif and colours, CSS inlined by css-inline
(mail clients drop or ignore `<style>`, Gmail's app most of all), the dark-mode rules kept as a
`@media` block for the clients that read it, absolute addresses, every picture with its alt
text, caption and credit; a plain-text part made from the same parts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from html import escape

import css_inline
from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode

from articles.body import render_body
from articles.models import Article, Byline
from media.renditions import rendition_for_width
from subscriptions.access import Access
from subscriptions.paywall import (
    Reader,
    ReaderPersona,
    build_reader_for_address,
    decide_article_access,
    persona_reader,
)

from .email_html import PICTURE_WIDTH, absolute, as_plain_text, email_img, for_email
from .models import NewsletterSend

# Stand-ins in a variant's text for what differs per recipient (`personalise`).
GREETING = "%%newsroom-greeting%%"
UNSUBSCRIBE_URL = "%%newsroom-unsubscribe%%"
PREFERENCES_URL = "%%newsroom-preferences%%"
FULL = "full"

_INLINER = css_inline.CSSInliner(
    keep_at_rules=True,  # the dark-mode @media block stays, for the clients that read it
    load_remote_stylesheets=False,
)


def site_base() -> str:
    """Return the site's scheme and host, from which every address in an email starts."""
    return settings.NEWSROOM_SITE_URL.rstrip("/")


@dataclass(frozen=True)
class EmailPicture:
    html: str  # an <img> at email width, with its alt text
    caption: str
    credit: str


@dataclass(frozen=True)
class EmailArticle:
    """An article as emails show it, fetched once per send. `pk` and `access` are what the
    paywall's decision reads; `rest_html` must reach only readers it grants."""

    pk: int
    access: Access
    headline: str
    standfirst: str
    url: str
    section: str
    byline: str
    published_on: str
    read_minutes: int
    picture: EmailPicture | None
    preview_html: str = ""
    rest_html: str = ""


def _picture(article) -> EmailPicture | None:
    image = article.lead_image
    if image is None:
        return None
    rendition = rendition_for_width(image=image, width=PICTURE_WIDTH)
    source = rendition.file if rendition else image.file
    alt = article.lead_alt_text or ("" if image.is_decorative else image.alt_text)
    html = email_img(
        src=absolute(source.url, base=site_base()),
        alt=alt,
        width=rendition.width if rendition else image.width,
        height=rendition.height if rendition else image.height,
        css_class="picture",
    )
    return EmailPicture(
        html=html,
        caption=article.lead_caption or image.caption,
        credit=article.lead_credit or image.credit,
    )


def _byline(article) -> str:
    names = [byline.author.name for byline in article.bylines.all()]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


def send_content(send: NewsletterSend) -> list[EmailArticle]:
    """Return the articles `send` carries, in order, fetched and rendered once: an article send's
    body split at its preview cut; a digest's cards (no body text at all)."""
    if send.kind == NewsletterSend.Kind.ARTICLE:
        ids = [send.article_id] if send.article_id else []
    else:
        ids = list(send.items.values_list("article_id", flat=True))
    articles = (
        Article.objects.filter(pk__in=ids)
        .select_related("section", "lead_image")
        .prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            "lead_image__renditions",
        )
        .in_bulk()
    )
    content = []
    for pk in ids:
        article = articles.get(pk)
        if article is None:
            continue
        fields = {}
        if send.kind == NewsletterSend.Kind.ARTICLE:
            body = render_body(article)
            fields = {
                "preview_html": for_email(body.preview, base=site_base()),
                "rest_html": for_email(body.rest, base=site_base()),
            }
        content.append(
            EmailArticle(
                pk=article.pk,
                access=Access(article.access),
                headline=article.headline,
                standfirst=article.standfirst,
                url=site_base() + article.get_absolute_url(),
                section=article.section.name if article.section_id else "",
                byline=_byline(article),
                published_on=date_format(timezone.localtime(article.published_at), "j F Y")
                if article.published_at
                else "",
                read_minutes=article.read_minutes,
                picture=_picture(article),
                **fields,
            )
        )
    return content


def variant_key(*, articles: list[EmailArticle], reader: Reader) -> str:
    """Return the variant of a send that `reader` gets: each article's decision for them
    (`decide_article_access`, as on the article page), and the invitation that goes with it."""
    codes = []
    for article in articles:
        decision = decide_article_access(article=article, reader=reader)
        codes.append(FULL if decision.granted else f"{decision.reason}/{decision.prompt}")
    return "|".join(codes) or FULL


class RecipientKind(StrEnum):
    """A kind of recipient an editor previews a send as, or sends a test as."""

    SUBSCRIBER = "subscriber", "a subscriber"
    REGISTERED = "registered", "a registered reader"
    ADDRESS = "address", "an address without an account"

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def reader_of_kind(kind: RecipientKind) -> Reader:
    """Return a `Reader` of `kind` as an email meets it: the meter frozen, no reads this month
    of the articles sent (a registered reader's preview is that of one who has not read them)."""
    if kind == RecipientKind.ADDRESS:
        return build_reader_for_address()
    persona = (
        ReaderPersona.SUBSCRIBER
        if kind == RecipientKind.SUBSCRIBER
        else ReaderPersona.REGISTERED_OUT_OF_READS
    )
    return dataclasses.replace(persona_reader(persona=persona), may_consume_reads=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str


def subject_of(send: NewsletterSend, articles: list[EmailArticle]) -> str:
    if send.subject:
        return send.subject
    if send.kind == NewsletterSend.Kind.ARTICLE and articles:
        return articles[0].headline
    today = date_format(timezone.localdate(), "j F")
    return f"{send.newsletter.name}, {today}"


def preheader_of(send: NewsletterSend, articles: list[EmailArticle]) -> str:
    if send.preheader:
        return send.preheader
    if send.kind == NewsletterSend.Kind.ARTICLE and articles:
        return articles[0].standfirst
    if send.intro:
        return " ".join(send.intro.split())[:150]
    return " · ".join(article.headline for article in articles[:3])


def render_variant(
    *, send: NewsletterSend, articles: list[EmailArticle], key: str
) -> RenderedEmail:
    """Return `send` as the readers of variant `key` get it (with the per-recipient stand-ins).

    Only the parts each article's decision in `key` allows are given to the templates.
    """
    codes = key.split("|")
    shown = []
    for article, code in zip(articles, codes, strict=False):
        granted = code == FULL
        reason, _, prompt = code.partition("/")
        body_html = article.preview_html + (article.rest_html if granted else "")
        subscribe_url = (
            f"{site_base()}{reverse('subscribe')}?"
            f"{urlencode({'next': article.url.removeprefix(site_base())})}"
        )
        shown.append(
            {
                # The article's public fields; its body only as the decision allows.
                "article": dataclasses.replace(article, rest_html="", preview_html=""),
                "granted": granted,
                "reason": "" if granted else reason,
                "prompt": "" if granted else prompt,
                "body_html": body_html,
                "body_text": as_plain_text(body_html) if body_html else "",
                "subscribe_url": subscribe_url,
                "login_url": f"{site_base()}{reverse('login')}?"
                f"{urlencode({'next': article.url.removeprefix(site_base())})}",
                "picture_text": _picture_text(article.picture),
            }
        )
    subject = subject_of(send, articles)
    preheader = preheader_of(send, articles)
    context = {
        "send": send,
        "newsletter": send.newsletter,
        "kind": send.kind,
        "subject": subject,
        "preheader": preheader,
        "intro": send.intro,
        "items": shown,
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "site_url": site_base() + "/",
        "newsletters_url": site_base() + reverse("newsletter_list"),
        "postal_address": settings.NEWSROOM_POSTAL_ADDRESS,
        "greeting": GREETING,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PREFERENCES_URL,
        "year": timezone.localdate().year,
    }
    html = render_to_string("newsletters/email/message.html", context)
    text = render_to_string("newsletters/email/message.txt", context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        preheader=" ".join(preheader.split()),
        html=_INLINER.inline(html),
        text=_tidy(text),
    )


def _picture_text(picture: EmailPicture | None) -> str:
    if picture is None:
        return ""
    return " ".join(
        part
        for part in (
            picture.caption,
            f"(Source: {picture.credit})" if picture.credit else "",
        )
        if part
    )


def _tidy(text: str) -> str:
    """Return `text` with runs of blank lines made one, as a plain-text email reads best."""
    lines, blank = [], False
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            if not blank and lines:
                lines.append("")
            blank = True
            continue
        lines.append(line)
        blank = False
    return "\n".join(lines).strip() + "\n"


def personalise(
    rendered: RenderedEmail, *, name: str, unsubscribe_url: str, preferences_url: str
) -> RenderedEmail:
    """Return `rendered` for one recipient: their greeting and their links put in."""
    greeting = f"Hello {name.strip()}," if name.strip() else "Hello,"
    html = (
        rendered.html.replace(GREETING, escape(greeting))
        .replace(UNSUBSCRIBE_URL, escape(unsubscribe_url))
        .replace(PREFERENCES_URL, escape(preferences_url))
    )
    text = (
        rendered.text.replace(GREETING, greeting)
        .replace(UNSUBSCRIBE_URL, unsubscribe_url)
        .replace(PREFERENCES_URL, preferences_url)
    )
    return dataclasses.replace(rendered, html=html, text=text)
