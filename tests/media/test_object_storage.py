"""Uploads on S3-compatible object storage, against a real S3 server on localhost.

moto's server mode answers S3's HTTP API on a free port; the storage is what
`newsroom/settings.py` makes from the `AWS_*` environment, so these tests also check the
settings. Each test gets a bucket of its own.
"""

import logging
import re
import runpy
import socket
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

import newsroom.settings
from articles.models import Article
from media.checks import check_object_storage_deployed
from media.chooser import Pending
from media.models import Image, Rendition
from media.renditions import modern_formats, picture_sources
from media.services import (
    StorageUnavailable,
    image_clean_upload,
    image_create,
    image_replace_file,
)
from media.tasks import pending_pictures_delete
from tests.engine import deferred_tasks
from tests.factories import make_article, make_staff
from tests.media.factories import picture_bytes, upload

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:media_image_add")
REGION = "eu-west-1"


def start_s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="session")
def s3_server():
    server, endpoint = start_s3_server()
    yield endpoint
    server.stop()


@pytest.fixture
def s3_environment(monkeypatch):
    """Credentials for boto3's own chain, as production passes them (moto accepts any)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "newsroom-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "newsroom-test-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def settings_from(monkeypatch, **environment):
    """Return the settings that `newsroom/settings.py` makes from this environment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(newsroom.settings.__file__)


def new_bucket(endpoint):
    name = f"newsroom-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client, name


class Bucket:
    """A bucket on the test S3 server, and what the site's storage is told about it."""

    def __init__(self, endpoint, monkeypatch, settings, media_url="/uploads/"):
        self.client, self.name = new_bucket(endpoint)
        production = settings_from(
            monkeypatch,
            AWS_STORAGE_BUCKET_NAME=self.name,
            AWS_S3_ENDPOINT_URL=endpoint,
            AWS_S3_REGION_NAME=REGION,
            MEDIA_URL=media_url,
        )
        settings.STORAGES = {**settings.STORAGES, "default": production["STORAGES"]["default"]}
        settings.MEDIA_URL = production["MEDIA_URL"]

    def object_names(self):
        listing = self.client.list_objects_v2(Bucket=self.name)
        return {entry["Key"] for entry in listing.get("Contents", [])}

    def head(self, key):
        return self.client.head_object(Bucket=self.name, Key=key)


@pytest.fixture
def bucket(s3_server, s3_environment, monkeypatch, settings):
    return Bucket(s3_server, monkeypatch, settings)


@pytest.fixture
def s3_requests(caplog):
    """Return the requests the S3 server answers from now on, as "METHOD path" lines."""
    caplog.set_level(logging.INFO, logger="werkzeug")  # the server logs one line a request

    def requests():
        lines = (record.getMessage() for record in caplog.records if record.name == "werkzeug")
        return [m.group(1) for line in lines if (m := re.search(r'"(\w+ \S+) HTTP', line))]

    return requests


def stored_names(image):
    return {image.file.name} | {r.file.name for r in Rendition.objects.filter(image=image)}


def written_and_read(requests, image):
    """Return the names written (each once) and how often the original was downloaded."""
    puts = [line.split()[1].split("/", 2)[2] for line in requests if line.startswith("PUT ")]
    assert len(puts) == len(set(puts)), "a file was written twice"
    gets = [line for line in requests if line.startswith("GET ") and image.file.name in line]
    return set(puts), len(gets)


def nothing_on_local_disk(media_root: Path):
    return not media_root.exists() or not any(media_root.rglob("*"))


@pytest.fixture
def journalist():
    """A staff account with what the Journalist group may do with pictures, and no more.

    (Permissions, not the group: a transactional test elsewhere may have flushed the group that
    a data migration made.)"""
    return make_staff(
        "media.add_image", "media.change_image", "media.view_image", email="reporter@example.com"
    )


def test_an_upload_stores_the_original_and_every_rendition_in_the_bucket(
    bucket, s3_requests, media_root
):
    image = image_create(file=upload(picture_bytes(size=(1300, 800))), alt_text="Harbour")
    requests = s3_requests()

    renditions = Rendition.objects.filter(image=image, crop="")
    assert sorted({(r.width, r.format) for r in renditions}) == sorted(
        (w, f) for w in (480, 800, 1200) for f in ("jpeg", *modern_formats())
    )
    assert Rendition.objects.filter(image=image, crop="card").exists()
    assert bucket.object_names() == stored_names(image)
    assert all(bucket.head(name)["ContentLength"] > 0 for name in bucket.object_names())
    # Right type and cacheable for ever by a CDN: names are never reused.
    webp = renditions.get(width=480, format="webp").file.name
    assert bucket.head(webp)["ContentType"] == "image/webp"
    assert bucket.head(image.file.name)["CacheControl"] == "public, max-age=31536000, immutable"
    # Each file written once; the original read once, by the renditions task on the engine.
    assert written_and_read(requests, image) == (stored_names(image), 1)
    assert nothing_on_local_disk(media_root)


