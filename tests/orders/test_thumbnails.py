"""Each study's thumbnail: made once (by the ingest worker, or on the first request), kept in
storage, served only to who sees the order; the order list links it lazily and never draws."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.files.storage import storages
from PIL import Image

from postdicom import get_api
from postdicom.local.images import thumbnails
from postdicom.local.models import StudyRecord
from postdicom.local.uploads import ingest
from tests.postdicom.server.conftest import order_of, storage, stored  # noqa: F401 (fixtures)
from tests.uploads.conftest import upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


def _url(order_id, study=None) -> str:
    return f"/orders/{order_id}/thumbnail/" + (f"?study={study}" if study else "")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_made_on_first_request_then_read_from_storage(stored, staff_client):  # noqa: F811
    order = order_of(stored["ct"])
    StudyRecord.objects.filter(order=order).update(thumbnail_name="")  # as if the worker had not made it
    study = StudyRecord.objects.get(order=order)
    with mock.patch.object(thumbnails, "render", wraps=thumbnails.render) as drawn:
        first = staff_client.get(_url(order.uuid))
        assert first.status_code == 200
        assert first["Content-Type"] == "image/jpeg"
        body = _body(first)
        picture = Image.open(io.BytesIO(body))
        assert max(picture.size) <= 160
        again = staff_client.get(_url(order.uuid))
        assert _body(again) == body
    assert drawn.call_count == 1
    study.refresh_from_db()
    assert study.thumbnail_name == f"thumbnails/{order.uuid}/{study.study_uid}.jpg"
    assert storages["dicom"].exists(study.thumbnail_name)
    assert "max-age" in first["Cache-Control"]
    assert "private" in first["Cache-Control"]
    unchanged = staff_client.get(_url(order.uuid), headers={"If-None-Match": first["ETag"]})
    assert unchanged.status_code == 304


def test_only_who_sees_the_order(stored, client, outsider_client, limited_client, admin_client):  # noqa: F811
    order = order_of(stored["ct"])
    assert client.get(_url(order.uuid)).status_code == 302  # to sign in
    assert outsider_client.get(_url(order.uuid)).status_code == 404
    assert limited_client.get(_url(order.uuid)).status_code == 404
    assert admin_client.get(_url(order.uuid)).status_code == 200
    assert admin_client.post(_url(order.uuid)).status_code == 405


def test_a_study_of_the_order_or_nothing(stored, staff_client):  # noqa: F811
    ct, mr = stored["ct"], stored["mr"]
    order = order_of(ct)
    assert staff_client.get(_url(order.uuid, ct.study))["Content-Type"] == "image/jpeg"
    assert staff_client.get(_url(order.uuid, mr.study)).status_code == 404  # another order's study
    assert staff_client.get(_url(order.uuid, "not-a-uid")).status_code == 404


def test_no_images_gives_the_placeholder(staff_client, staff_user, clinic):
    from tests.test_url_matrix import _order

    order = _order(staff_user, clinic)
    answer = staff_client.get(_url(order.id))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/svg+xml"
    assert get_api().study_thumbnail(actor=staff_user, order_id=order.id) is None


def test_a_study_that_cannot_be_drawn_is_tried_once(stored, staff_client, staff_user):  # noqa: F811
    order = order_of(stored["ct"])
    StudyRecord.objects.filter(order=order).update(thumbnail_name="")
    with mock.patch.object(thumbnails, "_draw", return_value=None) as drawn:
        assert staff_client.get(_url(order.uuid))["Content-Type"] == "image/svg+xml"
        assert staff_client.get(_url(order.uuid))["Content-Type"] == "image/svg+xml"
    assert drawn.call_count >= 1
    calls = drawn.call_count
    assert StudyRecord.objects.get(order=order).thumbnail_name == thumbnails.NONE
    # New images of the study (the worker's step) try again.
    thumbnails.make_for([StudyRecord.objects.get(order=order).pk])
    assert calls <= thumbnails.CANDIDATES


@pytest.mark.usefixtures("storage")
def test_the_ingest_worker_makes_them(staff_user, clinic, tmp_path, django_capture_on_commit_callbacks):
    image = make_image(tmp_path / "x.dcm", rows=64, columns=64)
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_user, clinic, [image], tmp_path)
    (study,) = StudyRecord.objects.all()
    assert study.thumbnail_name.endswith(".jpg")
    assert storages["dicom"].exists(study.thumbnail_name)


@pytest.mark.usefixtures("storage")
def test_a_failed_thumbnail_never_fails_the_batch(staff_user, clinic, tmp_path, django_capture_on_commit_callbacks):
    image = make_image(tmp_path / "x.dcm")
    with (
        mock.patch.object(thumbnails, "_save", side_effect=OSError("disk full")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        receipt = upload(staff_user, clinic, [image], tmp_path)
    report = get_api().upload_report(actor=staff_user, batch_id=receipt.batch_id)
    assert [f.outcome.value for f in report.files.items] == ["stored"]
    assert StudyRecord.objects.get().thumbnail_name == ""  # the first request tries again


def test_the_order_list_links_them_lazily_and_draws_nothing(stored, staff_client, staff_user, clinic):  # noqa: F811
    from tests.test_url_matrix import _order

    bare = _order(staff_user, clinic)
    with mock.patch.object(thumbnails, "ensure", side_effect=AssertionError("the list drew a thumbnail")):
        page = staff_client.get("/orders/")
    assert page.status_code == 200
    html = page.content.decode()
    for item in stored.values():
        order = order_of(item)
        assert f'src="/orders/{order.uuid}/thumbnail/" alt="" width="48" height="48" loading="lazy"' in html
    assert f'src="/orders/{bare.id}/thumbnail/"' not in html
    assert 'class="thumb thumb-none"' in html


def test_the_order_page_shows_one_per_study(stored, staff_client):  # noqa: F811
    ct = stored["ct"]
    page = staff_client.get(f"/orders/{order_of(ct).uuid}/")
    assert f"/thumbnail/?study={ct.study}".encode() in page.content


def test_purging_the_order_deletes_its_thumbnail(stored, staff_client, admin_user, django_capture_on_commit_callbacks):  # noqa: F811
    order = order_of(stored["ct"])
    staff_client.get(_url(order.uuid))
    name = StudyRecord.objects.get(order=order).thumbnail_name
    assert storages["dicom"].exists(name)
    api = get_api()
    api.delete_order(actor=admin_user, order_id=order.uuid)
    with django_capture_on_commit_callbacks(execute=True):
        api.purge_order(actor=admin_user, order_id=order.uuid)
    assert not storages["dicom"].exists(name)


def test_ingest_hook_is_wired():
    assert ingest.thumbnails is thumbnails
