"""A stand-in for Resend's HTTP API, started by the tests on 127.0.0.1: never Resend itself.

django-anymail's Resend backend (through `foundation.email_providers.ResendEmailBackend`) talks
to it (`ANYMAIL_RESEND_API_URL`), so each message is built, posted and parsed as in production.
It answers `POST /emails` as Resend does (an id per message), honours idempotency keys as Resend
documents them (the same key and body: the first answer again, and no second delivery; the same
key with another body: 409), and lets a test decide the rest: `refuse(503)` until `accept()`,
`delay(seconds)` before each answer, `limit(per_second)` answering 429 beyond that many
messages in a second (as Resend's rate limit does), and `fail_address(email, 422)` for an
address refused for good. `delivered` holds each message delivered, once per idempotency key;
`posts` counts every request. `signed_event(...)` makes a tracking webhook as Resend posts it,
signed with svix's scheme (what anymail checks), from what was delivered.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "re_stand_in_key"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"stand-in signing secret, 32 bytes").decode()


class ResendStandIn:
    def __init__(self):
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.delivered = []  # one dict per message delivered: id, to, subject, html, text, headers
        self.by_key = {}  # idempotency key -> (body digest, id)
        self.in_flight = set()
        self.posts = 0
        self.refusals = Counter()  # status -> how many requests refused with it
        self.refusing = None
        self.seconds = 0.0
        self.per_second = None
        self.window = Counter()  # second -> messages accepted in it
        self.failing = {}  # address -> status
        self.posted_at = []  # time of each accepted message

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def refuse(self, status=503):
        self.refusing = status

    def accept(self):
        self.refusing = None

    def delay(self, seconds):
        self.seconds = seconds

    def limit(self, per_second):
        self.per_second = per_second

    def fail_address(self, email, status=422):
        self.failing[email] = status

    def recipients(self) -> Counter:
        """Return how many messages each address was delivered."""
        with self.lock:
            return Counter(message["to"][0] for message in self.delivered)

    def message_to(self, email) -> dict:
        with self.lock:
            return next(message for message in self.delivered if email in message["to"])

    def signed_event(self, kind, email, **data):
        """Return (body, headers) of Resend's webhook `kind` (e.g. "email.bounced") about the
        message delivered to `email`, signed as Resend (svix) signs it."""
        message = self.message_to(email)
        now = datetime.now(UTC)
        payload = {
            "type": kind,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "data": {
                "created_at": now.isoformat().replace("+00:00", "Z"),
                "email_id": message["id"],
                "from": message["from"],
                "to": message["to"],
                "subject": message["subject"],
                "headers": [
                    {"name": name, "value": value} for name, value in message["headers"].items()
                ],
                **data,
            },
        }
        body = json.dumps(payload)
        event_id = f"msg_{secrets.token_hex(12)}"
        # Imported here: svix (pydantic models of its whole API) costs each test process 0.4 s
        # to import, and only the webhook tests sign.
        from svix.webhooks import Webhook

        signature = Webhook(SIGNING_SECRET).sign(event_id, now, body)
        headers = {
            "svix-id": event_id,
            "svix-timestamp": str(int(now.timestamp())),
            "svix-signature": signature,
        }
        return body, headers

    # The server's side ---------------------------------------------------------------------

    def answer(self, headers, body) -> tuple[int, dict, dict]:
        """Return (status, answer, extra headers) for a POST /emails."""
        with self.lock:
            self.posts += 1
        if headers.get("Authorization") != f"Bearer {API_KEY}":
            return 401, {"name": "missing_api_key", "message": "Missing API key"}, {}
        if self.seconds:
            time.sleep(self.seconds)
        if self.refusing:
            with self.lock:
                self.refusals[self.refusing] += 1
            return self.refusing, {"name": "application_error", "message": "Not now"}, {}
        message = json.loads(body)
        key = headers.get("Idempotency-Key", "")
        digest = hashlib.sha256(body).hexdigest()
        with self.lock:
            if key in self.by_key:
                known_digest, known_id = self.by_key[key]
                if known_digest != digest:
                    return 409, {"name": "invalid_idempotent_request"}, {}
                return 200, {"id": known_id}, {}
            if key and key in self.in_flight:
                return 409, {"name": "concurrent_idempotent_requests"}, {}
            second = int(time.time())
            if self.per_second is not None and self.window[second] >= self.per_second:
                self.refusals[429] += 1
                return 429, {"name": "rate_limit_exceeded"}, {"Retry-After": "1"}
            status = self.failing.get(message["to"][0])
            if status:
                self.refusals[status] += 1
                return status, {"name": "validation_error", "message": "Invalid `to`"}, {}
            self.window[second] += 1
            self.in_flight.add(key)
        email_id = str(uuid.uuid4())
        with self.lock:
            self.in_flight.discard(key)
            if key:
                self.by_key[key] = (digest, email_id)
            self.delivered.append(
                {"id": email_id, **message, "headers": message.get("headers", {})}
            )
            self.posted_at.append(time.monotonic())
        return 200, {"id": email_id}, {}


def _handler_for(stand_in):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes: without this, the client's delayed ACK holds
        # the second for 40 ms, and the stand-in, not the site, would set the pace.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.rstrip("/") != "/emails":
                return self._send(404, {"name": "not_found"}, {})
            status, answer, extra = stand_in.answer(self.headers, body)
            return self._send(status, answer, extra)

        def _send(self, status, answer, extra):
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
