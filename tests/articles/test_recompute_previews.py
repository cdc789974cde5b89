"""Search follows the preview cut in force, and `recompute_previews` catches up after a change."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_article

pytestmark = pytest.mark.django_db


def story():
    """Eight paragraphs without a paywall break; the third holds a rare word."""
    words = ["alpha", "bravo", "quixotic", "delta", "echo", "foxtrot", "golf", "hotel"]
    body = "".join(f"<p>Paragraph about {word} and more words.</p>" for word in words)
    return make_article(headline="Harbour news", blocks=[("text", body)])


def results(client, word):
    return client.get(reverse("search"), {"q": word}).content.decode()


def test_lowering_the_preview_length_hides_words_beyond_the_new_cut_at_once(client, settings):
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 3
    story()
    assert "Harbour news" in results(client, "quixotic")  # inside the 3-paragraph preview

    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 2
    assert "Harbour news" not in results(client, "quixotic")  # beyond today's cut
    assert "Harbour news" in results(client, "harbour")  # the headline is always public

    call_command("recompute_previews", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert "Harbour news" in results(client, "bravo")
    assert "Harbour news" not in results(client, "quixotic")


def test_raising_it_brings_words_back_after_the_command(client, settings):
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 2
    story()
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 3
    assert "Harbour news" not in results(client, "quixotic")
    call_command("recompute_previews", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert "Harbour news" in results(client, "quixotic")


def test_a_paywall_break_cut_does_not_depend_on_the_setting(client, settings):
    make_article(
        headline="Ferry story",
        blocks=[("text", "<p>Before the break, zebra.</p>"), ("break",), ("text", "<p>After.</p>")],
    )
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 1
    assert "Ferry story" in results(client, "zebra")
