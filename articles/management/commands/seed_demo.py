"""Load the demo newsroom: sections, authors, tags, a dozen articles, plans and four logins.

Safe to run again: everything is keyed by slug or email and only made when it is missing, so a
second run creates nothing and leaves alone whatever a journalist has edited since. The one
thing put right on every run is what the Journalists group may do.

To seed more kinds of content, add a `seed_<kind>(*, tally)` function and call it from
`Command.seed`.
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles import demo_content, services
from articles.management.demo_pictures import draw_picture, draw_portrait
from articles.models import (
    Article,
    Author,
    Byline,
    ImageBlock,
    PaywallBreak,
    QuoteBlock,
    Section,
    Tag,
    TextBlock,
)
from media.models import Image
from media.services import image_clean_upload, image_create, image_find_duplicate
from subscriptions.models import Plan
from subscriptions.services import subscription_grant_complimentary

EDITOR_PASSWORD = "newsroom-editor-2026"  # noqa: S105 - a local demo login, printed on purpose
JOURNALIST_PASSWORD = "newsroom-journalist-2026"  # noqa: S105 - likewise
SUBSCRIBER_PASSWORD = "newsroom-subscriber-2026"  # noqa: S105 - likewise
READER_PASSWORD = "newsroom-reader-2026"  # noqa: S105 - likewise

LOGINS = [
    # (role, email, password, name, is_superuser)
    ("editor", demo_content.EDITOR_EMAIL, EDITOR_PASSWORD, "Nadia Brookfield", True),
    ("journalist", demo_content.JOURNALIST_EMAIL, JOURNALIST_PASSWORD, "Maren Holt", False),
]
READER_LOGINS = [
    # (role, email, password, name): a subscriber, and a registered reader on the meter
    ("subscriber", "subscriber@example.com", SUBSCRIBER_PASSWORD, "Sam Okafor"),
    ("reader", "reader@example.com", READER_PASSWORD, "Rita Lindqvist"),
]
PLANS = [
    # (slug, name, price, interval, trial_days, order, benefits)
    (
        "monthly",
        "Monthly",
        Decimal("8.00"),
        Plan.Interval.MONTH,
        14,
        10,
        "Every article on the site\nThe morning newsletter\nCancel at any time",
    ),
    (
        "annual",
        "Annual",
        Decimal("80.00"),
        Plan.Interval.YEAR,
        0,
        20,
        "Every article on the site\nThe morning newsletter\nTwo months free",
    ),
]

JOURNALISTS_GROUP = "Journalists"
# What a journalist may do, by model: write articles and pictures, but not delete articles,
# nor change sections, authors or tags. Deleting a body block or a byline row is part of
# editing an article (the admin offers it only with the delete permission), so it is granted.
JOURNALIST_PERMISSIONS = {
    "articles.article": ("add", "change", "view"),
    "articles.textblock": ("add", "change", "delete", "view"),
    "articles.imageblock": ("add", "change", "delete", "view"),
    "articles.quoteblock": ("add", "change", "delete", "view"),
    "articles.paywallbreak": ("add", "change", "delete", "view"),
    "articles.byline": ("add", "change", "delete", "view"),
    "articles.section": ("view",),
    "articles.author": ("view",),
    "articles.tag": ("view",),
    "media.image": ("add", "change", "view"),
}

USAGE_TERMS = "Drawn for the demo content; free to use anywhere in this demo."


@dataclass
class Tally:
    """What one run created: how many of each kind, and the files it stored."""

    created: Counter = field(default_factory=Counter)
    stored_files: list = field(default_factory=list)  # (storage, name)

    def forget_stored_files(self):
        """Delete the files stored by a run whose rows were rolled back."""
        for storage, name in self.stored_files:
            storage.delete(name)


class Command(BaseCommand):
    help = "Load demo sections, authors, tags, articles and staff logins. Safe to run again."

    def handle(self, *args, **options):
        started = time.monotonic()
        tally = Tally()
        try:
            with transaction.atomic():
                self.seed(tally=tally)
        except BaseException:
            tally.forget_stored_files()
            raise
        self.report(tally=tally, seconds=time.monotonic() - started)

    def seed(self, *, tally):
        users = seed_users(tally=tally)
        seed_journalists_group()
        sections = seed_sections(tally=tally)
        tags = seed_tags(tally=tally)
        authors = seed_authors(tally=tally, users=users, uploaded_by=users["editor"])
        seed_articles(
            tally=tally, sections=sections, tags=tags, authors=authors, uploaded_by=users["editor"]
        )
        seed_plans(tally=tally)
        seed_readers(tally=tally, granted_by=users["editor"])

    def report(self, *, tally, seconds):
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {Article.objects.count()} articles, "
                f"{Section.objects.count()} sections, {Author.objects.count()} authors."
            )
        )
        made = ", ".join(f"{count} {kind}" for kind, count in tally.created.items() if count)
        self.stdout.write(
            f"Created {made} in {seconds:.1f}s."
            if made
            else f"Nothing new: it was all there already ({seconds:.1f}s)."
        )
        admin_url = urljoin(settings.NEWSROOM_SITE_URL, reverse("admin:index"))
        self.stdout.write(f"Admin:   {admin_url}")
        for role, email, password, _name, _is_superuser in LOGINS:
            self.stdout.write(f"  {role:<11} {email} / {password}")
        self.stdout.write(f"Site:    {urljoin(settings.NEWSROOM_SITE_URL, reverse('login'))}")
        for role, email, password, _name in READER_LOGINS:
            self.stdout.write(f"  {role:<11} {email} / {password}")
        if not tally.created["users"]:
            self.stdout.write("  (seed_demo sets these passwords only when it creates the account)")


def seed_users(*, tally) -> dict:
    """Return the demo staff by role, creating the accounts that do not exist yet."""
    User = get_user_model()
    users = {}
    for role, email, password, name, is_superuser in LOGINS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            create = User.objects.create_superuser if is_superuser else User.objects.create_user
            user = create(email=email, password=password, name=name, is_staff=True)
            if role == "journalist":
                user.groups.add(Group.objects.get_or_create(name=JOURNALISTS_GROUP)[0])
            tally.created["users"] += 1
        users[role] = user
    return users


def seed_plans(*, tally) -> dict[str, Plan]:
    """Return the demo plans by slug, creating the missing ones."""
    plans = {}
    for slug, name, price, interval, trial_days, order, benefits in PLANS:
        plans[slug], created = Plan.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "price": price,
                "interval": interval,
                "trial_days": trial_days,
                "order": order,
                "benefits": benefits,
            },
        )
        tally.created["plans"] += created
    return plans


def seed_readers(*, tally, granted_by) -> None:
    """Create a subscriber (a complimentary year) and a registered reader without one."""
    User = get_user_model()
    for role, email, password, name in READER_LOGINS:
        if User.objects.filter(email__iexact=email).exists():
            continue
        user = User.objects.create_user(email=email, password=password, name=name)
        if role == "subscriber":
            subscription_grant_complimentary(user=user, months=12, granted_by=granted_by)
        tally.created["users"] += 1


def seed_journalists_group() -> Group:
    """Give the Journalists group exactly its permissions, whatever was changed by hand."""
    group, _ = Group.objects.get_or_create(name=JOURNALISTS_GROUP)
    wanted = Q()
    for label, actions in JOURNALIST_PERMISSIONS.items():
        app_label, model = label.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    permissions = list(Permission.objects.filter(wanted))
    expected = sum(len(actions) for actions in JOURNALIST_PERMISSIONS.values())
    if len(permissions) != expected:
        raise CommandError("Some permissions do not exist yet: run `manage.py migrate` first.")
    group.permissions.set(permissions)
    return group


def seed_sections(*, tally) -> dict[str, Section]:
    sections = {}
    for demo in demo_content.SECTIONS:
        section, created = Section.objects.get_or_create(
            slug=demo.slug,
            defaults={"name": demo.name, "description": demo.description, "order": demo.order},
        )
        tally.created["sections"] += created
        sections[demo.slug] = section
    return sections


def seed_tags(*, tally) -> dict[str, Tag]:
    tags = {}
    for demo in demo_content.TAGS:
        tag, created = Tag.objects.get_or_create(slug=demo.slug, defaults={"name": demo.name})
        tally.created["tags"] += created
        tags[demo.slug] = tag
    return tags


def seed_authors(*, tally, users, uploaded_by) -> dict[str, Author]:
    accounts = {user.email.lower(): user for user in users.values()}
    authors = {}
    for demo in demo_content.AUTHORS:
        author = Author.objects.filter(slug=demo.slug).first()
        if author is None:
            user = accounts.get(demo.user_email.lower())
            if user is not None and Author.objects.filter(user=user).exists():
                user = None  # the account already writes under another byline
            photo = seed_image(
                tally=tally,
                data=draw_portrait(name=demo.name, colour=demo.colour),
                name=f"{demo.slug}.jpg",
                uploaded_by=uploaded_by,
                alt_text=f"Illustrated placeholder portrait of {demo.name}",
                caption=demo.name,
                credit="Newsroom Graphics/Lin Marsh",
                copyright_holder="The Daily Newsroom",
            )
            author = Author.objects.create(
                slug=demo.slug, name=demo.name, bio=demo.bio, user=user, photo=photo
            )
            tally.created["authors"] += 1
        authors[demo.slug] = author
    return authors


def seed_articles(*, tally, sections, tags, authors, uploaded_by) -> None:
    """Create the demo articles that do not exist; an existing one is never touched."""
    slugs = [demo.slug for demo in demo_content.ARTICLES]
    existing = set(Article.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for demo in demo_content.ARTICLES:
        if demo.slug not in existing:
            seed_article(
                tally=tally,
                demo=demo,
                section=sections[demo.section],
                tags=[tags[slug] for slug in demo.tags],
                authors=[authors[slug] for slug in demo.authors],
                uploaded_by=uploaded_by,
            )


def seed_article(*, tally, demo, section, tags, authors, uploaded_by) -> Article:
    article = Article.objects.create(
        slug=demo.slug,
        headline=demo.headline,
        standfirst=demo.standfirst,
        section=section,
        access=demo.access,
        seo_description=demo.seo_description,
        lead_image=seed_picture(tally=tally, picture=demo.lead, uploaded_by=uploaded_by),
        status=Article.Status.DRAFT,
    )
    Byline.objects.bulk_create(
        Byline(article=article, author=author, order=order)
        for order, author in enumerate(authors, start=1)
    )
    article.tags.set(tags)
    for position, block in enumerate(demo.body, start=1):
        seed_block(
            tally=tally,
            article=article,
            block=block,
            ordering=position * 10,
            uploaded_by=uploaded_by,
        )
    services.article_body_changed(article=article)
    tally.created["articles"] += 1

    if demo.state == "draft":
        return article
    # The demo obeys the rules the admin enforces, or it would teach the wrong thing.
    blocks = services.article_block_summaries(article=article)
    problems = services.article_body_problems(blocks=blocks) + services.article_publish_problems(
        headline=article.headline, section_chosen=True, author_count=len(authors), blocks=blocks
    )
    if problems:
        raise CommandError(f"Demo article {demo.slug} cannot be published: {problems}")
    if demo.state == "scheduled":
        return services.article_publish(
            article=article, by=uploaded_by, at=_local_time(demo.days, demo.time)
        )

    published_at = _local_time(-demo.days, demo.time)
    services.article_publish(article=article, by=uploaded_by, at=published_at)
    # Written and last changed around the time it went out, as if a journalist had done it;
    # otherwise every demo article would say "Updated" today.
    article.created_at = published_at - timedelta(hours=2)
    article.updated_at = published_at + timedelta(hours=demo.updated_hours_later)
    Article.objects.filter(pk=article.pk).update(
        created_at=article.created_at, updated_at=article.updated_at
    )
    return article


def seed_block(*, tally, article, block, ordering, uploaded_by) -> None:
    placement = {"parent": article, "region": "body", "ordering": ordering}
    if isinstance(block, demo_content.Text):
        TextBlock.objects.create(**placement, text=_text_html(block.chunks))
    elif isinstance(block, demo_content.Figure):
        image = seed_picture(tally=tally, picture=block.picture, uploaded_by=uploaded_by)
        ImageBlock.objects.create(**placement, image=image, layout=block.layout)
    elif isinstance(block, demo_content.PullQuote):
        QuoteBlock.objects.create(**placement, text=block.text, attribution=block.attribution)
    elif isinstance(block, demo_content.Break):
        PaywallBreak.objects.create(**placement)
    else:
        raise CommandError(f"Unknown demo block: {block!r}")


def seed_picture(*, tally, picture, uploaded_by) -> Image:
    return seed_image(
        tally=tally,
        data=draw_picture(name=picture.name, scene=picture.scene, palette=picture.palette),
        name=picture.name,
        uploaded_by=uploaded_by,
        alt_text=picture.alt_text,
        caption=picture.caption,
        credit=picture.credit,
        copyright_holder=picture.copyright_holder,
    )


def seed_image(*, tally, data, name, uploaded_by, **fields) -> Image:
    """Return the library's copy of the picture, uploading it only when it is not there.

    The drawings are deterministic, so an article deleted and seeded again finds its pictures
    in the library instead of uploading them a second time.
    """
    upload = image_clean_upload(file=ContentFile(data, name=name))
    duplicate = image_find_duplicate(content_hash=upload.content_hash)
    if duplicate is not None:
        return duplicate
    image = image_create(file=upload, uploaded_by=uploaded_by, usage_terms=USAGE_TERMS, **fields)
    tally.created["images"] += 1
    tally.stored_files += [(image.file.storage, image.file.name)] + [
        (rendition.file.storage, rendition.file.name) for rendition in image.renditions.all()
    ]
    return image


def _text_html(chunks) -> str:
    """Return a text block's HTML as the editor would save it, sanitised the same way."""
    parts = []
    for chunk in chunks:
        if isinstance(chunk, tuple):
            items = "".join(f"<li><p>{item}</p></li>" for item in chunk)
            parts.append(f"<ul>{items}</ul>")
        elif chunk.startswith("## "):
            parts.append(f"<h2>{chunk[3:]}</h2>")
        else:
            parts.append(f"<p>{chunk}</p>")
    return TextBlock._meta.get_field("text").sanitize("".join(parts))


def _local_time(days, clock):
    """Return today's date moved by `days`, at the local `clock` time ("HH:MM")."""
    hour, minute = (int(part) for part in clock.split(":"))
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
