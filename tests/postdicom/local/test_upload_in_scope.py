"""An upload started inside ``only_orders`` (an outside share's upload page, which acts as
the share's owner) joins no order the owner has, only those the batch makes itself
(docs/decisions.md, "Uploads through an outside share").

The owner is staff of ``clinic`` and sees order X (study S, accession ACCA1). The same files
uploaded by the owner themselves join X; sent through the share they make new orders, one per
study however many series and groups it has, and X is untouched.
"""

from __future__ import annotations

import pytest
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom import types as t
from postdicom.context import only_orders
from postdicom.local.models import InstanceRecord, PatientOrder, StudyRecord, UploadBatch
from postdicom.local.models.uploads import SHARE_SOURCE
from tests.orders.conftest import new_order
from tests.uploads.conftest import run, upload, upload_dirs  # noqa: F401
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(admin_user, clinic, tmp_path):
    order = new_order(admin_user, clinic, accession_number="ACCA1", patient_name="Victim^Vera", patient_id="V-1")
    study_uid = generate_uid()
    upload(admin_user, clinic, [make_image(tmp_path / "x" / "x.dcm", study_uid=study_uid, accession="ACCA1")], tmp_path)
    return PatientOrder.objects.get(uuid=order.id), study_uid


def _send(actor, institution, paths):
    """The staging's way: start, whole files added (one call each), finish; then ingest."""
    api = get_api()
    batch = api.start_upload(actor=actor, institution_id=institution.uuid)
    for path in paths:
        api.add_upload_files(
            actor=actor, batch_id=batch.id, files=[t.UploadFile(path.name, str(path), path.stat().st_size)]
        )
    api.finish_upload(actor=actor, batch_id=batch.id)
    run(t.UploadReceipt(batch_id=batch.id, file_count=len(paths)))
    return batch


def _images(order):
    return InstanceRecord.objects.filter(series__study__order=order).count()


def _files(tmp_path, study_uid):
    folder = tmp_path / "in"
    return [
        make_image(folder / "a1.dcm", study_uid=study_uid, series_uid=generate_uid(), patient_name="Sent^Sara"),
        make_image(folder / "a2.dcm", study_uid=study_uid, series_uid=generate_uid(), patient_name="Sent^Sara"),
        make_image(folder / "b1.dcm", accession="acca1", patient_name="Sent^Sara"),
    ]


def test_the_owner_uploading_themselves_joins_what_they_see(victim, staff_user, clinic, tmp_path):
    order, study_uid = victim
    batch = _send(staff_user, clinic, _files(tmp_path, study_uid))
    assert UploadBatch.objects.get(uuid=batch.id).source == "browser"
    assert _images(order) == 1 + 3  # the study's two series and the accession's file joined X


def test_an_upload_through_a_share_joins_none_of_the_owners_orders(victim, staff_user, clinic, tmp_path):
    order, study_uid = victim
    before = (_images(order), order.updated_at, order.status)
    with only_orders(()):
        batch = _send(staff_user, clinic, _files(tmp_path, study_uid))
    row = UploadBatch.objects.get(uuid=batch.id)
    assert row.source == SHARE_SOURCE
    order.refresh_from_db()
    assert (_images(order), order.updated_at, order.status) == before
    made = PatientOrder.objects.exclude(pk=order.pk)
    # One order per study: the two series of S together (not one order per series), and the
    # file with X's accession number in an order of its own, without that number.
    assert sorted(_images(o) for o in made) == [1, 2]
    assert {o.created_by_id for o in made} == {staff_user.pk}
    assert {o.institution_id for o in made} == {clinic.pk}
    assert {o.accession_number for o in made} == {""}
    (made_s,) = (o for o in made if StudyRecord.objects.filter(order=o, study_uid=study_uid).exists())
    assert StudyRecord.objects.filter(study_uid=study_uid).count() == 2  # X's and the new one
    assert made_s.patient_name == "Sent^Sara"
    report = get_api().upload_report(actor=staff_user, batch_id=batch.id, page_size=10)
    assert {f.outcome for f in report.files.items} == {t.UploadOutcome.STORED}


def test_a_second_share_batch_does_not_join_the_first_ones_order(victim, staff_user, clinic, tmp_path):
    """Each batch joins only its own orders: one visitor's upload never reaches another's."""
    _order, _study = victim
    shared_study = generate_uid()
    with only_orders(()):
        _send(staff_user, clinic, [make_image(tmp_path / "one" / "1.dcm", study_uid=shared_study)])
        _send(staff_user, clinic, [make_image(tmp_path / "two" / "2.dcm", study_uid=shared_study)])
    assert StudyRecord.objects.filter(study_uid=shared_study).values("order").distinct().count() == 2


def test_the_preview_inside_the_scope_names_no_order(victim, staff_user, clinic, tmp_path):
    _order, study_uid = victim
    path = make_image(tmp_path / "p" / "p.dcm", study_uid=study_uid, accession="ACCA1")
    files = [t.UploadFile(name="p.dcm", path=str(path), size=path.stat().st_size)]
    seen = get_api().read_dicom_files(actor=staff_user, files=files, institution_id=clinic.uuid)[0]
    assert seen.order is not None  # the owner would join X…
    with only_orders(()):
        (inside,) = get_api().read_dicom_files(actor=staff_user, files=files, institution_id=clinic.uuid)
    assert inside.order is None  # …a visitor is told nothing of it
