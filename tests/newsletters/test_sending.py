"""A send through django-anymail to a stand-in Resend: frozen, batched, each recipient once,
with RFC 8058 headers; refused, paused, resumed, cancelled, scheduled, kept to a rate."""

import itertools
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles.models import Article
from articles.services import article_publish
from newsletters.models import NewsletterSend, SendRecipient, Suppression
from newsletters.rendering import RecipientKind
from newsletters.sending import (
    SendRefused,
    send_cancel,
    send_counts,
    send_pause,
    send_resume,
    send_start,
    send_test,
)
from tests.engine import deferred_tasks, run_due
from tests.factories import make_article, make_staff
from tests.newsletters.factories import make_newsletter, make_send, subscribe
from tests.subscriptions.factories import make_reader

pytestmark = pytest.mark.django_db
Status = NewsletterSend.Status
Recipient = SendRecipient.Status


@pytest.fixture
def editor():
    return make_staff("newsletters.send_newslettersend", "newsletters.view_newslettersend")


def _newsletter_with(count, **fields):
    newsletter = make_newsletter(**fields)
    for n in range(count):
        subscribe(newsletter, email=f"reader{n}@example.com")
    return newsletter


def _balanced(send):
    counts = send_counts(send)
    assert counts["prepared"] == (
        counts["handed_over"] + counts["suppressed"] + counts["failed"] + counts["cancelled"]
    ), counts
    return counts


def test_every_recipient_gets_one_email_with_one_click_unsubscribe(provider, editor, settings):
    settings.NEWSROOM_NEWSLETTER_BATCH_SIZE = 3
    newsletter = _newsletter_with(7, name="The Morning Briefing")
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=editor)
    send.refresh_from_db()
    assert (send.status, send.batches) == (Status.SENT, 3)
    assert provider.recipients() == {f"reader{n}@example.com": 1 for n in range(7)}
    message = provider.message_to("reader4@example.com")
    headers = message["headers"]
    unsubscribe = headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://") and "/newsletters/unsubscribe/" in unsubscribe
    assert "<mailto:unsubscribe@" in unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"].startswith("<") and "The Morning Briefing" in headers["List-Id"]
    assert "Your newsletter preferences" in message["html"] and "Unsubscribe" in message["text"]
    assert _balanced(send)["handed_over"] == 7
    ids = set(SendRecipient.objects.values_list("provider_message_id", flat=True))
    assert ids == {message["id"] for message in provider.delivered}


def test_a_message_handed_over_again_is_delivered_once_by_its_idempotency_key(
    provider, editor, time_machine
):
    newsletter = _newsletter_with(2)
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=editor)
    # As if the worker had died after the provider took them and before they were marked, and
    # another ran the batch again a while later: the same message, byte for byte.
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=3))
    SendRecipient.objects.update(status=Recipient.PREPARED, task_id="")
    NewsletterSend.objects.filter(pk=send.pk).update(status=Status.PAUSED)
    send_resume(send=send, by=editor)
    assert provider.posts == 4  # each posted twice…
    assert provider.recipients() == {"reader0@example.com": 1, "reader1@example.com": 1}  # …once
    assert _balanced(send)["handed_over"] == 2


def test_a_provider_that_refuses_for_a_while_loses_nothing(provider, editor, time_machine):
    newsletter = _newsletter_with(4)
    send = make_send(newsletter, article=make_article(access="free"))
    provider.refuse(503)
    send_start(send=send, by=editor)
    assert provider.refusals[503] == 1 and len(deferred_tasks()) == 1
    assert send_counts(send)["being_handed_over"] == 4
    send.refresh_from_db()
    assert "503" in send.last_error and send.status == Status.SENDING
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=2))
    run_due()  # still refusing: tried again later
    provider.accept()
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=5))
    run_due()
    send.refresh_from_db()
    assert send.status == Status.SENT
    assert provider.recipients() == {f"reader{n}@example.com": 1 for n in range(4)}


def test_an_address_refused_for_good_fails_alone(provider, editor):
    newsletter = _newsletter_with(3)
    provider.fail_address("reader1@example.com", 422)
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=editor)
    failed = SendRecipient.objects.get(status=Recipient.FAILED)
    assert failed.email == "reader1@example.com" and "422" in failed.error
    counts = _balanced(send)
    assert (counts["handed_over"], counts["failed"]) == (2, 1)


def test_suppressed_addresses_are_never_sent_to(provider, editor):
    newsletter = _newsletter_with(3)
    Suppression.objects.create(email="reader0@example.com", reason="hard_bounce")
    send = make_send(newsletter, article=make_article(access="free"))
    provider.refuse(503)
    send_start(send=send, by=editor)
    # Suppressed after the send began: withheld all the same.
    Suppression.objects.create(email="reader2@example.com", reason="complaint")
    provider.accept()
    NewsletterSend.objects.filter(pk=send.pk).update(status=Status.PAUSED)
    send_resume(send=send, by=editor)
    assert provider.recipients() == {"reader1@example.com": 1}
    assert _balanced(send)["suppressed"] == 2


