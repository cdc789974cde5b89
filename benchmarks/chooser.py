"""The picture chooser at 50,000 pictures: server time per page, searched and filtered.

`DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_chooser
.venv/bin/python benchmarks/chooser.py` (`--pictures`, `--requests`, `--no-write`). The first
run migrates the database and seeds the pictures (rows only, by bulk_create: a rendition row
each and no files, which the chooser never opens), a thousand of them used by articles; later
runs reuse them. Each page is asked `--requests` times by a logged-in editor through Django's
test client in this process (the whole request: middleware, queries, template), and the median
and slowest wall time are written to RESULTS.md. The target (issue 15): 150 ms a page.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import create_database, environment, write_results  # noqa: E402

WORDS = [
    "harbour",
    "quay",
    "council",
    "storm",
    "school",
    "market",
    "river",
    "station",
    "bridge",
    "festival",
]
PAGES = {
    "newest first": {},
    "page 40": {"page": "40"},
    "search, a common word": {"q": "harbour"},
    "search, two words": {"q": "harbour dawn"},
    "search, nothing matches": {"q": "volcano"},
    "uploaded by me": {"mine": "on"},
    "rights expiring": {"rights": "expiring"},
    "not used anywhere": {"unused": "on"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30, help="per page (30)")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    return parser.parse_args()


def seed(pictures: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from articles.models import Article, Section
    from media.models import Image, Rendition

    if Image.objects.count() >= pictures:
        return
    editor = get_user_model().objects.filter(email="bench-editor@example.com").first()
    now, today = timezone.now(), timezone.localdate()
    batch = []
    for n in range(Image.objects.count(), pictures):
        word, other = WORDS[n % len(WORDS)], WORDS[(n * 7) % len(WORDS)]
        batch.append(
            Image(
                file=f"originals/bench/{n}.jpg",
                width=1600,
                height=1067,
                content_hash=f"{n:064x}",
                alt_text=f"The {word} and the {other}, picture {n}",
                caption=f"{word.title()} at dawn, {n}" if n % 5 == 0 else f"{word.title()} {n}",
                credit=f"Herald/Photographer {n % 300}",
                rights_expire_on=today + timezone.timedelta(days=n % 400 - 30)
                if n % 10 == 0
                else None,
                uploaded_by=editor if n % 50 == 0 else None,
                uploaded_at=now - timezone.timedelta(minutes=n),
            )
        )
    images = Image.objects.bulk_create(batch, batch_size=2000)
    Rendition.objects.bulk_create(
        [
            Rendition(
                image=image, width=480, height=320, format="webp", file=f"bench/{image.pk}.webp"
            )
            for image in images
        ],
        batch_size=2000,
    )
    section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Article.objects.bulk_create(
        [
            Article(
                headline=f"Bench article {n}",
                slug=f"bench-article-{n}",
                section=section,
                lead_image=image,
                status=Article.Status.DRAFT,
            )
            for n, image in enumerate(images[:1000])
        ],
        batch_size=1000,
    )


def main() -> int:
    args = parse_args()
    env = environment(8078, secrets.token_urlsafe(50))
    if env["DATABASE_URL"].startswith("postgres"):
        create_database(env["DATABASE_URL"])
    env["LOG_LEVEL"] = "ERROR"
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    editor, _ = get_user_model().objects.get_or_create(
        email="bench-editor@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    seed(args.pictures)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    url = reverse("admin:media_image_choose")
    rows = []
    for label, query in PAGES.items():
        client.get(url, query)  # warm: the template, the connection, the kept session
        seconds = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url, query)
            seconds.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        shown = response.content.decode().count('<li class="chooser__picture">')
        rows.append((label, statistics.median(seconds) * 1000, max(seconds) * 1000, shown))
    vendor = connection.vendor
    lines = [
        f"## The picture chooser at {args.pictures:,} pictures (`benchmarks/chooser.py`, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)",
        "",
        f"{vendor}, `DEBUG=false`, an editor's whole request through Django's test client in one "
        f"process, {args.requests} requests a page: the median and the slowest, in ms. "
        "Target: 150 ms.",
        "",
        "| page | median ms | slowest ms | pictures shown |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {median:.1f} | {slowest:.1f} | {shown} |"
            for label, median, slowest, shown in rows
        ),
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_results(f"chooser-{vendor}", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
