"""The site behind the shipped nginx (deploy/), as a CDN would serve it to readers.

Each test starts Debian's nginx as a child, with the site file rendered from
deploy/newsroom.nginx.conf into a temporary folder (its own port, pid, logs and cache), in front
of the live server; the last two put gunicorn with deploy/gunicorn.conf.py there instead, on
the test database. `X-Cache-Status` (shipped in the site file) says whether nginx answered
from its cache.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from deploy.nginx_site import DEPLOY_DIR, render_site
from subscriptions.access import Access
from subscriptions.meter import METER_COOKIE
from subscriptions.models import MeteredRead
from subscriptions.private_feeds import (
    private_feed_create,
    private_feed_rotate,
    private_feed_token,
)
from tests.factories import make_article, paragraphs
from tests.fault_services import served_database_url
from tests.launcher import Forked, Launcher
from tests.subscriptions.factories import make_reader, make_subscription

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = DEPLOY_DIR.parent
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BEYOND = "Beyond the cut, for readers who may read on."
PROMPT = "You're reading a preview, subscribe to read more."

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not Path(NGINX).exists(),
        reason=f"no nginx at {NGINX}: apt-get install -y nginx (.ci/run installs it)",
    ),
]


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def cache(self) -> str:
        """How nginx answered: HIT, MISS, BYPASS, EXPIRED… (empty where it does not cache)."""
        return self.headers.get("X-Cache-Status", "")

    @property
    def cookies(self) -> dict[str, str]:
        pairs = (line.split(";", 1)[0] for line in self.headers.get_all("Set-Cookie") or [])
        return dict(pair.split("=", 1) for pair in pairs)


class CDN:
    """A running nginx on 127.0.0.1:`port`, with its folder (logs, cache, config)."""

    def __init__(self, port: int, folder: Path):
        self.port = port
        self.folder = folder

    def request(self, path, *, method="GET", cookie="", agent=BROWSER) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            headers = {"User-Agent": agent} | ({"Cookie": cookie} if cookie else {})
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def logged(self, text: str) -> bool:
        """Whether `text` is in the access log (written just after the response is sent)."""
        deadline = time.monotonic() + 5
        while text not in (self.folder / "access.log").read_text():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def stop(process: subprocess.Popen | Forked, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def main_config(folder: Path) -> str:
    """Return an nginx.conf that runs in the foreground with everything under `folder`."""
    temp_paths = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would run as nobody, who may not read the temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp_paths}    include {folder / "newsroom.conf"};
}}
"""


@contextmanager
def running_nginx(*, upstream: str, static_root: Path, media_root: Path, edit=lambda site: site):
    """Run nginx in front of `upstream` with the shipped site file (changed by `edit`)."""
    folder = Path(tempfile.mkdtemp(prefix="newsroom-cdn-"))
    process = None
    try:
        port = free_port()
        site = render_site(
            upstream=upstream,
            listen=f"127.0.0.1:{port}",
            static_root=static_root,
            media_root=media_root,
            cache_dir=folder / "cache",
            access_log=str(folder / "access.log"),
        )
        (folder / "newsroom.conf").write_text(edit(site))
        (folder / "nginx.conf").write_text(main_config(folder))
        command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)  # noqa: S603
        deadline = time.monotonic() + 10
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                error_log = folder / "error.log"
                logged = error_log.read_text() if error_log.exists() else ""
                pytest.fail(f"nginx did not start: {process.stderr.read()}{logged}")
            time.sleep(0.05)
        yield CDN(port, folder)
    finally:
        if process is not None:
            stop(process, signal.SIGQUIT)  # graceful: finish what is in flight
            process.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)


def live_upstream(live_server) -> str:
    url = urlsplit(live_server.url)
    return f"127.0.0.1:{url.port}"


@pytest.fixture
def static_root(tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "site.css").write_text("body { color: black }")
    (folder / "css" / "site.0123456789ab.css").write_text("body { color: black }")
    return folder


@pytest.fixture
def cdn(live_server, static_root, settings):
    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 60
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    with running_nginx(
        upstream=live_upstream(live_server), static_root=static_root, media_root=settings.MEDIA_ROOT
    ) as running:
        yield running