def test_an_editor_pauses_resumes_and_cancels(provider, editor, settings, time_machine):
    settings.NEWSROOM_NEWSLETTER_BATCH_SIZE = 2
    newsletter = _newsletter_with(6)
    send = make_send(newsletter, article=make_article(access="free"))
    provider.refuse(503)
    send_start(send=send, by=editor)
    send_pause(send=send, by=editor)
    provider.accept()
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=5))
    run_due()  # the batches' retries find the send paused: nothing goes
    assert not provider.delivered
    send_resume(send=send, by=editor)
    send.refresh_from_db()
    assert send.status == Status.SENT and len(provider.delivered) == 6

    other = make_send(newsletter, article=make_article(access="free"))
    provider.refuse(503)
    send_start(send=other, by=editor)
    send_cancel(send=other, by=editor)
    provider.accept()
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=10))
    run_due()
    other.refresh_from_db()
    assert other.status == Status.CANCELLED and len(provider.delivered) == 6
    with pytest.raises(SendRefused):
        send_resume(send=other, by=editor)


def test_the_providers_rate_is_kept(provider, editor, settings):
    settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND = 5
    provider.limit(5)
    newsletter = _newsletter_with(12)
    send = make_send(newsletter, article=make_article(access="free"))
    started = time.monotonic()
    send_start(send=send, by=editor)
    assert time.monotonic() - started > 1  # 12 at 5 a second: three seconds of the clock
    assert max(provider.window.values()) <= 5
    assert provider.refusals[429] == 0 and len(provider.delivered) == 12
    # Spread over each second, a fifth of a second apart, not five at once: the provider counts
    # them as they arrive, and a burst at the start of each second took a sixth in one second
    # whenever the last message of the second before arrived a moment late (a 429).
    gaps = sorted(b - a for a, b in itertools.pairwise(provider.posted_at))
    assert gaps[len(gaps) // 2] > 0.15, gaps


def test_without_the_rate_setting_the_provider_refuses_and_nothing_is_lost(
    provider, editor, time_machine
):
    # One a second: six messages handed over unpaced, in less than five seconds, put two in
    # one second however the seconds fall, and the second is refused. At three a second, a run
    # that split them three and three across a second's turn was never refused (CI, on a busy
    # machine).
    provider.limit(1)
    newsletter = _newsletter_with(6)
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=editor)
    assert provider.refusals[429] >= 1
    for _ in range(8):  # each round hands over one at least, the retry waits at most an hour
        time_machine.move_to(timezone.now() + timezone.timedelta(hours=1))
        run_due()
    assert provider.recipients() == {f"reader{n}@example.com": 1 for n in range(6)}
    send.refresh_from_db()
    assert send.status == Status.SENT


def test_a_send_at_a_time_and_one_with_its_articles_publication(provider, editor, time_machine):
    newsletter = _newsletter_with(2)
    at = timezone.now() + timezone.timedelta(hours=2)
    scheduled = make_send(newsletter, article=make_article(access="free"), send_at=at)
    send_start(send=scheduled, by=editor)
    scheduled.refresh_from_db()
    assert scheduled.status == Status.SCHEDULED and not provider.delivered
    draft = make_article(access="free", status=Article.Status.DRAFT)
    waiting = make_send(newsletter, article=draft, with_publication=True)
    send_start(send=waiting, by=editor)
    waiting.refresh_from_db()
    assert waiting.status == Status.WAITING
    article_publish(article=draft, by=make_staff("articles.publish_article", is_superuser=True))
    waiting.refresh_from_db()
    assert waiting.status == Status.SENT and len(provider.delivered) == 2
    time_machine.move_to(at + timezone.timedelta(seconds=1))
    run_due()
    scheduled.refresh_from_db()
    assert scheduled.status == Status.SENT and len(provider.delivered) == 4


def test_an_unpublished_article_is_not_sent_and_only_editors_send(editor):
    newsletter = _newsletter_with(1)
    send = make_send(newsletter, article=make_article(status=Article.Status.DRAFT))
    with pytest.raises(SendRefused, match="publish it first"):
        send_start(send=send, by=editor)
    with pytest.raises(PermissionDenied):
        send_start(send=send, by=make_staff())


def test_a_test_goes_to_the_editor_as_the_kind_of_reader_chosen(editor):
    newsletter = _newsletter_with(1)
    article = make_article(access="subscribers")
    send = make_send(newsletter, article=article)
    send_test(send=send, by=editor, kind=RecipientKind.ADDRESS)
    [message] = mail.outbox
    assert message.to == [editor.email]
    assert message.subject == f"[Test, as an address without an account] {article.headline}"
    assert "You're reading a preview" in message.body
    assert not SendRecipient.objects.exists()


def test_a_subscribers_newsletter_goes_only_to_the_entitled(provider, editor):
    from tests.subscriptions.factories import make_subscription

    newsletter = make_newsletter(audience="subscribers")
    subscriber, lapsed = make_reader(), make_reader()
    make_subscription(user=subscriber)
    subscribe(newsletter, user=subscriber)
    subscribe(newsletter, user=lapsed)
    send = make_send(newsletter, article=make_article(access="subscribers"))
    send_start(send=send, by=editor)
    assert provider.recipients() == {subscriber.email: 1}


def test_a_message_the_provider_holds_under_its_key_counts_as_handed_over(provider, editor):
    """Resend answers 409 for a key it holds with another body (a message from before an
    upgrade changed its text): the provider has it, so it is handed over, not refused."""
    newsletter = _newsletter_with(2)
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=editor)
    provider.by_key = {
        key: ("another body", id_) for key, (_digest, id_) in provider.by_key.items()
    }
    SendRecipient.objects.update(status=Recipient.PREPARED, task_id="")
    NewsletterSend.objects.filter(pk=send.pk).update(status=Status.PAUSED)
    send_resume(send=send, by=editor)
    assert len(provider.delivered) == 2
    assert _balanced(send)["handed_over"] == 2
    assert set(SendRecipient.objects.values_list("error", flat=True)) == {
        "The provider had taken it before."
    }
