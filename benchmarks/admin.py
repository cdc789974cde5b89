"""Time the newsroom's admin lists (plain, filtered, searched), an article's change form and its
save at two archive sizes, and compare them.

`.venv/bin/python benchmarks/admin.py` (see benchmarks/README.md): for each size it creates and
seeds its own PostgreSQL database once (`newsroom_bench_admin_1k`, `_100k`: migrate, seed_demo,
seed_archive, `--pictures` pictures as rows without files, `--readers` accounts), then runs
`measure()` below in `manage.py shell` against it: an editor logged in with Django's test
client requests each list `--repeat` times after two warm-ups (the median is kept, wall clock
in one process, no server), counts its SQL queries and the time they took, and saves a seeded
article through the change form as a browser posts it. The table goes to RESULTS.md.
"""

import argparse
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

if __name__ == "__main__":  # run as a script: the project's root on the path, for `benchmarks.run`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import (
    create_database,
    environment,
    git,
    manage,
    prepare_database,
    size_name,
    write_results,
)

DATABASE = "postgres://postgres@127.0.0.1:5432/newsroom_bench_admin"
CACHE = "redis://127.0.0.1:6379/14"
PORT = 8099  # only named in NEWSROOM_SITE_URL: nothing listens
FILTERED_ROWS = 75  # about how many articles the list by section and author shows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--articles", default="1000,100000", help="archive sizes (1000,100000)")
    add(
        "--pictures",
        type=int,
        default=50_000,
        help="pictures at the largest size, the others in proportion (50000)",
    )
    add(
        "--readers",
        type=int,
        default=100_000,
        help="readers' accounts at the largest size, the others in proportion (100000)",
    )
    add("--repeat", type=int, default=15, help="timed requests per list, median kept (15)")
    add("--saves", type=int, default=7, help="timed saves, median kept (7)")
    add("--rounds", type=int, default=3, help="rounds, each size in turn; median kept (3)")
    add("--label", default="", help="added to the RESULTS.md section's name")
    add("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    return parser.parse_args()


# In the stack's process (`manage.py shell`) ------------------------------------------------


def seed_pictures(count: int) -> None:
    """Add picture rows (no files: each names a demo picture's file), or take away those
    added before, until the library holds `count`; the admin's list shows each from its
    file's address when it has no rendition."""
    from django.db import connection

    from media.models import Image

    have = Image.objects.count()
    if have > count:
        # In SQL: the rows share a demo picture's file, which a delete through the ORM removes.
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM media_image WHERE id IN (SELECT id FROM media_image "
                "WHERE content_hash LIKE 'bench-%%' ORDER BY id DESC LIMIT %s)",
                [have - count],
            )
        have = Image.objects.count()
    model = Image.objects.order_by("pk").first()
    rows = [
        Image(
            file=model.file.name,
            width=model.width,
            height=model.height,
            content_hash=f"bench-{number:08d}",
            alt_text=f"Boats in the harbour, picture {number}",
            caption=f"The harbour at dawn, picture {number}",
            credit="" if number % 5 == 0 else f"Agency/Photographer {number % 40}",
        )
        for number in range(have, count)
    ]
    Image.objects.bulk_create(rows, batch_size=5000)
    print(json.dumps({"pictures": Image.objects.count()}))


def seed_readers(count: int) -> None:
    """Add readers' accounts (no password: they cannot log in) until there are `count` of
    them, or take away those added before; a reader's name is two of a few hundred words."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    seeded = User.objects.filter(email__endswith="@readers.example")
    have = seeded.count()
    if have > count:
        seeded.filter(pk__in=seeded.order_by("-pk").values("pk")[: have - count]).delete()
        have = count
    first = ["Ann", "Bob", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon", "Kit", "Lea"]
    rows = [
        User(
            email=f"reader{number:07d}@readers.example",
            name=f"{first[number % len(first)]} Reader{number}",
            password=make_password(None),  # unusable: nobody logs in as them
        )
        for number in range(have, count)
    ]
    User.objects.bulk_create(rows, batch_size=5000)
    print(json.dumps({"readers": seeded.count()}))


def _time(client, path: str, repeat: int) -> dict:
    """The page's median time, and the median time of its SQL and its rows shown, in 5 more
    requests that record their queries (which costs them time of their own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(path)
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        took.append(time.perf_counter() - started)
    sql = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        sql.append(sum(float(query["time"]) for query in queries.captured_queries))
    rows = response.content.count(b'name="_selected_action"')  # a list's checkbox per row
    return {
        "ms": round(1000 * median(took), 1),
        "sql_ms": round(1000 * median(sql), 1),
        "queries": len(queries),
        "rows": rows,
        "status": response.status_code,
    }


def measure(repeat: int, saves: int) -> None:
    """Print, as JSON, each list's median time and queries and the save's."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, F
    from django.db.models.functions import Abs
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from articles.models import Article, Author, Byline
    from tests.articles.admin.posting import change_form_data, change_url

    editor = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    articles = reverse("admin:articles_article_changelist")
    pictures = reverse("admin:media_image_changelist")
    readers = reverse("admin:accounts_user_changelist")
    author = Author.objects.order_by("pk").first()
    # The section and author whose articles are nearest FILTERED_ROWS in number: pages as alike
    # as the seeds allow (at most 57 rows at 1,000 articles, at least 98 at 100,000), where a
    # first section and author showed 33 rows and 100, three times the rendering.
    pair = (
        Byline.objects.filter(article__slug__startswith="archive-")
        .values("article__section", "author")
        .annotate(rows=Count("pk"))
        .annotate(distance=Abs(F("rows") - FILTERED_ROWS))
        .order_by("distance", "article__section", "author")
        .first()
    )
    # The newest seeded article with one author: the same shape of save at every size (each
    # author of a byline costs the form two queries of its own).
    seeded = Article.objects.filter(slug__startswith="archive-").annotate(named=Count("bylines"))
    article = seeded.filter(named=1).order_by("-published_at")[0]
    revisions = reverse("admin:articles_article_revisions", args=[article.pk])
    lists = [
        ("articles", "Articles", articles),
        ("articles_filtered", "Articles, by section and author",
         f"{articles}?section__id__exact={pair['article__section']}"
         f"&authors__id__exact={pair['author']}"),
        ("articles_by_author", "Articles, by author",
         f"{articles}?authors__id__exact={author.pk}"),
        ("articles_state", "Articles, published", f"{articles}?state=published"),
        ("articles_searched", "Articles, searched (a common word)", f"{articles}?q=harbour"),
        ("articles_searched_rare", "Articles, searched (a headline's words)",
         f"{articles}?q=" + "+".join(article.headline.split()[-2:])),
        ("articles_author", "Articles, searched (an author's name)",
         f"{articles}?q={author.name.split()[-1]}"),
        ("articles_page", "Articles, page 5", f"{articles}?p=5"),
        ("pictures", "Pictures", pictures),
        ("pictures_filtered", "Pictures, credited", f"{pictures}?credit=given"),
        ("pictures_searched", "Pictures, searched", f"{pictures}?q=dawn"),
        ("readers", "Readers", readers),
        ("readers_filtered", "Readers, staff", f"{readers}?is_staff__exact=1"),
        ("readers_searched", "Readers, searched (a common word)", f"{readers}?q=reader"),
        ("readers_subscribers", "Readers, subscribers", f"{readers}?subscriber=yes"),
        ("readers_searched_one", "Readers, searched (an address)",
         f"{readers}?q=reader0000500@readers.example"),
        ("readers_searched_part", "Readers, searched (part of an address)",
         f"{readers}?q=reader0000500"),
        ("revisions", "An article's revisions", revisions),
        ("change_form", "An article's change form (the one saved below)", change_url(article)),
    ]  # fmt: skip
    results = []
    for key, title, path in lists:
        results.append({"key": key, "title": title} | _time(client, path, repeat))
    took, sql, counted, statuses = [], [], [], []
    for number in range(saves + 1):
        data = change_form_data(client, article)
        text = next(key for key in data if "textblock" in key and key.endswith("-text"))
        data[text][0] = data[text][0].replace("</p>", f" (Save {number}.)</p>", 1)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(change_url(article), data)
        if number:  # the first keeps the article's first revision: not the typical save
            took.append(time.perf_counter() - started)
            sql.append(sum(float(query["time"]) for query in queries.captured_queries))
            counted.append(len(queries))
            statuses.append(response.status_code)
    results.append(
        {
            "key": "save",
            "title": "Save of a ten-block article (change form)",
            "ms": round(1000 * median(took), 1),
            "sql_ms": round(1000 * median(sql), 1),
            "rows": 0,
            "queries": max(counted),
            "status": max(statuses),
        }
    )
    print(json.dumps({"articles": Article.objects.count(), "results": results}))


# The orchestrator ----------------------------------------------------------------------------


def merged(rounds: list[dict]) -> dict:
    """Return one run of the rounds: each page's median time, its most queries, worst status."""
    results = []
    for rows in zip(*(run["results"] for run in rounds), strict=True):
        results.append(
            rows[0]
            | {
                "ms": median(row["ms"] for row in rows),
                "sql_ms": median(row["sql_ms"] for row in rows),
                "rows": max(row["rows"] for row in rows),
                "queries": max(row["queries"] for row in rows),
                "status": max(row["status"] for row in rows),
            }
        )
    return {"articles": rounds[0]["articles"], "results": results}


def cell(row: dict) -> str:
    rows = f"; {row['rows']} rows" if row["rows"] else ""
    return f"{row['ms']} ({row['sql_ms']} in {row['queries']}{rows})"


def run_in(env: dict, code: str) -> dict:
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def main() -> int:
    args = parse_args()
    sizes = [int(size) for size in args.articles.split(",")]
    secret_key = secrets.token_urlsafe(50)
    started = time.monotonic()
    load = [os.getloadavg()[0]]
    envs = {}
    for size in sizes:
        base = dict(os.environ) | {
            "DATABASE_URL": f"{DATABASE}_{size_name(size)}",
            "CACHE_URL": CACHE,
        }
        env = envs[size] = environment(PORT, secret_key, base) | {"NEWSROOM_DEMO": "true"}
        create_database(env["DATABASE_URL"])
        prepare_database(env, size)
        pictures = args.pictures * size // max(sizes)
        seeding = f"from benchmarks.admin import seed_pictures; seed_pictures({pictures})"
        print(run_in(env, seeding))
        readers = args.readers * size // max(sizes)
        seeding = f"from benchmarks.admin import seed_readers; seed_readers({readers})"
        print(run_in(env, seeding))
        # Fresh statistics, and the trigram indexes' pending entries merged, as autovacuum keeps
        # a live database: a search for part of an address took 8.4 ms of SQL a query at
        # 100,000 readers straight after seeding, scanning the GIN pending list, and 2.0 ms once
        # vacuumed.
        vacuum = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
        manage(env, "shell", "-c", vacuum)
        manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
    # Interleaved rounds, the sizes in turn: a busy spell on the machine falls on both.
    rounds = {size: [] for size in sizes}
    for number in range(args.rounds):
        for size in sizes:
            code = f"from benchmarks.admin import measure; measure({args.repeat}, {args.saves})"
            rounds[size].append(run_in(envs[size], code))
            print(f"round {number + 1}, {size:,} articles: done")
    runs = {size: merged(rounds[size]) for size in sizes}
    load.append(os.getloadavg()[0])
    small, large = sizes[0], sizes[-1]
    titles = [(row["key"], row["title"]) for row in runs[small]["results"]]
    by_key = {size: {row["key"]: row for row in runs[size]["results"]} for size in sizes}
    head = " | ".join(f"{size:,} articles: ms (SQL ms in queries; rows)" for size in sizes)
    lines = [
        f"## Admin lists and the save at {' and '.join(f'{s:,}' for s in sizes)} articles"
        + (f" ({args.label})" if args.label else ""),
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{git('rev-parse', '--short', 'HEAD')}`, "
        f"PostgreSQL + Redis on localhost, pictures and readers in proportion ({args.pictures:,} "
        f"and {args.readers:,} at the "
        f"largest size), DEBUG off, one process "
        f"(Django's test client, no server); in {args.rounds} interleaved rounds, the median "
        f"of each round's median of {args.repeat} requests after two warm-ups ({args.saves} "
        f"saves); load average {load[0]:.1f} → {load[1]:.1f} "
        f"({time.monotonic() - started:.0f} s in all).",
        "",
        f"| page | {head} | × |",
        "| --- | " + " | ".join("---" for _ in sizes) + " | --- |",
    ]
    for key, title in titles:
        cells = [cell(by_key[s][key]) for s in sizes]
        ratio = by_key[large][key]["ms"] / max(by_key[small][key]["ms"], 0.1)
        bad = [s for s in sizes if by_key[s][key]["status"] not in (200, 302)]
        mark = " ✗ " + ", ".join(str(by_key[s][key]["status"]) for s in bad) if bad else ""
        lines.append(f"| {title}{mark} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        name = "admin" + (f"-{args.label}" if args.label else "")
        write_results(name, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
