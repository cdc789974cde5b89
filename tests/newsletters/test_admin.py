"""The newsletters' admin over HTTP: previews as each kind of recipient, a test to oneself, the
send's controls and counts, each for whoever holds the permission and nobody else."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from newsletters.models import NewsletterSend, SendRecipient, Suppression
from tests.factories import make_article, make_staff, paragraphs
from tests.newsletters.factories import make_newsletter, make_send, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    user = make_staff()
    user.groups.add(Group.objects.get(name="Editor"))
    return user


@pytest.fixture
def send():
    article = make_article(
        access="subscribers",
        blocks=[("text", paragraphs(2)), ("break",), ("text", "<p>Beyond the cut.</p>")],
    )
    newsletter = make_newsletter(name="The Morning Briefing")
    for n in range(3):
        subscribe(newsletter, email=f"reader{n}@example.com")
    return make_send(newsletter, article=article)


def _url(name, *args):
    return reverse(f"admin:newsletters_newslettersend_{name}", args=args)


def test_previews_show_each_kind_of_recipient_what_they_get(client, editor, send):
    client.force_login(editor)
    subscriber = client.get(_url("preview", send.pk, "subscriber")).content.decode()
    address = client.get(_url("preview", send.pk, "address")).content.decode()
    registered = client.get(_url("preview", send.pk, "registered") + "?part=text")
    assert "Beyond the cut." in subscriber and "You're reading a preview" not in subscriber
    assert "Beyond the cut." not in address and "Already a subscriber? Log in" in address
    assert registered["Content-Type"].startswith("text/plain")
    assert "Beyond the cut." not in registered.content.decode()
    assert client.get(_url("preview", send.pk, "nobody")).status_code == 404
    assert not SendRecipient.objects.exists() and not mail.outbox  # a preview sends nothing


def test_an_editor_sends_a_test_then_the_send_and_sees_its_counts(client, editor, send, settings):
    settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND = 0
    client.force_login(editor)
    client.post(_url("test", send.pk), {"kind": "subscriber"})
    [test] = mail.outbox
    assert test.to == [editor.email] and test.subject.startswith("[Test, as a subscriber]")
    response = client.post(_url("control", send.pk, "start"), follow=True)
    assert "Sent, scheduled or waiting" in response.content.decode()
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT and len(mail.outbox) == 4
    page = client.get(reverse("admin:newsletters_newslettersend_change", args=[send.pk]))
    text = page.content.decode()
    for heading in ("Prepared", "Handed over", "Delivered", "Bounced", "Complained", "Failed"):
        assert f'<th scope="col">{heading}</th>' in text
    assert "<td>3</td><td>3</td>" in text
    assert "Opened" not in text  # tracking is off


def test_who_may_not_send_cannot_start_pause_or_test(client, send):
    viewer = make_staff("newsletters.view_newslettersend")
    client.force_login(viewer)
    assert client.get(_url("preview", send.pk, "subscriber")).status_code == 200
    assert client.post(_url("control", send.pk, "start")).status_code == 403
    assert client.post(_url("test", send.pk), {"kind": "address"}).status_code == 403
    assert client.get(_url("control", send.pk, "start")).status_code == 405
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.DRAFT and not mail.outbox
    journalist = make_staff("articles.add_article")
    client.force_login(journalist)
    assert client.get(_url("preview", send.pk, "subscriber")).status_code == 403


def test_the_suppression_list_shows_each_address_and_why(client, editor):
    Suppression.objects.create(email="gone@example.com", reason="hard_bounce", detail="550 5.1.1")
    Suppression.objects.create(email="angry@example.com", reason="complaint")
    client.force_login(editor)
    page = client.get(reverse("admin:newsletters_suppression_changelist")).content.decode()
    assert "gone@example.com" in page and "Hard bounce" in page
    assert "Complaint (marked as spam)" in page
    response = client.post(
        reverse("admin:newsletters_suppression_add"),
        {"email": " Someone@Example.com ", "detail": "Asked by phone"},
    )
    assert response.status_code == 302
    assert Suppression.objects.get(email="someone@example.com").reason == "manual"


def test_an_editor_schedules_a_send_typing_its_time_in_the_sites_zone(client, editor, send):
    from tests.articles.admin.posting import form_data_of

    client.force_login(editor)
    page = client.get(_url("change", send.pk)).content.decode()
    assert 'aria-label="Send date (Europe/London)"' in page
    assert 'aria-label="Send time (Europe/London)"' in page
    data = form_data_of(page) | {"send_at_0": "2026-12-24", "send_at_1": "07:00:00"}

    response = client.post(_url("change", send.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    send.refresh_from_db()
    assert send.send_at.isoformat() == "2026-12-24T07:00:00+00:00"  # GMT in December
