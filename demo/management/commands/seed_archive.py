"""Fill a benchmark database with an archive of published articles, fast.

`manage.py seed_archive --articles 100000` (after `seed_demo`, whose sections, authors, tags and
pictures it reuses) adds generated articles until the database holds that many of them: about
ten blocks each (text, a sub-heading, two pictures, a pull quote, a paywall break), spread over
the sections, tags, access levels and five years of dates, and the demo's authors with the
archive's own contributors (one for every `ARTICLES_PER_CONTRIBUTOR` articles, as a staff writer
files about a hundred a year: an archive of 100,000 has 200 bylines to search, not the demo's
four). Safe to run again: articles and contributors already there are counted, not made again.

Speed over ceremony, for a benchmark database only: rows go in with `bulk_create` in batches,
every picture block points at one of the demo's few images (their renditions are shared), and
the searchable preview and word count are worked out before the rows are stored, with the
renderer the services use (`articles.body.render_blocks`) on the blocks up to the break.
Nothing is announced: the command moves the page caches' generations once at the end.
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.body import render_blocks
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
from articles.services import article_count_words
from articles.site.pages import site_changed
from media.models import Image

SLUG_PREFIX = "archive-"  # how the command knows its own articles
YEARS = 5
BATCH = 2000  # articles per transaction: about 10 blocks, 1.5 bylines and 2 tags each

PLACES = [
    "Wendmouth", "the harbour", "Old Market Street", "the county", "the riverside",
    "Northgate", "the university", "the high street", "Eastcliff", "the bay", "the estuary",
    "the town hall", "Saltings", "the ring road", "Kingsmead", "the old docks",
]  # fmt: skip
SUBJECTS = [
    "The council", "Residents", "Traders", "The harbour board", "Fishermen", "Teachers",
    "The rovers", "Nurses", "Campaigners", "The ferry company", "Volunteers", "Landlords",
    "Bus drivers", "The museum", "Planners", "Parents", "The lifeboat crew", "Shopkeepers",
]  # fmt: skip
VERBS = [
    "back", "oppose", "delay", "approve", "question", "celebrate", "rethink", "fund",
    "reject", "welcome", "review", "expand", "defend", "pause", "unveil", "challenge",
]  # fmt: skip
OBJECTS = [
    "the new cycle lanes", "a plan for cheaper parking", "the flood defences", "late-night buses",
    "a bigger library", "the ferry timetable", "plans for four hundred homes",
    "the school merger", "a summer festival", "the stadium upgrade", "rent controls",
    "the harbour wall repairs", "a tidal energy scheme", "market stall fees",
    "the hospital car park", "a ban on barbecues", "the budget", "seafront lighting",
]  # fmt: skip
DETAILS = [
    "after a meeting that ran past midnight", "despite a petition signed by thousands",
    "in a vote that split the chamber", "with work due to start in the spring",
    "as costs rose for the third year running", "after months of consultation",
    "while the weather held", "to the surprise of local businesses",
    "following complaints from neighbours", "with support from the county",
]  # fmt: skip
QUOTES = [
    "We have waited long enough for this.", "Nobody asked the people who live here.",
    "It is a good start, but only a start.", "The numbers simply do not add up.",
    "This town deserves better, and it will get it.", "We will keep going until it is fixed.",
]  # fmt: skip
SPEAKERS = ["a resident", "a councillor", "a trader", "the chair", "a campaigner", "a teacher"]


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} "
        f"{rng.choice(OBJECTS)} {rng.choice(DETAILS)}."
    )


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


class Command(BaseCommand):
    help = "Add generated articles until the database holds --articles of them (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, required=True)
        parser.add_argument("--seed", type=int, default=9)

    def handle(self, *args, articles, seed, **options):
        started = time.monotonic()
        have = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
        if have >= articles:
            self.stdout.write(f"The archive holds {have} articles already: nothing to do.")
            return
        sections, authors = list(Section.objects.all()), list(Author.objects.all())
        authors += _contributors(articles)
        tags = list(Tag.objects.all())
        images = list(Image.objects.prefetch_related("renditions").order_by("pk")[:8])
        if not (sections and authors and tags and images):
            raise CommandError("Run seed_demo first: the archive reuses its sections and images.")
        now = timezone.now()
        span = timedelta(days=365 * YEARS).total_seconds()
        for start in range(have, articles, BATCH):
            stop = min(start + BATCH, articles)
            self._batch(
                range(start, stop),
                now=now,
                span=span,
                total=articles,
                rng=random.Random(seed * 1_000_003 + start),  # noqa: S311 - not for secrets
                choices=(sections, authors, tags, images),
            )
            self.stdout.write(f"{stop} of {articles} ({time.monotonic() - started:.0f} s)")
        with connection.cursor() as cursor:
            for model in (Article, TextBlock, ImageBlock, QuoteBlock, PaywallBreak, Byline):
                cursor.execute(f"ANALYZE {model._meta.db_table}")  # fresh plans for the sizes
        site_changed()  # the lists show the archive from the next request on
        took = time.monotonic() - started
        self.stdout.write(f"Seeded {articles - have} articles in {took:.0f} s.")

    @transaction.atomic
    def _batch(self, numbers, *, now, span, total, rng, choices):
        sections, authors, tags, images = choices
        articles, bodies = [], []
        for number in numbers:
            headline = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
            place = rng.choice(PLACES)
            blocks = [
                TextBlock(text=f"<p>{_paragraph(rng)}</p>"),
                TextBlock(text=f"<p>{_paragraph(rng)}</p>"),
                ImageBlock(image=rng.choice(images), caption=f"A view of {place}."),
                TextBlock(text=f"<h2>What happens next in {place}</h2><p>{_paragraph(rng)}</p>"),
                PaywallBreak(),
                QuoteBlock(text=rng.choice(QUOTES), attribution=rng.choice(SPEAKERS)),
                TextBlock(text=f"<p>{_paragraph(rng)}</p>"),
                ImageBlock(image=rng.choice(images), layout=ImageBlock.Layout.WIDE),
                TextBlock(text=f"<p>{_paragraph(rng)}</p>"),
                TextBlock(text=f"<p>{_paragraph(rng)}</p>"),
            ]
            cut = next(i for i, block in enumerate(blocks) if isinstance(block, PaywallBreak))
            body = render_blocks(blocks[: cut + 1])  # the preview: all that search may match
            # Numbers count down from now: the first articles seeded are the newest.
            published_at = now - timedelta(minutes=5, seconds=span * number / total)
            articles.append(
                Article(
                    headline=f"{headline} in {place}",
                    slug=f"{SLUG_PREFIX}{number}-{slugify(headline)}"[:200],
                    standfirst=_sentence(rng),
                    section=rng.choice(sections),
                    lead_image=rng.choice(images),
                    access=rng.choices(list(Article.Access), weights=[25, 60, 15])[0],
                    status=Article.Status.PUBLISHED,
                    published_at=published_at,
                    word_count=article_count_words(article=None, blocks=blocks),
                    preview_text=body.preview_text,
                    preview_text_paragraphs=body.cut_by_paragraphs,
                )
            )
            bodies.append(blocks)
        Article.objects.bulk_create(articles, batch_size=1000)
        kinds = {TextBlock: [], ImageBlock: [], QuoteBlock: [], PaywallBreak: []}
        bylines, tagged = [], []
        Tagging = Article.tags.through
        for article, blocks in zip(articles, bodies, strict=True):
            for ordering, block in enumerate(blocks):
                block.parent, block.region, block.ordering = article, "body", 10 * (ordering + 1)
                kinds[type(block)].append(block)
            for order, author in enumerate(
                rng.sample(authors, min(len(authors), rng.choice([1, 1, 2])))
            ):
                bylines.append(Byline(article=article, author=author, order=order))
            for tag in rng.sample(tags, min(len(tags), rng.randint(1, 3))):
                tagged.append(Tagging(article=article, tag=tag))
        for model, rows in kinds.items():
            model.objects.bulk_create(rows, batch_size=5000)
        Byline.objects.bulk_create(bylines, batch_size=5000)
        Tagging.objects.bulk_create(tagged, batch_size=5000)


# A staff writer files about a hundred articles a year: five years of archive, five hundred.
ARTICLES_PER_CONTRIBUTOR = 500
CONTRIBUTOR_SLUG = "archive-contributor-"
FIRST_NAMES = [
    "Ada", "Bram", "Carys", "Dev", "Elif", "Finn", "Greta", "Hamid", "Ines", "Jonas",
    "Kofi", "Lena", "Milo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
]  # fmt: skip
LAST_NAMES = [
    "Achebe", "Brennan", "Castell", "Dunmore", "Eriksen", "Farrow", "Gallo", "Hale",
    "Iqbal", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quarshie", "Rahman", "Sorensen", "Thorne",
]  # fmt: skip


def _contributors(articles: int) -> list[Author]:
    """Return the archive's contributors for `articles` articles, made if missing."""
    wanted = articles // ARTICLES_PER_CONTRIBUTOR
    have = list(Author.objects.filter(slug__startswith=CONTRIBUTOR_SLUG).order_by("pk"))
    names = [(first, last) for last in LAST_NAMES for first in FIRST_NAMES]
    Author.objects.bulk_create(
        Author(name=f"{first} {last}", slug=f"{CONTRIBUTOR_SLUG}{number}")
        for number, (first, last) in enumerate(names[len(have) : wanted], start=len(have))
    )
    return list(Author.objects.filter(slug__startswith=CONTRIBUTOR_SLUG).order_by("pk"))
