"""The upload methods of the contract, on every backend: ``upload_dicom``, the batch methods
and ``read_dicom_files``. On the cloud backend the files travel by STOW-RS to the live
Rayport, which stores them in the request (``RAYPORT_STOW_IN_REQUEST``)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any
from uuid import UUID

import pydicom
import pytest
from django.contrib.auth.models import User
from django.test import TestCase

from portal.staging import receive as staging
from portal.staging.types import UploadFileInfo
from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.models import Institution, UploadBatch
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.local.uploads.ingest import run_batch
from postdicom.types import Anonymization, Capability, OrderQuery, UploadFile, UploadOutcome, UploadState
from tests.missing import offered
from tests.uploads.conftest import upload
from tests.uploads.files import make_image, make_zip

NAME = "山田^太郎"  # a non-Latin patient name (UTF-8, ISO_IR 192)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: Any) -> list[tuple[str, tuple[object, ...]]]:
    """Nothing goes to a broker: the tests send (cloud) or ingest (local) themselves."""
    forget_cached_series()
    sent: list[tuple[str, tuple[object, ...]]] = []
    record = lambda task, *args: sent.append((task, args))  # noqa: E731
    monkeypatch.setattr("postdicom.local.uploads.queue._send", record)
    monkeypatch.setattr("postdicom.cloud.queue._send", record)
    return sent


def japanese_image(path: Path, **changes: Any) -> Path:
    make_image(path, **changes)
    ds = pydicom.dcmread(path)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = NAME
    ds.save_as(path, enforce_file_format=True)
    return path


def handed(folder: Path, *paths: Path) -> list[UploadFile]:
    """Copies of ``paths`` to hand to the service (which moves them away)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, path in enumerate(paths):
        copy = folder / f"{index:03d}-{path.name}"
        shutil.copyfile(path, copy)
        files.append(UploadFile(name=path.name, path=str(copy), size=copy.stat().st_size))
    return files


def complete(api: PostDicomApi, batch_id: UUID) -> None:
    """What the workers do: the cloud backend sends the batch, the local one ingests it."""
    if isinstance(api, CloudBackend):
        assert api.send_batch(batch_id)
    else:
        with TestCase.captureOnCommitCallbacks(execute=True):
            run_batch(UploadBatch.objects.get(uuid=batch_id).pk)


def test_upload_dicom_anonymized_into_a_folder(
    api: PostDicomApi, data_dir: Path, staff_user: User, outsider: User, clinic: Institution, tmp_path: Path
) -> None:
    offered(api, Capability.UPLOAD_DICOM)
    folder = get_api().create_folder(actor=staff_user, name="Cardiology")
    image = japanese_image(tmp_path / "src" / "ct.dcm", patient_id="REAL-ID", accession="")
    receipt = api.upload_dicom(
        actor=staff_user,
        institution_id=clinic.uuid,
        files=handed(tmp_path / "in", image),
        folder_id=folder.id,
        anonymize=Anonymization(replacements={"PatientID": "ANON-7"}),
        store_now=True,
    )
    (state,) = receipt.files
    assert state.outcome is UploadOutcome.STORED, state.reason
    (order,) = api.search_orders(actor=staff_user, query=OrderQuery(patient_id="ANON-7")).items
    assert order.patient_name == NAME
    assert api.search_orders(actor=staff_user, query=OrderQuery(patient_id="REAL-ID")).total == 0
    assert order.id in {
        o.id for o in get_api().list_folders(actor=staff_user, parent_id=folder.id, with_orders=True).orders
    }
    report = api.upload_report(actor=staff_user, batch_id=receipt.batch_id)
    assert report.batch.state is UploadState.DONE
    assert report.batch.anonymized
    assert [o.id for o in report.orders] == [order.id]
    assert [f.order_id for f in report.files.items] == [order.id]
    with pytest.raises(NotFound):
        api.upload_report(actor=outsider, batch_id=receipt.batch_id)


