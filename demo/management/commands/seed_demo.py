"""Load the demo newsroom: logins, sections, authors, tags, a dozen articles and plans, and
three weeks of what readers were shown and did (`demo.insight`).

The content is data, in `demo/content/` (see `demo/README.md`); this command only turns it into
rows through the services the admin uses. Safe to run again: everything is keyed by slug or
email and only made when it is missing, so a second run creates nothing and leaves alone
whatever a journalist has edited since.
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.blocks import block_kind
from articles.models import (
    Article,
    Author,
    Byline,
    Section,
    Tag,
)
from demo import content
from demo.insight import insight_seed, read_insight
from demo.pictures import draw_picture, draw_portrait
from media.models import Image
from media.services import image_clean_upload, image_create, image_find_duplicate
from subscriptions.models import Plan
from subscriptions.services import subscription_grant_complimentary

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
        # Read and check every file before writing anything.
        newsroom = content.read_newsroom()
        insight = read_insight()
        tally = Tally()
        try:
            with transaction.atomic():
                self.seed(newsroom=newsroom, tally=tally)
                # What readers were shown and did, for the paywall insight report.
                tally.created["insight events"] += insight_seed(insight=insight)
        except BaseException:
            tally.forget_stored_files()
            raise
        self.report(newsroom=newsroom, tally=tally, seconds=time.monotonic() - started)

    def seed(self, *, newsroom, tally):
        users = seed_logins(tally=tally, logins=newsroom.logins)
        editor = users["editor"]
        sections = seed_sections(tally=tally, sections=newsroom.sections)
        tags = seed_tags(tally=tally, tags=newsroom.tags)
        authors = seed_authors(
            tally=tally, authors=newsroom.authors, users=users, uploaded_by=editor
        )
        seed_articles(
            tally=tally,
            articles=newsroom.articles,
            sections=sections,
            tags=tags,
            authors=authors,
            editor=editor,
        )
        seed_plans(tally=tally, plans=newsroom.plans)

    def report(self, *, newsroom, tally, seconds):
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
        for heading, url, staff in (
            ("Admin:", reverse("admin:index"), True),
            ("Site:", reverse("login"), False),
        ):
            self.stdout.write(f"{heading:<8} {urljoin(settings.NEWSROOM_SITE_URL, url)}")
            for login in newsroom.logins:
                if login.staff == staff:
                    self.stdout.write(f"  {login.role:<11} {login.email} / {login.password}")
        if not tally.created["users"]:
            self.stdout.write("  (seed_demo sets these passwords only when it creates the account)")


def seed_logins(*, tally, logins) -> dict:
    """Return the demo accounts by role, creating the ones that do not exist yet.

    A new account joins its group (the group and what it may do come from a migration) and gets
    its complimentary subscription, granted by the editor.
    """
    User = get_user_model()
    users, created = {}, []
    for login in logins:
        user = User.objects.filter(email__iexact=login.email).first()
        if user is None:
            create = User.objects.create_superuser if login.superuser else User.objects.create_user
            user = create(
                email=login.email, password=login.password, name=login.name, is_staff=login.staff
            )
            if login.group:
                user.groups.add(Group.objects.get_or_create(name=login.group)[0])
            created.append(login)
            tally.created["users"] += 1
        users[login.role] = user
    editor = users.get("editor")
    if editor is None:
        raise CommandError("newsroom.toml needs a login with the role `editor`: it publishes.")
    for login in created:
        if login.complimentary_months:
            subscription_grant_complimentary(
                user=users[login.role], months=login.complimentary_months, granted_by=editor
            )
    return users


def seed_plans(*, tally, plans) -> dict[str, Plan]:
    """Return the demo plans by slug, creating the missing ones."""
    made = {}
    for plan in plans:
        made[plan.slug], created = Plan.objects.get_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "price": plan.price,
                "interval": plan.interval,
                "trial_days": plan.trial_days,
                "order": plan.order,
                "benefits": "\n".join(plan.benefits),
            },
        )
        tally.created["plans"] += created
    return made


def seed_sections(*, tally, sections) -> dict[str, Section]:
    made = {}
    for demo in sections:
        made[demo.slug], created = Section.objects.get_or_create(
            slug=demo.slug,
            defaults={"name": demo.name, "description": demo.description, "order": demo.order},
        )
        tally.created["sections"] += created
    return made


def seed_tags(*, tally, tags) -> dict[str, Tag]:
    made = {}
    for demo in tags:
        made[demo.slug], created = Tag.objects.get_or_create(
            slug=demo.slug, defaults={"name": demo.name}
        )
        tally.created["tags"] += created
    return made


def seed_authors(*, tally, authors, users, uploaded_by) -> dict[str, Author]:
    accounts = {user.email.lower(): user for user in users.values()}
    made = {}
    for demo in authors:
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
        made[demo.slug] = author
    return made


def seed_articles(*, tally, articles, sections, tags, authors, editor) -> None:
    """Create the demo articles that do not exist; an existing one is never touched."""
    existing = set(
        Article.objects.filter(slug__in=[demo.slug for demo in articles]).values_list(
            "slug", flat=True
        )
    )
    for demo in articles:
        if demo.slug not in existing:
            seed_article(
                tally=tally,
                demo=demo,
                section=sections[demo.section],
                tags=[tags[slug] for slug in demo.tags],
                authors=[authors[slug] for slug in demo.authors],
                editor=editor,
            )


def seed_article(*, tally, demo, section, tags, authors, editor) -> Article:
    # Written by the first author who logs in (the journalist's drafts are theirs to submit),
    # else by the editor.
    writer = next((author.user for author in authors if author.user is not None), editor)
    article = Article.objects.create(
        created_by=writer,
        slug=demo.slug,
        headline=demo.headline,
        standfirst=demo.standfirst,
        section=section,
        access=demo.access,
        seo_description=demo.seo_description,
        lead_image=seed_picture(tally=tally, picture=demo.lead, uploaded_by=editor),
        status=Article.Status.DRAFT,
    )
    Byline.objects.bulk_create(
        Byline(article=article, author=author, order=order)
        for order, author in enumerate(authors, start=1)
    )
    article.tags.set(tags)
    for position, block in enumerate(demo.body, start=1):
        seed_block(
            article=article,
            ordering=position * 10,
            **block_fields(tally=tally, block=block, uploaded_by=editor),
        )
    services.article_body_changed(article=article)
    tally.created["articles"] += 1

    if demo.state == "draft":
        return article
    # The demo obeys the rules the admin enforces, or it would teach the wrong thing.
    try:
        if demo.state == "scheduled":
            return services.article_schedule(
                article=article, by=editor, at=_local_time(demo.days, demo.time)
            )
        published_at = _local_time(-demo.days, demo.time)
        services.article_publish(article=article, by=editor, at=published_at)
    except services.PublishRefused as refusal:
        raise CommandError(f"Demo article {demo.slug}: {refusal.message}") from refusal
    # Written and last changed around the time it went out, as if a journalist had done it;
    # otherwise every demo article would say "Updated" today.
    article.created_at = published_at - timedelta(hours=2)
    article.updated_at = published_at + timedelta(hours=demo.updated_hours_later)
    Article.objects.filter(pk=article.pk).update(
        created_at=article.created_at, updated_at=article.updated_at
    )
    return article


def block_fields(*, tally, block, uploaded_by) -> dict:
    """Return the block model and field values for one block of a demo body."""
    if isinstance(block, content.Text):
        return {"kind": "text", "text": block.html}
    if isinstance(block, content.Figure):
        image = seed_picture(tally=tally, picture=block.picture, uploaded_by=uploaded_by)
        return {"kind": "image", "image": image, "layout": block.layout}
    if isinstance(block, content.PullQuote):
        return {"kind": "quote", "text": block.text, "attribution": block.attribution}
    if isinstance(block, content.Break):
        return {"kind": "break"}
    raise CommandError(f"Unknown demo block: {block!r}")


def seed_block(*, article, ordering, kind, **fields) -> None:
    """Save one body block, cleaned (text sanitised by nh3) as an admin edit would be."""
    block = block_kind(kind).model(parent=article, region="body", ordering=ordering, **fields)
    block.full_clean()
    block.save()


def seed_picture(*, tally, picture, uploaded_by) -> Image:
    return seed_image(
        tally=tally,
        data=draw_picture(name=picture.name, scene=picture.scene, palette=picture.palette),
        name=picture.name,
        uploaded_by=uploaded_by,
        alt_text=picture.alt,
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


def _local_time(days, clock):
    """Return today's date moved by `days`, at the local `clock` time ("HH:MM")."""
    hour, minute = (int(part) for part in clock.split(":"))
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
