"""Which order an uploaded file joins: never one its uploader may not already see, never one
of another institution (issue 9, items 1 and 2). Every role × {same institution, other
institution} × {Study Instance UID, accession number}, through the real upload and ingest.

The victim is order X of ``clinic`` (accession ACCA1, one image of study S), made by an
administrator and assigned to nobody. A file carrying S (or ACCA1) joins X only when it is
uploaded into ``clinic`` by someone who already sees X (its staff, an administrator);
otherwise it makes a new order of the uploader's chosen institution, X stays unchanged and
hidden, and the outcome reads exactly as for a file nobody has seen before.
"""

from __future__ import annotations

import pytest
from pydicom.uid import generate_uid

from postdicom import get_api
from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import InstanceRecord, PatientOrder, StudyRecord
from tests.conftest import make_user
from tests.orders.conftest import new_order
from tests.uploads.conftest import report, stored_files, upload, upload_dirs  # noqa: F401
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db

ROLES = ("limited", "staff", "administrator")


@pytest.fixture
def victim(admin_user, clinic, tmp_path):
    """Order X of ``clinic`` with one image of its study S."""
    order = new_order(admin_user, clinic, accession_number="ACCA1", patient_name="Victim^Vera", patient_id="V-1")
    study_uid = generate_uid()
    upload(admin_user, clinic, [make_image(tmp_path / "x" / "x.dcm", study_uid=study_uid, accession="ACCA1")], tmp_path)
    row = PatientOrder.objects.get(uuid=order.id)
    assert StudyRecord.objects.get(study_uid=study_uid).order_id == row.pk
    return row, study_uid


def _attacker(role, where, admin_user, clinic, other_clinic):
    if role == "administrator":
        return admin_user
    institution = clinic if where == "same" else other_clinic
    kind = t.Role.LIMITED if role == "limited" else t.Role.STAFF
    return make_user(f"{role}-{where}", kind, [institution])


def _images(order: PatientOrder) -> int:
    return InstanceRecord.objects.filter(series__study__order=order).count()


@pytest.mark.parametrize("by", ["study_uid", "accession"])
@pytest.mark.parametrize("where", ["same", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_a_file_joins_only_an_order_its_uploader_sees_in_the_chosen_institution(
    role, where, by, victim, admin_user, clinic, other_clinic, tmp_path
):
    order, study_uid = victim
    attacker = _attacker(role, where, admin_user, clinic, other_clinic)
    institution = clinic if where == "same" else other_clinic
    before = (_images(order), order.updated_at, order.patient_name, order.status)
    path = make_image(
        tmp_path / "in" / "attack.dcm",
        patient_name="Intruder^Ivan",
        patient_id="I-9",
        study_uid=study_uid if by == "study_uid" else None,
        accession="acca1" if by == "accession" else "",  # accession numbers match ignoring case
    )
    preview = get_api().read_dicom_files(
        actor=attacker, files=[t.UploadFile(name="attack.dcm", path=str(path), size=path.stat().st_size)],
        institution_id=institution.uuid,
    )[0]  # fmt: skip
    receipt = upload(attacker, institution, [path], tmp_path)
    result = report(attacker, receipt)
    (outcome,) = result.files.items
    assert (outcome.outcome, outcome.reason) == (t.UploadOutcome.STORED, "")

    joins = where == "same" and role != "limited"
    order.refresh_from_db()
    if joins:
        assert _images(order) == before[0] + 1
        assert outcome.order_id == order.uuid
        assert preview.order is not None
        assert preview.order.id == order.uuid
        return
    # X is unchanged: no new image, same details; the file made a new order of the attacker's
    assert (_images(order), order.updated_at, order.patient_name, order.status) == before
    assert preview.order is None
    (made,) = PatientOrder.objects.exclude(pk=order.pk)
    assert made.institution_id == institution.pk
    assert made.created_by_id == attacker.pk
    assert _images(made) == 1
    assert outcome.order_id == made.uuid
    assert [o.id for o in result.orders] == [made.uuid]
    if role == "limited" or (where == "other" and role == "staff"):
        # X stays invisible to whoever could not see it before
        with pytest.raises(NotFound):
            get_api().order_properties(actor=attacker, order_id=order.uuid)
        seen = {o.id for o in get_api().search_orders(actor=attacker, query=t.OrderQuery()).items}
        assert seen == {made.uuid}
    # Only a taken accession number in the uploader's own institution shows: the new order
    # goes without it, and the preview says so beforehand.
    taken = by == "accession" and where == "same"
    assert preview.accession_taken is taken
    assert made.accession_number == ("" if taken else "acca1" if by == "accession" else "")


def test_outcome_of_a_known_study_uid_reads_like_a_new_one(outsider, victim, other_clinic, tmp_path):
    """Nothing in the outcome tells another institution that the Study UID exists."""
    _order, study_uid = victim
    known = make_image(tmp_path / "in" / "known.dcm", study_uid=study_uid)
    fresh = make_image(tmp_path / "in" / "fresh.dcm")
    results = []
    for path in (known, fresh):
        (state,) = report(outsider, upload(outsider, other_clinic, [path], tmp_path)).files.items
        results.append((state.outcome, state.reason, state.warnings, state.order_id is not None))
    assert results[0] == results[1]


def test_an_instance_of_another_institution_is_stored_apart_never_over_its_file(
    outsider, victim, other_clinic, tmp_path
):
    """The same SOP Instance UID sent by another institution, with other content, is its
    own instance in its own order: the victim's stored file keeps its bytes."""
    order, study_uid = victim
    theirs = InstanceRecord.objects.get(series__study__order=order)
    original = (tmp_path / "media" / theirs.file_name).read_bytes()
    series_uid = theirs.series.series_uid
    forged = make_image(
        tmp_path / "in" / "forged.dcm", study_uid=study_uid, series_uid=series_uid, sop_uid=theirs.sop_instance_uid,
        patient_name="Forged^Fred", rows=8,
    )  # fmt: skip
    (state,) = report(outsider, upload(outsider, other_clinic, [forged], tmp_path)).files.items
    assert state.outcome is t.UploadOutcome.STORED
    assert (tmp_path / "media" / theirs.file_name).read_bytes() == original
    assert InstanceRecord.objects.filter(sop_instance_uid=theirs.sop_instance_uid).count() == 2
    assert len(stored_files(tmp_path)) == 2


def test_a_limited_user_no_longer_sees_an_order_they_sent_images_into(limited_user, staff_user, clinic, tmp_path):
    """Images a limited user sent before this rule (rows with ``uploaded_by``) grant nothing."""
    study_uid = generate_uid()
    upload(staff_user, clinic, [make_image(tmp_path / "in" / "a.dcm", study_uid=study_uid)], tmp_path)
    order = PatientOrder.objects.get()
    InstanceRecord.objects.update(uploaded_by=limited_user)
    with pytest.raises(NotFound):
        get_api().order_properties(actor=limited_user, order_id=order.uuid)


def test_a_limited_user_joins_an_order_assigned_to_them(limited_user, staff_user, clinic, tmp_path):
    study_uid = generate_uid()
    upload(staff_user, clinic, [make_image(tmp_path / "in" / "a.dcm", study_uid=study_uid)], tmp_path)
    order = PatientOrder.objects.get()
    get_api().assign_order(actor=staff_user, order_id=order.uuid, user_id=profile_of(limited_user).uuid)
    upload(limited_user, clinic, [make_image(tmp_path / "in" / "b.dcm", study_uid=study_uid)], tmp_path)
    assert PatientOrder.objects.count() == 1
    assert _images(order) == 2