def test_each_file_has_its_own_outcome(
    api: PostDicomApi, data_dir: Path, staff_user: User, clinic: Institution, tmp_path: Path
) -> None:
    offered(api, Capability.UPLOAD_DICOM)
    good = make_image(tmp_path / "src" / "good.dcm")
    text = tmp_path / "src" / "notes.txt"
    text.write_text("not an image")
    first = api.upload_dicom(
        actor=staff_user, institution_id=clinic.uuid, files=handed(tmp_path / "a", good, text), store_now=True
    )
    outcomes = {f.name: f for f in first.files}
    assert outcomes["good.dcm"].outcome is UploadOutcome.STORED
    assert outcomes["notes.txt"].outcome is UploadOutcome.REJECTED
    assert outcomes["notes.txt"].reason
    problems = api.upload_report(actor=staff_user, batch_id=first.batch_id).problems
    assert [p.name for p in problems] == ["notes.txt"]
    again = api.upload_dicom(
        actor=staff_user, institution_id=clinic.uuid, files=handed(tmp_path / "b", good), store_now=True
    )
    # Sent again: the cloud's STOW answers "already stored" (warning 0111), a DUPLICATE on both.
    assert again.files[0].outcome is UploadOutcome.DUPLICATE
    assert again.files[0].reason == ""
    with pytest.raises(InvalidInput):
        api.upload_dicom(actor=staff_user, institution_id=clinic.uuid, files=[])


def test_a_batch_takes_files_many_times_and_is_done_when_each_has_its_outcome(
    api: PostDicomApi,
    data_dir: Path,
    staff_user: User,
    outsider: User,
    admin_user: User,
    clinic: Institution,
    tmp_path: Path,
) -> None:
    offered(api, Capability.ADD_UPLOAD_FILES)
    study = "1.2.826.0.1.3680043.8.498.4242"
    one = make_image(tmp_path / "src" / "one.dcm", study_uid=study)
    two = make_image(tmp_path / "src" / "two.dcm", study_uid=study)
    batch = api.start_upload(actor=staff_user, institution_id=clinic.uuid)
    api.add_upload_files(actor=staff_user, batch_id=batch.id, files=handed(tmp_path / "a", one))
    (second,) = handed(tmp_path / "b", two)
    same_name = UploadFile(name="one.dcm", path=second.path, size=second.size)
    info = api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[same_name])
    assert info.file_count == 2
    assert info.state is UploadState.OPEN
    with pytest.raises(NotFound):
        api.add_upload_files(actor=outsider, batch_id=batch.id, files=handed(tmp_path / "c", one))
    with pytest.raises(InvalidInput):
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=[UploadFile("gone", str(tmp_path / "x"), 1)])
    api.finish_upload(actor=staff_user, batch_id=batch.id)
    complete(api, batch.id)
    progress = api.upload_progress(actor=staff_user, batch_id=batch.id)
    assert progress.state is UploadState.DONE
    assert progress.counts == {"stored": 2}
    with pytest.raises(InvalidInput):
        api.add_upload_files(actor=staff_user, batch_id=batch.id, files=handed(tmp_path / "d", one))
    admin_user.is_superuser = True  # the cloud backend's administrators are the portal's superusers
    admin_user.save()
    assert api.upload_progress(actor=admin_user, batch_id=batch.id).done_count == 2
    for stranger in (outsider,):
        with pytest.raises(NotFound):
            api.upload_progress(actor=stranger, batch_id=batch.id)
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert [f.name for f in report.files.items] == ["one.dcm", "one (2).dcm"]
    (order,) = report.orders
    (found,) = api.search_orders(actor=staff_user, query=OrderQuery(patient_id="PID-1")).items
    assert found.id == order.id
    assert found.image_count == 2


