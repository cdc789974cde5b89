import contextlib
import os

import pytest
from django.db import transaction

from media.models import Image
from tests.media.factories import make_image

pytestmark = pytest.mark.django_db


def test_deleting_a_picture_deletes_its_files_once_committed(django_capture_on_commit_callbacks):
    image = make_image()
    paths = [image.file.path, *(r.file.path for r in image.renditions.all())]
    assert len(paths) > 3  # the original, and its renditions and crops

    with django_capture_on_commit_callbacks(execute=True):
        image.delete()

    assert not any(os.path.exists(path) for path in paths)


def test_files_stay_if_the_deletion_is_rolled_back():
    image = make_image()
    path, pk = image.file.path, image.pk

    with contextlib.suppress(RuntimeError), transaction.atomic():
        image.delete()
        raise RuntimeError("the transaction that deleted it fails")

    assert os.path.exists(path)
    assert Image.objects.filter(pk=pk).exists()
