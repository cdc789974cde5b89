"""Load benchmark: the site's pages under gunicorn, against the same stack returning "ok".

Run it as `make benchmark` or `.venv/bin/python benchmarks/run.py --help`. It

1. sets its own environment (DEBUG off, a throwaway secret, a database of its own under
   `var/bench/` unless DATABASE_URL/CACHE_URL are given, whose database name must then contain
   "bench"), migrates it and loads the demo content (`seed_demo`, idempotent);
2. picks the articles and logs the two demo readers in (sessions made directly, no log-in
   form);
3. starts gunicorn on 127.0.0.1 only, uses up an anonymous meter over HTTP, counts the SQL
   queries of one request per page with Django's test client, checks each page answers as
   expected (status, paywall, Cache-Control, Set-Cookie), warms it up, then loads it for a
   bounded time and a bounded number of requests from a small keep-alive HTTP client
   (threads, one connection each, reconnecting whenever the server closes it);
4. always stops gunicorn, then prints the table and writes it into `benchmarks/RESULTS.md`
   (one section per database and cache pair; the rest of the file is kept) and the raw
   figures into `benchmarks/out/`.

Standard library only, plus Django and gunicorn from requirements.txt.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import io
import json
import math
import os
import platform
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address this script ever sends load to
BENCH_DIR = ROOT / "var" / "bench"
OUT_DIR = ROOT / "benchmarks" / "out"
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
SETTINGS_MODULE = "benchmarks.settings"
USER_AGENT = "newsroom-benchmark/1.0"  # not matched by the paywall's crawler pattern
READER_EMAIL = "reader@example.com"
SUBSCRIBER_EMAIL = "subscriber@example.com"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

SCENARIO_KEYS = (
    "fixed",
    "home",
    "section",
    "article_preview",
    "article_meter_exhausted",
    "article_meter_first",
    "article_reader",
    "article_subscriber",
    "feed",
    "sitemap",
)

# Markers in the article page (templates/articles/article_detail.html).
FULL_TEXT_MARK = '<div class="paywall">'
PROMPT_MARK = 'class="paywall-prompt"'


# --- environment -------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """Return `url` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def configure_environment(*, port: int) -> None:
    """Set the variables the settings read; DATABASE_URL and CACHE_URL may come from outside."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    # Explicit values also keep a developer's .env (read by the settings) out of the benchmark.
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'db.sqlite3'}")
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),  # throwaway: new on every run
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "MEDIA_ROOT": str(BENCH_DIR / "uploads"),
            "NEWSROOM_SERVE_UPLOADS": "false",
            "NEWSROOM_SITE_URL": f"http://{HOST}:{port}",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )


def check_database_is_for_benchmarks() -> None:
    """Refuse a database whose name does not say it is for benchmarks (seed_demo adds logins)."""
    url = os.environ["DATABASE_URL"]
    # The database name, or for SQLite the file's path.
    if "bench" not in urlsplit(url).path.lower():
        sys.exit(
            f"DATABASE_URL={redact_url(url)}: the database name must contain 'bench'. The "
            "benchmark migrates it and loads demo content with published passwords, so it "
            "only runs on a database made for it."
        )


def setup_django() -> None:
    # `python benchmarks/run.py` puts benchmarks/ first on the path; the project root is wanted.
    if sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
        sys.path[0] = str(ROOT)
    elif str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    # WhiteNoise warns that STATIC_ROOT is missing: no static files are loaded here.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()


def prepare_database() -> str:
    from django.core.management import call_command
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as error:
        sys.exit(
            f"Cannot connect to {redact_url(os.environ['DATABASE_URL'])}: {error}\n"
            "For PostgreSQL create the database first, e.g. "
            "psql -h 127.0.0.1 -U postgres -c 'create database newsroom_bench'"
        )
    call_command("migrate", interactive=False, verbosity=0)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return " ".join(out.getvalue().splitlines()[:2])


# --- the scenarios -----------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    title: str
    path: str
    cookies: dict[str, str] = field(default_factory=dict)
    # What the first response must show: "public" (Cache-Control public, no Set-Cookie),
    # "no-cookie" (no Set-Cookie), "no-meter" (no meter cookie; a logged-in page renews the
    # CSRF cookie of its log-out form every time, as Django does), "sets-meter" (sets the
    # meter cookie), "full" (the text beyond the cut), "preview" (the paywall prompt, no text
    # beyond the cut).
    expect: tuple[str, ...] = ()
    # Send back the cookies the first response sets, as a browser would (the CSRF cookie of
    # a logged-in page's log-out form).
    keeps_cookies: bool = False

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


@dataclass
class Fixture:
    """What the scenarios need from the database, and what to clean up afterwards."""

    section_slug: str
    subscribers_slug: str
    metered_slugs: list[str]  # newest first
    reader_slug: str
    meter_reads: int
    session_cookie: str
    sessions: dict[str, str]  # role -> session key
    database: dict[str, str]


def make_session(user) -> str:
    """Return the key of a new logged-in session for `user` (as django.contrib.auth.login)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = MODEL_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def delete_sessions(keys) -> None:
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        with contextlib.suppress(Exception):
            store_class(session_key=key).delete()


