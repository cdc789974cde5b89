"""A newsletter at size: 50,000 recipients frozen and handed to a stand-in provider by real
workers, two of them killed on the way, with each worker's memory sampled every second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_newsletters \\
    CACHE_URL=redis://127.0.0.1:6379/12 .venv/bin/python benchmarks/newsletter_send.py

It creates the database if it is missing (its name must contain "bench"), migrates it, seeds
the readers once (a third with accounts, half of those subscribers, the rest bare addresses;
`--recipients`), writes a digest of three articles (a subscribers-only one, a metered one and a
free one), starts the stand-in Resend of the tests (`tests/newsletters/resend_stand_in.py`, in
this process) and `--workers` workers (`manage.py run_worker`, production settings, DEBUG off),
sends the digest, kills a worker with SIGKILL at a third and at two thirds of the way and
starts another each time, and waits until the send is sent. It prints, and writes as JSON to
`var/bench/newsletter-send.json`: how long the freeze took, how long the hand-over took, the
messages a second, whether every recipient got exactly one message (and the variant the site
would give them), and each worker's resident memory at its start, its peak and its end.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE))


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0, help="messages a second; 0: no limit")
    parser.add_argument("--provider-delay", type=float, default=0.0)
    return parser.parse_args()


def environment(args):
    database = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench_newsletters"
    )
    if "bench" not in urlsplit(database).path:
        raise SystemExit("The benchmark's database name must contain 'bench'.")
    return {
        **os.environ,
        "DATABASE_URL": database,
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/12"),
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-not-secret",
        "SECURE_SSL_REDIRECT": "false",
        "NEWSROOM_SITE_URL": "https://news.example",
        "NEWSROOM_NEWSLETTER_BATCH_SIZE": str(args.batch),
        "NEWSROOM_NEWSLETTER_RATE_PER_SECOND": str(args.rate),
        "NEWSROOM_WORKER_HEARTBEAT_SECONDS": "1",
        "NEWSROOM_EMAIL_RETRY_SECONDS": "1",
        "DATABASE_STATEMENT_TIMEOUT_MS": "0",
        "LOG_LEVEL": "WARNING",
    }


def create_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = f"{parts.scheme}://{parts.netloc}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def seed(recipients):
    """Readers and a newsletter, once: a third with accounts (half of them subscribers)."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from newsletters.models import Newsletter, NewsletterSubscription
    from subscriptions.models import Subscription

    # One newsletter per size: a run with fewer recipients does not send to a larger run's.
    newsletter, _ = Newsletter.objects.get_or_create(
        slug=f"bench-briefing-{recipients}",
        defaults={"name": "The Benchmark Briefing", "description": "Every morning."},
    )
    if newsletter.subscriptions.count() >= recipients:
        return newsletter
    now = timezone.now()
    password = make_password(None)
    with_accounts = recipients // 3
    for start in range(0, with_accounts, 5000):
        User.objects.bulk_create(
            [
                User(
                    email=f"bench-reader-{recipients}-{n}@example.com",
                    password=password,
                    name=f"Reader {n}",
                )
                for n in range(start, min(start + 5000, with_accounts))
            ],
            ignore_conflicts=True,
        )
    users = list(
        User.objects.filter(email__startswith=f"bench-reader-{recipients}-").order_by("pk")
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                user=user,
                status=Subscription.Status.ACTIVE,
                current_period_start=now - timedelta(days=3),
                current_period_end=now + timedelta(days=300),
                source=Subscription.Source.COMPLIMENTARY,
            )
            for user in users[::2]
        ],
        batch_size=5000,
    )
    rows = [
        NewsletterSubscription(
            newsletter=newsletter,
            email=user.email,
            user=user,
            status="subscribed",
            confirmed_at=now,
        )
        for user in users
    ]
    rows += [
        NewsletterSubscription(
            newsletter=newsletter,
            email=f"bench-address-{recipients}-{n}@example.net",
            status="subscribed",
            confirmed_at=now,
        )
        for n in range(recipients - len(users))
    ]
    NewsletterSubscription.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return newsletter


def digest(newsletter):
    from django.utils import timezone

    from articles.blocks import block_kind
    from articles.models import Article, Section
    from articles.services import article_body_changed
    from newsletters.models import DigestItem, NewsletterSend

    section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    articles = []
    for access in ("subscribers", "metered", "free"):
        article, created = Article.objects.get_or_create(
            slug=f"bench-digest-{access}",
            defaults={
                "headline": f"A {access} article for the digest",
                "standfirst": "What a digest shows of it.",
                "access": access,
                "section": section,
                "status": Article.Status.PUBLISHED,
                "published_at": timezone.now(),
            },
        )
        if created:
            paragraphs = "".join(f"<p>Paragraph {n} of the story.</p>" for n in range(8))
            block_kind("text").add_to(article, ordering=10, text=paragraphs)
            article_body_changed(article=article)
        articles.append(article)
    # A run stopped half-way left its send with batches queued for later: cancelled, so that
    # they do not reach this run's provider.
    NewsletterSend.objects.filter(newsletter=newsletter).exclude(
        status__in=[NewsletterSend.Status.SENT, NewsletterSend.Status.CANCELLED]
    ).update(status=NewsletterSend.Status.CANCELLED)
    send = NewsletterSend.objects.create(
        newsletter=newsletter, kind=NewsletterSend.Kind.DIGEST, intro="Good morning."
    )
    for order, article in enumerate(articles):
        DigestItem.objects.create(send=send, article=article, order=order)
    return send


