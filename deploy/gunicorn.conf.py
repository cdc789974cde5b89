"""gunicorn for Newsroom, behind the nginx of deploy/newsroom.nginx.conf.

    gunicorn -c deploy/gunicorn.conf.py newsroom.wsgi

Each value can be changed from the environment (GUNICORN_*), as the README's production
section says. Timeouts are shorter than nginx's (proxy_read_timeout 30 s), so a stuck worker
is gunicorn's to end and to log, and nginx still answers the reader.
"""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads: a request waits on PostgreSQL and Redis most of its time. Two cores serve well with
# 2 workers x 4 threads; the cache is shared (Redis), so any number of workers agree.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A worker that does not check in for this long is killed and replaced (nginx waits 30 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 25))
# On SIGTERM or a restart (SIGHUP), requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
# Longer than nginx's upstream keepalive_timeout (60 s): nginx closes an idle connection first,
# and never sends a request down one gunicorn has just closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
# Replace each worker now and then, at staggered times, so that a slow leak cannot grow.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))
# The heartbeat file in memory, not on a disk that may stall (containers).
worker_tmp_dir = os.environ.get(
    "GUNICORN_WORKER_TMP_DIR",
    "/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108
)

# Only nginx may say the request came over HTTPS (X-Forwarded-Proto) or from whom.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# One line per request on stdout, with the request id nginx sent (the site sends it back in
# X-Request-ID, so `o` finds ids the site made, too). The site's own line (newsroom.requests,
# on stderr) carries the same id; set GUNICORN_ACCESS_LOG= (empty) to keep only that one.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# A reader's private feed address and a sign-in email's link are keys: their tokens are masked
# here as in the site's own log (newsroom/request_log.py, whose pattern this is; a test keeps
# the two the same).
PRIVATE_ADDRESS = re.compile(r"(/feed/private/|/login/link/)[^/?#\s\"']+")


class AccessLogWithoutKeys(Logger):
    """gunicorn's logger, with the tokens of private addresses masked in the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str) and PRIVATE_ADDRESS.search(value):
                atoms[name] = PRIVATE_ADDRESS.sub(r"\1[token]", value)
        return atoms


logger_class = AccessLogWithoutKeys
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms id=%({x-request-id}o)s fwd="%({x-forwarded-for}i)s"'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "newsroom"


def worker_exit(server, worker):
    """Hand over the events a worker still holds (foundation.events) before it goes: a worker
    recycled after max_requests, or stopped by a deploy, loses none of them."""
    from foundation import events

    events.flush()
