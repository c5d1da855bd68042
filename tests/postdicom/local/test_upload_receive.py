"""Receiving an upload in the service: batches, whole files added many times, finishing, who
sees what. (The browser's chunks are the portal's staging: tests/portal/staging.)"""

from __future__ import annotations

import os
import shutil
import uuid
from unittest import mock

import pytest

from postdicom import get_api
from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import AuditRecord, UploadItem
from tests.uploads.conftest import run, upload_dirs  # noqa: F401
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


def _start(actor, institution, **kwargs):
    return get_api().start_upload(actor=actor, institution_id=institution.uuid, **kwargs)


def _file(path, name=None):
    return t.UploadFile(name=name or path.name, path=str(path), size=path.stat().st_size)


def test_whole_files_added_twice_are_moved_queued_and_stored(staff_user, clinic, tmp_path):
    api = get_api()
    first = make_image(tmp_path / "in" / "a.dcm")
    second = make_image(tmp_path / "in2" / "a.dcm")  # the same name again, another image
    batch = _start(staff_user, clinic)
    queued: list[list[int]] = []
    with mock.patch("postdicom.local.uploads.queue.items_ingest", side_effect=queued.append):
        info = api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[_file(first, "CT/a.dcm")])
        assert (info.file_count, info.counts) == (1, {"received": 1})
        info = api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[_file(second, "CT/a.dcm")])
    assert info.file_count == 2
    assert not first.exists()  # moved away
    assert not second.exists()
    names = sorted(UploadItem.objects.values_list("name", flat=True))
    assert names == ["CT/a (2).dcm", "CT/a.dcm"]
    assert [len(pks) for pks in queued] == [1, 1]  # each call queued its own files' ingest
    assert api.finish_upload(actor=staff_user, batch_id=batch.id).state is t.UploadState.QUEUED
    run(t.UploadReceipt(batch_id=batch.id, file_count=2))
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert report.batch.counts == {"stored": 2}
    assert report.batch.state is t.UploadState.DONE


def test_files_on_another_disk_are_copied_and_the_originals_removed(staff_user, clinic, tmp_path):
    path = make_image(tmp_path / "in" / "a.dcm")
    data = path.read_bytes()
    batch = _start(staff_user, clinic)
    with mock.patch("postdicom.local.uploads.receive.os.replace", side_effect=OSError(18, "cross-device")):
        get_api().add_upload_files(actor=staff_user, batch_id=batch.id, files=[_file(path)])
    item = UploadItem.objects.get()
    assert not path.exists()
    from postdicom.local.uploads.receive import item_path

    assert item_path(item).read_bytes() == data


def test_a_finished_batch_and_missing_files_are_refused(staff_user, clinic, tmp_path):
    api = get_api()
    batch = _start(staff_user, clinic)
    with pytest.raises(InvalidInput) as caught:
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[])
    assert "files" in caught.value.field_errors
    with pytest.raises(InvalidInput):
        api.add_upload_files(
            actor=staff_user, batch_id=batch.id, files=[t.UploadFile("x.dcm", str(tmp_path / "nope"), 3)]
        )
    api.finish_upload(actor=staff_user, batch_id=batch.id)
    assert api.finish_upload(actor=staff_user, batch_id=batch.id).state is t.UploadState.QUEUED  # twice: no change
    late = make_image(tmp_path / "late.dcm")
    with pytest.raises(InvalidInput):
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[_file(late)])
    assert late.exists()  # not taken
    assert not UploadItem.objects.exists()


def test_bad_settings_are_refused_together(staff_user, clinic, other_clinic):
    with pytest.raises(InvalidInput) as caught:
        _start(
            staff_user,
            other_clinic,
            anonymize=t.Anonymization(replacements={"StudyDate": "yesterday", "Nonsense": "x"}),
            folder_id=uuid.uuid4(),
        )
    assert {"institution_id", "StudyDate", "Nonsense", "folder_id"} <= set(caught.value.field_errors)


def test_only_the_uploader_and_administrators_see_a_batch(
    staff_user, admin_user, limited_user, outsider, clinic, tmp_path
):
    api = get_api()
    batch = _start(staff_user, clinic)
    assert api.upload_report(actor=admin_user, batch_id=batch.id).batch.id == batch.id
    path = make_image(tmp_path / "a.dcm")
    for other in (limited_user, outsider):
        with pytest.raises(NotFound):
            api.upload_report(actor=other, batch_id=batch.id)
        with pytest.raises(NotFound):
            api.add_upload_files(actor=other, batch_id=batch.id, files=[_file(path)])
        with pytest.raises(NotFound):
            api.finish_upload(actor=other, batch_id=batch.id)
    assert path.exists()
    api.add_upload_files(actor=admin_user, batch_id=batch.id, files=[_file(path)])  # administrators may
    assert AuditRecord.objects.filter(action="upload.started", target_id=str(batch.id)).exists()


def test_limited_users_upload_into_their_institution(limited_user, clinic, tmp_path):
    batch = _start(limited_user, clinic)
    assert batch.institution.id == clinic.uuid


def test_a_zip_added_to_a_batch_is_expanded(staff_user, clinic, tmp_path):
    import zipfile

    images = [make_image(tmp_path / "z" / f"{n}.dcm") for n in range(2)]
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for image in images:
            z.write(image, image.name)
    shutil.rmtree(tmp_path / "z")
    api = get_api()
    batch = _start(staff_user, clinic)
    api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[_file(archive)])
    api.finish_upload(actor=staff_user, batch_id=batch.id)
    run(t.UploadReceipt(batch_id=batch.id, file_count=1))
    counts = api.upload_report(actor=staff_user, batch_id=batch.id).batch.counts
    assert counts == {"expanded": 1, "stored": 2}
    assert not os.path.exists(archive)