def test_a_journalist_uploads_through_the_admin_into_the_bucket(
    client, journalist, bucket, s3_requests, media_root
):
    client.force_login(journalist)

    response = client.post(
        ADD_URL,
        {"file": upload(picture_bytes(size=(900, 600))), "alt_text": "Quay", "caption": "Dawn"},
    )
    requests = s3_requests()

    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.caption, image.uploaded_by) == ("Dawn", journalist)
    assert bucket.object_names() == stored_names(image)
    # The original; AVIF, WebP and JPEG at 480 and 800 of the whole picture and of the card
    # crop; the shared link's JPEG crop.
    assert len(bucket.object_names()) == 1 + 2 * 2 * (1 + len(modern_formats())) + 1
    assert written_and_read(requests, image) == (stored_names(image), 1)
    assert nothing_on_local_disk(media_root)


def test_the_article_page_links_pictures_at_the_media_host(
    client, s3_server, s3_environment, monkeypatch, settings
):
    Bucket(s3_server, monkeypatch, settings, media_url="https://media.example.test/")
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    article = make_article(lead_image=image, access=Article.Access.FREE)

    html = client.get(article.get_absolute_url()).content.decode()

    srcsets = re.findall(r'srcset="([^"]+)"', html)
    urls = [part.split()[0] for srcset in srcsets for part in srcset.split(",")]
    assert len(urls) == 2 * (1 + len(modern_formats()))
    names = {r.file.name for r in image.renditions.filter(crop="")}
    assert {url.removeprefix("https://media.example.test/") for url in urls} == names
    # Public pictures, public links: nothing signed that would expire in a cached page.
    assert "X-Amz-" not in html and "Signature=" not in html


def test_without_a_media_host_pictures_link_to_the_bucket_unsigned(bucket):
    image = image_create(file=upload(picture_bytes(size=(500, 300))), alt_text="Quay")

    url = image.file.url

    assert url.startswith(f"{bucket.client.meta.endpoint_url}/{bucket.name}/images/")
    assert "?" not in url


def test_deleting_a_picture_deletes_its_objects_once_committed(bucket):
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    kept = image_create(file=upload(picture_bytes(size=(500, 300))), alt_text="Pier")

    everything = stored_names(image) | stored_names(kept)
    with transaction.atomic():
        image.delete()
        assert bucket.object_names() == everything  # nothing gone before the commit

    assert bucket.object_names() == stored_names(kept)


def test_replacing_the_file_swaps_the_objects(bucket, django_capture_on_commit_callbacks):
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    old = stored_names(image)

    with django_capture_on_commit_callbacks(execute=True):
        image_replace_file(image=image, file=upload(picture_bytes(size=(500, 300))))

    assert bucket.object_names() == stored_names(image)
    assert not old & bucket.object_names()