def load_fixture() -> Fixture:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from articles.models import Article
    from subscriptions.meter import meter_period
    from subscriptions.models import MeteredRead

    published = Article.objects.published()
    section = (
        published.filter(section__isnull=False)
        .values("section__slug")
        .annotate(articles=Count("pk"))
        .order_by("-articles", "section__slug")
        .first()
    )
    subscribers = published.filter(access=Article.Access.SUBSCRIBERS).latest_first().first()
    metered = list(
        published.filter(access=Article.Access.METERED)
        .latest_first()
        .values_list("pk", "slug", named=True)
    )
    meter_reads = settings.NEWSROOM_METER_ANONYMOUS
    if section is None or subscribers is None or len(metered) < meter_reads + 1:
        sys.exit(
            "The benchmark needs a section, a subscribers-only article and "
            f"{meter_reads + 1} metered articles, published; seed_demo should have made them."
        )
    User = get_user_model()
    reader = User.objects.get(email__iexact=READER_EMAIL)
    subscriber = User.objects.get(email__iexact=SUBSCRIBER_EMAIL)
    # The registered reader re-reads an article already on their meter this month, if any.
    already = set(
        MeteredRead.objects.filter(user=reader, period=meter_period()).values_list(
            "article_id", flat=True
        )
    )
    reader_article = next((row for row in metered if row.pk in already), metered[0])
    return Fixture(
        section_slug=section["section__slug"],
        subscribers_slug=subscribers.slug,
        metered_slugs=[row.slug for row in metered],
        reader_slug=reader_article.slug,
        meter_reads=meter_reads,
        session_cookie=settings.SESSION_COOKIE_NAME,
        sessions={"reader": make_session(reader), "subscriber": make_session(subscriber)},
        database=describe_backends(),
    )


def build_scenarios(fixture: Fixture, *, meter_cookie: str | None) -> list[Scenario]:
    from subscriptions.meter import METER_COOKIE

    session = fixture.session_cookie
    exhausted_slug = fixture.metered_slugs[fixture.meter_reads]
    scenarios = [
        Scenario("fixed", "Fixed string (baseline)", "/bench/fixed/", expect=("public",)),
        Scenario("home", "Home page, anonymous", "/", expect=("public",)),
        Scenario(
            "section",
            "Section page, anonymous",
            f"/section/{fixture.section_slug}/",
            expect=("public",),
        ),
        Scenario(
            "article_preview",
            "Article, subscribers-only, anonymous without cookies (CDN-cacheable preview)",
            f"/articles/{fixture.subscribers_slug}/",
            expect=("public", "preview"),
        ),
        Scenario(
            "article_meter_exhausted",
            f"Article, metered, anonymous with the meter used up ({fixture.meter_reads} reads)",
            f"/articles/{exhausted_slug}/",
            cookies={METER_COOKIE: meter_cookie or ""},
            expect=("no-cookie", "preview"),
        ),
        Scenario(
            "article_meter_first",
            "Article, metered, anonymous first visit (no cookies: counts a read, sets the cookie)",
            f"/articles/{fixture.metered_slugs[0]}/",
            expect=("sets-meter", "full"),
        ),
        Scenario(
            "article_reader",
            "Article, metered, registered reader re-reading it (session)",
            f"/articles/{fixture.reader_slug}/",
            cookies={session: fixture.sessions["reader"]},
            expect=("no-meter", "full"),
            keeps_cookies=True,
        ),
        Scenario(
            "article_subscriber",
            "Article, subscribers-only, subscriber (session)",
            f"/articles/{fixture.subscribers_slug}/",
            cookies={session: fixture.sessions["subscriber"]},
            expect=("no-meter", "full"),
            keeps_cookies=True,
        ),
        Scenario("feed", "RSS feed", "/feed.rss", expect=("public",)),
        Scenario("sitemap", "Sitemap", "/sitemap.xml", expect=("public",)),
    ]
    assert tuple(scenario.key for scenario in scenarios) == SCENARIO_KEYS
    return scenarios


