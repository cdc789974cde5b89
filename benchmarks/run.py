"""Load the site's pages under gunicorn with wrk, against the same stack returning a fixed string.

`make benchmark`, or `.venv/bin/python benchmarks/run.py --help`; see benchmarks/README.md.
Standard library only: Django runs in the subprocesses (manage.py, gunicorn).
"""

import argparse
import asyncio
import http.client
import io
import json
import os
import random
import re
import secrets
import shlex
import shutil
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
STOCK_PAGE = {
    "key": "stock",
    "title": "Django's stock page (startproject, 7 middleware)",
    "path": "/bench/fixed/",
    "cookie": "",
    "cache": "none",
    "body": None,
    "queries": 0,
}
EDITOR_SECONDS = 2  # `--editor`: one save of a live article every this many seconds


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
    add(
        "--articles",
        default="",
        help="archive sizes, e.g. 1000,100000: one database and Redis db each (DATABASE_URL's "
        "name + _1k, CACHE_URL's db + 0, 1, …), seeded once and kept, loaded in one run",
    )
    add("--miss", action="store_true", help="each archive also with no cache: every request a miss")
    add("--nginx", action="store_true", help="the shipped nginx cache in front, public pages too")
    add("--stock", action="store_true", help="Django's stock project too, the same fixed string")
    add("--editor", action="store_true", help="an editor saves a live article every 2 s (Redis)")
    add("--soak", type=int, default=0, help="seconds of the mixed readers' soak instead (e.g. 60)")
    add("--soak-clients", type=int, default=32, help="the soak's concurrent readers (32)")
    args = parser.parse_args()
    if not (1 <= args.duration <= 600 and 1 <= args.rounds <= 20):
        parser.error("--duration must be 1..600 and --rounds 1..20")
    return args


