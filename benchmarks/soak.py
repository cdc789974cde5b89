"""The soak's readers, made before it, and the meter's records, read after it.

Run by `benchmarks/run.py --soak` in `manage.py shell` with the stack's environment:

- `readers(registered=, subscribers=, token=)` makes new registered readers (no subscription)
  and subscribers (a complimentary subscription, through the service), each logged in with
  `Client.force_login`; prints their Cookie headers and the articles the soak reads.
- `reads(emails=)` prints each reader's metered reads of this month, as the database holds them.
"""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from articles.models import Article
from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead
from subscriptions.services import subscription_grant_complimentary

from .prepare import BACKEND, HOST, cookie_header

PASSWORD = "soak-reader-password-not-secret"  # noqa: S105 - throwaway readers of a bench database


def _logged_in(user) -> str:
    test_client = Client(HTTP_HOST=HOST)
    test_client.force_login(user, backend=BACKEND)
    test_client.get("/")  # the CSRF cookie a browser would send back
    return cookie_header(test_client)


def readers(*, registered: int, subscribers: int, token: str, articles: int = 12) -> None:
    User = get_user_model()
    made = []
    for kind, count in (("registered", registered), ("subscriber", subscribers)):
        for number in range(count):
            user = User.objects.create_user(
                email=f"soak-{token}-{kind}-{number}@example.com", password=PASSWORD
            )
            if kind == "subscriber":
                subscription_grant_complimentary(user=user, months=1, granted_by=None)
            made.append({"email": user.email, "kind": kind, "cookie": _logged_in(user)})
    published = Article.objects.published().latest_first()
    metered = published.filter(access=Article.Access.METERED)[:articles]
    others = [
        published.filter(access=Article.Access.SUBSCRIBERS).first(),
        published.filter(access=Article.Access.FREE).first(),
    ]
    pages = [
        {"id": article.pk, "path": article.get_absolute_url(), "access": str(article.access)}
        for article in [*metered, *filter(None, others)]
    ]
    allowance = {
        "anonymous": settings.NEWSROOM_METER_ANONYMOUS,
        "registered": settings.NEWSROOM_METER_REGISTERED,
    }
    print(json.dumps({"readers": made, "articles": pages, "allowance": allowance}))


def reads(*, emails: list[str]) -> None:
    rows = MeteredRead.objects.filter(user__email__in=emails, period=meter_period())
    found = {email: [] for email in emails}
    for email, article_id in rows.values_list("user__email", "article_id"):
        found[email].append(article_id)
    print(json.dumps(found))
