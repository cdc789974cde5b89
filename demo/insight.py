"""The demo's paywall insight: events drawn from `content/insight.toml`, written by `seed_demo`.

Readers come to each published article from the day it went out, fewer each day after, half of
them regulars who come back to other articles. The meter is kept as the site keeps it: a reader
meets a metered article's wall once they have read their month's allowance of other metered
articles (`NEWSROOM_METER_ANONYMOUS`, `_REGISTERED`), so that the meter's what-if, drawn from
what readers wanted, agrees with the walls they met; subscribers-only articles show everyone
but subscribers their wall. A story names one article's walls and what came of them exactly
(the harbour-front article turned 14 walls into 2 subscriptions): each of its walled readers
read their allowance of other articles first, and its conversions are attributed to its walls,
as the site attributes them. The events are drawn by a seeded generator, through the ORM
(SQLite too); then the finished days are rolled up and the meter demand made, as the hourly
task would have (`insight.rollups`).
"""

from __future__ import annotations

import random
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from articles.models import Article
from demo.content import CONTENT_DIR
from insight.models import CONVERSIONS, Event, Kind, ReaderKind
from insight.rollups import days_roll_up, meter_demands_make
from subscriptions.models import Subscription

REFERRERS = ["search"] * 4 + ["social"] * 3 + ["newsletter", "direct", "direct", "internal"]
DEVICES = ["mobile"] * 6 + ["tablet", "desktop", "desktop", "desktop"]
# Readers who come back to other articles.
REGULARS = 60
# What a walled reader of a story may go on to do, in order, minutes after the wall.
STEPS = (
    ("prompt_clicks", Kind.PROMPT_CLICK, 1),
    ("signups_started", Kind.SIGNUP_STARTED, 2),
    ("signups", Kind.SIGNUP, 4),
    ("checkouts", Kind.CHECKOUT, 6),
    ("subscriptions", Kind.SUBSCRIPTION, 8),
)


@dataclass(frozen=True)
class Story:
    article: str  # its slug
    walls: int
    prompt_clicks: int = 0
    signups_started: int = 0
    signups: int = 0
    checkouts: int = 0
    subscriptions: int = 0


@dataclass(frozen=True)
class DemoInsight:
    days: int
    readers_per_day: tuple[int, int]
    stories: tuple[Story, ...]