def environment(port: int, secret_key: str, base: dict | None = None) -> dict:
    """Return the subprocesses' environment; explicit values keep a developer's .env out."""
    env = dict(base or os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'db.sqlite3'}")
    env.setdefault("CACHE_URL", "locmemcache://")
    if "bench" not in urlsplit(env["DATABASE_URL"]).path.lower():
        sys.exit("DATABASE_URL: the database's name must contain 'bench' (it gets demo logins).")
    return env | {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,  # throwaway, new each run, shared by its stacks
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


def wsgi_environ(path: str, **headers: str) -> dict:
    """Return a GET of `path` as a WSGI server on 127.0.0.1 would hand it to Django, with
    `headers` (WSGI names: HTTP_COOKIE=…), for the benchmarks that serve in one process."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": HOST,
        "HTTP_USER_AGENT": AGENT,
        "REMOTE_ADDR": HOST,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        **headers,
    }


def cpu_per_request(handler, path: str, requests: int, **headers: str) -> float:
    """Serve `path` `requests` times through the WSGI `handler` in this process, each response
    read and closed as a server would (`request_finished`); return CPU µs per request."""
    started = time.process_time()
    for _ in range(requests):
        response = handler(wsgi_environ(path, **headers), lambda status, headers, exc=None: None)
        b"".join(response)
        response.close()
    return (time.process_time() - started) / requests * 1e6


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)


def manage(env: dict, *args: str) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def start_gunicorn(env: dict, args, port: int, name: str = "") -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi", f"--bind={HOST}:{port}"]
    command += [f"--workers={args.workers}", f"--threads={args.threads}", "--log-level=warning"]
    command += ["--worker-class=" + ("gthread" if args.threads > 1 else "sync")]
    log = (BENCH_DIR / f"gunicorn{'-' + name if name else ''}.log").open("w")
    # In a session of its own: the whole group, master and workers, is stopped at the end.
    options = {"stdout": log, "stderr": log, "start_new_session": True}
    process = subprocess.Popen(command, cwd=ROOT, env=env, **options)  # noqa: S603
    for _ in range(150):  # up to 30 s
        if process.poll() is not None:
            sys.exit(f"gunicorn exited: see {BENCH_DIR / 'gunicorn.log'}")
        try:
            answers = fetch(port, "/bench/fixed/")[0] == 200
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
    if headers.get("X-Cache-Status"):
        cache_control += f"; X-Cache-Status: {headers['X-Cache-Status']}"
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


def wrk(page: dict, args, seconds: int, port: int) -> dict:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--timeout=5s", "--latency", "-H", f"User-Agent: {AGENT}"]
    command += ["-H", f"Cookie: {page['cookie']}"] if page["cookie"] else []
    command.append(f"http://{HOST}:{port}{page['path']}")
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout  # noqa: S603

    def find(pattern: str, default: tuple = ("0",)) -> tuple:
        found = re.search(pattern, out, re.MULTILINE)
        return found.groups() if found else default

    def latency_ms(percent: int) -> float:
        value, unit = find(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", ("0", "ms"))
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    socket_errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return {
        "requests": int(find(r"(\d+) requests in")[0]),
        "rate": float(find(r"Requests/sec:\s+([\d.]+)")[0]),
        "p50": latency_ms(50),
        "p99": latency_ms(99),
        "errors": int(find(r"Non-2xx or 3xx responses: (\d+)")[0]) + sum(map(int, socket_errors)),
    }


def measure(page: dict, args, stack: dict) -> dict:
    pids = workers(stack["gunicorn"].pid)
    if stack.get("nginx"):
        # Looked up each time: nginx's cache loader exits a minute after the start.
        pids += workers(stack["nginx"].pid)
    before = cpu_seconds(pids)
    result = wrk(page, args, args.duration, stack["port"])
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


def size_name(articles: int) -> str:
    return f"{articles // 1000}k" if articles >= 1000 and not articles % 1000 else str(articles)


def with_suffix(url: str, suffix: str) -> str:
    """Return the database URL `url` with `suffix` added to the database's name."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path.rstrip("/") + suffix).geturl()


def with_redis_db(url: str, offset: int) -> str:
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + offset
    return parts._replace(path=f"/{number}").geturl()


def make_stacks(args, secret_key: str) -> list[dict]:
    """Return the stacks to load: one per archive size (or the one database given), each with
    its twin without a cache (`--miss`) and its nginx in front (`--nginx`)."""
    sizes = [int(size) for size in filter(None, args.articles.split(","))]
    bases = []
    if not sizes:
        bases.append(("", None, dict(os.environ)))
    else:
        database, cache = os.environ.get("DATABASE_URL", ""), os.environ.get("CACHE_URL", "")
        if not (database.startswith("postgres") and cache.startswith("redis")):
            sys.exit("--articles needs DATABASE_URL (PostgreSQL) and CACHE_URL (Redis).")
        for number, size in enumerate(sizes):
            urls = {
                "DATABASE_URL": with_suffix(database, f"_{size_name(size)}"),
                "CACHE_URL": with_redis_db(cache, number),
            }
            bases.append((size_name(size), size, dict(os.environ) | urls))
    stacks, port = [], args.port
    for name, size, base in bases:
        env = environment(port, secret_key, base)
        stacks.append({"name": name, "articles": size, "env": env, "port": port, "kind": ""})
        port += 1
        if args.miss:
            cold = environment(port, secret_key, base | {"CACHE_URL": "dummycache://"})
            stacks.append(
                {"name": name, "articles": size, "env": cold, "port": port, "kind": "miss"}
            )
            port += 1
    if args.nginx:
        for stack in [stack for stack in stacks if not stack["kind"]]:
            stacks.append(stack | {"kind": "nginx", "port": port, "behind": stack})
            port += 1
    if args.stock:
        stock = environment(port, secret_key) | {"DJANGO_SETTINGS_MODULE": "benchmarks.stock"}
        stacks.append({"name": "", "articles": None, "env": stock, "port": port, "kind": "stock"})
    return stacks


def stack_title(stack: dict) -> str:
    words = [f"{stack['articles']:,} articles" if stack["articles"] else ""]
    words.append(
        {
            "miss": "no cache (every request a miss)",
            "nginx": "through nginx",
            "stock": "Django's stock project",
        }.get(stack["kind"], "")
    )
    return ", ".join(filter(None, words))


def create_database(url: str) -> None:
    """Create the PostgreSQL database of `url` unless it exists (createdb, PostgreSQL's own)."""
    parts = urlsplit(url)
    command = ["createdb", "-h", parts.hostname or HOST, "-p", str(parts.port or 5432)]
    command += ["-U", parts.username or "postgres", parts.path.strip("/")]
    password = {"PGPASSWORD": parts.password} if parts.password else {}
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | password)  # noqa: S603
    if done.returncode and "already exists" not in done.stderr:
        sys.exit(f"createdb failed: {done.stderr}")