def rss_kib(pid) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Worker:
    def __init__(self, env, log):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
            cwd=BASE,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.samples = []  # (seconds since the send began, RSS in KiB)

    def sample(self, since):
        kib = rss_kib(self.process.pid)
        if kib is not None and self.process.poll() is None:
            self.samples.append((round(time.monotonic() - since, 1), kib))

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def main():
    args = parse()
    env = environment(args)
    os.environ.update(env)
    create_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE,
        env=env,
        check=True,
    )
    import django

    django.setup()
    from django.core.cache import caches

    from tests.newsletters.resend_stand_in import API_KEY, ResendStandIn

    caches["throttles"].clear()
    started = time.monotonic()
    newsletter = seed(args.recipients)
    print(f"Seeded in {time.monotonic() - started:.1f} s", flush=True)
    send = digest(newsletter)
    provider = ResendStandIn().start()
    provider.delay(args.provider_delay)
    env |= {
        "EMAIL_BACKEND": "foundation.email_providers.ResendEmailBackend",
        "ANYMAIL_RESEND_API_KEY": API_KEY,
        "ANYMAIL_RESEND_API_URL": provider.url,
    }
    logs = BASE / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    log = open(logs / "newsletter-workers.log", "ab")  # noqa: SIM115
    workers = [Worker(env, log) for _ in range(args.workers)]
    time.sleep(3)  # the workers start and beat

    from django.contrib.auth import get_user_model

    editor, _ = get_user_model().objects.get_or_create(
        email="bench-editor@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    began = time.monotonic()
    stopping = threading.Event()

    def sampler():
        while not stopping.wait(1):
            for worker in workers:
                worker.sample(began)

    threading.Thread(target=sampler, daemon=True).start()
    try:
        result = run_send(args, send, editor, workers, env, log, provider, began)
    finally:  # whatever happened, no worker outlives the benchmark
        stopping.set()
        for worker in workers:
            worker.stop()
        provider.stop()
        log.close()
    (logs / "newsletter-send.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def run_send(args, send, editor, workers, env, log, provider, began):
    """Send, kill workers on the way, wait until sent; return the figures."""
    from newsletters.models import NewsletterSend, SendRecipient
    from newsletters.sending import send_counts, send_start

    send_start(send=send, by=editor)
    frozen_after = None
    kills_at = [args.recipients * (k + 1) / (args.kills + 1) for k in range(args.kills)]
    killed = []
    while True:
        time.sleep(0.5)
        status = NewsletterSend.objects.values_list("status", flat=True).get(pk=send.pk)
        if frozen_after is None and status != NewsletterSend.Status.FREEZING:
            frozen_after = time.monotonic() - began
            print(f"Frozen after {frozen_after:.1f} s", flush=True)
        delivered = len(provider.delivered)
        if kills_at and delivered >= kills_at[0]:
            kills_at.pop(0)
            victim = workers[len(killed) % len(workers)]
            victim.kill()
            killed.append(round(time.monotonic() - began, 1))
            workers.append(Worker(env, log))
            print(f"Killed a worker at {killed[-1]} s ({delivered} delivered)", flush=True)
        if status in (NewsletterSend.Status.SENT, NewsletterSend.Status.CANCELLED):
            break
        if time.monotonic() - began > 1800:
            print("Gave up after 30 minutes", flush=True)
            break
    ended = time.monotonic() - began
    send.refresh_from_db()
    counts = send_counts(send)
    per_address = provider.recipients()
    frozen = set(SendRecipient.objects.filter(send=send).values_list("email", flat=True))
    result = {
        "recipients": args.recipients,
        "workers": args.workers,
        "batch_size": args.batch,
        "rate_per_second": args.rate,
        "freeze_seconds_in_task": send.freeze_seconds,
        "frozen_after_seconds": round(frozen_after or 0, 1),
        "sent_after_seconds": round(ended, 1),
        "handing_over_seconds": round(ended - (frozen_after or 0), 1),
        "messages_per_second": round(
            len(provider.delivered) / max(0.1, ended - (frozen_after or 0)), 1
        ),
        "killed_at_seconds": killed,
        "counts": counts,
        "provider_posts": provider.posts,
        "provider_delivered": len(provider.delivered),
        "every_recipient_exactly_once": set(per_address) == frozen
        and set(per_address.values()) == {1},
        "variants": list(send.variants.values_list("key", "recipients")),
        "worker_rss_kib": [
            {
                "first": worker.samples[0][1] if worker.samples else None,
                "peak": max((kib for _t, kib in worker.samples), default=None),
                "last": worker.samples[-1][1] if worker.samples else None,
                "samples": len(worker.samples),
                "killed": worker.process.returncode == -signal.SIGKILL,
            }
            for worker in workers
        ],
    }
    return result


if __name__ == "__main__":
    main()
