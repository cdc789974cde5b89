"""Paywall insight at a busy site's size: seeding, the roll-up, the meter demand, retention
under live inserts, and the report's pages.

`.venv/bin/python benchmarks/insight.py` (see benchmarks/README.md). On its own PostgreSQL
database (`DATABASE_URL`, default `newsroom_bench_insight` on 127.0.0.1:5432: created and
migrated, then seeded in SQL with `--events` events over `--days` days, about 111,000 a day at
10 million over 90, for `--articles` articles in ten sections), in this process:

1. the roll-up of every day (`insight.rollups.day_roll_up`), timed per day, and on a few days
   the two ways of writing the figures (`INSERT … SELECT` against fetching the rows);
2. the meter demand of a whole month (`meter_demand_make`);
3. forgetting the readers of the oldest 30 days and deleting the oldest 30 days, in batches,
   while a thread inserts one event at a time (as a web process's batch does) and records how
   long each insert took: the longest is how long a reader's page could have waited on it;
4. the report's pages (`admin:insight_report_changelist`, `admin:insight_meter_changelist`),
   asked by a superuser through Django's test client; a URL name that does not reverse is
   skipped, and said so.

The figures go to RESULTS.md (section "insight"). `--drop` drops the database at the end.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import create_database, environment, git, write_results  # noqa: E402

DATABASE = "postgres://postgres@127.0.0.1:5432/newsroom_bench_insight"
SECTIONS = 10
# Seeded in statements of this many events: progress to watch, no transaction of hours.
CHUNK = 1_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--events", type=int, default=10_000_000, help="events to seed (10000000)")
    add("--days", type=int, default=90, help="over this many days, ending yesterday (90)")
    add("--articles", type=int, default=2000, help="articles, in ten sections (2000)")
    add("--visitors", type=int, default=300_000, help="distinct meter ids (300000)")
    add("--users", type=int, default=20_000, help="distinct accounts (20000)")
    add("--requests", type=int, default=5, help="timed requests per report page (5)")
    add("--skip-retention", action="store_true", help="leave out step 3")
    add("--drop", action="store_true", help="drop the database at the end")
    add("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    return parser.parse_args()


# Seeding ---------------------------------------------------------------------------------------


def seed_articles(count: int) -> None:
    """Make `count` articles (drafts, a tenth in each section, 60 % metered, 20 %
    subscribers-only, 20 % free) unless they are there."""
    from articles.models import Article, Section

    sections = [
        Section.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Bench {n}"})[0]
        for n in range(SECTIONS)
    ]
    have = Article.objects.filter(slug__startswith="bench-insight-").count()
    access = ["metered"] * 6 + ["subscribers"] * 2 + ["free"] * 2
    Article.objects.bulk_create(
        [
            Article(
                headline=f"Bench article {n}",
                slug=f"bench-insight-{n}",
                section=sections[n % SECTIONS],
                access=access[n % 10],
                status=Article.Status.DRAFT,
            )
            for n in range(have, count)
        ],
        batch_size=1000,
    )


SEED_EVENTS = """
WITH articles AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(section_id ORDER BY id) AS sections,
           array_agg(access ORDER BY id) AS access
    FROM articles_article WHERE slug LIKE 'bench-insight-%%'
), drawn AS (
    SELECT g, random() AS r_kind, random() AS r_reader, random() AS r_ref, random() AS r_dev,
           -- a few articles draw most readers: the square of a uniform number
           1 + floor(power(random(), 2) * %(articles)s)::int AS a,
           floor(random() * %(visitors)s)::int AS v, 1 + floor(random() * %(users)s)::int AS u
    FROM generate_series(%(first)s, %(last)s) AS g
), typed AS (
    SELECT d.*, articles.ids[a] AS article_id, articles.sections[a] AS section_id,
           articles.access[a] AS access,
           CASE WHEN r_kind < 0.70 THEN 'read' WHEN r_kind < 0.90 THEN 'wall'
                WHEN r_kind < 0.95 THEN 'prompt_click' WHEN r_kind < 0.965 THEN 'signup_started'
                WHEN r_kind < 0.98 THEN 'last_free_read' WHEN r_kind < 0.99 THEN 'newsletter_signup'
                WHEN r_kind < 0.995 THEN 'signup' WHEN r_kind < 0.998 THEN 'checkout'
                ELSE 'subscription' END AS kind
    FROM drawn d, articles
)
INSERT INTO insight_event (at, kind, detail, article_id, section_id, access, reader_kind,
                           referrer, device, user_id, visitor, subscription_id, wall_id)