def count_queries(scenarios: list[Scenario]) -> dict[str, int | None]:
    """Return the SQL queries of one request per scenario (after one to warm the caches)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    client = Client(HTTP_HOST=HOST, HTTP_USER_AGENT=USER_AGENT)
    for scenario in scenarios:
        status = None
        for _ in range(2):  # the first fills the caches (body, navigation), the second counts
            client.cookies = SimpleCookie()
            for name, value in scenario.cookies.items():
                client.cookies[name] = value
            with CaptureQueriesContext(connection) as queries:
                status = client.get(scenario.path).status_code
        counts[scenario.key] = len(queries) if status == 200 else None
    return counts


def describe_backends() -> dict[str, str]:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection

    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    elif vendor == "postgresql":
        version = connection.pg_version
        database = f"PostgreSQL {version // 10000}.{version % 10000}"
    else:
        database = connection.display_name
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    cache_name = {"LocMemCache": "local-memory cache (one per worker)", "RedisCache": "Redis"}.get(
        backend, backend
    )
    if backend == "RedisCache":
        with contextlib.suppress(Exception):
            cache_name += " " + cache._cache.get_client().info()["redis_version"]
    return {
        "vendor": vendor,
        "cache_backend": backend,
        "database": database,
        "database_url": redact_url(os.environ["DATABASE_URL"]),
        "conn_max_age": str(settings.DATABASES["default"].get("CONN_MAX_AGE", 0)),
        "cache": cache_name,
        "cache_url": redact_url(os.environ["CACHE_URL"]),
    }


# --- gunicorn ----------------------------------------------------------------------------


def port_is_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def start_gunicorn(*, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "newsroom.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(ROOT),
        "--env",
        f"DJANGO_SETTINGS_MODULE={SETTINGS_MODULE}",
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
    ]
    log = log_path.open("w")
    # Its own session: a Ctrl-C reaches this script, which then stops gunicorn and its workers.
    return subprocess.Popen(  # noqa: S603 - a fixed command line
        command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log, start_new_session=True
    )


def wait_until_answering(process: subprocess.Popen, *, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {process.returncode}):\n{tail(log_path)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(port, "/bench/fixed/").status == 200:
                return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on {HOST}:{port} within 60 s:\n{tail(log_path)}")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    """Stop the gunicorn this script started: its master, then anything left in its group."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    # Workers leave with their master; make sure (the group id is the master's pid).
    for _ in range(50):
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def worker_pids(master: int) -> list[int]:
    """Return the gunicorn workers (children of `master`), from /proc; [] elsewhere."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float | None:
    """Return the CPU time (user + system) the processes have used, or None if unknown."""
    if not pids:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# --- the client --------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def set_cookies(self) -> SimpleCookie:
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return jar


def request_headers(cookie_header: str = "") -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,*/*"}
    if cookie_header:
        headers["Cookie"] = cookie_header
    return headers


def fetch(port: int, path: str, *, cookie_header: str = "") -> Reply:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=request_headers(cookie_header))
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def use_up_meter(port: int, *, slugs: list[str]) -> str | None:
    """Read `slugs` in full as one anonymous reader; return the meter cookie it ends with."""
    from subscriptions.meter import METER_COOKIE

    value = None
    for slug in slugs:
        cookie_header = f"{METER_COOKIE}={value}" if value else ""
        reply = fetch(port, f"/articles/{slug}/", cookie_header=cookie_header)
        if reply.status != 200:
            return None
        cookie = reply.set_cookies().get(METER_COOKIE)
        if cookie is not None:
            value = cookie.value
    return value


def keep_cookies(port: int, scenario: Scenario) -> None:
    """Request the page once and keep the cookies it sets in the scenario's cookies."""
    reply = fetch(port, scenario.path, cookie_header=scenario.cookie_header)
    for name, morsel in reply.set_cookies().items():
        if morsel.value:
            scenario.cookies[name] = morsel.value


