import re

import pytest
from django.template import Context, Template

from media.models import Image
from media.renditions import modern_formats
from media.templatetags.media_tags import thumbnail
from tests.media.factories import make_image, picture_bytes

pytestmark = pytest.mark.django_db


def render(source, **context):
    return Template("{% load media_tags %}" + source).render(Context(context))


def attributes(html, tag):
    """Return the attributes of the first `tag` element in `html`."""
    return every_attributes(html, tag)[0]


def every_attributes(html, tag):
    """Return the attributes of every `tag` element in `html`, in order."""
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', element))
        | {name: True for name in re.findall(r"\s([\w-]+)(?=[\s>]|$)", element)}
        for element in re.findall(rf"<{tag}\b([^>]*)>", html)
    ]


@pytest.fixture
def image():
    return make_image(
        data=picture_bytes(size=(1300, 650)),
        caption="Crowds gather at the Kremlin",
        credit="Agency/Photographer",
        alt_text="A crowd in a snowy square",
    )


def test_an_inline_figure_has_a_lazy_picture_with_both_srcsets(avif, image):
    html = render("{% figure image %}", image=image)
    by = {(r.width, r.format): r.file.url for r in image.renditions.filter(crop="")}

    assert html.startswith('<figure class="figure figure--standard">')
    img = attributes(html, "img")
    sources = {source["type"]: source for source in every_attributes(html, "source")}
    assert list(sources) == [f"image/{fmt}" for fmt in modern_formats()]  # AVIF first, if made
    for fmt in modern_formats():
        assert sources[f"image/{fmt}"]["srcset"] == ", ".join(
            f"{by[w, fmt]} {w}w" for w in (480, 800, 1200)
        )
        assert sources[f"image/{fmt}"]["sizes"] == img["sizes"]
    source = sources["image/webp"]
    assert source["srcset"] == ", ".join(f"{by[w, 'webp']} {w}w" for w in (480, 800, 1200))
    assert source["sizes"] == img["sizes"]
    assert img["src"] == by[1200, "jpeg"]
    assert img["srcset"] == ", ".join(f"{by[w, 'jpeg']} {w}w" for w in (480, 800, 1200))
    assert (img["width"], img["height"]) == ("1200", "600")
    assert img["alt"] == "A crowd in a snowy square"
    assert img["decoding"] == "async"
    assert img["loading"] == "lazy"
    assert "fetchpriority" not in img


def test_an_inline_caption_is_followed_by_the_credit_in_parentheses(image):
    html = render("{% figure image %}", image=image)

    assert (
        '<figcaption class="figure__caption">Crowds gather at the Kremlin '
        '<span class="credit">(Agency/Photographer)</span></figcaption>'
    ) in html


def test_the_lead_figure_loads_eagerly_and_credits_its_source(image):
    html = render("{% figure image lead=True %}", image=image)

    assert 'class="figure figure--lead"' in html
    img = attributes(html, "img")
    assert img["fetchpriority"] == "high"
    assert "loading" not in img
    assert (
        'Crowds gather at the Kremlin <span class="credit">Source: Agency/Photographer</span>'
    ) in html


def test_overrides_win_and_empty_overrides_fall_back(image):
    html = render(
        '{% figure image caption="Typed caption" credit="" alt=alt layout="wide" %}',
        image=image,
        alt="Override alt",
    )

    assert 'class="figure figure--wide"' in html
    assert 'Typed caption <span class="credit">(Agency/Photographer)</span>' in html
    assert attributes(html, "img")["alt"] == "Override alt"


def test_sizes_can_be_given(image):
    html = render('{% figure image sizes="50vw" %}', image=image)

    assert attributes(html, "img")["sizes"] == "50vw"
    assert attributes(html, "source")["sizes"] == "50vw"


def test_a_credit_alone_has_no_leading_space(image):
    image.caption = ""

    assert '<figcaption class="figure__caption"><span class="credit">(' in render(
        "{% figure image %}", image=image
    )


def test_no_figcaption_without_caption_or_credit(image):
    image.caption = image.credit = ""

    assert "figcaption" not in render("{% figure image %}", image=image)


def test_a_decorative_picture_has_empty_alt(image):
    image.is_decorative = True

    assert attributes(render("{% figure image %}", image=image), "img")["alt"] == ""


def test_everything_typed_is_escaped(image):
    image.caption = "<script>alert(1)</script>"
    image.credit = 'AP/"Ann" O\'Neil'
    image.alt_text = 'A "quoted" <b>alt</b>'

    html = render("{% figure image %}", image=image)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(AP/&quot;Ann&quot; O&#x27;Neil)" in html
    assert 'alt="A &quot;quoted&quot; &lt;b&gt;alt&lt;/b&gt;"' in html


def test_without_renditions_the_original_file_is_shown(image):
    image.renditions.all().delete()
    image = Image.objects.get(pk=image.pk)

    html = render("{% figure image %}", image=image)

    assert "<source" not in html
    img = attributes(html, "img")
    assert img["src"] == image.file.url
    assert "srcset" not in img
    assert (img["width"], img["height"]) == ("1300", "650")


def test_no_image_renders_nothing():
    assert render("{% figure image %}", image=None).strip() == ""


def test_figures_make_no_query_when_renditions_are_prefetched(image, django_assert_num_queries):
    make_image(caption="Second")
    images = list(Image.objects.prefetch_related("renditions"))
    template = Template("{% load media_tags %}{% for i in images %}{% figure i %}{% endfor %}")

    with django_assert_num_queries(0):
        html = template.render(Context({"images": images}))

    assert html.count("<figure") == 2


def test_a_thumbnail_picture_is_lazy_and_bare(image):
    html = render('{% thumbnail_picture image alt="" %}', image=image)

    assert html.startswith("<picture>")
    assert "figcaption" not in html
    assert attributes(html, "img")["loading"] == "lazy"
    assert attributes(html, "img")["alt"] == ""


def test_rendition_url_as_filter_and_tag(image):
    expected = image.renditions.get(crop="", width=1200, format="jpeg").file.url

    assert render("{{ image|rendition_url:1200 }}", image=image) == expected
    assert render("{% rendition_url image 1000 as url %}[{{ url }}]", image=image) == (
        f"[{expected}]"
    )
    assert render("{{ image|rendition_url:1200 }}", image=None) == ""


def test_the_admin_thumbnail_is_a_small_lazy_image(image):
    html = thumbnail(image)

    assert attributes(html, "img")["loading"] == "lazy"
    smallest = image.renditions.get(crop="", width=480, format="webp")
    assert attributes(html, "img")["src"] == smallest.file.url
    assert thumbnail(None) == ""
