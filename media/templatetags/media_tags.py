"""Show pictures on pages and in the admin: `{% load media_tags %}`.

Every tag reads only `image.renditions.all()`: prefetch "renditions" (or
"lead_image__renditions", …) and a page of pictures costs no query per picture.
"""

from django import template
from django.template.loader import render_to_string

from media import renditions

register = template.Library()

# How wide each layout is drawn, for the browser to pick a rendition before CSS arrives.
# Keep in step with the figure and card rules in static/css.
LAYOUT_SIZES = {
    "lead": "(min-width: 48rem) 48rem, 100vw",
    "standard": "(min-width: 48rem) 42rem, 100vw",
    "wide": "(min-width: 80rem) 72rem, 100vw",
    "inset": "(min-width: 48rem) 20rem, 100vw",
    "thumbnail": "(min-width: 48rem) 20rem, 100vw",
    # The front page's first column: two thirds of the page beside the latest stories.
    "lead_card": "(min-width: 72rem) 45rem, (min-width: 48rem) 62vw, 100vw",
}
ANY_FORMAT = ("webp", "jpeg", "png")


@register.inclusion_tag("media/includes/figure.html")
def figure(image, caption=None, credit=None, alt=None, lead=False, layout=None, sizes=None):
    """Render `image` as a <figure> with responsive sources, caption and credit.

    Empty overrides fall back to the image's own caption, credit and alt text; a decorative
    image gets alt="" unless an alt override says what it shows here. The lead figure loads
    eagerly and credits "Source: …"; inline figures load lazily and credit "(…)". The layout
    (a CSS modifier) is "lead" for the lead figure and "standard" otherwise, unless given.
    """
    if image is None:
        return {"sources": None}
    layout = layout or ("lead" if lead else "standard")
    return {
        "sources": renditions.picture_sources(image=image),
        "caption": caption or image.caption,
        "credit": credit or image.credit,
        "alt": _alt(image, alt),
        "lead": bool(lead),
        "layout": layout,
        "sizes": sizes or LAYOUT_SIZES.get(layout, LAYOUT_SIZES["standard"]),
    }


@register.inclusion_tag("media/includes/picture.html")
def thumbnail_picture(image, alt=None, sizes=None, lead=False, crop=""):
    """Render `image` as a lazy <picture> without caption, e.g. on an article card.

    `crop`: one of the picture's crops (`media.crops`), e.g. "card" for the 3:2 of the cards,
    cut around the picture's focal point.
    Unlike `figure`, an empty `alt` is taken as given: alt="" hides a picture that only
    repeats what the text beside it says. Without `alt`, the image's own alt text is used.
    `lead`: the front page's lead story, whose picture is the page's largest paint: it loads
    at once, first among the pictures, drawn at the width of the front's main column.
    """
    if image is None:
        return {"sources": None}
    return {
        "sources": renditions.picture_sources(image=image, crop=crop),
        "alt": alt if alt is not None else _alt(image, None),
        "lead": bool(lead),
        "sizes": sizes or LAYOUT_SIZES["lead_card" if lead else "thumbnail"],
    }


@register.simple_tag
def thumbnail(image, width=120):
    """Return a small lazy <img> of `image` for admin lists (from its smallest rendition)."""
    if image is None:
        return ""
    return render_to_string(
        "media/includes/thumbnail.html",
        {
            "src": renditions.rendition_url(image=image, width=width * 2, formats=ANY_FORMAT),
            "width": width,
        },
    )


@register.simple_tag(name="rendition_url")
def rendition_url_tag(image, width):
    """Return the URL of `image` at about `width` pixels: `{% rendition_url image 1200 %}`.

    A JPEG or PNG (for og:image: not every crawler reads WebP); "" without an image.
    """
    return rendition_url(image, width)


@register.filter
def rendition_url(image, width):
    """Return the URL of `image` at about `width` pixels: `{{ image|rendition_url:1200 }}`."""
    if not image:
        return ""
    return renditions.rendition_url(image=image, width=int(width))


def _alt(image, alt):
    if alt:
        return alt
    return "" if image.is_decorative else image.alt_text