def check_reply(scenario: Scenario, reply: Reply) -> tuple[bool, str]:
    """Return whether the page answers as the scenario expects, and what it showed."""
    from subscriptions.meter import METER_COOKIE

    cache_control = reply.headers.get("Cache-Control", "(none)")
    cookies = reply.set_cookies()
    facts = [f"{reply.status}", f"Cache-Control: {cache_control}"]
    facts.append(f"Set-Cookie: {', '.join(sorted(cookies)) or 'none'}")
    problems = []
    if reply.status != 200:
        problems.append(f"status {reply.status}")
    directives = {part.strip().split("=")[0] for part in cache_control.lower().split(",")}
    if "public" in scenario.expect:
        if "public" not in directives:
            problems.append("not Cache-Control: public")
        if cookies:
            problems.append("sets a cookie")
    if "no-cookie" in scenario.expect and cookies:
        problems.append("sets a cookie")
    if "no-meter" in scenario.expect and METER_COOKIE in cookies:
        problems.append("sets the meter cookie")
    if "sets-meter" in scenario.expect and METER_COOKIE not in cookies:
        problems.append("does not set the meter cookie")
    body = reply.body.decode("utf-8", errors="replace")
    if "full" in scenario.expect:
        facts.append("full text" if FULL_TEXT_MARK in body else "NO full text")
        if FULL_TEXT_MARK not in body or PROMPT_MARK in body:
            problems.append("not the full text")
    if "preview" in scenario.expect:
        facts.append("preview + prompt" if PROMPT_MARK in body else "NO prompt")
        if PROMPT_MARK not in body or FULL_TEXT_MARK in body:
            problems.append("not the preview")
    summary = "; ".join(facts)
    if problems:
        summary += " — UNEXPECTED: " + ", ".join(problems)
    return not problems, summary


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = math.ceil(fraction * len(ordered)) - 1  # nearest rank
        return ordered[min(len(ordered) - 1, max(0, index))]


