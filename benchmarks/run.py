"""Load the site's pages under gunicorn with wrk, against the same stack returning a fixed string.

`make benchmark`, or `.venv/bin/python benchmarks/run.py --help`; see benchmarks/README.md.
Standard library only: Django runs in the subprocesses (manage.py, gunicorn).
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address load is ever sent to
BENCH_DIR = ROOT / "var" / "bench"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
AGENT = "newsroom-benchmark"  # not a crawler's name: the paywall treats it as a reader
FULL_TEXT = '<div class="paywall">'  # articles/article_detail.html: the text beyond the cut
PROMPT = 'class="paywall-prompt"'  # subscriptions/includes/paywall_prompt.html
CACHES = {"locmemcache": "local-memory cache (one per worker)", "redis": "Redis"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--duration", type=int, default=10, help="seconds of load per scenario per round (10)")
    add("--rounds", type=int, default=3, help="rounds; each runs every scenario once (3)")
    add("--connections", type=int, default=8, help="wrk's keep-alive connections (8)")
    add("--wrk-threads", type=int, default=2, help="wrk's threads (2)")
    add("--workers", type=int, default=2, help="gunicorn workers (2)")
    add("--threads", type=int, default=2, help="threads per gthread worker; 1: sync (2)")
    add("--port", type=int, default=8077, help="gunicorn's port on 127.0.0.1 (8077)")
    add("--only", default="", help="comma-separated scenario keys; the baseline always runs")
    add("--label", default="", help="added to the RESULTS.md section's name and title")
    add("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args()
    if not (1 <= args.duration <= 600 and 1 <= args.rounds <= 20):
        parser.error("--duration must be 1..600 and --rounds 1..20")
    return args


def environment(port: int) -> dict:
    """Return the subprocesses' environment; explicit values keep a developer's .env out."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'db.sqlite3'}")
    env.setdefault("CACHE_URL", "locmemcache://")
    if "bench" not in urlsplit(env["DATABASE_URL"]).path.lower():
        sys.exit("DATABASE_URL: the database's name must contain 'bench' (it gets demo logins).")
    return env | {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # throwaway, new each run
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "SESSION_COOKIE_SECURE": "false",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MEDIA_ROOT": str(BENCH_DIR / "uploads"),
        "NEWSROOM_SITE_URL": f"http://{HOST}:{port}",
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
        # One client sends everything: the per-address search limit would answer it 429.
        "NEWSROOM_SEARCHES_PER_MINUTE": "100000000",
    }


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)


