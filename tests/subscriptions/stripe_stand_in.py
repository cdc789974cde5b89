"""A stand-in for Stripe's HTTP API, started by the tests on 127.0.0.1: never Stripe itself.

The real `stripe` library talks to it (`STRIPE_API_BASE`), so requests are built, sent and
parsed exactly as in production. It answers only the endpoints this site uses (customers,
checkout sessions, billing portal sessions, subscriptions retrieve/update, products, prices),
keeps its objects in memory, honours idempotency keys, and lets a test change a subscription
"at Stripe" (`complete_checkout`, `change`, `renew`) before it delivers a webhook, signed with
the library's own scheme by `signed_event`. `hold_next_retrieve()` (or `hold_next_update()`)
makes the next answer about a subscription wait (as a slow Stripe would) until `release()`,
with what Stripe said (or did) when asked.
"""

import copy
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

SECRET_KEY = "sk_test_stand_in"
WEBHOOK_SECRET = "whsec_stand_in"
DAY = 24 * 60 * 60
INTERVAL_SECONDS = {"month": 30 * DAY, "year": 365 * DAY}


def form_decode(body):
    """Decode Stripe's form encoding (`items[0][price]=…`) into nested dicts and lists."""
    root = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _with_lists(root)


def _with_lists(node):
    if not isinstance(node, dict):
        return node
    node = {key: _with_lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def _bool(value):
    return value in (True, "true")


class StripeStandIn:
    """Stripe's API for the tests, in memory, behind a real HTTP server."""

    def __init__(self):
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.objects = {}
            self.requests = []
            self.idempotent = {}
            self._ids = itertools.count(1)
            self.holding = None  # the method whose next answer about a subscription waits
            self.held = threading.Event()  # set while an answer waits for `release()`
            self.released = threading.Event()

    def hold_next_retrieve(self):
        self._hold("GET")

    def hold_next_update(self):
        self._hold("POST")

    def _hold(self, method):
        self.released.clear()
        self.held.clear()
        self.holding = method

    def release(self):
        self.released.set()

    def _wait_if_held(self, method, path):
        with self.lock:
            hold = self.holding == method and path.startswith("/v1/subscriptions/")
            if hold:
                self.holding = None
        if hold:
            self.held.set()
            self.released.wait(timeout=30)

    # What tests look at and change "at Stripe" ---------------------------------------------

    def all(self, kind):
        """Return copies of every object of `kind` ("customer", "price", …) in creation order."""
        with self.lock:
            return [copy.deepcopy(o) for o in self.objects.values() if o["object"] == kind]

    def get(self, object_id):
        with self.lock:
            return copy.deepcopy(self.objects[object_id])

    def complete_checkout(self, session_id, *, now=None):
        """Do what Stripe does when the reader pays: start the session's subscription."""
        now = int(now or time.time())
        with self.lock:
            session = self.objects[session_id]
            data = session["subscription_data"]
            trial_days = int(data.get("trial_period_days") or 0)
            subscription = self.add_subscription(
                customer=session["customer"],
                price_id=session["line_items"][0]["price"],
                status="trialing" if trial_days else "active",
                start=now,
                end=now + trial_days * DAY if trial_days else None,
                metadata=data.get("metadata", {}),
            )
            session.update(status="complete", subscription=subscription["id"])
            return copy.deepcopy(subscription)

    def add_subscription(
        self, *, customer, price_id, status="active", start=None, end=None, metadata=None
    ):
        """Create a subscription at Stripe, as its checkout or its dashboard would."""
        with self.lock:
            price = self.objects.get(price_id) or {
                "id": price_id,
                "object": "price",
                "product": "",
                "recurring": {"interval": "month"},
            }
            start = int(start or time.time())
            end = end or start + INTERVAL_SECONDS[price["recurring"]["interval"]]
            subscription_id = self._new_id("sub")
            self.objects[subscription_id] = {
                "id": subscription_id,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "cancel_at_period_end": False,
                "cancel_at": None,
                "canceled_at": None,
                "ended_at": None,
                "metadata": dict(metadata or {}),
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": self._new_id("si"),
                            "object": "subscription_item",
                            "price": copy.deepcopy(price),
                            "quantity": 1,
                            "current_period_start": start,
                            "current_period_end": int(end),
                        }
                    ],
                },
            }
            return copy.deepcopy(self.objects[subscription_id])

    def change(self, subscription_id, *, period=None, **fields):
        """Change a subscription at Stripe: its status, `ended_at`, its `period` (start, end)."""
        with self.lock:
            subscription = self.objects[subscription_id]
            subscription.update(fields)
            if period:
                item = subscription["items"]["data"][0]
                item["current_period_start"], item["current_period_end"] = map(int, period)
            return copy.deepcopy(subscription)

    def renew(self, subscription_id, *, status="active"):
        """Move a subscription to its next period, as Stripe does when it bills the renewal."""
        with self.lock:
            item = self.objects[subscription_id]["items"]["data"][0]
            end = item["current_period_end"]
            length = INTERVAL_SECONDS[item["price"]["recurring"]["interval"]]
            return self.change(subscription_id, period=(end, end + length), status=status)

    # The HTTP API ------------------------------------------------------------------------

    def _new_id(self, prefix):
        return f"{prefix}_standin{next(self._ids)}"

    def answer(self, method, path, params, headers):
        """Return (status, body) for one API request."""
        if headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return 401, _error("Invalid API Key provided.", type_="invalid_request_error")
        with self.lock:
            self.requests.append((method, path, params))
            key = headers.get("Idempotency-Key")
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            answer = self._route(method, path, params)
            if method == "POST" and key:
                self.idempotent[key] = answer
            return answer

    def _route(self, method, path, params):
        match = re.fullmatch(r"/v1/(customers|products|prices|subscriptions)(?:/([\w-]+))?", path)
        if match is None:
            match = re.fullmatch(
                r"/v1/(checkout/sessions|billing_portal/sessions)(?:/([\w-]+))?", path
            )
        if match is None:
            return 404, _error(f"Unrecognized request URL ({method}: {path}).")
        collection, object_id = match.groups()
        if object_id is None:
            if method != "POST" or collection == "subscriptions":
                return 404, _error(f"Unrecognized request URL ({method}: {path}).")
            return 200, self._create(collection, params)
        stored = self.objects.get(object_id)
        if stored is None:
            return 404, _error(f"No such object: '{object_id}'", code="resource_missing")
        if method == "POST":
            self._update(stored, params)
        return 200, copy.deepcopy(stored)

    def _create(self, collection, params):
        prefixes = {
            "customers": ("cus", "customer"),
            "products": ("prod", "product"),
            "prices": ("price", "price"),
            "checkout/sessions": ("cs_test", "checkout.session"),
            "billing_portal/sessions": ("bps", "billing_portal.session"),
        }
        prefix, kind = prefixes[collection]
        object_id = self._new_id(prefix)
        created = {"metadata": {}, **params, "id": object_id, "object": kind}
        if kind == "price":
            created["unit_amount"] = int(params["unit_amount"])
            created["active"] = True
        if kind == "product":
            created["active"] = True
        if kind == "checkout.session":
            created.update(
                url=f"{self.url}/c/pay/{object_id}",
                status="open",
                subscription=None,
                subscription_data=params.get("subscription_data", {}),
            )
        if kind == "billing_portal.session":
            created["url"] = f"{self.url}/p/session/{object_id}"
        self.objects[object_id] = created
        return copy.deepcopy(created)

    def _update(self, stored, params):
        if stored["object"] == "subscription":
            if "cancel_at_period_end" in params:
                stored["cancel_at_period_end"] = _bool(params["cancel_at_period_end"])
            for change in params.get("items", []):
                item = next(i for i in stored["items"]["data"] if i["id"] == change["id"])
                item["price"] = copy.deepcopy(self.objects[change["price"]])
            stored["metadata"].update(params.get("metadata", {}))
            return
        if "active" in params:
            stored["active"] = _bool(params["active"])
        for name in ("name", "metadata"):
            if name in params:
                stored[name] = params[name]