def load(
    *,
    port: int,
    scenario: Scenario,
    seconds: float,
    concurrency: int,
    max_requests: int,
    stop: threading.Event,
) -> LoadResult:
    """Send GETs of `scenario` from `concurrency` threads for `seconds` or `max_requests`."""
    headers = request_headers(scenario.cookie_header)
    per_thread = max(1, max_requests // concurrency)
    deadline = time.perf_counter() + seconds
    results = [LoadResult() for _ in range(concurrency)]

    def run(result: LoadResult) -> None:
        connection = None
        statuses: dict[str, int] = {}
        sent = 0
        while sent < per_thread and not stop.is_set() and time.perf_counter() < deadline:
            sent += 1
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", scenario.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = None  # reconnect
                continue
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
            if response.status != 200:
                result.errors += 1
        if connection is not None:
            connection.close()
        result.statuses = statuses

    threads = [threading.Thread(target=run, args=(result,), daemon=True) for result in results]
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = LoadResult(
        seconds=time.perf_counter() - wall_before, client_cpu=time.process_time() - cpu_before
    )
    for result in results:
        total.requests += result.requests
        total.errors += result.errors
        total.latencies += result.latencies
        total.error_samples += result.error_samples[: 3 - len(total.error_samples)]
        for status, count in result.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
    return total


# --- the report --------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    title: str
    path: str
    rate: float
    ratio: float | None
    server_ms: float | None  # gunicorn workers' CPU per request
    cpu_ratio: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    requests: int
    errors: int
    statuses: dict[str, int]
    error_samples: list[str]
    queries: int | None
    server_cpu_percent: float | None
    client_cpu_percent: float
    check_ok: bool
    check: str


def make_row(scenario, result: LoadResult, *, queries, check_ok, check, baseline) -> Row:
    server_ms = (
        1000 * result.server_cpu / result.requests
        if result.server_cpu is not None and result.requests
        else None
    )
    ratio = cpu_ratio = None
    if baseline is not None and baseline.rate:
        ratio = result.rate / baseline.rate
        if server_ms and baseline.server_ms:
            cpu_ratio = baseline.server_ms / server_ms
    return Row(
        key=scenario.key,
        title=scenario.title,
        path=scenario.path,
        rate=result.rate,
        ratio=ratio,
        server_ms=server_ms,
        cpu_ratio=cpu_ratio,
        p50=result.percentile(0.50),
        p95=result.percentile(0.95),
        p99=result.percentile(0.99),
        requests=result.requests,
        errors=result.errors,
        statuses=result.statuses,
        error_samples=result.error_samples,
        queries=queries,
        server_cpu_percent=(
            100 * result.server_cpu / result.seconds if result.server_cpu is not None else None
        ),
        client_cpu_percent=100 * result.client_cpu / result.seconds if result.seconds else 0.0,
        check_ok=check_ok,
        check=check,
    )


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f}"


def num(value: float | None, pattern: str) -> str:
    return "–" if value is None else format(value, pattern)


def table(rows: list[Row]) -> str:
    lines = [
        "| scenario | path | req/s | × fixed | server CPU ms/req | × fixed by CPU "
        "| p50 ms | p95 ms | p99 ms | errors | SQL queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        errors = f"{row.errors}/{row.requests}" if row.errors else "0"
        lines.append(
            f"| {row.title} | `{row.path}` | {row.rate:.0f} | {num(row.ratio, '.2f')} "
            f"| {num(row.server_ms, '.2f')} | {num(row.cpu_ratio, '.2f')} | {ms(row.p50)} "
            f"| {ms(row.p95)} | {ms(row.p99)} | {errors} | {num(row.queries, 'd')} |"
        )
    return "\n".join(lines)


def aim_reading(rows: list[Row]) -> list[str]:
    """Sentences comparing the figures with DESIGN.md's aim (half the fixed-string rate)."""
    by_key = {row.key: row for row in rows}
    lines = []
    for key in ("article_preview", "article_meter_exhausted", "article_meter_first"):
        row = by_key.get(key)
        if row is None or row.ratio is None:
            continue
        met = "meets" if row.ratio >= 0.5 else "misses"
        by_cpu = (
            f", {row.cpu_ratio:.2f}× by server CPU per request" if row.cpu_ratio is not None else ""
        )
        lines.append(
            f"- {row.title}: {row.rate:.0f} req/s, {row.ratio:.2f}× the fixed string{by_cpu}: "
            f"{met} the aim of 0.5×."
        )
    preview = by_key.get("article_preview")
    if preview is not None:
        cacheable = preview.check_ok
        lines.append(
            "- The cookieless preview "
            + ("may be kept by a CDN" if cacheable else "may NOT be kept by a CDN")
            + f" ({preview.check})."
        )
    return lines


def render_section(*, label: str, meta: dict, rows: list[Row]) -> str:
    db = meta["backends"]
    lines = [
        f"<!-- BEGIN run {label} -->",
        f"## {db['database']} + {db['cache']}"
        + (f", CONN_MAX_AGE={db['conn_max_age']}" if db["conn_max_age"] != "0" else ""),
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['nproc']} CPUs ({meta['cpu']}), {meta['platform']}; Python "
        f"{meta['python']}, Django {meta['django']}, gunicorn {meta['gunicorn']} "
        f"({meta['workers']} sync workers, on {HOST} only)",
        f"- Database: {db['database']} (`{db['database_url']}`, CONN_MAX_AGE="
        f"{db['conn_max_age']}); cache: {db['cache']} (`{db['cache_url']}`)",
        f"- Load: the Python client, {meta['concurrency']} threads, {meta['seconds']:g} s per "
        f"scenario after a {meta['warmup']:g} s warm-up, at most {meta['max_requests']} "
        "requests each; gunicorn's sync workers close the connection after each response, so "
        "every request opens a new TCP connection. The client runs on the same cores as the "
        "server.",
        f"- Command: `{meta['command']}`",
        "",
        table(rows),
        "",
        "Server CPU is the gunicorn workers' user + system time per request (the database and "
        "Redis servers are not in it); `× fixed by CPU` is the fixed string's CPU per request "
        "divided by the page's, a ratio the client's share of the cores does not distort. "
        "SQL queries: one request with Django's test client in the benchmark process, after one "
        "that fills the caches. CPU use during the load (server / client, % of one core): "
        + ", ".join(
            f"{row.key} {num(row.server_cpu_percent, '.0f')}/{row.client_cpu_percent:.0f}"
            for row in rows
        )
        + ".",
        "",
        "What each page answered (first request, through gunicorn):",
        "",
        *(f"- {row.title}: {'✓' if row.check_ok else '✗'} {row.check}" for row in rows),
        "",
        "Against the aim in DESIGN.md (an anonymous reader's article page at half the "
        "fixed-string rate, and a cookieless preview a CDN may cache):",
        "",
        *aim_reading(rows),
        f"<!-- END run {label} -->",
    ]
    return "\n".join(lines) + "\n"