def story(access, **fields):
    return make_article(
        access=access,
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
        **fields,
    )


def logged_in(client, user) -> str:
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


# What the cache may keep: the same page for everyone.


@pytest.mark.parametrize("access", [Access.FREE, Access.SUBSCRIBERS])
def test_cookieless_readers_get_free_articles_and_previews_from_the_cache(cdn, access):
    path = story(access).get_absolute_url()
    first, second, third = (cdn.request(path) for _ in range(3))
    assert (first.status, first.cache) == (200, "MISS")
    assert (second.cache, third.cache) == ("HIT", "HIT")
    assert second.body == first.body
    assert not second.cookies
    if access == Access.SUBSCRIBERS:
        assert PROMPT in second.body
        assert BEYOND not in second.body
    else:
        assert BEYOND in second.body


def test_the_front_page_comes_from_the_cache(cdn):
    article = story(Access.FREE)
    assert cdn.request("/").cache == "MISS"
    again = cdn.request("/")
    assert again.cache == "HIT"
    assert article.headline in again.body


# What it never keeps: a particular reader's page.


def test_a_subscriber_reads_in_full_even_where_the_cache_holds_the_preview(cdn, client):
    path = story(Access.SUBSCRIBERS).get_absolute_url()
    cdn.request(path)
    assert cdn.request(path).cache == "HIT"  # the preview, for cookieless readers
    subscriber = make_reader()
    make_subscription(user=subscriber)
    cookie = logged_in(client, subscriber)
    for _ in range(2):
        page = cdn.request(path, cookie=cookie)
        assert (page.status, page.cache) == (200, "BYPASS")
        assert BEYOND in page.body
        assert PROMPT not in page.body
        assert "private" in page.headers["Cache-Control"]
    assert BEYOND not in cdn.request(path).body  # and the cached preview stayed one


def test_every_cookieless_reader_gets_their_own_metered_read(cdn):
    path = story(Access.METERED).get_absolute_url()
    for _ in range(3):
        page = cdn.request(path)
        assert page.status == 200
        assert page.cache != "HIT"
        assert BEYOND in page.body
        assert METER_COOKIE in page.cookies  # the read, counted in this reader's meter


def test_a_crawlers_preview_of_a_metered_article_is_not_served_to_the_next_reader(cdn):
    path = story(Access.METERED).get_absolute_url()
    crawled = cdn.request(path, agent=CRAWLER)
    assert PROMPT in crawled.body
    assert BEYOND not in crawled.body
    reader = cdn.request(path)
    assert reader.cache != "HIT"
    assert BEYOND in reader.body


