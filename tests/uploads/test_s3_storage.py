"""Files in an S3-compatible bucket (``RAYPORT_STORAGE=s3``): a real S3 server (moto's, on a
free port of this machine, spoken to over HTTP by boto3) receives the DICOM files the worker
stores and the documents staff attach, and gives them back to the pages, ranges included."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from moto.server import ThreadedMotoServer

from postdicom import get_api
from postdicom.local.models import DocumentRecord, InstanceRecord, UploadBatch
from postdicom.local.tasks import finish_upload_batch
from postdicom.local.uploads.storage import file_storage, open_stored, stored_sha256
from tests.uploads.conftest import report, upload
from tests.uploads.files import make_image, mp4_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

PREFIX = "rayport-test"
CREDENTIALS = {"aws_access_key_id": "rayport-test", "aws_secret_access_key": "rayport-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, upload_dirs, settings, monkeypatch):
    """A new bucket on the S3 server, and the ``dicom`` storage pointed at it as the
    settings make it for ``RAYPORT_STORAGE=s3``."""
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, "/nonexistent")  # nothing from this machine's AWS set-up
    name = f"rayport-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=name)
    storages = copy.deepcopy(django_settings.STORAGES)
    storages["dicom"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": name,
            "endpoint_url": s3_endpoint,
            "region_name": "us-east-1",
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "location": PREFIX,
            "addressing_style": "path",
            "file_overwrite": True,
            "default_acl": None,
            "max_memory_size": 8 << 20,
        },
    }
    settings.STORAGES = storages
    return client, name


def _objects(client, name, *, thumbnails: bool = False) -> dict[str, bytes]:
    """The bucket's objects; the studies' thumbnails (drawn after each batch) only when asked."""
    listed = client.list_objects_v2(Bucket=name).get("Contents", [])
    keys = [o["Key"] for o in listed if thumbnails or "/thumbnails/" not in o["Key"]]
    return {key: client.get_object(Bucket=name, Key=key)["Body"].read() for key in keys}


def test_the_worker_stores_dicom_files_in_the_bucket(staff_user, clinic, tmp_path, bucket):
    client, name = bucket
    from storages.backends.s3 import S3Storage

    assert isinstance(file_storage(), S3Storage)
    path = make_image(tmp_path / "in" / "IM0001", patient_name="Cloud^Ann")
    receipt = upload(staff_user, clinic, [path], tmp_path, ingest=False)
    # The Celery task itself, run in this process as a worker would run it.
    batch_pk = UploadBatch.objects.get(uuid=receipt.batch_id).pk
    with TestCase.captureOnCommitCallbacks(execute=True):
        finish_upload_batch.apply(args=(batch_pk,)).get()
    result = report(staff_user, receipt)
    assert result.batch.counts == {"stored": 1}
    instance = InstanceRecord.objects.get()
    data = path.read_bytes()
    assert instance.stored
    assert instance.size == len(data)
    assert instance.sha256 == hashlib.sha256(data).hexdigest()
    assert _objects(client, name) == {f"{PREFIX}/{instance.file_name}": data}
    assert not (tmp_path / "media").exists()  # nothing went to local disk
    # Read back the way the pages read files: streamed, seekable without reading the rest.
    with open_stored(instance.file_name) as handle:
        handle.seek(128)
        assert handle.read(4) == b"DICM"
        handle.seek(0)
        assert handle.read() == data
    assert stored_sha256(instance.file_name) == instance.sha256
    (order,) = result.orders
    detail = get_api().order_properties(actor=staff_user, order_id=order.id)
    assert detail.studies[0].image_count == 1


def test_storing_an_instance_again_overwrites_it(staff_user, clinic, tmp_path, bucket):
    client, name = bucket
    path = make_image(tmp_path / "in" / "IM0001")
    upload(staff_user, clinic, [path], tmp_path)
    upload(staff_user, clinic, [path], tmp_path)  # a duplicate: nothing stored twice
    assert list(_objects(client, name)) == [f"{PREFIX}/{InstanceRecord.objects.get().file_name}"]


def test_documents_go_to_the_bucket_and_come_back_whole_or_in_ranges(
    staff_user, staff_client, clinic, tmp_path, bucket
):
    client, name = bucket
    path = make_image(tmp_path / "in" / "IM0001")
    (order,) = report(staff_user, upload(staff_user, clinic, [path], tmp_path)).orders
    video = mp4_bytes() + bytes(i % 251 for i in range(200_000))
    files = [
        SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf"),
        SimpleUploadedFile("clip.mp4", video, content_type="video/mp4"),
    ]
    response = staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": files})
    assert response.status_code == 302
    pdf, mp4 = DocumentRecord.objects.get(kind="pdf"), DocumentRecord.objects.get(kind="mp4")
    stored = _objects(client, name)
    assert stored[f"{PREFIX}/{pdf.file_name}"] == pdf_bytes()
    assert stored[f"{PREFIX}/{mp4.file_name}"] == video

    download = staff_client.get(reverse("orders:document_download", args=[order.id, pdf.uuid]))
    assert download.status_code == 200
    assert download["Content-Length"] == str(len(pdf_bytes()))
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == pdf_bytes()

    view_url = reverse("orders:document_view", args=[order.id, mp4.uuid])
    gets: list[str] = []
    storage: Any = file_storage()
    events = storage.connection.meta.client.meta.events
    events.register("before-parameter-build.s3.GetObject", lambda params, **kwargs: gets.append(params.get("Range")))
    part = staff_client.get(view_url, HTTP_RANGE="bytes=100000-100099")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100000-100099/{len(video)}"
    assert b"".join(part.streaming_content) == video[100000:100100]
    assert gets == ["bytes=100000-"]  # one request, from the range's start: the rest is never read
    tail = staff_client.get(view_url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == video[-10:]
    assert staff_client.get(view_url, HTTP_RANGE=f"bytes={len(video)}-").status_code == 416


def test_a_missing_object_is_a_404_not_a_500(staff_user, staff_client, clinic, tmp_path, bucket):
    client, name = bucket
    path = make_image(tmp_path / "in" / "IM0001")
    (order,) = report(staff_user, upload(staff_user, clinic, [path], tmp_path)).orders
    letter = SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [letter]})
    pdf = DocumentRecord.objects.get()
    client.delete_object(Bucket=name, Key=f"{PREFIX}/{pdf.file_name}")
    response = staff_client.get(reverse("orders:document_download", args=[order.id, pdf.uuid]))
    assert response.status_code == 404


def test_purging_an_order_deletes_its_objects(staff_user, admin_user, staff_client, clinic, tmp_path, bucket):
    client, name = bucket
    path = make_image(tmp_path / "in" / "IM0001")
    (order,) = report(staff_user, upload(staff_user, clinic, [path], tmp_path)).orders
    letter = SimpleUploadedFile("letter.pdf", pdf_bytes(), content_type="application/pdf")
    staff_client.post(reverse("orders:document_upload", args=[order.id]), {"attachments": [letter]})
    stored = _objects(client, name, thumbnails=True)
    assert len(stored) == 3  # the image, the letter and the study's thumbnail
    assert any("/thumbnails/" in key for key in stored)
    api = get_api()
    api.delete_order(actor=staff_user, order_id=order.id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        api.purge_order(actor=admin_user, order_id=order.id)
    assert _objects(client, name, thumbnails=True) == {}
