"""Posting to the article admin as a browser would: its addresses, what its forms post, and
the staff who post them."""

from html.parser import HTMLParser

from django.contrib.auth.models import Group
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article, make_staff

ADD_URL = reverse("admin:articles_article_add")
CHANGELIST_URL = reverse("admin:articles_article_changelist")


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


INLINE_PREFIXES = [
    "bylines",
    "articles_textblock_set",
    "articles_imageblock_set",
    "articles_quoteblock_set",
    "articles_paywallbreak_set",
]


def article_form_data(
    *, status="published", section=None, author=None, texts=(), images=(), breaks=(), **fields
):
    """Return what the admin's add form posts: the article's fields and its inline formsets."""
    data = {
        "headline": "Ferry fares frozen for a year",
        "slug": "ferry-fares-frozen",
        "standfirst": "Commuters win a reprieve.",
        "section": section.pk if section else "",
        "status": status,
        "access": "metered",
        "published_at_0": "",
        "published_at_1": "",
        "lead_image": "",
        "lead_caption": "",
        "lead_credit": "",
        "lead_alt_text": "",
        "seo_description": "",
        **fields,
    }
    rows = {
        "bylines": [{"author": author.pk, "order": 0}] if author else [],
        "articles_textblock_set": [
            {"text": text, "region": "body", "ordering": ordering} for ordering, text in texts
        ],
        "articles_imageblock_set": [
            {
                "image": image.pk,
                "caption": "",
                "credit": "",
                "alt_text": alt,
                "layout": "standard",
                "region": "body",
                "ordering": ordering,
            }
            for ordering, image, alt in images
        ],
        "articles_quoteblock_set": [],
        "articles_paywallbreak_set": [
            {"region": "body", "ordering": ordering} for ordering in breaks
        ],
    }
    for prefix in INLINE_PREFIXES:
        forms = rows[prefix]
        data |= {
            f"{prefix}-TOTAL_FORMS": len(forms),
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for index, form in enumerate(forms):
            data |= {f"{prefix}-{index}-{name}": value for name, value in form.items()}
    return data


class FormReader(HTMLParser):
    """Read a page's form fields the way a browser posts them back."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data = {}
        self._select = self._textarea = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        kind = attrs.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self._add(name, attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            text = self.data[self._textarea][-1] + data
            self.data[self._textarea][-1] = text.removeprefix("\n")  # as browsers do


def change_form_data(client, article, **changes):
    """Return what the article's change form posts when saved with `changes` typed in."""
    reader = FormReader()
    reader.feed(client.get(change_url(article)).content.decode())
    return {**reader.data, "_save": "Save", **changes}


def form_data_of(page):
    """What a browser posts when the page's form is saved as it stands."""
    reader = FormReader()
    reader.feed(page)
    return {**reader.data, "_save": "Save"}


JOURNALIST = [
    f"articles.{action}_{model}"
    for model in ["article", "textblock", "imageblock", "quoteblock", "paywallbreak", "byline"]
    for action in ["add", "change", "view"]
]


def member_of(group_name, **fields):
    """Return a new staff account in the Journalist or Editor group."""
    user = make_staff(**fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def in_review(journalist):
    article = make_article(status="draft", created_by=journalist, headline="Ferry fares rise")
    Article.objects.filter(pk=article.pk).update(status="review")
    article.refresh_from_db()
    return article
