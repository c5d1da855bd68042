"""The entries of a ZIP archive are filed and ingested in groups, like uploaded files
(issue 9: 100,000 tiny entries took 29 minutes at one task per entry)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from postdicom.local.models import UploadBatch, UploadItem
from postdicom.local.uploads import archives
from postdicom.local.uploads.ingest import ingest_items
from tests.uploads.conftest import outcomes, run, upload
from tests.uploads.files import make_image, make_zip

pytestmark = pytest.mark.django_db

ENTRIES = 300


@pytest.fixture
def archive(tmp_path):
    members = {
        f"CT/IM{i:04d}.dcm": make_image(tmp_path / "src" / f"{i}.dcm", sop_uid=f"1.2.3.4.{i + 1}").read_bytes()
        for i in range(ENTRIES)
    }
    members["CT/IM0000 copy.dcm"] = members["CT/IM0000.dcm"]  # the same instance twice
    members["notes.txt"] = b"not an image"
    return make_zip(tmp_path / "in" / "study.zip", members)


def test_entries_are_filed_with_a_few_statements_and_queued_in_groups(
    staff_user, clinic, tmp_path, archive, monkeypatch
):
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: sent.append((task, args)))
    receipt = upload(staff_user, clinic, [archive], tmp_path, ingest=False)
    zip_item = UploadItem.objects.get(batch__uuid=receipt.batch_id, parent=None)
    sent.clear()
    with CaptureQueriesContext(connection) as queries, TestCase.captureOnCommitCallbacks(execute=True):
        ingest_items([zip_item.pk])
    zip_item.refresh_from_db()
    assert zip_item.state == "expanded"
    assert UploadItem.objects.filter(parent=zip_item).count() == ENTRIES + 2
    # One task per group of entries, never one per entry; every readable entry in one of them.
    groups = [args[0] for task, args in sent if task == "postdicom.local.tasks.ingest_upload_items"]
    assert len(groups) == -(-(ENTRIES + 1) // archives.GROUP)
    assert all(len(group) <= archives.GROUP for group in groups)
    assert sorted(pk for group in groups for pk in group) == sorted(
        UploadItem.objects.filter(parent=zip_item, state="received").values_list("pk", flat=True)
    )
    # A handful of statements per group of 64 entries (it was four or more per entry).
    assert len(queries) < 10 * len(groups) + 20, len(queries)


def test_a_grouped_archive_ends_like_one_expanded_entry_by_entry(staff_user, clinic, tmp_path, archive):
    receipt = upload(staff_user, clinic, [archive], tmp_path)
    result = outcomes(staff_user, receipt)
    assert result["study.zip"][0] == "expanded"
    states = [state for name, (state, _reason) in result.items() if name != "study.zip"]
    assert states.count("stored") == ENTRIES
    assert states.count("duplicate") == 1
    assert result["study.zip/notes.txt"][0] == "rejected"
    assert UploadBatch.objects.get(uuid=receipt.batch_id).state == "done"


def test_expanding_again_after_a_crash_keeps_what_was_made(staff_user, clinic, tmp_path, archive):
    receipt = upload(staff_user, clinic, [archive], tmp_path, ingest=False)
    zip_item = UploadItem.objects.select_related("batch").get(batch__uuid=receipt.batch_id, parent=None)
    received = tmp_path / "uploads" / str(zip_item.batch.uuid) / str(zip_item.uuid)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert archives.expand(zip_item, received) is None  # the worker dies before the outcome
    made = dict(UploadItem.objects.filter(parent=zip_item).values_list("name", "pk"))
    run(receipt)  # the item is done again
    assert dict(UploadItem.objects.filter(parent=zip_item).values_list("name", "pk")) == made
    assert UploadItem.objects.filter(parent=zip_item, state="stored").count() == ENTRIES
