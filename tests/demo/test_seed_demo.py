import re
import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone
from django.utils.html import strip_tags

from articles import services
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
from demo import content
from media.models import Image
from subscriptions.models import Plan

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(\w+)\s+(\S+@\S+) / (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NEWSROOM_RENDITION_WIDTHS = [480]  # fewer renditions: a quicker suite
    return tmp_path


def seed_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


def printed_logins(output):
    return {role: (email, password) for role, email, password in LOGIN_LINE.findall(output)}


def test_second_run_creates_and_changes_nothing(uploads):
    seed_demo()
    counts, files = row_counts(), stored_files(uploads)
    articles = list(Article.objects.order_by("pk").values())

    output = seed_demo()

    assert row_counts() == counts
    assert stored_files(uploads) == files
    assert list(Article.objects.order_by("pk").values()) == articles
    assert "Nothing new" in output


def test_second_run_keeps_what_journalists_edited():
    seed_demo()
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


def test_printed_logins_authenticate():
    output = seed_demo()

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


def test_demo_shows_every_state_and_access_level():
    seed_demo()
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


def test_demo_articles_are_complete():
    seed_demo()

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


def test_paywall_break_follows_the_third_or_fourth_paragraph():
    seed_demo()

    breaks = PaywallBreak.objects.select_related("parent")
    assert breaks.exists()
    for paywall_break in breaks:
        before = TextBlock.objects.filter(
            parent=paywall_break.parent, ordering__lt=paywall_break.ordering
        )
        paragraphs = sum(block.text.count("<p>") for block in before)
        assert paragraphs in (3, 4), paywall_break.parent.slug


def test_every_image_is_described():
    seed_demo()

    images = Image.objects.all()
    assert images.count() >= 16
    for image in images:
        assert image.alt_text and image.caption and image.credit and image.copyright_holder
        assert image.renditions.exists()
    assert not Author.objects.filter(photo=None).exists()
    # The pictures differ from article to article.
    assert len({image.content_hash for image in images}) == images.count()


def test_journalist_joins_the_group_without_changing_what_it_may_do(client):
    # What a journalist may do belongs to the migration that makes the group; the demo only
    # puts its journalist in it.
    group = Group.objects.get_or_create(name="Journalist")[0]
    group.permissions.set(Permission.objects.filter(codename="view_article"))

    logins = printed_logins(seed_demo())

    journalist = get_user_model().objects.get(email=logins["journalist"][0])
    assert journalist.groups.get() == group
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_article"]
    client.force_login(journalist)
    assert client.get("/admin/accounts/user/").status_code in (302, 403)


def test_demo_text_is_not_empty_after_sanitising():
    seed_demo()

    for block in TextBlock.objects.all():
        assert strip_tags(block.text).strip()
        assert TextBlock._meta.get_field("text").sanitize(block.text) == block.text


def test_a_failed_run_leaves_no_rows_or_files_behind(uploads, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "article_body_changed", fail)

    with pytest.raises(RuntimeError):
        seed_demo()

    assert not Image.objects.exists()
    assert not Section.objects.exists()
    assert stored_files(uploads) == []


def test_demo_readers_meet_the_paywall_as_their_logins_say(client):
    logins = printed_logins(seed_demo())
    assert Plan.objects.active().count() == 2
    subscribers_only = Article.objects.published().filter(access="subscribers").first()
    subscriber = get_user_model().objects.get(email=logins["subscriber"][0])
    client.force_login(subscriber)
    page = client.get(subscribers_only.get_absolute_url()).content.decode()
    assert "You're reading a preview" not in page
    client.force_login(get_user_model().objects.get(email=logins["reader"][0]))
    page = client.get(subscribers_only.get_absolute_url()).content.decode()
    assert "You're reading a preview" in page


def test_a_malformed_article_stops_the_run_before_anything_is_written(tmp_path, monkeypatch):
    shutil.copytree(content.CONTENT_DIR, tmp_path / "content")
    broken = tmp_path / "content" / "articles" / "ferry-fares-rise-to-close-transport-gap.md"
    broken.write_text(broken.read_text().replace('access = "metered"', "access = metered", 1))
    monkeypatch.setattr(content, "CONTENT_DIR", tmp_path / "content")

    with pytest.raises(CommandError) as raised:
        seed_demo()

    assert "ferry-fares-rise-to-close-transport-gap.md" in str(raised.value)
    assert "line 7" in str(raised.value)  # the file's own line numbers
    assert not get_user_model().objects.exists()