RESULTS_HEADER = """# Benchmark results

Written by `benchmarks/run.py` (see `benchmarks/README.md`). Each section below is one database
and cache pair, replaced whole by the next run on that pair; text outside the sections is kept.
Compare ratios, not absolute numbers: the client shares the machine's cores with the server.

"""


def write_results(path: Path, *, label: str, section: str) -> None:
    text = path.read_text() if path.exists() else RESULTS_HEADER
    begin, end = f"<!-- BEGIN run {label} -->", f"<!-- END run {label} -->"
    if begin in text and end in text:
        start = text.index(begin)
        stop = text.index(end) + len(end)
        if text[stop : stop + 1] == "\n":
            stop += 1
        text = text[:start] + section + text[stop:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def machine_meta(args, backends: dict) -> dict:
    import django

    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    given = [
        f"{name}={redact_url(os.environ[name])}"
        for name in ("CONN_MAX_AGE", "DATABASE_URL", "CACHE_URL")
        if args.env_given.get(name)
    ]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "platform": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": importlib.metadata.version("gunicorn"),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "max_requests": args.max_requests,
        "command": " ".join(
            [*given, ".venv/bin/python", "benchmarks/run.py", *map(shlex.quote, sys.argv[1:])]
        ),
        "backends": backends,
    }


