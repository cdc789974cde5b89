import re
from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from subscriptions.models import Plan, Subscription

PASSWORD = "correct-horse-battery-staple"
_sequence = count(1)


def make_reader(**fields):
    """Create a reader with the shared test password."""
    from accounts.models import User

    fields.setdefault("email", f"reader{next(_sequence)}@example.com")
    return User.objects.create_user(password=PASSWORD, **fields)


def make_plan(**fields):
    n = next(_sequence)
    fields.setdefault("name", f"Plan {n}")
    fields.setdefault("slug", f"plan-{n}")
    fields.setdefault("price", Decimal("8.00"))
    return Plan.objects.create(**fields)


def make_subscription(*, user, plan=None, days_left=20, **fields):
    now = timezone.now()
    fields.setdefault("status", Subscription.Status.ACTIVE)
    fields.setdefault("current_period_start", now - timedelta(days=10))
    fields.setdefault("current_period_end", now + timedelta(days=days_left))
    return Subscription.objects.create(user=user, plan=plan, **fields)


def article_request(*, user=None, cookies=None, method="get", **headers):
    """Return a request for an article page, as the auth middleware would leave it."""
    request = getattr(RequestFactory(), method)("/articles/a-story/", **headers)
    request.user = user or AnonymousUser()
    request.COOKIES.update(cookies or {})
    return request


def page_text(response):
    """Return a page's text as a reader sees it: no tags, whitespace collapsed."""
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    return re.sub(r" ([.,:;!?])", r"\1", text)