def prepare_database(env: dict, articles: int | None) -> None:
    if articles:
        create_database(env["DATABASE_URL"])
    # No statement timeout for migrations either: one that rewrites the articles table (0012)
    # takes half a minute at 100,000 articles.
    manage(env | {"DATABASE_STATEMENT_TIMEOUT_MS": "0"}, "migrate", "--no-input", "-v", "0")
    manage(env | {"NEWSROOM_DEMO": "true"}, "seed_demo")  # the flag: in case the command needs it
    # The pictures' renditions, which workers make in production: pages as readers get them.
    manage(env, "run_worker", "--batch", "-v", "0")
    if articles:
        started = time.monotonic()
        seeding = env | {"NEWSROOM_DEMO": "true", "DATABASE_STATEMENT_TIMEOUT_MS": "0"}
        print(manage(seeding, "seed_archive", "--articles", str(articles)).strip().splitlines()[-1])
        print(f"  ({time.monotonic() - started:.0f} s)")


def start_nginx(stack: dict) -> subprocess.Popen:
    """Run nginx with the shipped site file in front of the stack's gunicorn (BENCH_DIR)."""
    sys.path.insert(0, str(ROOT))
    from deploy.nginx_site import render_site

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = BENCH_DIR / f"nginx-{stack['name'] or 'demo'}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    site = render_site(
        upstream=f"{HOST}:{stack['behind']['port']}",
        listen=f"{HOST}:{stack['port']}",
        static_root=ROOT / "static",
        media_root=BENCH_DIR / "uploads",
        cache_dir=folder / "cache",
        access_log="off",
    )
    (folder / "newsroom.conf").write_text(
        site.replace("access_log off newsroom;", "access_log off;")
    )
    temp_paths = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{temp_paths}"
        f"    include {folder / 'newsroom.conf'};\n}}\n"
    )
    command = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"]
    log = (folder / "stderr.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)  # noqa: S603
    for _ in range(50):
        if process.poll() is not None:
            sys.exit(f"nginx exited: see {folder}")
        try:
            if fetch(stack["port"], "/bench/fixed/")[0] == 200 and workers(process.pid):
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    sys.exit("nginx did not answer within 10 s")


def comparison(stacks: list[dict], runs: dict) -> list[str]:
    """Return the tables of p50 and CPU per request at each archive size, with the ratio of
    the largest's to the smallest's (target: p50 at most 1.2×; CPU where wrk gave no p50)."""

    def middle(values):
        values = [value for value in values if value]  # wrk reports 0 when it has no figure
        return median(values) if values else None

    def ratio(values):
        return values[-1] / values[0] if None not in values else None

    rows = []
    for kind in ("", "miss", "nginx"):
        group = [s for s in stacks if s["kind"] == kind and s["articles"]]
        if len(group) < 2:
            continue
        small, large = group[0], group[-1]
        p50_heads = " | ".join(f"p50 ms at {s['name']}" for s in group)
        cpu_heads = " | ".join(f"CPU ms at {s['name']}" for s in group)
        rows += [
            "",
            f"**{stack_title(large).split(', ', 1)[-1] if kind else 'With the caches'}**"
            f" (target: p50 at {large['name']} ≤ 1.2 × p50 at {small['name']})",
            "",
            f"| scenario | {p50_heads} | × | {cpu_heads} | × | target "
            f"| SQL queries at {small['name']} / {large['name']} |",
            "| --- | " + "---: | " * (2 * len(group) + 2) + "--- | ---: |",
        ]
        for page in large["pages"]:
            p50s, cpus = [], []
            for stack in group:
                mine = runs[(stack["port"], page["key"])] if page["key"] in stack["keys"] else []
                p50s.append(middle(r["p50"] for r in mine))
                cpus.append(middle(r["cpu_ms"] for r in mine))
            by_p50, by_cpu = ratio(p50s), ratio(cpus)
            judged = by_p50 if by_p50 is not None else by_cpu
            verdict = "–" if judged is None else ("met" if judged <= 1.2 else "MISSED")
            verdict += " (by CPU)" if by_p50 is None and by_cpu is not None else ""
            queries = [
                next((p["queries"] for p in s["pages"] if p["key"] == page["key"]), "–")
                for s in (small, large)
            ]

            def show(values, digits):
                return " | ".join("–" if v is None else f"{v:.{digits}f}" for v in values)

            rows.append(
                f"| {page['title']} | {show(p50s, 2)} | {show([by_p50], 2)} "
                f"| {show(cpus, 3)} | {show([by_cpu], 2)} | {verdict} "
                f"| {queries[0]} / {queries[1]} |"
            )
    return rows


def start_editor(env: dict) -> subprocess.Popen:
    """Start the editor who saves the benchmark's paywalled article (`benchmarks/editor.py`)."""
    code = f"from benchmarks.editor import main; main({EDITOR_SECONDS})"
    command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", code]
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen(command, cwd=ROOT, env=env, **options)  # noqa: S603


def stop_editor(editor: subprocess.Popen) -> dict:
    """Stop the editor after its save in hand; return what it did."""
    editor.terminate()
    out, err = editor.communicate(timeout=60)
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"saves": 0, "failed": [err[-300:]]}