def read_insight(root: Path | None = None) -> DemoInsight:
    """Return the demo's insight from `insight.toml` in `root` (the content folder)."""
    path = (root or CONTENT_DIR) / "insight.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        low, high = data["readers_per_day"]
        return DemoInsight(
            days=int(data["days"]),
            readers_per_day=(int(low), int(high)),
            stories=tuple(Story(**story) for story in data.get("stories", ())),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise CommandError(f"{path}: {error!r}") from None


class Draw:
    """The demo's readers and moments, the same on every run."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)  # noqa: S311 (a demo's figures, not a secret)
        self.readers = 0
        self.regulars = []  # readers who come back, to other articles: the meter's demand

    def reader(self, kind: ReaderKind | None = None) -> dict:
        """Return a reader's facts: their kind, meter id (and account), where from; half of
        them one of the regulars."""
        where = {
            "referrer": self.random.choice(REFERRERS),
            "device": self.random.choice(DEVICES),
        }
        if kind is None and len(self.regulars) >= REGULARS and self.random.random() < 0.5:
            return self.random.choice(self.regulars) | where
        self.readers += 1
        drawn = kind is None
        if kind is None:
            draw = self.random.random()
            kind = ReaderKind.ANONYMOUS if draw < 0.7 else ReaderKind.REGISTERED
            kind = ReaderKind.SUBSCRIBER if draw > 0.88 else kind
        facts = {"reader_kind": kind, "visitor": f"demo{self.readers:06d}"}
        if kind != ReaderKind.ANONYMOUS:
            facts["user_id"] = 100_000 + self.readers  # readers by number, no account behind
        if drawn and len(self.regulars) < REGULARS:
            self.regulars.append(facts)
        return facts | where

    def moment(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.random.random()


class Meter:
    """The metered articles each reader has read in each month, and what that shows them."""

    def __init__(self):
        self.allowance = {
            ReaderKind.ANONYMOUS: settings.NEWSROOM_METER_ANONYMOUS,
            ReaderKind.REGISTERED: settings.NEWSROOM_METER_REGISTERED,
        }
        self.read = defaultdict(set)  # (reader, month) -> metered articles read

    def shown(self, *, article: Article, reader: dict, at: datetime) -> dict:
        """Return what `reader` was shown of `article` at `at`: the text, or a wall and why."""
        if article.access == "free" or reader["reader_kind"] == ReaderKind.SUBSCRIBER:
            return {"kind": Kind.READ}
        if article.access == "subscribers":
            return {"kind": Kind.WALL, "detail": "subscribers_only"}
        local = timezone.localtime(at)
        read = self.read[reader.get("user_id") or reader["visitor"], local.year, local.month]
        if article.pk in read or len(read) < self.allowance[reader["reader_kind"]]:
            read.add(article.pk)
            return {"kind": Kind.READ}
        return {"kind": Kind.WALL, "detail": "meter_exhausted"}


def insight_seed(*, insight: DemoInsight, now: datetime | None = None) -> int:
    """Write the demo's events unless the site has events already, roll up the finished days
    and make the meter demand; return how many events were written."""
    if Event.objects.exists():
        return 0
    now = now or timezone.now()
    since = now - timedelta(days=insight.days)
    stories = {story.article: story for story in insight.stories}
    draw = Draw(seed=2026)
    published = list(Article.objects.published(at=now).order_by("published_at", "pk"))
    visits, events, walls_of_stories = [], [], []  # visits: (when, article, reader)
    for article in published:
        start = max(article.published_at, since)
        for day in range((now - start).days + 1):
            begins = start + timedelta(days=day)
            low, high = insight.readers_per_day
            for _ in range(draw.random.randint(low, high) // (1 + day)):
                at = draw.moment(begins, min(begins + timedelta(days=1), now))
                visits.append((at, article, draw.reader()))
        story = stories.get(article.slug)
        if story is not None:
            reads, walls = story_walls(story, article, published, draw, start=start, now=now)
            events += reads
            walls_of_stories += [(story, wall) for wall in walls]
    meter = Meter()
    for at, article, reader in sorted(visits, key=lambda visit: visit[0]):
        what = meter.shown(article=article, reader=reader, at=at)
        if article.slug in stories and what["kind"] == Kind.WALL:
            continue  # the story's walls are its own
        events.append(Event(at=at, **facts_of(article), **reader, **what))
    events += [wall for _story, wall in walls_of_stories]
    Event.objects.bulk_create(events)
    conversions = Event.objects.bulk_create(story_conversions(walls_of_stories))
    days_roll_up(now=now)
    meter_demands_make(now=now)
    return len(events) + len(conversions)


def facts_of(article: Article) -> dict:
    """What every event keeps of its article."""
    return {"article_id": article.pk, "section_id": article.section_id, "access": article.access}


def story_walls(
    story: Story,
    article: Article,
    published: list[Article],
    draw: Draw,
    *,
    start: datetime,
    now: datetime,
) -> tuple[list[Event], list[Event]]:
    """Return the reads and walls of `story`'s walled readers: each an anonymous reader who read
    their month's allowance of other metered articles, then met the story's wall."""
    # Met at least ten minutes ago, so that what followed has happened too.
    latest = max(start, now - timedelta(minutes=10))
    others = [other for other in published if other.access == "metered" and other != article]
    reads, walls = [], []
    for _ in range(story.walls):
        reader = draw.reader(ReaderKind.ANONYMOUS)
        at = draw.moment(start, latest)
        month_began = timezone.localtime(at).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        readable = [other for other in others if other.published_at < at]
        allowance = min(settings.NEWSROOM_METER_ANONYMOUS, len(readable))
        for other in draw.random.sample(readable, allowance):
            read_at = draw.moment(max(other.published_at, month_began), at)
            reads.append(Event(at=read_at, kind=Kind.READ, **facts_of(other), **reader))
        walls.append(
            Event(at=at, kind=Kind.WALL, detail="meter_exhausted", **facts_of(article), **reader)
        )
    return reads, walls


def story_conversions(walls_of_stories: list[tuple[Story, Event]]) -> list[Event]:
    """Return what the walled readers of each story went on to do: its first walls' readers
    clicked, its first few of those signed up, and so on, each after their wall."""
    made = []
    for story in {story for story, _ in walls_of_stories}:
        walls = [wall for told, wall in walls_of_stories if told is story]
        for name, kind, minutes in STEPS:
            for wall in walls[: getattr(story, name)]:
                event = Event(at=wall.at + timedelta(minutes=minutes), kind=kind)
                event.visitor = wall.visitor
                if kind in CONVERSIONS:  # attributed to the wall, as insight.recording does
                    event.wall = wall
                    event.user_id = 200_000 + wall.pk
                if kind == Kind.SUBSCRIPTION:
                    # The demo takes no payment: its subscriptions are the development
                    # checkout's, which the report's reconciliation sets apart.
                    event.detail = Subscription.Source.MANUAL
                for fact in ("article_id", "section_id", "access", "reader_kind", "referrer"):
                    setattr(event, fact, getattr(wall, fact))
                event.device = wall.device
                made.append(event)
    return made