# --- main --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load the site's pages under gunicorn on 127.0.0.1 and write RESULTS.md."
    )
    parser.add_argument("--seconds", type=float, default=10, help="per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="per scenario (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=8077, help="on 127.0.0.1 (default 8077)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=100_000,
        help="per scenario, a bound on the load whatever --seconds says (default 100000)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario keys (the baseline always runs): "
        + ", ".join(SCENARIO_KEYS),
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print the figures only: leave RESULTS.md and benchmarks/out/ alone",
    )
    args = parser.parse_args()
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1 or args.workers < 1:
        parser.error("--seconds, --concurrency and --workers must be positive")
    if not 1024 <= args.port <= 65535:
        parser.error("--port must be between 1024 and 65535")
    args.only = {key.strip() for key in args.only.split(",") if key.strip()}
    if args.only - set(SCENARIO_KEYS):
        parser.error(f"--only: the scenarios are {', '.join(SCENARIO_KEYS)}")
    args.env_given = {
        name: name in os.environ for name in ("CONN_MAX_AGE", "DATABASE_URL", "CACHE_URL")
    }
    return args


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    if port_is_taken(args.port):
        sys.exit(f"Something already answers on {HOST}:{args.port}; choose another --port.")
    configure_environment(port=args.port)
    check_database_is_for_benchmarks()
    setup_django()

    print(f"Preparing {redact_url(os.environ['DATABASE_URL'])} (migrate, seed_demo)…")
    seeded = prepare_database()
    if seeded:
        print(f"  {seeded}")
    fixture = load_fixture()
    from django.db import connections

    connections.close_all()

    log_path = BENCH_DIR / "gunicorn.log"
    stop = threading.Event()
    process = None
    rows: list[Row] = []
    try:
        print(f"Starting gunicorn ({args.workers} workers) on {HOST}:{args.port}…")
        process = start_gunicorn(port=args.port, workers=args.workers, log_path=log_path)
        wait_until_answering(process, port=args.port, log_path=log_path)
        workers = worker_pids(process.pid)

        meter_cookie = use_up_meter(args.port, slugs=fixture.metered_slugs[: fixture.meter_reads])
        scenarios = build_scenarios(fixture, meter_cookie=meter_cookie)
        if args.only:
            scenarios = [s for s in scenarios if s.key == "fixed" or s.key in args.only]
        for scenario in scenarios:
            if scenario.keeps_cookies:
                keep_cookies(args.port, scenario)
        queries = count_queries(scenarios)
        connections.close_all()

        baseline = None
        for scenario in scenarios:
            check_ok, check = check_reply(
                scenario, fetch(args.port, scenario.path, cookie_header=scenario.cookie_header)
            )
            print(f"\n{scenario.title}  {scenario.path}\n  {'ok' if check_ok else '!!'} {check}")
            if args.warmup:
                load(
                    port=args.port,
                    scenario=scenario,
                    seconds=args.warmup,
                    concurrency=args.concurrency,
                    max_requests=args.max_requests,
                    stop=stop,
                )
            cpu_before = cpu_seconds(workers)
            result = load(
                port=args.port,
                scenario=scenario,
                seconds=args.seconds,
                concurrency=args.concurrency,
                max_requests=args.max_requests,
                stop=stop,
            )
            cpu_after = cpu_seconds(workers)
            if cpu_before is not None and cpu_after is not None:
                result.server_cpu = cpu_after - cpu_before
            row = make_row(
                scenario,
                result,
                queries=queries.get(scenario.key),
                check_ok=check_ok,
                check=check,
                baseline=baseline,
            )
            if scenario.key == "fixed":
                baseline = row
                row.ratio = row.cpu_ratio = 1.0 if row.rate else None
            rows.append(row)
            print(
                f"  {row.rate:.0f} req/s, p50 {ms(row.p50)} ms, p95 {ms(row.p95)} ms, "
                f"p99 {ms(row.p99)} ms, errors {row.errors}/{row.requests}"
                + (f" {row.error_samples}" if row.error_samples else "")
            )
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        stop.set()
        stop_gunicorn(process)
        delete_sessions(fixture.sessions.values())
        print(f"gunicorn stopped (its log: {log_path.relative_to(ROOT)}).")

    meta = machine_meta(args, fixture.database)
    label = f"{fixture.database['vendor']}-{fixture.database['cache_backend'].lower()}"
    if fixture.database["conn_max_age"] != "0":
        label += f"-conn-max-age-{fixture.database['conn_max_age']}"
    section = render_section(label=label, meta=meta, rows=rows)
    print("\n" + table(rows) + "\n")
    print("\n".join(aim_reading(rows)))
    if not args.no_write:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        (OUT_DIR / f"{label}.json").write_text(
            json.dumps({"meta": meta, "rows": [asdict(row) for row in rows]}, indent=2) + "\n"
        )
        write_results(RESULTS_PATH, label=label, section=section)
        print(f"\nWritten to {RESULTS_PATH.relative_to(ROOT)} (section {label}).")
    return 0 if all(row.check_ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
