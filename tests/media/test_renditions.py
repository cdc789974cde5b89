import pytest

from media.models import Image
from media.renditions import picture_sources, rendition_for_width, rendition_url
from tests.media.factories import make_image, picture_bytes

pytestmark = pytest.mark.django_db


def test_sources_list_every_width_largest_fallback_as_src():
    image = make_image(data=picture_bytes(size=(1300, 650)))
    by = {(r.width, r.format): r for r in image.renditions.filter(crop="")}

    sources = picture_sources(image=image)

    assert sources.webp_srcset == ", ".join(
        f"{by[w, 'webp'].file.url} {w}w" for w in (480, 800, 1200)
    )
    assert sources.srcset == ", ".join(f"{by[w, 'jpeg'].file.url} {w}w" for w in (480, 800, 1200))
    assert sources.src == by[1200, "jpeg"].file.url
    assert (sources.width, sources.height) == (1200, 600)


def test_without_renditions_the_original_stands_in():
    image = make_image(data=picture_bytes(size=(700, 350)))
    image.renditions.all().delete()

    sources = picture_sources(image=image)

    assert sources.src == image.file.url
    assert (sources.srcset, sources.webp_srcset) == ("", "")
    assert (sources.width, sources.height) == (700, 350)


def test_the_best_rendition_is_the_smallest_at_least_as_wide():
    image = make_image(data=picture_bytes(size=(1300, 650)))

    assert rendition_for_width(image=image, width=600).width == 800
    assert rendition_for_width(image=image, width=800).width == 800
    assert rendition_for_width(image=image, width=5000).width == 1200
    assert rendition_for_width(image=image, width=100, formats=["webp"]).format == "webp"


def test_the_url_for_sharing_is_a_jpeg_or_the_original():
    image = make_image(data=picture_bytes(size=(1300, 650)))
    assert rendition_url(image=image, width=1200).endswith("-1200w.jpg")

    image.renditions.all().delete()
    image = Image.objects.get(pk=image.pk)
    assert rendition_url(image=image, width=1200) == image.file.url