def test_a_reader_whose_meter_is_spent_gets_the_preview_past_the_cache(cdn, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 1
    read, other = story(Access.METERED), story(Access.METERED)
    meter = cdn.request(read.get_absolute_url()).cookies[METER_COOKIE]
    cookie = f"{METER_COOKIE}={meter}"
    for _ in range(2):
        preview = cdn.request(other.get_absolute_url(), cookie=cookie)
        assert (preview.status, preview.cache) == (200, "BYPASS")
        assert PROMPT in preview.body
        assert BEYOND not in preview.body
    # The preview was not kept for the next reader, who is owed a free read.
    assert BEYOND in cdn.request(other.get_absolute_url()).body


def test_a_response_that_sets_a_cookie_is_never_kept(cdn):
    for _ in range(2):
        page = cdn.request("/login/")
        assert page.status == 200
        assert page.cache == "MISS"
        assert "csrftoken" in page.cookies


def test_health_probes_always_reach_the_application(cdn):
    for path in ("/healthz", "/healthz", "/readyz", "/readyz"):
        probe = cdn.request(path)
        assert probe.status == 200
        assert "X-Cache-Status" not in probe.headers
        assert probe.headers["X-Request-ID"]  # answered by the site, not by nginx's cache


# HEAD: nginx must not turn a reader's HEAD into a GET that spends their meter.


def test_a_head_with_a_meter_cookie_spends_nothing(cdn, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 2
    first, second = story(Access.METERED), story(Access.METERED)
    meter = cdn.request(first.get_absolute_url()).cookies[METER_COOKIE]
    cookie = f"{METER_COOKIE}={meter}"
    for _ in range(2):
        head = cdn.request(second.get_absolute_url(), method="HEAD", cookie=cookie)
        assert head.status == 200
        assert not head.cookies  # no read added to the meter
    # The same cookie still has its second read.
    assert BEYOND in cdn.request(second.get_absolute_url(), cookie=cookie).body


def test_a_registered_readers_head_spends_nothing(cdn, client):
    reader = make_reader()
    cookie = logged_in(client, reader)
    path = story(Access.METERED).get_absolute_url()
    assert cdn.request(path, method="HEAD", cookie=cookie).status == 200
    assert not MeteredRead.objects.filter(user=reader).exists()
    cdn.request(path, cookie=cookie)  # a GET does
    assert MeteredRead.objects.filter(user=reader).count() == 1


def test_nginx_default_would_spend_a_read_on_head(live_server, static_root, settings, client):
    """The control: with nginx's default conversion, the same HEAD reaches the site as a GET."""
    site_file = (DEPLOY_DIR / "newsroom.nginx.conf").read_text()
    assert "proxy_cache_convert_head off;" in site_file

    def convert_head(site):
        return site.replace("proxy_cache_convert_head off;", "proxy_cache_convert_head on;")

    reader = make_reader()
    cookie = logged_in(client, reader)
    path = story(Access.METERED).get_absolute_url()
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    with running_nginx(
        upstream=live_upstream(live_server),
        static_root=static_root,
        media_root=settings.MEDIA_ROOT,
        edit=convert_head,
    ) as converting:
        converting.request(path, method="HEAD", cookie=cookie)
    assert MeteredRead.objects.filter(user=reader).count() == 1


def test_a_cached_head_answer_is_never_served_for_a_get(cdn):
    path = story(Access.FREE).get_absolute_url()
    assert cdn.request(path, method="HEAD").body == ""
    assert cdn.request(path, method="HEAD").cache == "HIT"
    page = cdn.request(path)
    assert page.cache == "MISS"
    assert BEYOND in page.body


# Time: a page's max-age stops at the next scheduled change; nginx's whole seconds the only delay.


def test_a_scheduled_article_appears_at_its_time_though_the_cdn_kept_the_page(cdn, settings):
    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 300  # far longer than the wait
    # nginx's clock counts whole seconds: a page it stored may outlive max-age by up to one.
    bound = 1.5
    goes_live = timezone.now() + timedelta(seconds=4)
    article = story(Access.FREE, published_at=goes_live)
    path = article.get_absolute_url()
    # Per place: (seconds from its time to when the request was sent, shown?, cache status,
    # seconds from its time to when the answer came: before it, the article must not show).
    seen = {"article page": [], "front page": []}

    def since_its_time():
        return (timezone.now() - goes_live).total_seconds()

    while timezone.now() < goes_live + timedelta(seconds=bound + 2) and not all(
        any(answer[1] for answer in answers) for answers in seen.values()
    ):
        sent = since_its_time()
        page = cdn.request(path)
        seen["article page"].append((sent, page.status == 200, page.cache, since_its_time()))
        sent = since_its_time()
        front = cdn.request("/")
        seen["front page"].append(
            (sent, article.headline in front.body, front.cache, since_its_time())
        )
        time.sleep(0.1)
    for where, answers in seen.items():
        before = [(shown, cache) for _, shown, cache, answered in answers if answered < 0]
        assert before and not any(shown for shown, _ in before), where
        assert "HIT" in (cache for _, cache in before), f"{where}: the CDN kept nothing"
        assert any(shown for _, shown, _, _ in answers), f"{where}: not shown {bound + 2} s after"
        stale = [round(sent, 2) for sent, shown, _, _ in answers if sent > bound and not shown]
        assert not stale, f"{where}: still the old page {stale} s after its time"


def test_an_article_comes_down_at_its_unpublish_time_though_the_cdn_kept_it(cdn, settings):
    settings.NEWSROOM_PUBLIC_CACHE_SECONDS = 300  # far longer than the wait
    comes_down = timezone.now() + timedelta(seconds=3)
    article = story(Access.FREE, unpublish_at=comes_down)
    path = article.get_absolute_url()
    assert cdn.request(path).status == 200
    assert cdn.request(path).cache == "HIT"  # kept, but only until its unpublish time
    assert article.headline in cdn.request("/").body

    time.sleep(max(0, (comes_down - timezone.now()).total_seconds()) + 1.2)  # nginx: whole s

    assert cdn.request(path).status == 404
    assert article.headline not in cdn.request("/").body


# Static files and uploads, served by nginx from disk.


def test_static_files_with_a_content_hash_are_kept_for_a_year(cdn):
    hashed = cdn.request("/static/css/site.0123456789ab.css")
    assert hashed.status == 200
    assert "max-age=315360000" in hashed.headers["Cache-Control"]
    assert "immutable" in hashed.headers.get_all("Cache-Control")[-1]
    plain = cdn.request("/static/css/site.css")
    assert plain.status == 200
    assert plain.headers["Cache-Control"] == "max-age=3600"
    assert "X-Request-ID" not in plain.headers  # nginx's, not the site's
    assert cdn.request("/static/css/missing.css").status == 404


def test_uploads_are_served_from_media_root(cdn, settings):
    (settings.MEDIA_ROOT / "images").mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "images" / "a1b2.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBP")
    upload = cdn.request("/uploads/images/a1b2.webp")
    assert upload.status == 200
    assert upload.headers["Content-Type"] == "image/webp"
    assert upload.headers["Cache-Control"] == "max-age=2592000"
    assert upload.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Request-ID" not in upload.headers


def test_nginx_logs_the_request_id_the_site_sends_back(cdn):
    page = cdn.request("/")
    request_id = page.headers["X-Request-ID"]
    assert len(request_id) == 32  # nginx's $request_id, which the site took
    assert cdn.logged(f"cache=MISS id={request_id}")


# gunicorn with the shipped configuration, behind the shipped nginx.


@contextmanager
def running_gunicorn(folder: Path, **environment):
    """Run the site under gunicorn with deploy/gunicorn.conf.py, on the test database."""
    port = free_port()
    log = folder / "gunicorn.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": served_database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        **environment,
    }
    command = ["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "newsroom.wsgi"]
    log.write_bytes(b"")
    process = Launcher.start(command, environment=env, log_path=log)
    try:
        deadline = time.monotonic() + 30
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield process, port, log
    finally:
        stop(process)


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    with running_gunicorn(tmp_path) as running:
        yield running


def test_gunicorn_behind_nginx_logs_each_request_with_its_id_and_stops_gracefully(
    gunicorn, static_root, tmp_path
):
    process, port, log = gunicorn
    with running_nginx(
        upstream=f"127.0.0.1:{port}", static_root=static_root, media_root=tmp_path
    ) as cdn:
        probes = [cdn.request("/healthz") for _ in range(2)]
    assert [(probe.status, probe.body) for probe in probes] == [(200, "ok\n")] * 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    lines = log.read_text().splitlines()
    for probe in probes:
        request_id = probe.headers["X-Request-ID"]
        logged = [line for line in lines if f"id={request_id}" in line]
        assert len(logged) == 1, lines
        assert '"GET /healthz HTTP/1.1" 200 3 ' in logged[0]
        assert logged[0].endswith(f'id={request_id} fwd="127.0.0.1"')


@contextmanager
def gunicorn_behind_nginx(folder: Path, static_root: Path, **environment):
    """Run gunicorn (with these settings) behind the shipped nginx; yield both."""
    with (
        running_gunicorn(folder, **environment) as (process, port, _),
        running_nginx(
            upstream=f"127.0.0.1:{port}", static_root=static_root, media_root=folder
        ) as cdn,
    ):
        yield process, cdn


def take_down(process: Forked) -> None:
    """Stop gunicorn at once (its quick shutdown), as a crash would: no waiting for requests."""
    stop(process, signal.SIGQUIT)


def cached_copies(cdn: CDN) -> str:
    """Return everything nginx keeps in its cache folder, as text."""
    files = (path for path in (cdn.folder / "cache").rglob("*") if path.is_file())
    return "".join(path.read_bytes().decode(errors="replace") for path in files)


# With the origin down: stale copies only as long as the site said, and only public ones. nginx
# and gunicorn read the real clock, so the windows are a few seconds and the waits are real.


def test_readers_get_the_last_public_copy_while_gunicorn_is_down(
    transactional_db, static_root, tmp_path
):
    path = story(Access.FREE).get_absolute_url()
    with gunicorn_behind_nginx(
        tmp_path,
        static_root,
        NEWSROOM_PUBLIC_CACHE_SECONDS="1",
        NEWSROOM_STALE_IF_ERROR_SECONDS="5",
    ) as (process, cdn):
        fresh = cdn.request(path)
        assert (fresh.status, fresh.cache) == (200, "MISS")
        assert "stale-if-error=5" in fresh.headers["Cache-Control"]
        assert BEYOND in fresh.body
        take_down(process)
        time.sleep(2.1)  # the copy's max-age, and nginx's whole second, are over
        stale = cdn.request(path)
        assert (stale.status, stale.cache) == (200, "STALE")
        assert stale.body == fresh.body
        assert cdn.request("/never-cached/").status == 502  # nothing to fall back on


def test_a_public_copy_older_than_its_stale_window_is_not_served(
    transactional_db, static_root, tmp_path
):
    path = story(Access.FREE).get_absolute_url()
    with gunicorn_behind_nginx(
        tmp_path,
        static_root,
        NEWSROOM_PUBLIC_CACHE_SECONDS="1",
        NEWSROOM_STALE_IF_ERROR_SECONDS="2",
    ) as (process, cdn):
        assert cdn.request(path).status == 200
        stored = time.monotonic()  # by now: nginx keeps the copy before it answers
        take_down(process)
        time.sleep(max(0, stored + 2.1 - time.monotonic()))
        assert cdn.request(path).cache == "STALE"  # within its window
        # max-age 1 + stale-if-error 2, and nginx's whole second: gone 4 s after it was stored.
        time.sleep(max(0, stored + 4.3 - time.monotonic()))
        for _ in range(2):
            late = cdn.request(path)
            assert late.status == 502, late.cache
            assert BEYOND not in late.body


def test_an_article_past_its_unpublish_time_is_not_served_stale(
    transactional_db, static_root, tmp_path
):
    with gunicorn_behind_nginx(
        tmp_path,
        static_root,
        NEWSROOM_PUBLIC_CACHE_SECONDS="60",
        NEWSROOM_STALE_IF_ERROR_SECONDS="60",  # far longer than the wait: the schedule bounds it
    ) as (process, cdn):
        # Room for a loaded machine to store the copy and stop the origin well within its time.
        comes_down = timezone.now() + timedelta(seconds=10)
        article = story(Access.FREE, unpublish_at=comes_down)
        path = article.get_absolute_url()
        assert cdn.request(path).status == 200
        listed = cdn.request("/")
        assert article.headline in listed.body
        # The site's own rule: no copy of a list that shows it outlives its minute.
        lifetime = listed.headers["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", lifetime)[1])
        assert max_age <= (comes_down - timezone.now()).total_seconds() + 1, lifetime
        take_down(process)
        before = cdn.request(path)
        assert (before.status, before.cache) == (200, "HIT")  # still in its time
        time.sleep(max(0, (comes_down - timezone.now()).total_seconds()) + 1.2)  # nginx: whole s
        after = cdn.request(path)
        assert after.status == 502, after.cache
        assert BEYOND not in after.body
        front = cdn.request("/")
        assert front.status == 502, front.cache
        assert article.headline not in front.body


