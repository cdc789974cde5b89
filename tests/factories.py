"""Small builders for test data: images made in memory with Pillow, articles with blocks."""

from itertools import count

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from articles.blocks import block_kind
from articles.models import Article, Author, Byline, Section, Tag
from articles.services import article_body_changed
from tests.media import factories as media_factories

_sequence = count(1)


# A picture narrower than every configured rendition width: its renditions are made at its own
# width, without resizing, on a quarter of the pixels of the media tests' picture (640×400), and
# it costs half the CPU (45 ms against 88 ms, most of it the renditions).
SMALL_PICTURE = (320, 200)


def make_image(**fields):
    """Create a captioned, credited picture through the media service (a small one, unless
    `data` gives the file)."""
    n = next(_sequence)
    fields.setdefault("alt_text", f"Picture number {n}")
    fields.setdefault("caption", f"Caption {n}")
    fields.setdefault("credit", f"Agency/Photographer {n}")
    fields.setdefault("data", media_factories.picture_bytes(size=SMALL_PICTURE))
    return media_factories.make_image(name=f"photo{n}.jpg", **fields)


def make_staff(*permissions, **fields):
    """Create a staff account holding exactly `permissions` ("app_label.codename" each)."""
    n = next(_sequence)
    fields.setdefault("email", f"staff{n}@example.com")
    user = User.objects.create_user(password="staff-password-123", is_staff=True, **fields)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def make_section(**fields):
    n = next(_sequence)
    fields.setdefault("name", f"Section {n}")
    fields.setdefault("slug", f"section-{n}")
    return Section.objects.create(**fields)


def make_author(**fields):
    n = next(_sequence)
    fields.setdefault("name", f"Author {n}")
    fields.setdefault("slug", f"author-{n}")
    return Author.objects.create(**fields)


def make_tag(**fields):
    n = next(_sequence)
    fields.setdefault("name", f"Tag {n}")
    fields.setdefault("slug", f"tag-{n}")
    return Tag.objects.create(**fields)


def paragraphs(n, *, prefix="Paragraph"):
    return "".join(
        f"<p>{prefix} {i} of the story, with a few more words.</p>" for i in range(1, n + 1)
    )


def make_article(
    *,
    blocks=None,
    authors=None,
    tags=(),
    section=None,
    status=Article.Status.PUBLISHED,
    published_at=None,
    **fields,
):
    """Create an article; `blocks` lists its body in order, each a kind's name and the values of
    its fields (`articles.blocks`), maybe ending with a dict of more: ("text", html),
    ("image", Image, {"alt_text": ""}), ("quote", text, attribution), ("break",)."""
    n = next(_sequence)
    fields.setdefault("headline", f"Headline {n}")
    fields.setdefault("slug", f"headline-{n}")
    fields.setdefault("standfirst", f"Standfirst of article {n}.")
    fields.setdefault("access", Article.Access.METERED)
    if published_at is None and status == Article.Status.PUBLISHED:
        published_at = timezone.now() - timezone.timedelta(hours=n)
    with transaction.atomic():  # one commit, as the admin's save: the page kept once
        article = Article.objects.create(
            section=section if section is not None else make_section(),
            status=status,
            published_at=published_at,
            **fields,
        )
        for order, author in enumerate(authors if authors is not None else [make_author()]):
            Byline.objects.create(article=article, author=author, order=order)
        article.tags.set(tags)
        for position, (name, *values) in enumerate(blocks or [("text", paragraphs(6))], start=1):
            overrides = values.pop() if values and isinstance(values[-1], dict) else {}
            kind = block_kind(name)
            fields = dict(
                zip(kind.fields, values, strict=False)
            )  # a quote may omit its attribution
            kind.add_to(article, ordering=position * 10, **fields, **overrides)
        article_body_changed(article=article)
    article.refresh_from_db()
    return article
