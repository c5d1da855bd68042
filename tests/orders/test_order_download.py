"""Downloading orders as a ZIP: what is in it, the DICOMDIR, who may, the audit, the memory."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pydicom
import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from pydicom.fileset import FileSet

from orders.views.download import orders_archive_response
from portal.audit_labels import action_label
from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, InstanceRecord
from postdicom.types import ARCHIVE_ORDERS_MAX, AuditAction, UploadFile
from tests.orders.conftest import new_order
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import make_image, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)


def _study(tmp_path: Path, name: str, count: int, *, patient_name: str = "Doe^Jane", **fields) -> list[Path]:
    """``count`` images of one series of a new study; names in UTF-8 (ISO_IR 192)."""
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    paths = []
    for i in range(count):
        path = make_image(tmp_path / name / f"{i}.dcm", study_uid=study, series_uid=series, **fields)
        ds = pydicom.dcmread(path)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = patient_name
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _attach(actor, order, tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / f"doc-{name.replace('/', '_')}"
    path.write_bytes(data)
    get_api().upload_documents(
        actor=actor, order_id=order.id, files=[UploadFile(name=name, path=str(path), size=len(data))]
    )


def _order_of(actor, paths):
    """The order the upload of ``paths`` made or joined."""
    sop = pydicom.dcmread(paths[0]).SOPInstanceUID
    order = InstanceRecord.objects.select_related("series__study__order").get(sop_instance_uid=sop)
    return get_api().order_properties(actor=actor, order_id=order.series.study.order.uuid).summary


@pytest.fixture
def scanned(staff_user, clinic, tmp_path):
    """An order of the clinic with a 3-image CT study, a 2-image second series of another
    study, and two documents (one with a name Windows refuses)."""
    paths = _study(tmp_path, "ct", 3, patient_name="Παπαδόπουλος^Γιάννης=山田^太郎", accession="AN-7")
    paths += _study(tmp_path, "mr", 2, patient_name="Παπαδόπουλος^Γιάννης=山田^太郎", accession="AN-7", modality="MR")
    upload(staff_user, clinic, paths, tmp_path)
    order = _order_of(staff_user, paths)
    _attach(staff_user, order, tmp_path, "report.pdf", pdf_bytes())
    _attach(staff_user, order, tmp_path, 'CON:"scan"?.pdf', pdf_bytes())
    return order, paths


def _body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterator[bytes], response.streaming_content))


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(_body(response)))


def _check_dicomdir(bundle: zipfile.ZipFile, tmp_path: Path, expected_sops: set[str]) -> None:
    folder = tmp_path / "unzipped"
    bundle.extractall(folder)
    fileset = FileSet(pydicom.dcmread(folder / "DICOMDIR"))
    found = set()
    for instance in fileset:
        path = Path(instance.path)
        assert path.is_file()
        parts = path.relative_to(folder).parts
        assert parts[0] == "DICOM"
        assert len(parts) == 5
        assert all(len(p) <= 8 and p.isupper() and p.isalnum() for p in parts)
        loaded = instance.load()
        assert loaded.SOPInstanceUID == instance.SOPInstanceUID
        found.add(loaded.SOPInstanceUID)
    assert found == expected_sops


def test_an_order_downloads_with_a_valid_dicomdir_and_its_documents(staff_client, scanned, tmp_path):
    order, paths = scanned
    response = staff_client.get(reverse("orders:download", args=[order.id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert ".zip" in disposition
    bundle = _zip(response)
    assert bundle.testzip() is None  # every CRC checks
    names = bundle.namelist()
    assert names[0] == "DICOMDIR"  # first: a reader finds it without the central directory
    images = [n for n in names if n.startswith("DICOM/")]
    assert len(images) == 5
    assert sorted(n.split("/")[1] for n in images) == ["P0000001"] * 5  # one patient, two studies
    assert {n.rsplit("/", 2)[0] for n in images} == {"DICOM/P0000001/S0000001", "DICOM/P0000001/S0000002"}
    documents = [n for n in names if n.startswith("DOCUMENTS/")]
    assert documents == [
        "DOCUMENTS/Παπαδόπουλος, Γιάννης · AN-7/report.pdf",
        "DOCUMENTS/Παπαδόπουλος, Γιάννης · AN-7/CON_scan_.pdf",
    ]
    assert bundle.read(documents[0]) == pdf_bytes()
    # the bytes of each image are the file that was uploaded
    originals = {pydicom.dcmread(p).SOPInstanceUID: p.read_bytes() for p in paths}
    for name in images:
        data = bundle.read(name)
        assert data == originals[pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID]
    _check_dicomdir(bundle, tmp_path, set(originals))
    # the patient's non-Latin name survives in the DICOMDIR
    directory = pydicom.dcmread(io.BytesIO(bundle.read("DICOMDIR")))
    patient = directory.DirectoryRecordSequence[0]
    assert patient.DirectoryRecordType == "PATIENT"
    assert str(patient.PatientName) == "Παπαδόπουλος^Γιάννης=山田^太郎"


def test_unzip_accepts_the_archive(staff_client, scanned, tmp_path):
    import shutil
    import subprocess

    from tests.missing import missing

    unzip = shutil.which("unzip")
    if unzip is None:
        missing("unzip (apt-get install unzip) checks the archive with another reader")
        return
    order, _paths = scanned
    archive = tmp_path / "order.zip"
    archive.write_bytes(_body(staff_client.get(reverse("orders:download", args=[order.id]))))
    result = subprocess.run([unzip, "-t", str(archive)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_a_selection_downloads_from_the_list(staff_client, staff_user, clinic, scanned, tmp_path):
    order, paths = scanned
    more = _study(tmp_path, "other", 2, patient_name="Doe^John", patient_id="D-1", accession="AN-8")
    upload(staff_user, clinic, more, tmp_path)
    second = _order_of(staff_user, more)
    plain = new_order(staff_user, clinic, accession_number="AN-9")  # no images, no documents
    response = staff_client.post(
        reverse("orders:bulk_download"), {"order_ids": [order.id, second.id, plain.id], "next": "/orders/"}
    )
    assert response.status_code == 200
    assert "rayport-3-orders-" in response["Content-Disposition"]
    bundle = _zip(response)
    sops = {pydicom.dcmread(p).SOPInstanceUID for p in paths + more}
    _check_dicomdir(bundle, tmp_path, sops)
    patients = {n.split("/")[1] for n in bundle.namelist() if n.startswith("DICOM/")}
    assert patients == {"P0000001", "P0000002"}


def test_nothing_ticked_goes_back_with_a_message(staff_client):
    response = staff_client.post(reverse("orders:bulk_download"), {"next": "/orders/?name=x"}, follow=True)
    assert response.redirect_chain[-1][0] == "/orders/?name=x"
    assert "Tick at least one order first." in response.content.decode()


def test_who_may_download(
    client, staff_client, limited_client, outsider_client, admin_client, scanned, staff_user, limited_user
):
    order, _paths = scanned
    url = reverse("orders:download", args=[order.id])
    assert client.get(url).status_code == 302  # to sign in
    assert outsider_client.get(url).status_code == 404
    assert limited_client.get(url).status_code == 404  # nothing assigned
    assert outsider_client.post(reverse("orders:bulk_download"), {"order_ids": [order.id]}).status_code == 404
    for allowed in (staff_client, admin_client):
        response = allowed.get(url)
        assert response.status_code == 200
        b"".join(response.streaming_content)
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    response = limited_client.get(url)
    assert response.status_code == 200
    assert len([n for n in _zip(response).namelist() if n.startswith("DICOM/")]) == 5


def test_one_hidden_order_refuses_the_whole_selection_and_records_nothing(staff_user, scanned, outsider, other_clinic):
    order, _paths = scanned
    hidden = new_order(outsider, other_clinic, accession_number="X-1")
    before = AuditRecord.objects.filter(action=AuditAction.ORDER_DOWNLOADED).count()
    with pytest.raises(NotFound):
        orders_archive_response(staff_user, [order.id, hidden.id])
    assert AuditRecord.objects.filter(action=AuditAction.ORDER_DOWNLOADED).count() == before
    with pytest.raises(InvalidInput):
        get_api().open_orders_archive(actor=staff_user, order_ids=[])


def test_an_order_with_nothing_to_download_says_so_instead_of_an_empty_zip(staff_client, staff_user, clinic, scanned):
    """No image, no document: the order page offers no download and says why; the address
    sends the user back there with the reason; a selection of such orders is refused alike."""
    empty = new_order(staff_user, clinic, accession_number="E-1")
    also_empty = new_order(staff_user, clinic, accession_number="E-2")
    page = staff_client.get(reverse("orders:detail", args=[empty.id])).content.decode()
    assert reverse("orders:download", args=[empty.id]) not in page
    assert "Nothing to download yet: this order has no images or documents." in page
    response = staff_client.get(reverse("orders:download", args=[empty.id]), follow=True)
    assert response.redirect_chain == [(reverse("orders:detail", args=[empty.id]), 302)]
    assert "There is nothing to download: this order has no images or documents yet." in response.content.decode()
    listing = staff_client.post(
        reverse("orders:bulk_download"), {"order_ids": [empty.id, also_empty.id], "next": "/orders/"}, follow=True
    )
    assert "none of these orders has images or documents yet" in listing.content.decode()
    assert not AuditRecord.objects.filter(action=AuditAction.ORDER_DOWNLOADED).exists()
    # With one order that has something, the selection downloads (the empty one adds nothing).
    order, _paths = scanned
    both = staff_client.post(reverse("orders:bulk_download"), {"order_ids": [empty.id, order.id]})
    assert len([n for n in _zip(both).namelist() if n.startswith("DICOM/")]) == 5


def _uuids(n):
    import uuid

    return [uuid.uuid4() for _ in range(n)]


def test_the_download_is_audited_per_order(staff_client, staff_user, scanned):
    order, _paths = scanned
    _body(staff_client.get(reverse("orders:download", args=[order.id])))
    event = AuditRecord.objects.get(action=AuditAction.ORDER_DOWNLOADED)
    assert event.target_id == str(order.id)
    assert event.actor == staff_user
    assert event.detail == {"images": 5, "documents": 2, "orders": 1}
    detail = get_api().order_properties(actor=staff_user, order_id=order.id)
    assert any(viewer.name for viewer in detail.viewers)  # a read: "who viewed this order"
    assert action_label(AuditAction.ORDER_DOWNLOADED) == "Order downloaded (images and documents)"


def test_the_buttons_are_on_the_order_page_and_the_list(
    staff_client, limited_client, staff_user, limited_user, scanned
):
    order, _paths = scanned
    page = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert reverse("orders:download", args=[order.id]) in page
    listing = staff_client.get(reverse("orders:list")).content.decode()
    assert reverse("orders:bulk_download") in listing
    # limited users manage nothing, but may download what they see: their list has ticks too
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    mine = limited_client.get(reverse("orders:list")).content.decode()
    assert reverse("orders:bulk_download") in mine
    assert 'name="order_ids"' in mine
    assert (
        reverse("orders:download", args=[order.id])
        in limited_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    )


def test_streaming_reads_files_in_pieces_with_flat_memory(staff_user, clinic, tmp_path):
    """A study of 24 images of 2 MiB each (48 MiB): the whole archive goes through while
    Python's traced memory never holds more than a few pieces."""
    paths = _study(tmp_path, "big", 24, rows=1024, columns=1024)
    upload(staff_user, clinic, paths, tmp_path)
    order = _order_of(staff_user, paths)
    response = orders_archive_response(staff_user, [order.id])
    assert response.streaming
    tracemalloc.start()
    try:
        total = 0
        largest = 0
        for piece in cast(Iterator[bytes], response.streaming_content):
            total += len(piece)
            largest = max(largest, len(piece))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 48 << 20
    assert largest <= 1 << 20
    assert peak < 6 << 20, f"peak {peak / 2**20:.1f} MiB while streaming {total / 2**20:.0f} MiB"


def test_at_most_a_page_of_orders(staff_user):
    assert ARCHIVE_ORDERS_MAX == 200
    with pytest.raises(InvalidInput) as refused:
        get_api().open_orders_archive(actor=staff_user, order_ids=_uuids(201))
    assert "at most 200" in refused.value.message


def test_a_file_gone_from_storage_is_named_in_the_archive(staff_client, staff_user, scanned, settings):
    order, paths = scanned
    gone = InstanceRecord.objects.filter(sop_instance_uid=pydicom.dcmread(paths[0]).SOPInstanceUID).get()
    Path(settings.STORAGES["dicom"]["OPTIONS"]["location"], gone.file_name).unlink()
    bundle = _zip(staff_client.get(reverse("orders:download", args=[order.id])))
    assert bundle.testzip() is None
    assert len([n for n in bundle.namelist() if n.startswith("DICOM/")]) == 4
    note = bundle.read("MISSING FILES.txt").decode()
    assert re.search(r"\r\nDICOM/P0000001/S000000\d/SE000001/I000000\d: The file is missing from storage\.\r\n$", note)
    assert gone.file_name not in note  # the storage's own names stay inside
