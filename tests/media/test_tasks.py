"""Renditions on the task engine: an upload answers once its original is stored; pages show
the original until the renditions are made, then the renditions, with nobody saving anything.
And the hourly clean-up of pictures dropped on the chooser and never described."""

import os
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from foundation import periodic
from media.chooser import PENDING_FOLDER, Pending
from media.models import Rendition
from media.renditions import modern_formats, picture_sources
from media.services import (
    FileReplaced,
    image_clean_upload,
    image_create,
    image_make_renditions,
    image_replace_file,
)
from media.tasks import pending_pictures_delete
from tests.factories import make_article, make_staff
from tests.media.factories import picture_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_only(settings):
    """Tasks stay queued in the database, as they do until a worker takes them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_queued():
    """Run the queued tasks as a worker would, oldest first; return their return values."""
    done = []
    for result in DBTaskResult.objects.ready().order_by("enqueued_at"):
        done.append(result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"]))
        result.delete()
    return done


def test_an_upload_answers_before_its_renditions_and_pages_follow_once_they_are_made(
    client, queued_only
):
    image = image_create(file=upload(picture_bytes(size=(1300, 800))), alt_text="Harbour")
    article = make_article(lead_image=image, access=Article.Access.FREE)

    assert not Rendition.objects.filter(image=image).exists()
    before = client.get(article.get_absolute_url()).content.decode()
    assert f'src="{image.file.url}"' in before and "srcset" not in before.split("<main")[1]

    whole = 3 * (1 + len(modern_formats()))  # three widths
    crops = 3 * (1 + len(modern_formats())) + 1  # the cards' three widths, and the shared link's
    assert run_queued() == [f"{whole} renditions at [480, 800, 1200] px, and {crops} crops."]

    after = client.get(article.get_absolute_url()).content.decode()
    sources = picture_sources(image=image)
    assert sources.srcset and sources.srcset in after  # the page is rendered again
    assert f'src="{image.file.url}"' not in after


def test_a_task_run_twice_makes_each_rendition_once(queued_only):
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    (queued,) = DBTaskResult.objects.ready()
    args, kwargs = queued.args_kwargs["args"], queued.args_kwargs["kwargs"]

    queued.task.call(*args, **kwargs)
    names = sorted(Rendition.objects.filter(image=image).values_list("file", flat=True))
    queued.task.call(*args, **kwargs)  # a worker died after it finished, before saying so

    assert sorted(Rendition.objects.filter(image=image).values_list("file", flat=True)) == names
    # Two widths of the whole picture and of the card crop (600 px high: 900 wide), one of the
    # shared link's crop.
    assert len(names) == 2 * 2 * (1 + len(modern_formats())) + 1


def test_renditions_queued_for_a_file_since_replaced_make_nothing(queued_only):
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    old_original = image.file.name
    image_replace_file(image=image, file=upload(picture_bytes(size=(700, 500))))

    outcomes = run_queued()

    assert outcomes[0].startswith("Nothing to do")
    assert {r.file.name.split("-")[0] for r in Rendition.objects.filter(image=image)} == {
        "renditions/"
        + image.file.name.rsplit("/", 1)[1][:2]
        + "/"
        + image.file.name.rsplit("/", 1)[1].rsplit(".", 1)[0]
    }
    assert old_original != image.file.name


def test_a_rendition_of_a_replaced_file_is_not_kept(queued_only):
    data = picture_bytes(size=(900, 600))
    image = image_create(file=upload(data), alt_text="Quay")
    stale = type(image).objects.get(pk=image.pk)  # what a task loaded before the replacement
    image_replace_file(image=image, file=upload(picture_bytes(size=(700, 500))))

    with pytest.raises(FileReplaced):
        image_make_renditions(image=stale, original=data)

    assert not Rendition.objects.filter(image=image).exists()


def test_the_command_gives_older_pictures_what_a_new_version_makes(settings):
    """After an upgrade adds a width (or a format), one command gives the library's pictures
    their missing renditions, and only those."""
    from io import StringIO

    from django.core.management import call_command

    settings.NEWSROOM_RENDITION_WIDTHS = [480]
    # Made at once here, as tests run tasks after the commit.
    pictures = [
        image_create(
            file=upload(picture_bytes(size=(1000, 600)), name=f"p{n}.jpg"), alt_text="Boats"
        )
        for n in range(2)
    ]
    before = {image.pk: Rendition.objects.filter(image=image).count() for image in pictures}
    settings.NEWSROOM_RENDITION_WIDTHS = [480, 800]
    out = StringIO()

    call_command("make_renditions", stdout=out)

    assert "Renditions queued for 2 pictures" in out.getvalue()
    for image in pictures:
        assert Rendition.objects.filter(image=image).count() > before[image.pk]
        assert Rendition.objects.filter(image=image, width=800).exists()


def backdate(name, *, hours):
    """Make a stored file `hours` old, as if dropped that long ago."""
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))


def test_pictures_dropped_and_never_described_are_deleted_once_their_hours_are_over(settings):
    settings.NEWSROOM_PENDING_PICTURE_HOURS = 24
    dropper = make_staff("media.add_image")
    library = image_create(file=upload(picture_bytes()), alt_text="Harbour")
    library_files = [library.file.name, *(r.file.name for r in library.renditions.all())]
    for name in library_files:
        backdate(name, hours=100)  # old, but the library's: never touched
    abandoned, waiting = (
        Pending.keep(image_clean_upload(file=upload(picture_bytes())), name="a.jpg", user=dropper)
        for _ in range(2)
    )
    backdate(abandoned.facts["stored_as"], hours=25)
    backdate(waiting.facts["stored_as"], hours=23)

    assert pending_pictures_delete.call() == "1 abandoned uploads deleted."
    assert not default_storage.exists(abandoned.facts["stored_as"])
    assert default_storage.exists(waiting.facts["stored_as"])
    assert all(default_storage.exists(name) for name in library_files)
    assert pending_pictures_delete.call() == "0 abandoned uploads deleted."  # again: harmless


def test_deleting_abandoned_uploads_before_any_was_dropped_does_nothing():
    assert not default_storage.exists(PENDING_FOLDER)
    assert pending_pictures_delete.call() == "0 abandoned uploads deleted."


def test_a_dropped_pictures_token_expires_with_its_file(settings):
    settings.NEWSROOM_PENDING_PICTURE_HOURS = 2
    dropper = make_staff("media.add_image")
    pending = Pending.keep(image_clean_upload(file=upload(picture_bytes())), name="a", user=dropper)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=59)):
        assert Pending.from_token(pending.token, user=dropper).name == "a"
    later = timezone.now() + timedelta(hours=2, minutes=1)
    with time_machine.travel(later), pytest.raises(ValidationError):
        Pending.from_token(pending.token, user=dropper)


def test_abandoned_uploads_are_looked_for_every_hour():
    job = next(job for job in periodic.jobs() if job.name == "pending_pictures_delete")
    assert (job.task, job.every) == (pending_pictures_delete, timedelta(hours=1))
