import gc
import os
import threading
import time
from pathlib import Path

import pytest
from xdist.workermanage import parse_tx_spec_config

from tests.lanes import Lanes

# The stand-in Stripe server's fixtures (tests never reach Stripe).
pytest_plugins = ["tests.subscriptions.stripe_stand_in"]

# Python's cyclic collector looks at every object it tracks each time its oldest generation is
# collected, and a test process keeps a growing heap (modules, templates, pytest's reports): with
# the default thresholds (700, 10, 10) each of the three processes spent 7-9 s of its 62-82 s of
# CPU collecting, most of it in full collections; a young generation ten times larger makes them
# rarer, and the collector took 3-5 s (whole suite, -n 3, measured with gc.callbacks).
gc.set_threshold(7_000, 10, 10)

# Playwright's sync API runs an event loop; Django must allow ORM calls beside it (live_server).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Chromium's headless shell (Debian's chromium-headless-shell: the old headless mode, without the
# full browser's compositor and windowing) ran the browser tests on 42 % less CPU than
# /usr/bin/chromium run headless (111 s against 191 s); --headed needs the full browser.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium-headless-shell")
HEADED_CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def empties_the_database(item) -> bool:
    """Whether the test commits to the test database, which Django then empties after it."""
    marker = item.get_closest_marker("django_db")
    return bool(
        {"live_server", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        or (marker and marker.kwargs.get("transaction"))
    )


def restores_the_migrated_rows(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
        or (marker and marker.kwargs.get("serialized_rollback"))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Refuse a test that empties the database without putting back the rows the migrations
    made (the staff groups, and the content types the next such test restores: without them
    it fails on whichever test follows in its process); skip browser tests, saying why, where
    Debian's Chromium is not installed."""
    careless = [
        item.nodeid
        for item in items
        if empties_the_database(item) and not restores_the_migrated_rows(item)
    ]
    if careless:
        raise pytest.UsageError(
            "These tests commit without serialized_rollback=True, so the staff groups and "
            "content types are gone for the tests after them: " + ", ".join(careless)
        )
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium-headless-shell "
        "(or set CHROMIUM_PATH)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Share the suite out as tests/lanes.py says (under xdist's default, `--dist load`)."""
    if config.getvalue("dist") == "load":
        return Lanes(len(parse_tx_spec_config(config)))
    return None


class MigratedRows:
    """The rows the migrations made (content types, permissions, the staff groups), put back
    before a test that rolls back when a test that committed ran before it in its process.

    Django flushes the database after a test that commits, and `serialized_rollback` puts these
    rows back only as the next such test starts: a test that rolls back, run after it, found
    neither (`make test` in one process failed 440 tests so). Django runs the tests that commit
    last for this reason; tests/lanes.py hands whole modules to the processes in its own order,
    so each process may run one of those before others. Putting them back takes 40 ms on SQLite
    and 110 ms on PostgreSQL, and happens once per such turn."""

    snapshot: dict[str, str] = {}
    blocker = None
    flushed = False

    @classmethod
    def take(cls, blocker):
        from django.db import connections

        cls.blocker = blocker
        with blocker.unblock():
            cls.snapshot = {
                alias: connections[alias].creation.serialize_db_to_string() for alias in connections
            }

    @classmethod
    def put_back(cls):
        from django.db import connections

        with cls.blocker.unblock():
            for alias, rows in cls.snapshot.items():
                connections[alias].creation.deserialize_db_from_string(rows)
        cls.flushed = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, and a snapshot of what their migrations made."""
    MigratedRows.take(django_db_blocker)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if MigratedRows.flushed and not empties_the_database(item):
        MigratedRows.put_back()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if empties_the_database(item):
            MigratedRows.flushed = True


@pytest.fixture(scope="session", autouse=True)
def playwright_before_the_database(request):
    """Start Playwright before the test database is made, in a process that runs browser tests.

    Playwright's sync API runs an event loop in this thread, and from then on Django keeps the
    thread's database connection in a context variable, apart from the one before: the snapshot
    of the migrated rows that `serialized_rollback` puts back (the staff groups) would stay with
    the earlier connection, and every browser test after the first would find them gone
    (tests/test_browser_database.py)."""
    if Path(CHROMIUM).exists() and any(
        "browser" in item.keywords for item in request.session.items
    ):
        request.getfixturevalue("playwright")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    headless = browser_type_launch_args.get("headless", True)
    executable = CHROMIUM if headless else HEADED_CHROMIUM
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


class LiveRequests:
    """Counts the requests the live server is handling, and when the last one came or went."""

    def __init__(self):
        self.in_flight = 0
        self.last_change = time.monotonic()
        self.changed = threading.Condition()

    def started(self, **kwargs):
        with self.changed:
            self.in_flight += 1
            self.last_change = time.monotonic()

    def finished(self, **kwargs):
        with self.changed:
            self.in_flight -= 1
            self.last_change = time.monotonic()
            self.changed.notify_all()

    def wait_until_quiet(self, quiet=0.5, timeout=15):
        """Return once nothing has been in flight for `quiet` seconds from now: a request the
        browser sends as its pages close (a beacon) reaches the server a moment after the close
        returns, so an earlier request's time must not count."""
        deadline = time.monotonic() + timeout
        with self.changed:
            self.last_change = time.monotonic()
            while time.monotonic() < deadline:
                if self.in_flight == 0 and time.monotonic() - self.last_change >= quiet:
                    return
                self.changed.wait(quiet / 3)
        raise AssertionError(
            f"The live server was still handling {self.in_flight} requests {timeout} s after "
            "the test: its data cannot be flushed under them."
        )


@pytest.fixture(autouse=True)
def live_server_finishes_its_requests(request):
    """Before a live-server test's data is flushed, close its browsers and let the server finish.

    Closing a page fires its `pagehide` handlers (the change form's autosave beacon), and a
    request still being handled when the data is flushed holds locks the flush needs: on
    PostgreSQL that ended in a deadlock. This fixture is set up before the page and the data,
    so its teardown runs after the page's and before the flush: it closes every browser
    context the test opened and waits until the server has been idle for a moment.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    from django.core.signals import request_finished, request_started

    browser = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    requests = LiveRequests()
    request_started.connect(requests.started)
    request_finished.connect(requests.finished)
    yield
    for context in browser.contexts if browser else []:
        context.close()
    requests.wait_until_quiet()
    request_started.disconnect(requests.started)
    request_finished.disconnect(requests.finished)


class Screenshots:
    """Screenshots of what a browser test went through, for a person to look at.

    Taken only where NEWSROOM_SCREENSHOTS names a folder, each test module's in a folder of its
    own: nobody looks at them in an ordinary run, and each costs Chromium about a fifth of a
    second of CPU (the journalist's day takes seventeen)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def __call__(self, target, name: str, **options):
        """Save `target`'s screenshot (a page's, or a locator's element) as `name`; `options`
        are Playwright's (full_page=True)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(self.folder / name), **options)


@pytest.fixture
def shots(request) -> Screenshots:
    base = os.environ.get("NEWSROOM_SCREENSHOTS")
    module = request.module.__name__.rpartition(".")[2]
    return Screenshots(Path(base) / module if base else None)


@pytest.fixture
def avif(settings):
    """Pictures get AVIF renditions too, as in production where Pillow writes AVIF (the
    suite's settings leave AVIF out: it triples the CPU a picture costs)."""
    settings.NEWSROOM_AVIF = True


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    """Keep every test's uploads apart, and out of the working tree."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Start each test with an empty cache (rendered bodies, kept values, meters, throttles)
    that this process trusts: an outage an earlier test left behind (an open breaker, a cache
    distrusted) would otherwise make the clearing itself a silent miss, and leave the last
    test's kept values for this one's servers to read."""
    from django.core.cache import caches

    from foundation import cache as breaker
    from foundation import kept

    def clear():
        breaker.forget_outages()
        kept.forget_outage()
        caches[kept.KEPT_CACHE].clear()  # the alias that raises: a clearing never fails unseen

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def no_events_waiting():
    """Start each test with an empty batch of events (foundation.events): a test writes only
    what its own requests recorded."""
    from foundation import events

    events.discard()
    yield
    events.discard()


@pytest.fixture(autouse=True)
def nothing_deferred():
    """Start each test with no task kept for later (tests/engine.py)."""
    from django_tasks import task_backends

    backend = task_backends["default"]
    if hasattr(backend, "deferred"):
        backend.deferred.clear()
    yield


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser(
        email="editor@example.com", password="editor-password-123"
    )


@pytest.fixture(autouse=True)
def commit_hooks_run_when_the_test_itself_commits(monkeypatch):
    """Run `transaction.on_commit` callbacks when production would: when the transaction commits.

    A `django_db` test runs inside a transaction that is rolled back, never committed, so
    callbacks would never run. Here the test's own transaction stands for autocommit: a callback
    registered while only it is open runs at once (and raises, so that a broken callback fails
    the test), and the callbacks registered inside the code's own `atomic()` run when that block
    ends without an error, as they would when it commits in production (and not if it rolls
    back). `transaction=True` tests (which also take `serialized_rollback=True`, so that the
    groups a data migration made come back after their flush) commit for real and need none of
    this.
    """
    from django.db import transaction
    from django.db.backends.base.base import BaseDatabaseWrapper

    def only_the_tests_own(connection):
        return connection.in_atomic_block and all(
            block._from_testcase for block in connection.atomic_blocks
        )

    original_on_commit = BaseDatabaseWrapper.on_commit

    def on_commit(self, func, robust=False):
        if only_the_tests_own(self):
            func()
            return None
        return original_on_commit(self, func, robust)

    original_exit = transaction.Atomic.__exit__

    def exit_and_commit(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        result = original_exit(self, exc_type, exc_value, traceback)
        if exc_type is None and only_the_tests_own(connection) and connection.run_on_commit:
            # The code's outermost block has ended: in production, it has committed.
            callbacks, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, func, _robust in callbacks:
                func()
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_and_commit)
