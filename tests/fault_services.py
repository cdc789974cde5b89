"""Services the fault tests start, break and clean up themselves: never the machine's own.

- `RedisServer`: a `redis-server` child on a free port, without persistence, that a test can
  stop, start again, freeze (SIGSTOP: it accepts connections and answers nothing) and thaw.
- `DatabaseProxy`: a TCP proxy in front of the shared PostgreSQL that a test can stop (close
  every connection and refuse new ones), start again, freeze (accept and hold every byte, as a
  hung server does) and thaw.
- `Site`: the site served by gunicorn, as production runs it, in a process of its own;
  `Scheduler`: `manage.py run_scheduler` beside it (publish times, and the repair of kept
  values); `Worker`: `manage.py run_worker`. These three are forked from the test process's
  launcher (`tests.launcher`), which has imported Django and the libraries once.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.launcher import Launcher

BASE_DIR = Path(__file__).resolve().parents[1]
POSTGRES = ("127.0.0.1", 5432)


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own (its status and Location)


# Straight to localhost, whatever proxy the environment names, and no redirect followed.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}), _Unfollowed())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, *, timeout=15.0, what="the service"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout} s")


def answers(port) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


class RedisServer:
    """A private `redis-server` on a free port."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command of our own
            [*command, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: answers(self.port), what="redis-server")

    def stop(self):
        if self.process is not None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


class DatabaseProxy:
    """A TCP proxy on a free port in front of the shared PostgreSQL."""

    def __init__(self, upstream=POSTGRES):
        self.upstream = upstream
        self.port = free_port()
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = None
        self.connections = set()
        self.lock = threading.Lock()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        """Close every connection, and refuse new ones (as a stopped server does)."""
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self.listener.close()
            self.listener = None
        with self.lock:
            connections, self.connections = self.connections, set()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def freeze(self):
        """Accept connections and hold every byte, in both directions (a hung server)."""
        self.flowing.clear()

    def thaw(self):
        self.flowing.set()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Site:
    """The site under gunicorn (tests.settings), one worker, in a process of its own, with
    `environment`. `preload`: the master loads the site, and each worker is forked from it
    ready to serve (`replace_worker` is then cheap)."""

    def __init__(self, environment, log_path, *, threads=4, preload=False):
        self.port = free_port()
        self.environment = environment
        self.log_path = log_path
        self.threads = threads
        self.preload = preload
        self.process = None

    def start(self):
        command = ["-m", "gunicorn", "newsroom.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread"]
        command += ["--workers", "1", "--threads", str(self.threads)]
        command += ["--preload"] if self.preload else []
        self.log_path.write_bytes(b"")
        self.process = Launcher.start(command, environment=self.environment, log_path=self.log_path)
        wait_until(lambda: answers(self.port), timeout=30, what="gunicorn")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def worker_pids(self) -> set[int]:
        """Return the process ids of the master's workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def replace_worker(self):
        """Stop the worker and return once the master has started another, which remembers
        nothing of the requests the last one served."""
        old = self.worker_pids()
        for pid in old:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        wait_until(
            lambda: bool(pids := self.worker_pids()) and not pids & old,
            what="gunicorn's new worker",
        )

    def request(
        self, path, *, method="GET", cookies=None, form=None, body=None, headers=None, timeout=30
    ):
        """Return (status, headers, body, seconds); never raises on a status. `form`: fields to
        post, form-encoded; `body`: the text to send as it is."""
        started = time.monotonic()
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        data = body.encode() if body is not None else data
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        try:
            with NO_PROXY.open(request, timeout=timeout) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        return status, headers, body.decode(), time.monotonic() - started

    def get(self, path, timeout=30):
        """Return (status, headers, body, seconds) for GET `path`; never raises on a status."""
        return self.request(path, timeout=timeout)


class Scheduler:
    """`manage.py run_scheduler` (tests.settings) in a process of its own, with `environment`."""

    def __init__(self, environment, log_path):
        self.environment = environment
        self.log_path = log_path
        self.process = None

    def start(self):
        self.log_path.write_bytes(b"")
        self.process = Launcher.start(
            ["manage.py", "run_scheduler"], environment=self.environment, log_path=self.log_path
        )
        wait_until(lambda: b"looks at publish" in self.log_path.read_bytes(), what="scheduler")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def caches_on(redis_url, *, socket_timeout=0.25, breaker_seconds=0.5) -> dict:
    """Return the site's three caches on `redis_url`, as `newsroom.settings` makes them for a
    redis:// CACHE_URL, with the short timeouts a fault test waits on."""
    options = {
        "SOCKET_CONNECT_TIMEOUT": 0.25,
        "SOCKET_TIMEOUT": socket_timeout,
        "BREAKER_SECONDS": breaker_seconds,
    }
    cache = {"BACKEND": "foundation.cache.BreakerRedisCache", "LOCATION": redis_url}
    return {
        alias: {**cache, "OPTIONS": {**options, "ON_FAILURE": how}}
        for alias, how in (("default", "miss"), ("kept", "raise"), ("throttles", "local"))
    }


def served_database_url() -> str:
    """Return the test database as a DATABASE_URL, for a site served by another process."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**overrides):
    """Return the environment for a child of the site: this one's, minus the suite's services."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CACHE_URL"} and not key.startswith("PYTEST_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env.update(overrides)
    return env


class Worker:
    """`manage.py run_worker` (tests.settings, the database backend) in a process of its own.

    Its heartbeat is fast (`heartbeat` seconds; dead after six silent beats), so that a test
    that kills it with SIGKILL sees its task run again within seconds.
    """

    def __init__(self, environment, log_path, *, heartbeat=0.2):
        self.environment = {
            **environment,
            "NEWSROOM_TEST_TASKS": "database",
            "NEWSROOM_WORKER_HEARTBEAT_SECONDS": str(heartbeat),
        }
        self.log_path = log_path
        self.process = None
        self.pid = None

    def start(self):
        self.process = Launcher.start(
            ["manage.py", "run_worker", "--interval", "0.1"],
            environment=self.environment,
            log_path=self.log_path,
        )
        self.pid = self.process.pid
        return self

    def kill(self):
        """End it at once, as the kernel's OOM killer or a pulled plug would: SIGKILL."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
