"""Readers' paths: sign up (double opt-in for an address), confirm, choose, leave in one click."""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsletters.models import Audience, NewsletterSubscription
from newsletters.subscribing import confirm_token, unsubscribe_token
from tests.factories import make_article, paragraphs
from tests.newsletters.factories import make_newsletter, subscribe
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db
Status = NewsletterSubscription.Status


def _confirm_link(message):
    line = next(line for line in message.body.splitlines() if "/newsletters/confirm/" in line)
    return line.strip().split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_an_address_gets_a_confirmation_email_and_nothing_else_until_confirmed():
    newsletter = make_newsletter(name="The Morning Briefing")
    client = Client(enforce_csrf_checks=True)  # the form comes from cached pages: no token
    response = client.post(
        reverse("newsletter_sign_up"),
        {"newsletter": newsletter.slug, "email": " Ada@Example.COM ", "source": "page"},
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscription = NewsletterSubscription.objects.get()
    assert (subscription.email, subscription.status) == ("ada@example.com", Status.PENDING)
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "Confirm your sign-up for The Morning Briefing" in message.subject
    link = _confirm_link(message)

    # A mail scanner opens the link: the page only asks.
    for _scanner in range(3):
        page = Client().get(link)
        assert page.status_code == 200 and "Confirm" in page.content.decode()
        assert "noindex" in page["X-Robots-Tag"]
    subscription.refresh_from_db()
    assert subscription.status == Status.PENDING

    # The reader presses "Confirm".
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    token = page.cookies["csrftoken"].value
    confirmed = browser.post(link, {"csrfmiddlewaretoken": token})
    assert "You're signed up" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Status.SUBSCRIBED and subscription.confirmed_at


def test_asking_again_sends_one_email_and_says_nothing_of_an_address_already_on_the_list():
    newsletter = make_newsletter()
    subscribe(newsletter, email="known@example.com")
    for email in ("known@example.com", "new@example.com", "new@example.com"):
        response = Client().post(
            reverse("newsletter_sign_up"), {"newsletter": newsletter.slug, "email": email}
        )
        assert "Check your inbox" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["new@example.com"]]


def test_a_forged_or_expired_confirmation_link_confirms_nothing(settings, time_machine):
    newsletter = make_newsletter()
    subscription = NewsletterSubscription.objects.create(newsletter=newsletter, email="a@b.test")
    token = confirm_token(subscription)
    assert Client().post(reverse("newsletter_confirm", args=[token + "x"])).status_code == 404
    time_machine.move_to(timezone.now() + timezone.timedelta(days=8))
    response = Client().post(reverse("newsletter_confirm", args=[token]))
    assert response.status_code == 404 and "no longer works" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Status.PENDING


