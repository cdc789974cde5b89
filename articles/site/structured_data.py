"""Structured data about articles for search engines: schema.org NewsArticle as JSON-LD."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from media.renditions import rendition_url


def article_json_ld(*, article: Article, request, full_text: bool) -> dict:
    """Return the NewsArticle JSON-LD for the page of `article`.

    Metered and subscriber articles say they are not free, so that search engines do not take
    the paywall for cloaking; where the full text is on the page, `hasPart` names the element
    that wraps the part beyond the preview cut. Corrections and clarifications (prefetched as
    `article.corrections`) are `CorrectionComment`s, and `dateModified` is the latest change.
    """
    corrections = list(article.corrections.all())
    modified = max([article.updated_at, *(c.published_at for c in corrections)])
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.description,
        "mainEntityOfPage": request.build_absolute_uri(article.get_absolute_url()),
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": modified.isoformat(),
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": request.build_absolute_uri(author.get_absolute_url()),
            }
            for author in article.byline_authors
        ],
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_PUBLICATION_NAME},
        "isAccessibleForFree": article.access == Article.Access.FREE,
    }
    if article.section_id:
        data["articleSection"] = article.section.name
    if article.lead_image:
        data["image"] = [
            request.build_absolute_uri(rendition_url(image=article.lead_image, width=1200))
        ]
    if corrections:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": f"{correction.get_kind_display()}: {correction.text}",
                "datePublished": correction.published_at.isoformat(),
            }
            for correction in corrections
        ]
    if not data["isAccessibleForFree"] and full_text:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".paywall",
        }
    return data


# The characters that could end a <script> element or open a comment, as JSON escapes.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_script(data: dict) -> SafeString:
    """Return `data` as a JSON-LD script element that no string in it can break out of."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload),  # noqa: S308 - escaped above, like django.utils.html.json_script
    )