def manage(env: dict, *args: str) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def start_gunicorn(env: dict, args) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi", f"--bind={HOST}:{args.port}"]
    command += [f"--workers={args.workers}", f"--threads={args.threads}", "--log-level=warning"]
    command += ["--worker-class=" + ("gthread" if args.threads > 1 else "sync")]
    log = (BENCH_DIR / "gunicorn.log").open("w")
    # In a session of its own: the whole group, master and workers, is stopped at the end.
    options = {"stdout": log, "stderr": log, "start_new_session": True}
    process = subprocess.Popen(command, cwd=ROOT, env=env, **options)  # noqa: S603
    for _ in range(150):  # up to 30 s
        if process.poll() is not None:
            sys.exit(f"gunicorn exited: see {BENCH_DIR / 'gunicorn.log'}")
        try:
            answers = fetch(args.port, "/bench/fixed/")[0] == 200
            if answers and len(workers(process.pid)) == args.workers:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    sys.exit("gunicorn did not answer within 30 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    for sig, seconds in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=seconds)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def stat(pid: int | str) -> list[str]:
    """Return the fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def workers(master: int) -> list[int]:
    """Return the pids of the gunicorn master's children, its workers."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int(stat(entry.name)[1]) == master:
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return pids


def cpu_seconds(pids: list[int]) -> float | None:
    """Return the user + system time of `pids` (all threads), or None if one has gone."""
    try:
        return sum(int(s[11]) + int(s[12]) for s in map(stat, pids)) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, http.client.HTTPMessage, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        cookies = {"Cookie": cookie} if cookie else {}
        connection.request("GET", path, headers={"User-Agent": AGENT} | cookies)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        connection.close()


def check(page: dict, port: int) -> tuple[str, list[str]]:
    """Request the page once; return what it answered, and what was not as expected."""
    status, headers, body = fetch(port, page["path"], page["cookie"])
    cache_control = headers.get("Cache-Control", "none")
    cookies = sorted(c.split("=", 1)[0] for c in headers.get_all("Set-Cookie") or [])
    seen = f"{status}; Cache-Control: {cache_control}; Set-Cookie: {', '.join(cookies) or 'none'}"
    wrong = [f"status {status}"] if status != 200 else []
    if page["cache"] not in {part.split("=")[0].strip() for part in cache_control.split(",")}:
        wrong.append(f"not Cache-Control: {page['cache']}")
    if page["cache"] == "public" and cookies:
        wrong.append("sets a cookie")
    marks = (("full text", FULL_TEXT), ("prompt", PROMPT))
    shows = " + ".join(name for name, mark in marks if mark in body) or "no cut"
    if page["body"]:
        seen += f"; {shows}"
        wrong += [f"{shows}, not {page['body']}"] if shows != page["body"] else []
    return seen, wrong


def wrk(page: dict, args, seconds: int) -> dict:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--timeout=5s", "--latency", "-H", f"User-Agent: {AGENT}"]
    command += ["-H", f"Cookie: {page['cookie']}"] if page["cookie"] else []
    command.append(f"http://{HOST}:{args.port}{page['path']}")
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout  # noqa: S603

    def find(pattern: str, default: tuple = ("0",)) -> tuple:
        found = re.search(pattern, out, re.MULTILINE)
        return found.groups() if found else default

    def latency_ms(percent: int) -> float:
        value, unit = find(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)$", ("0", "ms"))
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    socket_errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return {
        "requests": int(find(r"(\d+) requests in")[0]),
        "rate": float(find(r"Requests/sec:\s+([\d.]+)")[0]),
        "p50": latency_ms(50),
        "p99": latency_ms(99),
        "errors": int(find(r"Non-2xx or 3xx responses: (\d+)")[0]) + sum(map(int, socket_errors)),
    }


def measure(page: dict, args, master: int) -> dict:
    pids = workers(master)
    before = cpu_seconds(pids)
    result = wrk(page, args, args.duration)
    after = cpu_seconds(pids)
    measured = None not in (before, after) and result["requests"]
    result["cpu_ms"] = 1000 * (after - before) / result["requests"] if measured else None
    return result


def table(pages: list[dict], runs: dict[str, list[dict]]) -> list[str]:
    """Return the table: medians over the rounds, ratios to the baseline of the same round."""

    def ratios(pairs) -> str:
        values = [a / b for a, b in pairs if a and b]
        return f"{median(values):.2f} ({min(values):.2f}–{max(values):.2f})" if values else "–"

    rows = [
        "| scenario | path | req/s | × fixed | CPU ms/req | × fixed by CPU | p50 ms | p99 ms"
        " | errors | SQL queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in pages:
        mine, fixed = runs[page["key"]], runs["fixed"]
        cpu = [r["cpu_ms"] for r in mine if r["cpu_ms"]]
        rows.append(
            f"| {page['title']} | `{page['path']}` | {median(r['rate'] for r in mine):.0f} "
            f"| {ratios((m['rate'], f['rate']) for m, f in zip(mine, fixed, strict=True))} "
            f"| {median(cpu) if cpu else 0:.3f} "
            f"| {ratios((f['cpu_ms'], m['cpu_ms']) for m, f in zip(mine, fixed, strict=True))} "
            f"| {median(r['p50'] for r in mine):.2f} | {median(r['p99'] for r in mine):.2f} "
            f"| {sum(r['errors'] for r in mine)} of {sum(r['requests'] for r in mine)} "
            f"| {page['queries']} |"
        )
    return rows


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
    return done.stdout.strip()


def write_results(name: str, section: str) -> None:
    """Replace the section `name` of RESULTS.md, or add it; keep everything else."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    begin, end = f"<!-- BEGIN run {name} -->", f"<!-- END run {name} -->"
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # gunicorn is stopped on kill too
    with socket.socket() as probe:
        if probe.connect_ex((HOST, args.port)) == 0:
            sys.exit(f"Something already listens on {HOST}:{args.port}: choose another --port.")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = environment(args.port)
    print(f"Preparing {redact(env['DATABASE_URL'])} and {env['CACHE_URL']}")
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env | {"NEWSROOM_DEMO": "true"}, "seed_demo")  # the flag: in case the command needs it
    prepare = "from benchmarks.prepare import main; main()"
    prepared = json.loads(manage(env, "shell", "-v", "0", "-c", prepare).splitlines()[-1])
    only = set(filter(None, args.only.split(","))) | {"fixed"}
    pages = [page for page in prepared["scenarios"] if not args.only or page["key"] in only]
    load_average, started = os.getloadavg()[0], datetime.now(UTC)
    process = start_gunicorn(env, args)
    answers, wrong, runs = [], [], {page["key"]: [] for page in pages}
    try:
        for page in pages:
            seen, problems = check(page, args.port)
            wrong += problems
            answers.append(f"- {page['title']}: {'✗' if problems else '✓'} {seen}")
            answers[-1] += f" (UNEXPECTED: {', '.join(problems)})" if problems else ""
            print(answers[-1])
            wrk(page, args, 1)  # warm-up: fills each worker's caches
        for number in range(1, args.rounds + 1):
            for page in pages:
                runs[page["key"]].append(result := measure(page, args, process.pid))
                figures = f"{result['rate']:.0f} req/s, {result['cpu_ms'] or 0:.3f} ms CPU/req"
                print(f"round {number} {page['key']}: {figures}, {result['errors']} errors")
    finally:
        stop_gunicorn(process)
    load_average = f"{load_average:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    database, cache = (urlsplit(env[var]).scheme for var in ("DATABASE_URL", "CACHE_URL"))
    name = "-".join(filter(None, [database, cache, re.sub(r"\W+", "-", args.label.lower())]))
    given = [
        f"{k}={redact(os.environ[k])} " for k in ("DATABASE_URL", "CACHE_URL") if k in os.environ
    ]
    command = "".join(given) + shlex.join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]])
    commit = git("rev-parse", "--short", "HEAD")
    commit += "-dirty" if git("status", "--porcelain", "-uno", ":!benchmarks/RESULTS.md") else ""
    server = f"{args.threads} threads each (gthread)" if args.threads > 1 else "sync"
    title = f"## {prepared['database']} + {CACHES.get(cache, cache)}"
    about = (
        f"{started:%Y-%m-%d %H:%M} UTC, commit `{commit}`; {os.cpu_count()} CPUs, load average "
        f"{load_average}; Django {version('django')}, gunicorn "
        f"{version('gunicorn')} ({args.workers} workers, {server}); wrk {args.wrk_threads} "
        f"threads, {args.connections} connections, {args.duration} s × {args.rounds} rounds. "
        f"`{command}`"
    )
    title += f": {args.label}" if args.label else ""
    section = "\n".join([title, "", about, "", *table(pages, runs), "", *answers])
    print("\n" + section)
    if not args.no_write:
        write_results(name, section)
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}, section {name}.")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
