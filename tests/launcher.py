"""Start the site's processes (gunicorn, the worker, the scheduler) in under half the CPU a new
interpreter takes: a launcher process imports what every process of the site imports (Django,
the database and cache clients, Stripe's, Pillow) once, and forks each command from itself.

The command runs as it does in production, in a process of its own: its settings come from
the environment it is given, its output goes to its log, signals reach it by its pid. Only
the importing of libraries, which reads no setting, is done before the fork. A Django process
costs about 0.75 s of CPU to start and a forked one about 0.3 s; the suite starts dozens.

    python -m tests.launcher   # one JSON request a line: a command to fork (answered with
                               # its pid) or a pid's exit code (null while it runs)
"""

import contextlib
import io
import json
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]

# Imported before any fork: libraries that read no setting as they load.
PRELOAD = [
    "django.contrib.admin.options",
    "django.contrib.admin.sites",
    "django.contrib.postgres.search",
    "django.core.management",
    "django.core.serializers.json",
    "django.db.models",
    "django.forms",
    "django.http",
    "django.template",
    "django_redis.cache",
    "gunicorn.app.wsgiapp",
    "nh3",
    "PIL.Image",
    "psycopg",
    "redis",
    "requests",
    "stripe",
]


class LauncherGone(Exception):
    """The launcher that forked a command has ended, and with it what it knew of the command."""


class Forked:
    """A command forked by the launcher: what the tests use of `subprocess.Popen`."""

    def __init__(self, pid: int, launcher: subprocess.Popen):
        self.pid = pid
        self.launcher = launcher  # the one that forked it, and alone knows its exit code
        self.returncode = None

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def poll(self):
        """Its exit code once it has ended (negative: the signal that ended it), else None.

        Raise LauncherGone if the launcher that forked it has ended: a launcher started since
        never knew this pid, and would answer None for ever."""
        if self.returncode is None:
            if self.launcher.poll() is not None:
                raise LauncherGone(
                    f"The launcher that forked pid {self.pid} ended with {self.launcher.returncode}"
                    " (its error is above): the command's exit code is lost."
                )
            self.returncode = Launcher.ask({"status": self.pid})
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode


class Launcher:
    """The launcher of this test process, started on first use."""

    _lock = threading.Lock()
    _process = None

    @classmethod
    def start(cls, argv: list[str], *, environment: dict, log_path: Path) -> Forked:
        """Fork `python *argv` (a script or `-m module`, and its arguments) in the project's
        folder, with `environment`, its output appended to `log_path`."""
        with cls._lock:
            pid = cls._ask({"argv": argv, "env": environment, "log": str(log_path)})
            return Forked(pid, cls._process)

    @classmethod
    def ask(cls, request: dict):
        with cls._lock:
            return cls._ask(request)

    @classmethod
    def _ask(cls, request: dict):
        """Send `request` to the launcher, started if none runs, and return its answer."""
        if cls._process is None or cls._process.poll() is not None:
            cls._process = subprocess.Popen(
                [sys.executable, "-m", "tests.launcher"],
                cwd=BASE_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        cls._process.stdin.write(json.dumps(request) + "\n")
        cls._process.stdin.flush()
        return json.loads(cls._process.stdout.readline())


def _text(fd, *, unbuffered, line_buffering=False):
    binary = open(fd, "wb", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
    return io.TextIOWrapper(binary, line_buffering=line_buffering, write_through=unbuffered)


def _run(request):
    """In the forked child: become `python *argv` with the request's environment and log."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(BASE_DIR)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (log, 1), (log, 2)):
        os.dup2(source, target)
    # Output as a new interpreter's would be to a file: buffered unless PYTHONUNBUFFERED says
    # otherwise, errors by the line.
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = _text(1, unbuffered=unbuffered)
    sys.stderr = _text(2, unbuffered=unbuffered, line_buffering=True)
    argv = request["argv"]
    status = 1
    try:
        if argv[0] == "-m":  # python -m module args...
            sys.argv = argv[1:]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:  # python script args...
            sys.argv = argv
            runpy.run_path(argv[0], run_name="__main__")
        status = 0
    except SystemExit as exit:  # as the interpreter exits: None is 0, a message is 1
        status = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
        if isinstance(exit.code, str):
            print(exit.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def main():
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    ended = {}  # pid: exit code, of the commands that have ended

    def reap(_signal, _frame):
        with contextlib.suppress(ChildProcessError):
            while (found := os.waitpid(-1, os.WNOHANG))[0]:
                ended[found[0]] = os.waitstatus_to_exitcode(found[1])

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        request = json.loads(line)
        if "status" in request:
            answer = ended.get(request["status"])
        else:
            sys.stdout.flush()
            # Reaped after the fork, not before: a pid used again forgets the last one's code.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            answer = os.fork()
            if answer == 0:
                _run(request)
            ended.pop(answer, None)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
