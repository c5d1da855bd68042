"""Which institution a new upload batch may go to (``receive.new_batch``): on PostgreSQL the
check and the batch's INSERT are one statement (``_insert_checked``), elsewhere two; the
answers must be the same either way, and every problem is reported at once."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postdicom.errors import InvalidInput
from postdicom.local.models import AuditRecord, UploadBatch
from postdicom.types import AuditAction

pytestmark = pytest.mark.django_db


def test_staff_start_an_upload_in_their_institution_in_one_statement_on_postgresql(api, staff_user, clinic):
    with CaptureQueriesContext(connection) as queries:
        info = api.start_upload(actor=staff_user, institution_id=clinic.uuid)
    batch = UploadBatch.objects.get(uuid=info.id)
    assert (batch.institution_id, batch.created_by_id, batch.source) == (clinic.pk, staff_user.pk, "browser")
    assert batch.created_at is not None
    batch_statements = [q["sql"] for q in queries.captured_queries if "postdicom_institution" in q["sql"]]
    # PostgreSQL: the institution is read inside the batch's INSERT; elsewhere, a look-up of its own
    assert len(batch_statements) == 1
    assert ("INSERT" in batch_statements[0]) == (connection.vendor == "postgresql")
    started = AuditRecord.objects.get(action=AuditAction.UPLOAD_STARTED, target_id=str(info.id))
    assert started.target_label == clinic.name  # the institution came back with the batch


def test_an_administrator_may_start_one_in_any_institution(api, admin_user, other_clinic):
    info = api.start_upload(actor=admin_user, institution_id=other_clinic.uuid)
    assert UploadBatch.objects.get(uuid=info.id).institution_id == other_clinic.pk


@pytest.mark.parametrize("persona", ["staff_user", "limited_user"])
def test_no_batch_in_another_institution_or_an_inactive_one(request, api, persona, clinic, other_clinic):
    actor = request.getfixturevalue(persona)
    with pytest.raises(InvalidInput) as error:
        api.start_upload(actor=actor, institution_id=other_clinic.uuid)
    assert error.value.field_errors == {"institution_id": ["Choose one of your institutions."]}
    clinic.is_active = False
    clinic.save(update_fields=["is_active"])
    with pytest.raises(InvalidInput) as error:
        api.start_upload(actor=actor, institution_id=clinic.uuid)
    assert error.value.field_errors == {"institution_id": ["This institution is inactive and takes no new images."]}
    assert not UploadBatch.objects.exists()


def test_a_refused_folder_and_institution_are_reported_together(api, staff_user, other_clinic, clinic):
    with pytest.raises(InvalidInput) as error:
        api.start_upload(actor=staff_user, institution_id=other_clinic.uuid, folder_id=uuid.uuid4())
    assert set(error.value.field_errors) == {"institution_id", "folder_id"}
    with pytest.raises(InvalidInput) as error:  # a good institution with a bad folder: no batch either
        api.start_upload(actor=staff_user, institution_id=clinic.uuid, folder_id=uuid.uuid4())
    assert set(error.value.field_errors) == {"folder_id"}
    assert not UploadBatch.objects.exists()