def editing(edits: dict | None) -> str:
    if not edits:
        return "**With an editor saving**: the editor did not report."
    failed = edits["failed"]
    failed = f", **{len(failed)} failed** ({failed[:3]})" if failed else ""
    return (
        f"**With an editor saving** the article of the preview and subscriber pages every "
        f"{EDITOR_SECONDS} s through its admin change form, one word of its body changed: "
        f"{edits['saves']} saves, {edits.get('median_ms')} ms each (median){failed}."
    )


def against_stock(stacks: list[dict], runs: dict) -> list[str]:
    """Return each page of the first stack against Django's stock page, by CPU per request
    (median of the rounds' ratios, each page against the stock page of the same round)."""
    stock = next((s for s in stacks if s["kind"] == "stock"), None)
    if stock is None:
        return []
    first = stacks[0]
    rows = [
        "",
        "**Against Django's stock page** (`benchmarks/stock.py`: `startproject`'s apps and seven "
        "middleware returning the same fixed string, on the same gunicorn), by CPU per request:",
        "",
        "| scenario | × stock page by CPU | × fixed string by CPU |",
        "| --- | ---: | ---: |",
    ]
    stock_runs, fixed_runs = runs[(stock["port"], "stock")], runs[(first["port"], "fixed")]
    for page in first["pages"]:
        mine = runs[(first["port"], page["key"])]
        pairs = list(zip(mine, stock_runs, fixed_runs, strict=True))
        by_stock = [s["cpu_ms"] / m["cpu_ms"] for m, s, _ in pairs]
        by_fixed = [f["cpu_ms"] / m["cpu_ms"] for m, _, f in pairs]
        rows.append(
            f"| {page['title']} | {median(by_stock):.2f} ({min(by_stock):.2f}–{max(by_stock):.2f})"
            f" | {median(by_fixed):.2f} |"
        )
    return rows