def _error(message, *, type_="invalid_request_error", code=None):
    return {"error": {"type": type_, "message": message, "code": code}}


def _handler_for(stand_in):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            url = urlsplit(self.path)
            body = self.rfile.read(length).decode() if length else url.query
            status, answer = stand_in.answer(
                self.command, url.path, form_decode(body), dict(self.headers)
            )
            stand_in._wait_if_held(self.command, url.path)  # answered as it was when asked
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):  # quiet: the tests assert on `requests`
            pass

    return Handler


# Webhooks, signed as Stripe signs them -----------------------------------------------------

_event_ids = itertools.count(1)


def signed_event(event_type, obj, *, event_id=None, secret=WEBHOOK_SECRET, created=None):
    """Return (body, Stripe-Signature header) for an event about `obj`, as Stripe sends it."""
    event = {
        "id": event_id or f"evt_standin{next(_event_ids)}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(created or time.time()),
        "type": event_type,
        "livemode": False,
        "data": {"object": obj},
    }
    body = json.dumps(event)
    return body, stripe.WebhookSignature.generate_signature_header(body, secret)


def invoice_for(subscription, *, status="paid"):
    """Return an invoice for `subscription` as API versions since 2025 shape it."""
    return {
        "id": f"in_standin{next(_event_ids)}",
        "object": "invoice",
        "customer": subscription["customer"],
        "status": status,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription["id"]},
        },
    }


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stripe_server():
    server = StripeStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_stand_in(stripe_server, settings):
    """Run the site with Stripe as its payment provider, pointed at the stand-in."""
    stripe_server.reset()
    settings.NEWSROOM_PAYMENT_PROVIDER = "subscriptions.stripe_provider.StripeProvider"
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = False
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_stand_in"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_server.url
    return stripe_server
