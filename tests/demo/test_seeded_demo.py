"""The demo newsroom as `seed_demo` leaves it, and what a second run does to it, seeded once for
all these tests (Django's `setUpTestData`: each test runs in a transaction of its own, rolled
back after it). A first run makes twenty pictures' renditions: five seconds of CPU each time."""

import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db.models import Sum
from django.test import RequestFactory, TestCase, override_settings
from django.utils import timezone
from django.utils.html import strip_tags

from articles.models import (
    Article,
    Author,
    ImageBlock,
    PaywallBreak,
    QuoteBlock,
    Section,
    Tag,
    TextBlock,
)
from insight.figures import figures_of_events
from insight.models import DailyFigures, Event, MeterDemand, ReaderKind, RolledUpDay
from insight.rollups import day_start, last_finished_day
from media.models import Image
from subscriptions.models import Plan
from tests.demo.test_seed_demo import printed_logins, row_counts, seed_demo, stored_files

UPLOADS = tempfile.mkdtemp(prefix="newsroom-demo-")
HARBOUR = "council-backs-harbour-front-plan-by-one-vote"


@override_settings(MEDIA_ROOT=UPLOADS, NEWSROOM_RENDITION_WIDTHS=[480])
class TheSeededDemo(TestCase):
    @classmethod
    def setUpTestData(cls):
        # What is queued after commit (the pictures' renditions) runs, as a worker would.
        with cls.captureOnCommitCallbacks(execute=True):
            cls.output = seed_demo()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(UPLOADS, ignore_errors=True)

    def test_printed_logins_authenticate(self):
        output = self.output

        assert "Demo content ready: 12 articles, 5 sections, 4 authors." in output
        assert "http://127.0.0.1:8000/admin/" in output
        logins = printed_logins(output)
        assert set(logins) == {"editor", "journalist", "subscriber", "reader"}
        for role, (email, password) in logins.items():
            user = authenticate(request=RequestFactory().post("/"), email=email, password=password)
            assert user is not None, role
            assert user.is_staff == (role in {"editor", "journalist"})
            validate_password(password, user)  # the demo passwords pass the project's validators
        editor = get_user_model().objects.get(email=logins["editor"][0])
        journalist = get_user_model().objects.get(email=logins["journalist"][0])
        assert editor.is_superuser
        assert not journalist.is_superuser
        assert list(journalist.groups.values_list("name", flat=True)) == ["Journalist"]
        assert list(editor.groups.values_list("name", flat=True)) == ["Editor"]
        assert Author.objects.get(user=journalist).slug == "maren-holt"
        # The day can be played: the journalist's draft is theirs to finish and submit.
        # (What the group may do is the migration's, and tests/articles/test_permissions.py's.)
        assert Article.objects.get(status="draft").created_by == journalist

    def test_demo_shows_every_state_and_access_level(self):
        now = timezone.now()
        articles = Article.objects.all()

        assert {article.access for article in articles} == {"free", "metered", "subscribers"}
        assert articles.filter(access="metered").count() > len(articles) / 2
        assert articles.filter(status="draft").count() == 1
        scheduled = [article for article in articles if article.is_scheduled]
        assert len(scheduled) == 1
        assert timedelta(days=2) < scheduled[0].published_at - now < timedelta(days=4)
        live = Article.objects.published()
        assert live.count() == 10
        assert all(now - timedelta(days=21) <= article.published_at <= now for article in live)
        # Backdated as if written at the time: only the two stories changed later say "Updated".
        assert {article.slug for article in live if article.was_updated} == {
            "council-backs-harbour-front-plan-by-one-vote",
            "rovers-come-from-two-down-to-reach-quarter-final",
        }

    def test_demo_articles_are_complete(self):

        for article in Article.objects.prefetch_related("bylines", "tags"):
            assert 350 <= article.word_count <= 900, article.slug
            assert 1 <= len(article.bylines.all()) <= 2, article.slug
            assert 1 <= len(article.tags.all()) <= 3, article.slug
            assert article.section_id and article.lead_image_id and article.standfirst
            texts = TextBlock.objects.filter(parent=article)
            assert texts.count() >= 1 and all(block.region == "body" for block in texts)
            links = re.findall(r'href="([^"]+)"', "".join(block.text for block in texts))
            assert all(link.startswith("https://") for link in links), article.slug
        all_text = "".join(TextBlock.objects.values_list("text", flat=True))
        assert "<h2>" in all_text and "<ul>" in all_text
        assert QuoteBlock.objects.exclude(attribution="").exists()
        assert ImageBlock.objects.exists()

    def test_paywall_break_follows_the_third_or_fourth_paragraph(self):

        breaks = PaywallBreak.objects.select_related("parent")
        assert breaks.exists()
        for paywall_break in breaks:
            before = TextBlock.objects.filter(
                parent=paywall_break.parent, ordering__lt=paywall_break.ordering
            )
            paragraphs = sum(block.text.count("<p>") for block in before)
            assert paragraphs in (3, 4), paywall_break.parent.slug

    def test_every_image_is_described(self):

        images = Image.objects.all()
        assert images.count() >= 16
        for image in images:
            assert image.alt_text and image.caption and image.credit and image.copyright_holder
            assert image.renditions.exists()
        assert not Author.objects.filter(photo=None).exists()
        # The pictures differ from article to article.
        assert len({image.content_hash for image in images}) == images.count()

    def test_demo_text_is_not_empty_after_sanitising(self):

        for block in TextBlock.objects.all():
            assert strip_tags(block.text).strip()
            assert TextBlock._meta.get_field("text").sanitize(block.text) == block.text

    def test_demo_readers_meet_the_paywall_as_their_logins_say(self):
        logins = printed_logins(self.output)
        assert Plan.objects.active().count() == 2
        subscribers_only = Article.objects.published().filter(access="subscribers").first()
        subscriber = get_user_model().objects.get(email=logins["subscriber"][0])
        self.client.force_login(subscriber)
        page = self.client.get(subscribers_only.get_absolute_url()).content.decode()
        assert "You're reading a preview" not in page
        self.client.force_login(get_user_model().objects.get(email=logins["reader"][0]))
        page = self.client.get(subscribers_only.get_absolute_url()).content.decode()
        assert "You're reading a preview" in page

    # A second run, as `make run` makes each time it starts.

    def test_second_run_creates_and_changes_nothing(self):
        counts, files = row_counts(), stored_files(Path(UPLOADS))
        articles = list(Article.objects.order_by("pk").values())
        events = Event.objects.count()

        output = seed_demo()

        assert row_counts() == counts
        assert stored_files(Path(UPLOADS)) == files
        assert list(Article.objects.order_by("pk").values()) == articles
        assert Event.objects.count() == events > 500  # the insight's events written once
        assert "Nothing new" in output

    def test_second_run_keeps_what_journalists_edited(self):
        article = Article.objects.get(slug="ferry-fares-rise-to-close-transport-gap")
        article.headline = "Ferry fares: the board decides tonight"
        article.save()
        TextBlock.objects.filter(parent=article).update(text="<p>Rewritten by the desk.</p>")
        Section.objects.filter(slug="sport").update(description="Edited.")
        Author.objects.filter(slug="maren-holt").update(bio="Edited.")
        Tag.objects.filter(slug="football").update(name="Soccer")
        Image.objects.filter(pk=article.lead_image_id).update(caption="Edited.")

        seed_demo()

        article.refresh_from_db()
        assert article.headline == "Ferry fares: the board decides tonight"
        assert set(TextBlock.objects.filter(parent=article).values_list("text", flat=True)) == {
            "<p>Rewritten by the desk.</p>"
        }
        assert Section.objects.get(slug="sport").description == "Edited."
        assert Author.objects.get(slug="maren-holt").bio == "Edited."
        assert Tag.objects.get(slug="football").name == "Soccer"
        assert Image.objects.get(pk=article.lead_image_id).caption == "Edited."

    # The paywall insight, as an editor opens it on a fresh demo.

    def test_an_editor_sees_the_harbour_front_walls_turn_into_subscriptions(self):
        article = Article.objects.get(slug=HARBOUR)
        last = last_finished_day(now=timezone.now())

        # As the report counts: the finished days' figures, and the days after them live.
        rolled = DailyFigures.objects.filter(article_id=article.pk).aggregate(
            walls=Sum("walls"), subscriptions=Sum("subscriptions")
        )
        since = day_start(last + timedelta(days=1))
        events = Event.objects.filter(article_id=article.pk, at__gte=since)
        live = list(figures_of_events(events))
        walls = (rolled["walls"] or 0) + sum(row["walls"] for row in live)
        subscriptions = (rolled["subscriptions"] or 0) + sum(row["subscriptions"] for row in live)

        assert (walls, subscriptions) == (14, 2)
        assert RolledUpDay.objects.filter(day=last).exists()
        # The meter's what-if has readers who wanted more than one article.
        assert MeterDemand.objects.filter(readers__gt=0, articles__gt=1).exists()

    def test_the_meters_what_if_agrees_with_the_walls_readers_met(self):
        # Whoever met a used-up meter's wall wanted more than the allowance, and whoever wanted
        # more met it: the what-if's bar at today's allowance is the walls readers met.
        allowance = {
            ReaderKind.ANONYMOUS: settings.NEWSROOM_METER_ANONYMOUS,
            ReaderKind.REGISTERED: settings.NEWSROOM_METER_REGISTERED,
        }
        rows = MeterDemand.objects.all()
        months = {(row.month, row.reader_kind) for row in rows}
        assert {kind for _month, kind in months} == set(allowance)
        walled_in_all = 0
        for month, kind in months:
            of_month = [row for row in rows if (row.month, row.reader_kind) == (month, kind)]
            wanted_more = sum(row.readers for row in of_month if row.articles > allowance[kind])
            walled = sum(row.walled for row in of_month)
            assert wanted_more == walled, (month, kind)
            walled_in_all += walled
        assert walled_in_all > 0
