"""The crop maths: the largest box of the crop's shape, around the focal point, inside the
picture; a subject at an edge stays in it."""

import pytest

from media.crops import CARD, CROPS, SOCIAL, crop_box

CORNERS = {
    "top left": (0, 0),
    "top right": (1, 0),
    "bottom left": (0, 1),
    "bottom right": (1, 1),
}


def contains(box, subject):
    return (
        box[0] <= subject[0]
        and box[1] <= subject[1]
        and box[2] >= subject[2]
        and (box[3] >= subject[3])
    )


@pytest.mark.parametrize("size", [(2000, 800), (800, 2000), (1200, 1200), (1000, 667)])
@pytest.mark.parametrize("corner", CORNERS)
@pytest.mark.parametrize("shape", CROPS.values(), ids=list(CROPS))
def test_a_subject_in_a_corner_stays_in_the_crop(size, corner, shape):
    width, height = size
    side = min(width, height) // 8  # a square an eighth of the picture's shorter side
    across, down = CORNERS[corner]
    left, top = across * (width - side), down * (height - side)
    subject = (left, top, left + side, top + side)
    focal = ((left + side / 2) / width, (top + side / 2) / height)

    box = crop_box(size=size, aspect=shape.aspect, focal=focal)

    assert contains(box, subject)
    assert contains((0, 0, width, height), box)


def test_the_crop_is_the_largest_box_of_its_shape():
    assert crop_box(size=(2000, 800), aspect=CARD.aspect) == (400, 0, 1600, 800)
    assert crop_box(size=(800, 2000), aspect=CARD.aspect) == (0, 734, 800, 1267)
    left, top, right, bottom = crop_box(size=(2000, 800), aspect=SOCIAL.aspect)
    assert (right - left, bottom - top) == (1524, 800)  # 1.905:1, as 1200×630


def test_without_a_focal_point_the_crop_is_centred():
    assert crop_box(size=(3000, 1000), aspect=(1, 1)) == (1000, 0, 2000, 1000)


def test_the_crop_goes_no_further_than_the_edge():
    # Asked to centre on the very left edge, the box starts at the edge and does not leave it.
    assert crop_box(size=(3000, 1000), aspect=(1, 1), focal=(0.0, 0.5)) == (0, 0, 1000, 1000)
    assert crop_box(size=(3000, 1000), aspect=(1, 1), focal=(1.0, 0.5)) == (2000, 0, 3000, 1000)


def test_a_picture_already_of_the_shape_is_kept_whole():
    assert crop_box(size=(1200, 630), aspect=SOCIAL.aspect, focal=(0.9, 0.1)) == (0, 0, 1200, 630)
