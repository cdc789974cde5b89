"""What each middleware costs the fixed string, in CPU per request, measured in one process.

`.venv/bin/python benchmarks/middleware.py` (`--requests`, `--rounds`, `--no-write`): the
project's stack, the stack without each middleware in turn (with those that need it: no
authentication without sessions), Django's stock `startproject` stack and none at all, each
timed over the same requests with the process's CPU clock, interleaved, best of the rounds.
A middleware's cost is the stack's time less the time without it. The table goes to
`RESULTS.md`. In-process: no server, no socket, so the figures are the middleware's own;
`run.py` measures whole pages under gunicorn.
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import cpu_per_request, environment, write_results  # noqa: E402
from benchmarks.stock import MIDDLEWARE as STOCK  # noqa: E402

# What a middleware needs below it: without the first, the others cannot run either.
NEEDS = {
    "django.contrib.sessions.middleware.SessionMiddleware": (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="per stack per round (3000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (5)")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    return parser.parse_args()


def timer(middleware: list[str], requests: int):
    """Return a function that serves the fixed string `requests` times through `middleware`
    and returns the CPU microseconds per request."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        handler = WSGIHandler()  # the chain is built now, from these settings

    def run() -> float:
        return cpu_per_request(handler, "/bench/fixed/", requests)

    run()  # warm: imports, the URL resolver, the settings' first reads
    return run


def main() -> int:
    args = parse_args()
    os.environ.update(environment(8077, secrets.token_urlsafe(50)))
    import django

    django.setup()
    from django.conf import settings

    project = list(settings.MIDDLEWARE)
    stacks = {"The project's stack": project, "Django's stock stack (startproject)": STOCK}
    stacks["No middleware"] = []
    for name in project:
        left_out = {name, *NEEDS.get(name, ())}
        stacks[name] = [other for other in project if other not in left_out]
    runs = {label: timer(middleware, args.requests) for label, middleware in stacks.items()}
    best = {label: float("inf") for label in stacks}
    for _ in range(args.rounds):
        for label, run in runs.items():
            best[label] = min(best[label], run())
    whole = best["The project's stack"]
    lines = [
        f"## The request cycle: each middleware's cost (`benchmarks/middleware.py`, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)",
        "",
        f"The fixed string served in one process, {args.requests:,} requests per stack, best of "
        f"{args.rounds} interleaved rounds, CPU µs per request. A middleware's cost is the "
        "stack's time less the time without it.",
        "",
        "| stack or middleware | CPU µs per request | share of the project's fixed string |",
        "| --- | ---: | ---: |",
    ]
    for label in ("The project's stack", "Django's stock stack (startproject)", "No middleware"):
        lines.append(f"| {label} | {best[label]:.0f} | {best[label] / whole:.0%} |")
    for name in project:
        cost = whole - best[name]
        also = NEEDS.get(name)
        shown = f"`{name}`" + (f" (and what needs it: {len(also)} more)" if also else "")
        lines.append(f"| {shown} | {cost:.0f} | {cost / whole:.0%} |")
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_results("middleware", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