def test_bad_input_is_a_clear_400(client):
    newsletter = make_newsletter()
    response = client.post(
        reverse("newsletter_sign_up"), {"newsletter": newsletter.slug, "email": "not an address"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    response = client.post(reverse("newsletter_sign_up"), {"newsletter": "nope", "email": "a@b.c"})
    assert response.status_code == 400
    assert client.get(reverse("newsletter_sign_up")).status_code == 405


def test_a_newsletter_for_readers_with_accounts_takes_no_bare_address(client):
    newsletter = make_newsletter(audience=Audience.REGISTERED, name="Members' Letter")
    response = client.post(
        reverse("newsletter_sign_up"), {"newsletter": newsletter.slug, "email": "a@b.test"}
    )
    assert response.status_code == 400
    assert "is for readers with accounts: log in to sign up" in response.content.decode()
    assert not mail.outbox


def test_sign_ups_by_address_are_limited_per_client(client, settings):
    settings.NEWSROOM_NEWSLETTER_SIGNUPS_PER_HOUR = 2
    newsletter = make_newsletter()
    statuses = [
        client.post(
            reverse("newsletter_sign_up"),
            {"newsletter": newsletter.slug, "email": f"r{n}@example.com"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert len(mail.outbox) == 2


def test_a_logged_in_reader_chooses_in_their_preferences(client):
    daily = make_newsletter(name="Daily")
    weekly = make_newsletter(name="Weekly")
    members = make_newsletter(name="For subscribers", audience=Audience.SUBSCRIBERS)
    reader = make_reader(email="Reader@Example.com")
    client.force_login(reader)
    page = client.get(reverse("account_newsletters"))
    assert "Daily" in page.content.decode() and "Subscribe</a> to get it" in page.content.decode()
    # The subscribers' newsletter is not this reader's to choose: a forged box is a 400.
    refused = client.post(reverse("account_newsletters"), {"newsletters": [members.pk]})
    assert refused.status_code == 400 and not NewsletterSubscription.objects.exists()
    client.post(reverse("account_newsletters"), {"newsletters": [daily.pk]})
    assert set(
        NewsletterSubscription.objects.filter(status=Status.SUBSCRIBED).values_list(
            "newsletter__name", "email"
        )
    ) == {("Daily", "reader@example.com")}
    client.post(reverse("account_newsletters"), {"newsletters": [weekly.pk]})
    by_name = dict(NewsletterSubscription.objects.values_list("newsletter__name", "status"))
    assert by_name == {"Daily": Status.LEFT, "Weekly": Status.SUBSCRIBED}
    assert not mail.outbox  # an account's address needs no confirmation


def test_a_subscriber_may_choose_a_subscribers_newsletter(client):
    members = make_newsletter(name="For subscribers", audience=Audience.SUBSCRIBERS)
    reader = make_reader()
    make_subscription(user=reader)
    client.force_login(reader)
    client.post(reverse("newsletter_list"), {"newsletters": [members.pk]})
    assert NewsletterSubscription.objects.get().status == Status.SUBSCRIBED


def test_one_click_unsubscribe_leaves_that_newsletter_only_with_no_session_or_token():
    daily, weekly = make_newsletter(), make_newsletter()
    leaving = subscribe(daily, email="ada@example.com")
    staying = subscribe(weekly, email="ada@example.com")
    url = reverse("newsletter_unsubscribe", args=[unsubscribe_token(leaving.pk)])
    mail_client = Client(enforce_csrf_checks=True)
    started = time.monotonic()
    response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert time.monotonic() - started < 1
    assert response.status_code == 200 and not response.cookies
    leaving.refresh_from_db()
    staying.refresh_from_db()
    assert (leaving.status, leaving.left_because) == (Status.LEFT, "one_click")
    assert staying.status == Status.SUBSCRIBED
    assert mail_client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again


def test_opening_the_unsubscribe_link_only_asks():
    subscription = subscribe(make_newsletter(name="Daily"), email="ada@example.com")
    url = reverse("newsletter_unsubscribe", args=[unsubscribe_token(subscription.pk)])
    for _scanner in range(3):
        page = Client().get(url)
        assert "Unsubscribe from Daily?" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Status.SUBSCRIBED
    page = Client(enforce_csrf_checks=True).post(url)  # the page's own button
    assert "You're unsubscribed" in page.content.decode()
    assert Client().get(reverse("newsletter_unsubscribe", args=["forged"])).status_code == 404


def test_the_article_page_offers_the_newsletter_and_the_wall_becomes_a_sign_up(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 1
    make_newsletter(name="The Morning Briefing", slug="morning", offered_on_articles=True)
    first = make_article(blocks=[("text", paragraphs(8))])
    second = make_article(blocks=[("text", paragraphs(8))])
    page = client.get(first.get_absolute_url()).content.decode()
    assert "Sign up for The Morning Briefing" in page  # at the end of the article
    assert f'action="{reverse("newsletter_sign_up")}"' in page
    wall = client.get(second.get_absolute_url()).content.decode()
    assert "You're reading a preview" in wall
    assert "?newsletter=morning" in wall and "create a free account</a> to read more" not in wall


def test_signing_up_from_the_wall_gives_the_account_the_newsletter(client):
    newsletter = make_newsletter(slug="morning")
    page = client.get(reverse("signup") + "?newsletter=morning")
    assert 'name="newsletter" value="morning"' in page.content.decode()
    client.post(
        reverse("signup"),
        {
            "email": "new@example.com",
            "name": "",
            "password1": "a-long-enough-passphrase-1",
            "password2": "a-long-enough-passphrase-1",
            "newsletter": "morning",
        },
    )
    subscription = NewsletterSubscription.objects.get(newsletter=newsletter)
    assert (subscription.email, subscription.status, subscription.source) == (
        "new@example.com",
        Status.SUBSCRIBED,
        "wall",
    )


def test_a_logged_in_reader_joins_from_an_article_in_one_press(client):
    newsletter = make_newsletter(offered_on_articles=True)
    article = make_article(access="free")
    reader = make_reader()
    client.force_login(reader)
    page = client.get(article.get_absolute_url()).content.decode()
    assert reverse("newsletter_join", args=[newsletter.slug]) in page
    client.post(
        reverse("newsletter_join", args=[newsletter.slug]), {"next": article.get_absolute_url()}
    )
    assert NewsletterSubscription.objects.get().user == reader


@pytest.mark.parametrize("by", ["link", "code"])
def test_signing_up_by_email_from_the_wall_gives_the_account_the_newsletter(by, mailoutbox):
    """The sign-up form's "Email me a sign-in link" keeps the newsletter the wall offered: the
    account the link (opened anywhere) or the code makes comes with it."""
    newsletter = make_newsletter(slug="morning")
    asking = Client()
    asking.post(
        reverse("sign_in_email"),
        {"email": "new@example.com", "name": "", "purpose": "sign-up", "newsletter": "morning"},
    )
    [email] = mailoutbox
    if by == "link":
        path = re.search(r"https?://[^/\s]+(/login/link/[^/\s]+/)", email.body)[1]
        Client().post(path)  # from the mail client's browser: another session
    else:
        asking.post(reverse("sign_in_code"), {"code": re.search(r"\b(\d{6})\b", email.body)[1]})
    subscription = NewsletterSubscription.objects.get(newsletter=newsletter)
    assert (subscription.email, subscription.status, subscription.source) == (
        "new@example.com",
        Status.SUBSCRIBED,
        "wall",
    )