def test_read_dicom_files_names_the_order_a_file_would_join(
    api: PostDicomApi, data_dir: Path, staff_user: User, outsider: User, clinic: Institution, tmp_path: Path
) -> None:
    offered(api, Capability.READ_DICOM_FILES)
    study = "1.2.826.0.1.3680043.8.498.777"
    first = make_image(tmp_path / "src" / "first.dcm", study_uid=study, accession="ACC-9")
    upload(staff_user, clinic, [first], tmp_path)  # stored through the local backend, which the server reads
    later = make_image(tmp_path / "src" / "later.dcm", study_uid=study)
    by_accession = make_image(tmp_path / "src" / "acc.dcm", accession="acc-9")
    junk = tmp_path / "src" / "junk.bin"
    junk.write_bytes(b"\x00" * 300)
    fresh = make_image(tmp_path / "src" / "fresh.dcm", accession="ACC-10")
    files = handed(tmp_path / "read", later, by_accession, junk, fresh)
    read = api.read_dicom_files(actor=staff_user, files=files, institution_id=clinic.uuid)
    assert [r.readable for r in read] == [True, True, False, True]
    assert read[2].reason
    assert read[0].study_uid == study
    assert read[0].order is not None
    assert read[1].order is not None
    assert read[1].order.id == read[0].order.id
    assert read[3].order is None
    # A file joining an order keeps its number; whether a new order's number is free the
    # cloud cannot tell (None: the upload page then says nothing), the local backend can.
    assert read[0].accession_taken is False
    assert read[3].accession_taken is (None if isinstance(api, CloudBackend) else False)
    assert all(r.order is None for r in api.read_dicom_files(actor=staff_user, files=files))
    assert all(r.order is None for r in api.read_dicom_files(actor=outsider, files=files, institution_id=clinic.uuid))


def test_a_zip_archive_is_expanded_into_files_of_their_own(
    api: PostDicomApi, data_dir: Path, staff_user: User, clinic: Institution, tmp_path: Path
) -> None:
    offered(api, Capability.UPLOAD_DICOM)
    study = "1.2.826.0.1.3680043.8.498.5151"
    members = {
        "cd/IM1": make_image(tmp_path / "src" / "a.dcm", study_uid=study).read_bytes(),
        "cd/IM2": make_image(tmp_path / "src" / "b.dcm", study_uid=study).read_bytes(),
        "cd/readme.txt": b"burned on a CD",
    }
    archive = make_zip(tmp_path / "src" / "cd.zip", members)
    receipt = api.upload_dicom(
        actor=staff_user, institution_id=clinic.uuid, files=handed(tmp_path / "in", archive), store_now=True
    )
    report = api.upload_report(actor=staff_user, batch_id=receipt.batch_id)
    outcomes = {f.name: f.outcome for f in report.files.items}
    assert outcomes == {
        "cd.zip": UploadOutcome.EXPANDED,
        "cd.zip/cd/IM1": UploadOutcome.STORED,
        "cd.zip/cd/IM2": UploadOutcome.STORED,
        "cd.zip/cd/readme.txt": UploadOutcome.REJECTED,
    }
    assert report.batch.work_count == 3
    assert len(report.orders) == 1


def test_the_browsers_staging_hands_whole_files_to_the_backend(
    api: PostDicomApi, data_dir: Path, staff_user: User, clinic: Institution, tmp_path: Path, settings: Any
) -> None:
    """The resumable protocol (``portal.staging``) in front of each backend: chunks in, whole
    files handed to ``add_upload_files``, the batch stored."""
    offered(api, Capability.ADD_UPLOAD_FILES)
    if isinstance(api, CloudBackend):
        options = {"base_url": api.options.base_url, "api_key": api.options.api_key, "retries": 0}
        settings.POSTDICOM = {"BACKEND": "postdicom.cloud.CloudBackend", "OPTIONS": options}
    assert type(get_api()) is type(api)
    study = "1.2.826.0.1.3680043.8.498.6161"
    contents = [make_image(tmp_path / "src" / f"IM{n}", study_uid=study).read_bytes() for n in range(2)]
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    infos = [UploadFileInfo(f"CD/IM{n}", len(content)) for n, content in enumerate(contents)]
    first, second = staging.register(staff_user, batch.id, infos)
    half = len(contents[0]) // 2
    staging.write_chunk(staff_user, batch.id, first.id, 0, io.BytesIO(contents[0][:half]), half)
    rest = len(contents[0]) - half
    staging.write_chunk(staff_user, batch.id, first.id, half, io.BytesIO(contents[0][half:]), rest)
    staging.write_chunk(staff_user, batch.id, second.id, 0, io.BytesIO(contents[1]), len(contents[1]))
    staging.finish(staff_user, batch.id)
    complete(api, batch.id)
    report = api.upload_report(actor=staff_user, batch_id=batch.id)
    assert report.batch.state is UploadState.DONE
    assert {f.name: f.outcome for f in report.files.items} == {
        "CD/IM0": UploadOutcome.STORED,
        "CD/IM1": UploadOutcome.STORED,
    }