async def _soak_request(port: int, path: str, cookies: dict) -> tuple[int, str, dict]:
    """GET `path` on a new connection; return the status, the body and the cookies set."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: {AGENT}\r\n"
        request += f"Cookie: {cookie}\r\n" if cookie else ""
        writer.write((request + "Connection: close\r\n\r\n").encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    set_cookies = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            pair = value.strip().split(";", 1)[0]
            set_cookies[pair.split("=", 1)[0]] = pair.split("=", 1)[1]
    return int(lines[0].split()[1]), body.decode(errors="replace"), set_cookies


async def _soak_client(port, client, articles, deadline, seed):
    """One reader reading articles at random until `deadline`; record what it was sent."""
    rng = random.Random(seed)  # noqa: S311 - not for secrets
    cookies = dict(pair.split("=", 1) for pair in filter(None, client["cookie"].split("; ")))
    while time.monotonic() < deadline:
        article = rng.choice(articles)
        try:
            status, body, set_cookies = await _soak_request(port, article["path"], cookies)
        except (TimeoutError, OSError, IndexError, ValueError) as error:
            client["failures"].append(f"{article['path']}: {error!r}")
            continue
        client["statuses"][status] = client["statuses"].get(status, 0) + 1
        cookies |= set_cookies  # the meter's cookie, a renewed CSRF cookie
        if status == 200 and FULL_TEXT in body:
            client["full"].add(article["id"])
            if article["access"] == "metered":
                client["granted"].add(article["id"])
        elif status == 200:
            client["refused"].add(article["id"])


def soak(stack: dict, args) -> int:
    """Run `--soak-clients` readers for `--soak` seconds against the stack; check the meter."""
    env, clients = stack["env"], args.soak_clients
    registered = clients * 3 // 8  # in pairs: two clients share each registered reader
    subscribers = clients // 4
    anonymous = clients - 2 * (registered // 2) - subscribers
    token = secrets.token_hex(4)
    make = (
        "from benchmarks.soak import readers; "
        f"readers(registered={registered // 2}, subscribers={subscribers}, token={token!r})"
    )
    made = json.loads(manage(env, "shell", "-v", "0", "-c", make).splitlines()[-1])
    articles, allowance = made["articles"], made["allowance"]
    people = [{"email": None, "kind": "anonymous", "cookie": ""} for _ in range(anonymous)]
    for person in made["readers"]:
        people += [person] * (2 if person["kind"] == "registered" else 1)
    sessions = [
        person | {"statuses": {}, "full": set(), "granted": set(), "refused": set(), "failures": []}
        for person in people
    ]
    process = start_gunicorn(env, args, stack["port"], "soak")
    load_average, started = os.getloadavg()[0], datetime.now(UTC)
    try:
        deadline = time.monotonic() + args.soak

        async def everyone():
            await asyncio.gather(
                *(
                    _soak_client(stack["port"], client, articles, deadline, number)
                    for number, client in enumerate(sessions)
                )
            )

        asyncio.run(everyone())
    finally:
        stop_gunicorn(process)
    emails = sorted({person["email"] for person in made["readers"]})
    count = f"from benchmarks.soak import reads; reads(emails={emails!r})"
    recorded = json.loads(manage(env, "shell", "-v", "0", "-c", count).splitlines()[-1])
    problems, statuses = [], {}
    for client in sessions:
        for status, number in client["statuses"].items():
            statuses[status] = statuses.get(status, 0) + number
        problems += client["failures"][:3]
    if any(status >= 500 for status in statuses):
        problems.append(f"5xx answers: {statuses}")
    granted_by_email = {}
    for client in sessions:
        if client["email"]:
            granted_by_email.setdefault(client["email"], set()).update(client["granted"])
    metered_ids = {a["id"] for a in articles if a["access"] == "metered"}
    for client in sessions:
        if client["kind"] == "anonymous":
            wanted = min(allowance["anonymous"], len(metered_ids))
            if len(client["granted"]) != wanted:
                problems.append(
                    f"an anonymous reader read {len(client['granted'])} metered articles in "
                    f"full, not {wanted}"
                )
        if client["kind"] == "subscriber" and client["refused"]:
            problems.append(f"{client['email']} was refused {sorted(client['refused'])}")
    for email, granted in granted_by_email.items():
        rows = recorded.get(email, [])
        kind = next(p["kind"] for p in made["readers"] if p["email"] == email)
        expected = granted if kind == "registered" else set()
        if sorted(rows) != sorted(expected) or len(rows) > allowance["registered"]:
            problems.append(f"{email}: recorded {sorted(rows)}, read {sorted(expected)}")
    total = sum(statuses.values())
    registered_reads = [len(recorded.get(e, [])) for e in emails if "-registered-" in e]
    anonymous_reads = [len(c["granted"]) for c in sessions if c["kind"] == "anonymous"]
    load_average = f"{load_average:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    command = shlex.join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]])
    lines = [
        f"## Soak: {clients} readers for {args.soak} s ({stack_title(stack) or 'demo content'})",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC, commit `{git('rev-parse', '--short', 'HEAD')}`; load "
        f"average {load_average}; gunicorn {args.workers} workers × {args.threads} threads. "
        f"`{command}`",
        "",
        f"- Readers: {anonymous} anonymous (each its own meter cookie), {registered // 2} "
        f"registered readers with two clients each (same session, at once), {subscribers} "
        f"subscribers; {len(articles)} articles ({len(metered_ids)} metered), chosen at random.",
        f"- Answers: {total} ({total / args.soak:.0f}/s), by status: "
        + ", ".join(f"{status}: {number}" for status, number in sorted(statuses.items())),
        f"- Anonymous readers' metered articles read in full: {sorted(set(anonymous_reads))} "
        f"(allowance {allowance['anonymous']}).",
        f"- Registered readers' metered reads recorded: {registered_reads} (allowance "
        f"{allowance['registered']}); each equal to the set of articles its two clients were "
        "sent in full: " + ("yes" if not any("recorded" in p for p in problems) else "NO"),
        "- Subscribers: every answer in full, no metered read recorded: "
        + ("yes" if not any("subscriber" in p for p in problems) else "NO"),
        f"- **{'Passed' if not problems else 'FAILED'}**: no 5xx, meter counts exact."
        if not problems
        else "- **FAILED**: " + "; ".join(problems[:10]),
    ]
    section = "\n".join(lines)
    print("\n" + section)
    if not args.no_write:
        write_results(f"soak-{stack['name'] or 'demo'}", section)
    return 1 if problems else 0


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # gunicorn is stopped on kill too
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    stacks = make_stacks(args, secrets.token_urlsafe(50))
    for stack in stacks:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, stack["port"])) == 0:
                sys.exit(f"Something already listens on {HOST}:{stack['port']}: choose --port.")
    prepared_databases = {}
    for stack in stacks:
        env = stack["env"]
        if stack["kind"] in ("nginx", "stock"):
            continue
        if env["DATABASE_URL"] not in prepared_databases:
            print(f"Preparing {redact(env['DATABASE_URL'])}")
            prepare_database(env, stack["articles"])
            prepared_databases[env["DATABASE_URL"]] = True
        print(f"Choosing the pages of {redact(env['DATABASE_URL'])} and {env['CACHE_URL']}")
        prepare = "from benchmarks.prepare import main; main()"
        output = manage(env, "shell", "-v", "0", "-c", prepare).splitlines()[-1]
        stack["prepared"] = json.loads(output)
    if args.soak:
        return soak(stacks[0], args)
    only = set(filter(None, args.only.split(","))) | {"fixed", "stock"}
    for stack in stacks:
        if stack["kind"] == "stock":
            stack["prepared"] = {"scenarios": [STOCK_PAGE]}
            pages = [STOCK_PAGE]
        elif stack["kind"] == "nginx":
            stack["prepared"] = stack["behind"]["prepared"]
            # What a CDN may keep: cookieless pages the site marks public.
            pages = [
                page
                for page in stack["prepared"]["scenarios"]
                if page["cache"] == "public" and not page["cookie"]
            ]
        else:
            pages = stack["prepared"]["scenarios"]
        stack["pages"] = [page for page in pages if not args.only or page["key"] in only]
        stack["keys"] = {page["key"] for page in stack["pages"]}
    load_average, started = os.getloadavg()[0], datetime.now(UTC)
    # The code gunicorn runs is the code at its start (a worker imports the URLs and views at
    # its first request): name the commit now, not at the end.
    commit = git("rev-parse", "--short", "HEAD")
    commit += "-dirty" if git("status", "--porcelain", "-uno", ":!benchmarks/RESULTS.md") else ""
    runs = {(stack["port"], page["key"]): [] for stack in stacks for page in stack["pages"]}
    answers = {stack["port"]: [] for stack in stacks}
    wrong = []
    editor, edits = None, None
    try:
        for stack in stacks:
            if stack["kind"] == "nginx":
                stack["gunicorn"] = stack["behind"]["gunicorn"]
                stack["nginx"] = start_nginx(stack)
            else:
                stack["gunicorn"] = start_gunicorn(
                    stack["env"], args, stack["port"], str(stack["port"])
                )
        for stack in stacks:
            for page in stack["pages"]:
                seen, problems = check(page, stack["port"])
                wrong += problems
                answer = f"- {page['title']}: {'✗' if problems else '✓'} {seen}"
                answer += f" (UNEXPECTED: {', '.join(problems)})" if problems else ""
                answers[stack["port"]].append(answer)
                print(f"[{stack_title(stack) or 'demo'}] {answer[2:]}")
                wrk(page, args, 1, stack["port"])  # warm-up: fills each worker's caches
        if args.editor:
            editor = start_editor(stacks[0]["env"])
        keys = list(dict.fromkeys(page["key"] for stack in stacks for page in stack["pages"]))
        for number in range(1, args.rounds + 1):
            for key in keys:
                for stack in stacks:  # interleaved: the sizes of one page back to back
                    page = next((p for p in stack["pages"] if p["key"] == key), None)
                    if page is None:
                        continue
                    runs[(stack["port"], key)].append(result := measure(page, args, stack))
                    figures = f"{result['rate']:.0f} req/s, {result['cpu_ms'] or 0:.3f} ms CPU/req"
                    figures += f", p50 {result['p50']:.2f} ms"
                    print(
                        f"round {number} {key} [{stack_title(stack) or 'demo'}]: {figures}, "
                        f"{result['errors']} errors"
                    )
    finally:
        if editor is not None:
            edits = stop_editor(editor)
        for stack in stacks:
            for process in (stack.get("nginx"), stack.get("gunicorn")):
                if process is not None and process.poll() is None:
                    stop_gunicorn(process)
    load_average = f"{load_average:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    given = [
        f"{k}={redact(os.environ[k])} " for k in ("DATABASE_URL", "CACHE_URL") if k in os.environ
    ]
    command = "".join(given) + shlex.join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]])
    server = f"{args.threads} threads each (gthread)" if args.threads > 1 else "sync"
    about = (
        f"{started:%Y-%m-%d %H:%M} UTC, commit `{commit}`; {os.cpu_count()} CPUs, load average "
        f"{load_average}; Django {version('django')}, gunicorn "
        f"{version('gunicorn')} ({args.workers} workers, {server}); wrk {args.wrk_threads} "
        f"threads, {args.connections} connections, {args.duration} s × {args.rounds} rounds. "
        f"`{command}`"
    )
    first = stacks[0]
    database, cache = (urlsplit(first["env"][var]).scheme for var in ("DATABASE_URL", "CACHE_URL"))
    sizes = "-".join(s["name"] for s in stacks if s["name"] and not s["kind"])
    name = "-".join(filter(None, [database, cache, sizes, re.sub(r"\W+", "-", args.label.lower())]))
    title = f"## {first['prepared']['database']} + {CACHES.get(cache, cache)}"
    title += f", {sizes.replace('-', ' and ')} articles" if sizes else ""
    title += f": {args.label}" if args.label else ""
    lines = [title, "", about]
    if args.editor:
        lines += ["", editing(edits)]
    lines += against_stock(stacks, runs)
    lines += comparison(stacks, runs)
    for stack in stacks:
        if stack["kind"] == "stock":
            continue
        mine = {key: value for (port, key), value in runs.items() if port == stack["port"]}
        lines += ["", f"### {stack_title(stack) or 'The demo content'}", ""]
        lines += table(stack["pages"], mine)
        lines += ["", *answers[stack["port"]]]
    section = "\n".join(lines)
    print("\n" + section)
    raw = [
        {"stack": stack_title(stack), "port": port, "key": key, "runs": value}
        for stack in stacks
        for (port, key), value in runs.items()
        if port == stack["port"]
    ]
    (BENCH_DIR / f"runs-{name}.json").write_text(json.dumps(raw, indent=1))
    if not args.no_write:
        write_results(name, section)
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}, section {name}.")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