def test_nothing_private_is_ever_served_from_the_cache(
    transactional_db, static_root, tmp_path, client
):
    paywalled = story(Access.SUBSCRIBERS).get_absolute_url()
    metered = story(Access.METERED).get_absolute_url()
    subscriber = make_reader()
    make_subscription(user=subscriber)
    session = logged_in(client, subscriber)
    with gunicorn_behind_nginx(
        tmp_path,
        static_root,
        NEWSROOM_PUBLIC_CACHE_SECONDS="1",
        NEWSROOM_STALE_IF_ERROR_SECONDS="30",  # what is public is served stale all along
    ) as (process, cdn):
        assert PROMPT in cdn.request(paywalled).body  # public: the preview
        assert BEYOND in cdn.request(paywalled, cookie=session).body  # private: the full text
        read = cdn.request(metered)  # private: a metered read, counted in this reader's meter
        assert BEYOND in read.body
        meter = f"{METER_COOKIE}={read.cookies[METER_COOKIE]}"
        assert BEYOND in cdn.request(metered, cookie=meter).body
        take_down(process)
        time.sleep(2.1)
        preview = cdn.request(paywalled)
        assert (preview.status, preview.cache) == (200, "STALE")
        assert BEYOND not in preview.body
        for path, cookie in [(paywalled, session), (metered, ""), (metered, meter)]:
            answer = cdn.request(path, cookie=cookie)
            assert answer.status == 502, (path, cookie, answer.cache)
            assert BEYOND not in answer.body
        assert PROMPT in cached_copies(cdn)
        assert BEYOND not in cached_copies(cdn)


