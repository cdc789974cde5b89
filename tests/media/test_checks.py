from PIL import Image as PillowImage

from media.checks import check_image_settings


def test_the_default_settings_pass():
    assert check_image_settings(None) == []


def test_a_pixel_limit_above_what_pillow_opens_is_flagged(settings):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 2 * PillowImage.MAX_IMAGE_PIXELS + 1

    assert [problem.id for problem in check_image_settings(None)] == ["media.W001"]


def test_rendition_widths_must_be_positive_whole_numbers(settings):
    for widths in ([], [480, 0], ["800"]):
        settings.NEWSROOM_RENDITION_WIDTHS = widths
        assert [problem.id for problem in check_image_settings(None)] == ["media.E001"]
