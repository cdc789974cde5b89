import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from media.models import Image


def test_alt_text_is_required_for_a_picture_that_shows_something():
    with pytest.raises(ValidationError) as caught:
        Image(alt_text="   ").clean()

    assert "or tick “decorative”" in caught.value.message_dict["alt_text"][0]


def test_a_decorative_picture_needs_no_alt_text():
    Image(is_decorative=True).clean()
    Image(alt_text="Crowds at the square").clean()


@pytest.mark.django_db
def test_rights_expired_means_strictly_before_today():
    today = timezone.localdate()
    for days, alt_text in [(-1, "expired"), (0, "last day"), (30, "future"), (None, "open")]:
        expires = None if days is None else today + datetime.timedelta(days=days)
        Image.objects.create(
            alt_text=alt_text, rights_expire_on=expires, file="x.jpg", width=1, height=1
        )

    assert [i.alt_text for i in Image.objects.rights_expired()] == ["expired"]
    assert Image.objects.get(alt_text="expired").rights_expired
    assert not Image.objects.get(alt_text="last day").rights_expired
