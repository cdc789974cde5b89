"""The demo's paywall insight: events drawn from `content/insight.toml`, written by `seed_demo`.

Readers come to each published article from the day it went out, fewer each day after; a share
of those reading a metered article have used up their meter and meet its wall, and
subscribers-only articles show everyone but subscribers theirs. A story names one article's
walls and what came of them exactly (the harbour-front article turned 14 walls into 2
subscriptions): its conversions are attributed to its walls, as the site attributes them. The
events are drawn by a seeded generator, through the ORM (SQLite too); then the finished days
are rolled up and the meter demand made, as the hourly task would have (`insight.rollups`).
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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
    walled_share: float
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
            walled_share=float(data["walled_share"]),
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


def shown(*, article: Article, reader: dict, walled_share: float, draw: Draw) -> dict:
    """Return what `reader` was shown of `article`: the text, or a wall and why."""
    if article.access == "free" or reader["reader_kind"] == ReaderKind.SUBSCRIBER:
        return {"kind": Kind.READ}
    if article.access == "subscribers":
        return {"kind": Kind.WALL, "detail": "subscribers_only"}
    if draw.random.random() < walled_share:
        return {"kind": Kind.WALL, "detail": "meter_exhausted"}
    return {"kind": Kind.READ}


def insight_seed(*, insight: DemoInsight, now: datetime | None = None) -> int:
    """Write the demo's events unless the site has events already, roll up the finished days
    and make the meter demand; return how many events were written."""
    if Event.objects.exists():
        return 0
    now = now or timezone.now()
    since = now - timedelta(days=insight.days)
    stories = {story.article: story for story in insight.stories}
    draw = Draw(seed=2026)
    events, walls_of_stories = [], []
    for article in Article.objects.published(at=now).order_by("published_at", "pk"):
        where = {"article_id": article.pk, "section_id": article.section_id}
        where["access"] = article.access
        story = stories.get(article.slug)
        start = max(article.published_at, since)
        for day in range((now - start).days + 1):
            begins = start + timedelta(days=day)
            low, high = insight.readers_per_day
            for _ in range(draw.random.randint(low, high) // (1 + day)):
                reader = draw.reader()
                what = shown(
                    article=article, reader=reader, walled_share=insight.walled_share, draw=draw
                )
                if story is not None and what["kind"] == Kind.WALL:
                    what = {"kind": Kind.READ}  # the story's walls are its own, below
                at = draw.moment(begins, min(begins + timedelta(days=1), now))
                events.append(Event(at=at, **where, **reader, **what))
        if story is not None:
            # Met at least ten minutes ago, so that what followed has happened too.
            latest = max(start, now - timedelta(minutes=10))
            for _ in range(story.walls):
                wall = Event(
                    at=draw.moment(start, latest),
                    kind=Kind.WALL,
                    detail="meter_exhausted",
                    **where,
                    **draw.reader(ReaderKind.ANONYMOUS),
                )
                events.append(wall)
                walls_of_stories.append((story, wall))
    Event.objects.bulk_create(events)
    Event.objects.bulk_create(story_conversions(walls_of_stories))
    days_roll_up(now=now)
    meter_demands_make(now=now)
    return len(events) + sum(
        sum(getattr(story, name) for name, _, _ in STEPS) for story in stories.values()
    )


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