def test_checks_warn_about_local_upload_settings_left_on(bucket, settings):
    settings.NEWSROOM_SERVE_UPLOADS = True

    assert [p.id for p in check_object_storage_deployed(None)] == ["media.W002", "media.W003"]
    with pytest.raises(SystemCheckError, match=r"media\.W002"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")

    settings.MEDIA_URL = "https://media.example.test/"
    settings.NEWSROOM_SERVE_UPLOADS = False
    assert check_object_storage_deployed(None) == []


def test_the_checks_leave_uploads_on_local_disk_alone(settings):
    settings.NEWSROOM_SERVE_UPLOADS = True  # settings.MEDIA_URL is the local default

    assert check_object_storage_deployed(None) == []


def test_settings_keep_uploads_on_local_disk_without_a_bucket(monkeypatch):
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)

    production = settings_from(monkeypatch)

    assert production["STORAGES"]["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }


@pytest.fixture
def failing_bucket(s3_environment, monkeypatch, settings):
    """A bucket whose S3 server is then stopped: every request is refused."""
    server, endpoint = start_s3_server()
    failing = Bucket(endpoint, monkeypatch, settings)
    server.stop()
    return failing


def test_a_storage_that_is_down_fails_the_upload_with_nothing_saved(failing_bucket):
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        image_create(file=upload(picture_bytes()), alt_text="Quay")

    assert time.monotonic() - started < 10
    assert not Image.objects.exists()


def test_a_journalist_is_told_when_the_storage_is_down_and_keeps_what_was_typed(
    client, journalist, failing_bucket, media_root
):
    client.force_login(journalist)
    typed = {"alt_text": "Boats at the quay", "caption": "Dawn on the river", "credit": "Ann Lee"}

    response = client.post(ADD_URL, {"file": upload(picture_bytes()), **typed})

    assert response.status_code == 503
    html = response.content.decode()
    assert "The picture could not be stored" in html
    assert "Nothing was saved" in html
    for value in typed.values():
        assert f'value="{value}"' in html
    assert "Traceback" not in html and "botocore" not in html
    assert not Image.objects.exists()
    assert nothing_on_local_disk(media_root)


def test_a_storage_that_hangs_fails_the_upload_within_its_timeouts(
    s3_environment, monkeypatch, settings
):
    # Accepts connections (the kernel's backlog) and never answers a byte.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        production = settings_from(
            monkeypatch,
            AWS_STORAGE_BUCKET_NAME="newsroom-hung",
            AWS_S3_ENDPOINT_URL=endpoint,
            AWS_S3_REGION_NAME=REGION,
            AWS_S3_READ_TIMEOUT="1",
        )
        settings.STORAGES = {**settings.STORAGES, "default": production["STORAGES"]["default"]}

        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            image_create(file=upload(picture_bytes()), alt_text="Quay")

    # Two attempts, each waiting a second for "100 Continue" and one for the answer, and the
    # backoff between them: seconds, not the minutes of boto's defaults.
    assert time.monotonic() - started < 10
    assert not Image.objects.exists()


def test_renditions_wait_for_a_storage_that_is_down_and_the_original_stands_in(
    client, journalist, s3_environment, monkeypatch, settings
):
    server, endpoint = start_s3_server()
    Bucket(endpoint, monkeypatch, settings)
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    Rendition.objects.filter(image=image).delete()
    server.stop()
    editor = make_staff("media.view_image", "media.change_image")
    client.force_login(editor)

    response = client.post(
        reverse("admin:media_image_changelist"),
        {"action": "make_renditions", ACTION_CHECKBOX_NAME: [image.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Renditions queued for 1 pictures" in response.content.decode()
    # The task met the storage down: it is queued again for later, and pages show the original.
    ((task, args, kwargs),) = deferred_tasks()
    assert task.name == "image_renditions_make" and args[0] == image.pk
    assert kwargs == {} and args[2] == 2  # its second attempt
    assert not Rendition.objects.filter(image=image).exists()
    assert picture_sources(image=image).src == image.file.url


def test_replacing_the_file_while_the_storage_is_down_keeps_the_picture_as_it_was(
    s3_environment, monkeypatch, settings
):
    server, endpoint = start_s3_server()
    Bucket(endpoint, monkeypatch, settings)
    image = image_create(file=upload(picture_bytes(size=(900, 600))), alt_text="Quay")
    before = stored_names(image)
    server.stop()

    with pytest.raises(StorageUnavailable):
        image_replace_file(image=image, file=upload(picture_bytes(size=(500, 300))))

    # A fresh row (refresh_from_db would re-measure the picture, reading it from the storage).
    image = Image.objects.get(pk=image.pk)
    assert (image.width, image.height) == (900, 600)
    assert stored_names(image) == before


def clean():
    return image_clean_upload(file=upload(picture_bytes()))


def test_abandoned_uploads_are_deleted_from_the_bucket_and_nothing_else(bucket, settings):
    settings.NEWSROOM_PENDING_PICTURE_HOURS = 24
    dropper = make_staff("media.add_image", email="dropper@example.com")
    library = image_create(file=upload(picture_bytes()), alt_text="Harbour")
    abandoned = Pending.keep(
        image_clean_upload(file=upload(picture_bytes())), name="a", user=dropper
    )
    library_files = stored_names(library)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        # Dropped now, so still waiting for its description when the others are a day old.
        waiting = Pending.keep(
            image_clean_upload(file=upload(picture_bytes())), name="b", user=dropper
        )
        assert pending_pictures_delete.call() == "1 abandoned uploads deleted."
        assert pending_pictures_delete.call() == "0 abandoned uploads deleted."

    assert bucket.object_names() == library_files | {waiting.facts["stored_as"]}
    assert abandoned.facts["stored_as"] not in bucket.object_names()
