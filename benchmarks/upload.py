"""A 20 MB picture uploaded by an editor: how long the request takes, wall clock and CPU.

`.venv/bin/python benchmarks/upload.py` (`--runs`, `--megapixels`, `--profile`, `--no-write`).
Issue 15: "a 20 MB upload answers in under a second, and pages use the nearest finished
rendition or the original until then". It makes, with Pillow, photographs of `--megapixels`
(24: 6000×4000) that compress like a real one badly (smooth light with fine grain, JPEG at
quality 97, about 20 MB; each upload with a few different bytes after the picture's end, which
Pillow ignores, so that none is the library's duplicate), and
posts each through the chooser's upload endpoint and through the picture admin's add form as a
logged-in editor, with Django's test client in this process (the whole request: middleware,
upload handlers, hygiene, hashing, storage, the row), on the database task backend, so the
renditions are queued for a worker and not made in the request (checked). The median of
`--runs` (5) of each, after a warm-up; the table replaces the "upload" section of RESULTS.md.
SQLite in a temporary folder unless `DATABASE_URL` says otherwise (its name must contain
`bench`); the uploads go to a temporary MEDIA_ROOT, removed at the end. `--profile` prints where
one chooser upload's time goes (cProfile, by cumulative time).
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import create_database, environment, write_results  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed uploads of each kind (5)")
    parser.add_argument("--megapixels", type=int, default=24, help="24: 6000×4000")
    parser.add_argument("--profile", action="store_true", help="profile one chooser upload")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    return parser.parse_args()


def photograph(megapixels: int) -> bytes:
    """Return a JPEG that weighs what a camera's does: light across the frame, and grain."""
    from PIL import Image, ImageChops

    width = round((megapixels * 1_000_000 * 3 / 2) ** 0.5)
    size = (width, width * 2 // 3)
    light = Image.linear_gradient("L").resize(size)
    channels = [
        ImageChops.add(light.rotate(angle, expand=False).resize(size), grain, scale=1.6)
        for angle, grain in zip(
            (0, 90, 180), (Image.effect_noise(size, 30 + n) for n in range(3)), strict=True
        )
    ]
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=97)
    return buffer.getvalue()


def timed(post) -> tuple[float, float]:
    """Return the wall and CPU seconds of `post()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    post()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    args = parse_args()
    folder = Path(tempfile.mkdtemp(prefix="newsroom-bench-upload-"))
    base = dict(os.environ)
    base.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    env = environment(8079, secrets.token_urlsafe(50), base=base)
    if env["DATABASE_URL"].startswith("postgres"):
        create_database(env["DATABASE_URL"])
    env |= {"LOG_LEVEL": "ERROR", "MEDIA_ROOT": str(folder / "uploads")}
    os.environ.update(env)
    try:
        return measure(args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from media.models import Image

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    call_command("migrate", verbosity=0)
    editor, _ = get_user_model().objects.get_or_create(
        email="bench-editor@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    picture = photograph(args.megapixels)
    megabytes = len(picture) / 1024 / 1024
    print(f"A picture of {megabytes:.1f} MB made")

    def another():
        return picture + secrets.token_bytes(16)

    def chooser_upload(data):
        file = SimpleUploadedFile("harbour.jpg", data, content_type="image/jpeg")
        response = client.post(reverse("admin:media_image_choose_upload"), {"file": file})
        assert response.status_code == 200, response.content[:300]

    def admin_add(data):
        file = SimpleUploadedFile("harbour.jpg", data, content_type="image/jpeg")
        fields = {"file": file, "alt_text": "Boats in the harbour", "caption": "The harbour"}
        response = client.post(reverse("admin:media_image_add"), {**fields, "_save": "Save"})
        assert response.status_code == 302, response.content[:300]

    uploads = {"chooser's upload endpoint": chooser_upload, "admin's add form": admin_add}
    for post in uploads.values():
        post(another())  # warm: the URLconf, the templates, the connection
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(chooser_upload, another())
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    rows = []
    for label, post in uploads.items():
        runs = []
        for _ in range(args.runs):
            data = another()
            runs.append(timed(lambda data=data, post=post: post(data)))
        walls, cpus = zip(*runs, strict=True)
        rows.append((label, statistics.median(walls), max(walls), statistics.median(cpus)))
    queued = DBTaskResult.objects.filter(task_path__endswith="image_renditions_make").count()
    made = Image.objects.filter(renditions__isnull=False).distinct().count()
    assert queued == Image.objects.count() and not made, (queued, made)

    vendor = connection.vendor
    lines = [
        f"## A 20 MB upload (`benchmarks/upload.py`, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)",
        "",
        f"A {args.megapixels} MP JPEG of {megabytes:.1f} MB (smooth light and grain, quality 97), "
        f"posted by an editor through Django's test client in one process, {vendor}, "
        f"`DEBUG=false`, local disk, renditions queued on the database task backend (none made "
        f"in the request). Median of {args.runs} after a warm-up, in seconds. Target: under 1 s.",
        "",
        "| upload | median wall s | slowest wall s | median CPU s |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {wall:.2f} | {slowest:.2f} | {cpu:.2f} |"
            for label, wall, slowest, cpu in rows
        ),
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_results(f"upload-{vendor}", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
