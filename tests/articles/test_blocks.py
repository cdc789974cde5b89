"""One registry of block kinds, which the renderer, the admin and the publishing checks walk."""

import pytest
from django.apps import apps
from django.contrib import admin

from articles.blocks import BLOCK_KINDS, BLOCK_MODELS, block_kind, block_kind_of
from articles.body import render_body
from articles.models import Article, ArticleBlock
from articles.services import article_block_summaries
from tests.factories import make_article, make_image


def test_every_block_model_is_one_kind():
    block_models = {
        model
        for model in apps.get_app_config("articles").get_models()
        if issubclass(model, ArticleBlock)
    }
    assert {kind.model for kind in BLOCK_KINDS} == block_models == set(BLOCK_MODELS)
    assert len({kind.name for kind in BLOCK_KINDS}) == len(BLOCK_KINDS)


def test_the_admin_offers_each_kind_with_its_icon():
    inlines = admin.site.get_model_admin(Article).inlines
    offered = {inline.model: inline.icon for inline in inlines if inline.model in BLOCK_MODELS}
    assert offered == {kind.model: kind.icon for kind in BLOCK_KINDS}


@pytest.mark.django_db
def test_each_kind_renders_and_summarises_the_blocks_a_loader_adds():
    image = make_image(caption="Quay at dawn")
    article = make_article(
        blocks=[
            ("text", "<p>Fares rise.</p>"),
            ("image", image),
            ("break",),
            ("quote", "We had no choice.", "The ferry board"),
        ]
    )
    block_kind("quote").add_to(article, ordering=99, text="Late word.", attribution="")

    body = render_body(article)
    summaries = article_block_summaries(article=article)

    assert "Fares rise." in body.preview and "Quay at dawn" in body.preview
    assert "We had no choice." in body.rest and "Late word." in body.rest
    assert [summary.kind for summary in summaries] == ["text", "image", "break", "quote", "quote"]
    assert summaries[0].has_text and summaries[2].is_break
    saved = article.articles_quoteblock_set.get(ordering=99)
    assert block_kind_of(saved).name == "quote"