SELECT %(start)s::timestamptz + (g - 1)::bigint * %(spacing)s * interval '1 microsecond',
       kind,
       CASE WHEN kind <> 'wall' THEN ''
            WHEN access = 'subscribers' THEN 'subscribers_only' ELSE 'meter_exhausted' END,
       article_id, section_id, access,
       CASE WHEN r_reader < 0.15 THEN CASE WHEN u %% 10 < 3 THEN 'subscriber' ELSE 'registered' END
            ELSE 'anonymous' END,
       CASE WHEN r_ref < 0.35 THEN 'search' WHEN r_ref < 0.60 THEN 'social'
            WHEN r_ref < 0.70 THEN 'newsletter' WHEN r_ref < 0.85 THEN 'direct'
            WHEN r_ref < 0.97 THEN 'internal' ELSE 'other' END,
       CASE WHEN r_dev < 0.65 THEN 'mobile' WHEN r_dev < 0.72 THEN 'tablet' ELSE 'desktop' END,
       CASE WHEN r_reader < 0.15 THEN u END,
       CASE WHEN r_reader >= 0.15 AND r_reader < 0.95 THEN md5(v::text) ELSE '' END,
       CASE WHEN kind = 'subscription' THEN g END,
       NULL
FROM typed
"""


def seed_events(*, events: int, days: int, articles: int, visitors: int, users: int) -> float:
    """Insert `events` events evenly over the `days` days before today, unless there are as
    many; return the seconds it took (0 if nothing was seeded)."""
    from django.db import connection
    from django.utils import timezone

    from insight.models import Event
    from insight.rollups import day_start

    if Event.objects.count() >= events:
        return 0.0
    start = day_start(timezone.localdate() - timedelta(days=days))
    spacing = int(days * 86_400 * 1_000_000 / events)  # microseconds between two events
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE insight_event")  # what a run's retention left
        for first in range(1, events + 1, CHUNK):
            last = min(first + CHUNK - 1, events)
            cursor.execute(
                SEED_EVENTS,
                {
                    "first": first,
                    "last": last,
                    "start": start,
                    "spacing": spacing,
                    "articles": articles,
                    "visitors": visitors,
                    "users": users,
                },
            )
            print(f"  {last:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute("VACUUM ANALYZE insight_event")
    return time.perf_counter() - started


# Measuring -------------------------------------------------------------------------------------


class Inserter(threading.Thread):
    """Insert one event at a time, as a web process writes its batch, and time each insert."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.took = []

    def run(self):
        from django.db import connection
        from django.utils import timezone

        from insight.models import Event, Kind

        try:
            while not self.stopping.is_set():
                started = time.perf_counter()
                Event.objects.create(at=timezone.now(), kind=Kind.READ, visitor="inserter")
                self.took.append(time.perf_counter() - started)
                time.sleep(0.01)
        finally:
            connection.close()

    def stop(self) -> dict:
        self.stopping.set()
        self.join()
        took = sorted(self.took)
        return {
            "inserts": len(took),
            "p50_ms": 1000 * took[len(took) // 2],
            "p99_ms": 1000 * took[int(len(took) * 0.99)],
            "max_ms": 1000 * took[-1],
        }


def while_inserting(work):
    """Return what `work()` returned, the seconds it took, and the inserts' latencies."""
    inserter = Inserter()
    inserter.start()
    time.sleep(0.5)
    started = time.perf_counter()
    done = work()
    seconds = time.perf_counter() - started
    time.sleep(0.5)
    return done, seconds, inserter.stop()


def roll_up_all(days: int) -> dict:
    """Roll up every seeded day afresh; return the times per day, and the two ways compared."""
    from django.db import transaction
    from django.utils import timezone

    from insight.models import DailyFigures, RolledUpDay
    from insight.rollups import (
        day_roll_up,
        events_of_day,
        figures_fetch_and_insert,
        figures_insert_select,
    )

    RolledUpDay.objects.all().delete()
    DailyFigures.objects.all().delete()
    today = timezone.localdate()
    took, rows = [], 0
    for back in range(days, 0, -1):
        started = time.perf_counter()
        rows += day_roll_up(day=today - timedelta(days=back))
        took.append(time.perf_counter() - started)
    ways_of_writing = {"insert_select": figures_insert_select, "fetch": figures_fetch_and_insert}
    ways = {name: [] for name in ways_of_writing}
    for back in (days // 3, days // 2, 2 * days // 3) * 2:
        events = events_of_day(today - timedelta(days=back))
        for name, write in ways_of_writing.items():
            with transaction.atomic():
                started = time.perf_counter()
                write(events)
                ways[name].append(time.perf_counter() - started)
                transaction.set_rollback(True)
    return {
        "total_s": sum(took),
        "median_s": statistics.median(took),
        "max_s": max(took),
        "rows": rows,
        "insert_select_s": statistics.median(ways["insert_select"]),
        "fetch_s": statistics.median(ways["fetch"]),
    }


def demand_of_a_month(days: int) -> dict:
    from django.utils import timezone

    from insight.models import Event
    from insight.rollups import day_start, meter_demand_make, month_after, month_of

    today = timezone.localdate()
    month = month_after(month_of(today - timedelta(days=days)))  # the first whole month
    after = day_start(month_after(month)) + timedelta(hours=1)
    events = Event.objects.filter(at__gte=day_start(month), at__lt=day_start(month_after(month)))
    started = time.perf_counter()
    rows = meter_demand_make(month=month, now=after)
    seconds = time.perf_counter() - started
    return {
        "month": f"{month:%Y-%m}",
        "events": events.count(),
        "seconds": seconds,
        "readers": sum(row.readers for row in rows),
    }


def retention(days: int) -> dict:
    """Forget the readers of the oldest 30 days, then delete the oldest 30 days, each with
    inserts going on; return the times and the inserts' latencies."""
    from django.conf import settings
    from django.utils import timezone

    from insight.rollups import (
        day_start,
        events_delete_old,
        events_forget_readers,
        meter_demands_make,
        month_after,
        month_of,
    )

    first = timezone.localdate() - timedelta(days=days)
    # The day their readers are 31 days old: the meter demand is made first, as the task does.
    forget_at = day_start(first + timedelta(days=30 + 31)) + timedelta(hours=1)
    meter_demands_make(now=forget_at)
    forgot, forget_s, forget_inserts = while_inserting(lambda: events_forget_readers(now=forget_at))
    # The day 13 months after the 30th day: the oldest 30 days are past keeping.
    delete_day = first + timedelta(days=30)
    month = month_of(delete_day)
    for _ in range(settings.NEWSROOM_INSIGHT_KEEP_MONTHS):
        month = month_after(month)
    delete_at = day_start(month.replace(day=min(delete_day.day, 28))) + timedelta(hours=1)
    deleted, delete_s, delete_inserts = while_inserting(lambda: events_delete_old(now=delete_at))
    return {
        "forgotten": forgot.rows,
        "forget_batches": forgot.batches,
        "forget_s": forget_s,
        "forget_inserts": forget_inserts,
        "deleted": deleted.rows,
        "delete_batches": deleted.batches,
        "delete_s": delete_s,
        "delete_inserts": delete_inserts,
    }


def figures_read(days: int) -> dict:
    """Time what a report reads of the rolled-up days: the figures of 90 days summed by
    article (sorted by subscriptions) and of 7 days by section, through the ORM."""
    from django.db.models import Sum
    from django.utils import timezone

    from insight.figures import COUNTS
    from insight.models import DailyFigures

    yesterday = timezone.localdate() - timedelta(days=1)
    sums = {name: Sum(name) for name in ("readers", *COUNTS)}
    timed = {}
    for label, span, by in (("articles_90", days, "article_id"), ("sections_7", 7, "section_id")):
        rows = DailyFigures.objects.filter(day__gt=yesterday - timedelta(days=span))
        query = rows.values(by).annotate(**sums).order_by("-subscriptions")
        took = []
        for _ in range(3):
            started = time.perf_counter()
            found = len(list(query.all()))  # a new queryset each time: none cached
            took.append(time.perf_counter() - started)
        timed[label] = {"s": statistics.median(took), "groups": found, "rows": rows.count()}
    return timed


REPORT_PAGES = [
    ("admin:insight_report_changelist", "7 days", {"days": 7}),
    ("admin:insight_report_changelist", "30 days", {"days": 30}),
    ("admin:insight_report_changelist", "90 days", {"days": 90}),
    (
        "admin:insight_report_changelist",
        "90 days, by section",
        {"days": 90, "by": "section"},
    ),
    (
        "admin:insight_report_changelist",
        "90 days, by subscriptions",
        {"days": 90, "sort": "-subscriptions"},
    ),
    ("admin:insight_report_changelist", "90 days, CSV", {"days": 90, "format": "csv"}),
    ("admin:insight_meter_changelist", "the meter's what-if", {}),
]


def report_pages(requests: int) -> list[dict]:
    """Time each report page; a URL name that does not reverse is skipped, and said so."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    editor, _ = get_user_model().objects.get_or_create(
        email="bench-insight@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    yesterday = timezone.localdate() - timedelta(days=1)
    rows = []
    for name, label, query in REPORT_PAGES:
        try:
            url = reverse(name)
        except NoReverseMatch:
            print(f"  skipped {name} ({label}): the URL name does not reverse on this branch")
            rows.append({"label": label, "name": name, "skipped": True})
            continue
        query = dict(query)
        if "days" in query:
            days = query.pop("days")
            query |= {"start": f"{yesterday - timedelta(days=days - 1)}", "end": f"{yesterday}"}
        client.get(url, query)  # warm
        took = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, query)
            took.append(time.perf_counter() - started)
        rows.append(
            {
                "label": label,
                "name": name,
                "query": query,
                "median_ms": 1000 * statistics.median(took),
                "max_ms": 1000 * max(took),
                "status": response.status_code,
            }
        )
    return rows


# The table -------------------------------------------------------------------------------------


def latency(inserts: dict) -> str:
    return (
        f"{inserts['inserts']:,} inserts: p50 {inserts['p50_ms']:.1f} ms, p99 "
        f"{inserts['p99_ms']:.1f} ms, longest {inserts['max_ms']:.1f} ms"
    )


def table(args, seeded: float, figures: dict) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    roll, demand = figures["roll_up"], figures["demand"]
    per_day = args.events // args.days
    lines = [
        f"## Paywall insight at {args.events:,} events over {args.days} days "
        f"(`benchmarks/insight.py`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`{git('rev-parse', '--short', 'HEAD')}`, PostgreSQL {version} on localhost, this "
        f"machine's 2 cores; {per_day:,} events a day, {args.articles:,} articles in "
        f"{SECTIONS} sections, {args.visitors:,} meter ids and {args.users:,} accounts; one "
        f"process; load average {figures['load'][0]:.1f} → {figures['load'][1]:.1f}.",
        "",
        "| step | time | notes |",
        "| --- | ---: | --- |",
        (
            f"| seeding (SQL, `generate_series`, a million events a statement; `VACUUM ANALYZE`) | "
            f"{seeded:.0f} s | {'kept from an earlier run' if not seeded else 'once'} |"
        ),
        (
            f"| roll-up of all {args.days} days | {roll['total_s']:.1f} s | a day: median "
            f"{roll['median_s']:.2f} s, longest {roll['max_s']:.2f} s; {roll['rows']:,} rows "
            f"of figures |"
        ),
        (
            f"| a day's figures written: `INSERT … SELECT` / fetched and bulk-created | "
            f"{roll['insert_select_s']:.2f} s / {roll['fetch_s']:.2f} s | median of six days |"
        ),
        (
            f"| meter demand of {demand['month']} | {demand['seconds']:.1f} s | "
            f"{demand['events']:,} events, {demand['readers']:,} reader-months |"
        ),
    ]
    read = figures["read"]
    lines += [
        (
            f"| {args.days} days of figures summed by article, by subscriptions (ORM) | "
            f"{read['articles_90']['s']:.2f} s | {read['articles_90']['rows']:,} rows of "
            f"figures, {read['articles_90']['groups']:,} articles: what a report reads |"
        ),
        (
            f"| 7 days of figures summed by section (ORM) | {read['sections_7']['s']:.2f} s | "
            f"{read['sections_7']['rows']:,} rows of figures |"
        ),
    ]
    if "retention" in figures:
        kept = figures["retention"]
        lines += [
            (
                f"| readers forgotten, the oldest 30 days | {kept['forget_s']:.1f} s | "
                f"{kept['forgotten']:,} events in {kept['forget_batches']:,} batches; "
                f"{latency(kept['forget_inserts'])} |"
            ),
            (
                f"| events deleted, the oldest 30 days | {kept['delete_s']:.1f} s | "
                f"{kept['deleted']:,} events in {kept['delete_batches']:,} batches; "
                f"{latency(kept['delete_inserts'])} |"
            ),
        ]
    lines += [
        "",
        "| report page | median ms | slowest ms | status |",
        "| --- | ---: | ---: | --- |",
    ]
    for page in figures["pages"]:
        if page.get("skipped"):
            lines.append(
                f"| {page['label']} (`{page['name']}`) | skipped: not on this branch | | |"
            )
        else:
            lines.append(
                f"| {page['label']} (`{page['name']}`) | {page['median_ms']:.0f} | "
                f"{page['max_ms']:.0f} | {page['status']} |"
            )
    lines += ["", "Target: every report page under 2 s."]
    return "\n".join(lines)


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    parts = urlsplit(url)
    command = ["dropdb", "-h", parts.hostname, "-p", str(parts.port or 5432)]
    command += ["-U", parts.username or "postgres", "--if-exists", parts.path.strip("/")]
    subprocess.run(command, check=True)  # noqa: S603


def main() -> int:
    args = parse_args()
    base = dict(os.environ)
    base.setdefault("DATABASE_URL", DATABASE)
    env = environment(8079, secrets.token_urlsafe(50), base)
    if not env["DATABASE_URL"].startswith("postgres"):
        sys.exit("DATABASE_URL: the insight benchmark runs on PostgreSQL.")
    create_database(env["DATABASE_URL"])
    # No statement timeout: seeding and the retention's catch-up are long statements.
    env |= {"LOG_LEVEL": "ERROR", "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    load = [os.getloadavg()[0]]
    call_command("migrate", verbosity=0)
    seed_articles(args.articles)
    print(f"Seeding {args.events:,} events over {args.days} days …", flush=True)
    seeded = seed_events(
        events=args.events,
        days=args.days,
        articles=args.articles,
        visitors=args.visitors,
        users=args.users,
    )
    figures = {}
    print("Rolling up …", flush=True)
    figures["roll_up"] = roll_up_all(args.days)
    print(figures["roll_up"], flush=True)
    figures["demand"] = demand_of_a_month(args.days)
    print(figures["demand"], flush=True)
    figures["read"] = figures_read(args.days)
    print(figures["read"], flush=True)
    # The pages before retention takes the oldest days away.
    figures["pages"] = report_pages(args.requests)
    if not args.skip_retention:
        print("Retention …", flush=True)
        figures["retention"] = retention(args.days)
        print(figures["retention"], flush=True)
    load.append(os.getloadavg()[0])
    figures["load"] = load
    section = table(args, seeded, figures)
    print(section)
    if not args.no_write:
        write_results("insight", section)
    if args.drop:
        drop_database(env["DATABASE_URL"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
