"""Gifting an article from its page, and reading a gift, over HTTP."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from subscriptions.gifts import SESSION_GIFT_KEY, gift_create
from subscriptions.meter import METER_COOKIE
from subscriptions.models import GiftLink, GiftSignup, MeteredRead
from tests.factories import make_article, make_staff, paragraphs
from tests.subscriptions.factories import make_plan, make_reader, make_subscription, page_text

pytestmark = pytest.mark.django_db

PREVIEW = "You're reading a preview, subscribe to read more."


def story(headline="Ferry timetable changes", **fields):
    return make_article(
        headline=headline,
        blocks=[
            ("text", paragraphs(3, prefix=f"Open {headline}")),
            ("break",),
            ("text", f"<p>Beyond the cut of {headline}.</p>"),
        ],
        **fields,
    )


@pytest.fixture
def subscriber():
    reader = make_reader(name="Ann Lee")
    make_subscription(user=reader)
    return reader


@pytest.fixture
def gift(subscriber):
    return gift_create(sender=subscriber, article=story())


def gift_url(gift):
    return reverse("article_gift", args=[gift.token])


def article_of(gift):
    return Article.objects.get(pk=gift.article_id)


# Giving ------------------------------------------------------------------------------------


def test_a_subscriber_gifts_from_the_article_page_and_gets_the_link_to_copy(
    client, subscriber, mailoutbox
):
    article = story()
    client.force_login(subscriber)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Gift this article" in page
    create = reverse("article_gift_create", args=[article.slug])
    assert f'action="{create}"' in page
    response = client.post(create, {"recipient_email": "friend@example.com"}, follow=True)
    gift = GiftLink.objects.get()
    assert gift.article_id == article.pk and gift.recipient_email == "friend@example.com"
    text = page_text(response)
    assert "Your gift link is ready and on its way to friend@example.com" in text
    assert f'value="http://testserver{gift_url(gift)}"' in response.content.decode()
    assert "Ferry timetable changes" in text and "Opened 0 times" in text
    assert mailoutbox[0].to == ["friend@example.com"]


def test_the_gift_form_on_the_article_page_carries_its_csrf_token(subscriber):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(subscriber)
    article = story()
    page = browser.get(article.get_absolute_url()).content.decode()
    create = reverse("article_gift_create", args=[article.slug])
    gift_form = page.split(f'action="{create}"')[1].split("</form>")[0]
    token = gift_form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(create, {"csrfmiddlewaretoken": token, "recipient_email": ""})
    assert response.status_code == 302
    assert GiftLink.objects.filter(article_id=article.pk).count() == 1


def test_readers_who_may_not_gift_see_no_control(client):
    article = story()
    assert "Gift this article" not in client.get(article.get_absolute_url()).content.decode()
    client.force_login(make_reader())
    assert "Gift this article" not in client.get(article.get_absolute_url()).content.decode()
    subscriber = make_reader()
    make_subscription(user=subscriber)
    client.force_login(subscriber)
    free = story("Free notice", access=Article.Access.FREE)
    assert "Gift this article" not in client.get(free.get_absolute_url()).content.decode()


def test_staff_may_gift(client):
    client.force_login(make_staff())
    article = story()
    assert "Gift this article" in client.get(article.get_absolute_url()).content.decode()
    client.post(reverse("article_gift_create", args=[article.slug]))
    assert GiftLink.objects.filter(article_id=article.pk).count() == 1


def test_a_forged_post_by_a_reader_without_a_subscription_creates_nothing(client):
    article = story()
    client.force_login(make_reader())
    response = client.post(reverse("article_gift_create", args=[article.slug]))
    assert response.status_code == 403
    assert "Gifting articles is for subscribers." in page_text(response)
    client.logout()
    anonymous = client.post(reverse("article_gift_create", args=[article.slug]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert not GiftLink.objects.exists()


def test_over_the_monthly_limit_a_clear_message_and_nothing_created(client, subscriber, settings):
    settings.NEWSROOM_GIFTS_PER_MONTH = 1
    article = story()
    client.force_login(subscriber)
    create = reverse("article_gift_create", args=[article.slug])
    client.post(create)
    response = client.post(create)
    assert response.status_code == 403
    assert "You have sent all 1 gift for this month." in page_text(response)
    assert GiftLink.objects.count() == 1


def test_a_mistyped_email_comes_back_with_what_was_typed(client, subscriber):
    article = story()
    client.force_login(subscriber)
    response = client.post(
        reverse("article_gift_create", args=[article.slug]), {"recipient_email": "friend@"}
    )
    assert response.status_code == 400
    assert 'value="friend@"' in response.content.decode()
    assert "Enter a valid email address." in page_text(response)
    assert not GiftLink.objects.exists()


def test_gifting_an_unknown_or_draft_article_is_404(client, subscriber):
    client.force_login(subscriber)
    draft = story("Draft", status=Article.Status.DRAFT)
    assert client.post(reverse("article_gift_create", args=[draft.slug])).status_code == 404
    assert client.post(reverse("article_gift_create", args=["nothing-here"])).status_code == 404


# Reading -----------------------------------------------------------------------------------


def test_anyone_reads_the_gifted_article_in_full_without_touching_their_meter(client, gift):
    response = client.get(gift_url(gift))
    text = page_text(response)
    assert "Beyond the cut of Ferry timetable changes." in text
    assert PREVIEW not in text
    assert "A gift from Ann Lee: you can read this article in full, free." in text
    assert "Enjoyed this gift from Ann Lee? Subscribe to read everything." in text
    assert METER_COOKIE not in response.cookies
    assert "free articles left" not in text


def test_a_registered_reader_on_the_meter_spends_nothing_on_a_gift(client, gift, settings):
    settings.NEWSROOM_METER_REGISTERED = 1
    reader = make_reader()
    client.force_login(reader)
    assert "Beyond the cut" in page_text(client.get(gift_url(gift)))
    assert not MeteredRead.objects.filter(user=reader).exists()
    other = story("Another story")
    assert "Beyond the cut of Another story." in page_text(client.get(other.get_absolute_url()))


def test_a_gift_page_is_private_and_not_indexed(client, gift):
    response = client.get(gift_url(gift))
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    crawler = client.get(gift_url(gift), headers={"User-Agent": "Googlebot/2.1"})
    assert "private" in crawler["Cache-Control"]


def test_a_gift_for_one_article_opens_nothing_of_another(client, gift, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 0
    other = story("Another story")
    client.get(gift_url(gift))
    page = page_text(client.get(other.get_absolute_url()))
    assert "Beyond the cut of Another story." not in page and PREVIEW in page
    # Nor does the gift's own article open at its ordinary address.
    own = page_text(client.get(article_of(gift).get_absolute_url()))
    assert "Beyond the cut" not in own


def test_an_expired_gift_shows_the_preview_with_a_note(client, gift):
    GiftLink.objects.filter(pk=gift.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(gift_url(gift))
    text = page_text(response)
    assert "This gift link has expired." in text and PREVIEW in text
    assert "Beyond the cut" not in text and "Enjoyed this gift" not in text
    assert "private" in response["Cache-Control"]
    assert METER_COOKIE not in response.cookies
    assert GiftLink.objects.get(pk=gift.pk).open_count == 0


def test_a_withdrawn_gift_shows_the_preview_with_a_note(client, gift, subscriber):
    client.force_login(subscriber)
    account = client.get(reverse("gifts_sent")).content.decode()
    withdraw = reverse("gift_withdraw", args=[gift.pk])
    assert f'action="{withdraw}"' in account
    response = client.post(withdraw, follow=True)
    assert "The gift link is withdrawn" in page_text(response)
    assert "Withdrawn on" in page_text(response)
    client.logout()
    text = page_text(client.get(gift_url(gift)))
    assert "This gift link was withdrawn by the sender." in text and PREVIEW in text
    assert "Beyond the cut" not in text


def test_only_the_sender_withdraws_and_only_by_post(client, gift, subscriber):
    withdraw = reverse("gift_withdraw", args=[gift.pk])
    client.force_login(make_reader())
    assert client.post(withdraw).status_code == 404
    client.force_login(subscriber)
    assert client.get(withdraw).status_code == 405
    assert GiftLink.objects.get(pk=gift.pk).revoked_at is None


def test_an_unknown_token_or_unpublished_article_is_404(client, gift):
    assert client.get(reverse("article_gift", args=["x" * 43])).status_code == 404
    Article.objects.filter(pk=gift.article_id).update(status=Article.Status.DRAFT)
    from articles.site.pages import article_changed

    article_changed(gift.article_id)  # what a save says of it
    assert client.get(gift_url(gift)).status_code == 404


def test_each_open_is_counted_but_not_the_senders_own_or_a_link_preview(client, gift, subscriber):
    client.get(gift_url(gift))
    client.get(gift_url(gift), headers={"User-Agent": "WhatsApp/2.23"})
    client.head(gift_url(gift))
    client.force_login(subscriber)
    client.get(gift_url(gift))
    gift.refresh_from_db()
    assert gift.open_count == 1 and gift.last_opened_at is not None
    page = page_text(client.get(reverse("gifts_sent")))
    assert "Opened 1 time" in page


def test_a_subscriber_opening_a_gift_reads_it_without_the_invitation(client, gift):
    reader = make_reader()
    make_subscription(user=reader)
    client.force_login(reader)
    text = page_text(client.get(gift_url(gift)))
    assert "Beyond the cut" in text and "Enjoyed this gift" not in text


# The funnel --------------------------------------------------------------------------------


def test_a_gift_reader_who_signs_up_and_subscribes_is_counted_for_the_gift(client, gift, settings):
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    plan = make_plan(slug="monthly")
    client.get(gift_url(gift))
    assert client.session[SESSION_GIFT_KEY] == gift.pk
    response = client.post(
        reverse("signup"),
        {
            "email": "newcomer@example.com",
            "name": "New Reader",
            "password1": "a-long-enough-password-2026",
            "password2": "a-long-enough-password-2026",
        },
    )
    assert response.status_code == 302
    signup = GiftSignup.objects.get()
    assert signup.gift == gift and signup.user.email == "newcomer@example.com"
    client.post(reverse("checkout", args=[plan.slug]))
    assert signup.user.subscriptions.get().attributed_gift == gift


def test_a_sign_up_without_a_gift_records_nothing(client):
    client.post(
        reverse("signup"),
        {
            "email": "newcomer@example.com",
            "name": "",
            "password1": "a-long-enough-password-2026",
            "password2": "a-long-enough-password-2026",
        },
    )
    assert not GiftSignup.objects.exists()


def test_the_account_page_links_to_the_gifts_sent(client, subscriber, gift):
    client.force_login(subscriber)
    account = client.get(reverse("account")).content.decode()
    assert f'href="{reverse("gifts_sent")}"' in account
    page = client.get(reverse("gifts_sent"))
    assert "private" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    text = page_text(page)
    assert "Ferry timetable changes" in text and "Active until" in text
    assert "9 of 10 gift links left this month" in text