def test_a_private_feed_is_never_kept_and_its_address_reaches_no_log(
    transactional_db, static_root, tmp_path
):
    """A subscriber's feed reader (no cookie) fetches their private feed through nginx and
    gunicorn: nginx never keeps or serves a copy, and neither nginx's access log, nor
    gunicorn's, nor the site's own lines hold the token; a replaced address is a 404 at once."""
    story(Access.SUBSCRIBERS)
    reader = make_reader()
    make_subscription(user=reader)
    token = private_feed_token(feed=private_feed_create(user=reader))
    address = reverse("private_feed", args=[token])
    with gunicorn_behind_nginx(tmp_path, static_root) as (_process, cdn):
        for _ in range(2):
            feed = cdn.request(address)
            assert (feed.status, feed.cache) == (200, "MISS")
            assert BEYOND in feed.body
            assert feed.headers["Cache-Control"].startswith("private")
            assert feed.headers["Referrer-Policy"] == "no-referrer"
            assert feed.headers["X-Robots-Tag"] == "noindex"
        private_feed_rotate(user=reader)
        assert cdn.request(address).status == 404
        assert cdn.logged('"GET /feed/private/[token] HTTP/1.1" 404')
        assert BEYOND not in cached_copies(cdn) and token not in cached_copies(cdn)
        nginx_log = (cdn.folder / "access.log").read_text()
    site_log = (tmp_path / "gunicorn.log").read_text()  # gunicorn's access lines and the site's
    assert token not in nginx_log and token not in site_log
    assert '"GET /feed/private/[token] HTTP/1.1" 200' in site_log  # gunicorn's, from nginx
    assert "newsroom.requests: GET /feed/private/[token] 404" in site_log


def test_a_sign_in_links_page_is_never_kept_and_its_token_reaches_no_log(
    transactional_db, static_root, tmp_path
):
    """A mail scanner (no cookie) opens a sign-in email's link through nginx and gunicorn:
    nothing is kept or used up, and no log holds the token (`accounts.email_sign_in`)."""
    from accounts.email_sign_in import email_sign_in_issue
    from accounts.models import EmailSignIn

    reader = make_reader()
    issued = email_sign_in_issue(email=reader.email, purpose=EmailSignIn.Purpose.LOG_IN)
    address = reverse("sign_in_link", args=[issued.token])
    with gunicorn_behind_nginx(tmp_path, static_root) as (_process, cdn):
        for _ in range(2):
            page = cdn.request(address)
            assert page.status == 200 and page.cache != "HIT"
            assert "Sign in" in page.body
            assert "no-store" in page.headers["Cache-Control"]
            assert page.headers["Referrer-Policy"] == "strict-origin"
        assert cdn.logged('"GET /login/link/[token]/ HTTP/1.1" 200')
        assert issued.token not in cached_copies(cdn)
        nginx_log = (cdn.folder / "access.log").read_text()
    site_log = (tmp_path / "gunicorn.log").read_text()  # gunicorn's access lines and the site's
    assert issued.token not in nginx_log and issued.token not in site_log
    assert '"GET /login/link/[token]/ HTTP/1.1" 200' in site_log
    assert "newsroom.requests: GET /login/link/[token]/ 200" in site_log
    assert EmailSignIn.objects.get().ended_at is None
