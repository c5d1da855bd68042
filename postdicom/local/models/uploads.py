"""Uploads and what they leave behind: the image index and clinical documents.

* ``UploadBatch`` / ``UploadItem``: one upload from the browser (or another entry point)
  and each file in it, with its own state machine and outcome (see ``ItemState``).
* ``StudyRecord`` / ``SeriesRecord`` / ``InstanceRecord``: the index of stored DICOM
  instances. UIDs are unique across the whole portal: a SOP Instance UID is stored once,
  however often and however concurrently it is sent. A study belongs to one order.
* ``DocumentRecord``: a clinical file (PDF, JPEG, PNG, BMP, MP4) attached to an order.

Files live in the ``dicom`` storage (``settings.STORAGES``) under names derived from the
UIDs (``postdicom.local.uploads.storage``); rows only hold the name.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from postdicom.local.models.accounts import Institution
from postdicom.local.models.orders import PatientOrder


class BatchState(models.TextChoices):
    OPEN = "open"  # files are being sent
    QUEUED = "queued"  # every file arrived; the ingest is queued or running
    DONE = "done"  # every file has its outcome


class ItemState(models.TextChoices):
    """``receiving`` → ``received`` → one of the final states. Only ``received`` items are
    ingested; an ingest that dies half-way leaves the item ``received`` and is redone."""

    RECEIVING = "receiving"
    RECEIVED = "received"
    STORED = "stored"
    DUPLICATE = "duplicate"  # the same image was already in the order
    CONFLICT = "conflict"  # a different image with the same SOP Instance UID is in the order
    REJECTED = "rejected"
    SKIPPED = "skipped"  # a DICOMDIR: not an image, not an error
    EXPANDED = "expanded"  # a ZIP archive: its entries became items of their own

    @classmethod
    def final(cls) -> tuple[str, ...]:
        return (cls.STORED, cls.DUPLICATE, cls.CONFLICT, cls.REJECTED, cls.SKIPPED, cls.EXPANDED)


#: ``UploadBatch.source`` of a batch started through an outside share's upload page: its
#: uploader is a visitor acting as the share's owner, who sees none of the owner's orders, so
#: its files join only the orders the batch itself makes (``uploads.indexing``).
SHARE_SOURCE = "share"


class UploadBatch(models.Model):
    """One upload: where its files go, how they are anonymized, and how far it got."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="upload_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="upload_batches"
    )
    folder_uuid = models.UUIDField(null=True, blank=True)  # the folder chosen for the orders
    replacements = models.JSONField(default=dict, blank=True)  # PostDICOM tag list → value
    basic_profile = models.BooleanField(default=False)  # PS3.15 Annex E de-identification
    uid_secret = models.CharField(max_length=128, blank=True)  # UidMap secret (basic profile)
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.OPEN)
    source = models.CharField(max_length=20, default="browser")  # browser, form, api, share
    notes = models.JSONField(default=list, blank=True)  # batch-level problems (e.g. the folder)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)  # the last byte arrived
    finished_at = models.DateTimeField(null=True, blank=True)  # every file has its outcome

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="upload_batch_state_idx")]

    def __str__(self) -> str:
        return str(self.uuid)

    @property
    def anonymized(self) -> bool:
        return self.basic_profile or bool(self.replacements)


class UploadItem(models.Model):
    """One file of a batch (or one entry of a ZIP archive of the batch)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(max_length=1024)  # the relative path the user chose ("CT/IM001.dcm")
    size = models.BigIntegerField()
    last_modified = models.BigIntegerField(default=0)  # ms since the epoch, as the browser says
    received = models.BigIntegerField(default=0)  # bytes on disk so far
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.RECEIVING)
    code = models.CharField(max_length=20, blank=True)  # postdicom.dicom.problems.ProblemCode
    # The parameters of the code's sentence as JSON (postdicom.dicom.problems.stored_params), so
    # the report words the reason in the reader's language; rows from before: the sentence.
    reason = models.CharField(max_length=500, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    instance = models.ForeignKey(
        "InstanceRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload_items"
    )
    order = models.ForeignKey(PatientOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "name", "size", "last_modified"], name="upload_item_unique_file")
        ]
        indexes = [models.Index(fields=["batch", "state"], name="upload_item_state_idx")]

    def __str__(self) -> str:
        return self.name


class StudyRecord(models.Model):
    """A stored study, attached to exactly one order. The same Study Instance UID may be
    indexed under several orders (an upload never joins an order its uploader may not see,
    see ``postdicom.local.uploads.indexing``), once per order."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="studies")
    study_uid = models.CharField(max_length=64, db_index=True)
    patient_name = models.CharField(max_length=324, blank=True)  # as in the files, all = groups
    patient_id = models.CharField(max_length=64, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    study_date = models.DateField(null=True, blank=True)
    study_time = models.TimeField(null=True, blank=True)
    description = models.CharField(max_length=64, blank=True)
    accession_number = models.CharField(max_length=16, blank=True)
    # The study's small picture in storage, made once (postdicom.local.images.thumbnails);
    # "" not tried yet, "-" tried and nothing in it could be drawn.
    thumbnail_name = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study_date", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "study_uid"], name="study_unique_per_order")]
        # QIDO-RS matches IDs ignoring case (``UPPER(col) = UPPER(value)``). The newest-first
        # order and the patient name's trigram index are PostgreSQL-only: migration 0011.
        indexes = [
            models.Index(Upper("patient_id"), name="study_patient_id_upper_idx"),
            models.Index(Upper("accession_number"), name="study_accession_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.study_uid


class SeriesRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(StudyRecord, on_delete=models.CASCADE, related_name="series")
    series_uid = models.CharField(max_length=64, db_index=True)
    modality = models.CharField(max_length=16, blank=True)
    description = models.CharField(max_length=64, blank=True)
    number = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["number", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "series_uid"], name="series_unique_per_study")]
        # ModalitiesInStudy: "has this study a series of modality X" from the index alone.
        indexes = [models.Index(fields=["study", "modality"], name="series_study_modality_idx")]

    def __str__(self) -> str:
        return self.series_uid


class InstanceRecord(models.Model):
    """A stored DICOM instance. ``stored`` turns true once its file is in storage under
    ``file_name``; until then the row is a claim held by the upload item ingesting it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    series = models.ForeignKey(SeriesRecord, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=64, db_index=True)
    sop_class_uid = models.CharField(max_length=64, blank=True)
    transfer_syntax_uid = models.CharField(max_length=64, blank=True)
    number_of_frames = models.IntegerField(default=0)
    file_name = models.CharField(max_length=300)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    stored = models.BooleanField(default=False)
    claimed_by = models.UUIDField(null=True, blank=True, db_index=True)  # the UploadItem that stores it
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "sop_instance_uid"], name="instance_unique_per_series")
        ]
        indexes = [
            # Stored without a digest yet (a request leaves it to the worker): the few rows the
            # hourly sweep looks for (postdicom.local.uploads.digests.fill_left).
            models.Index(fields=["id"], condition=models.Q(stored=True, sha256=""), name="instance_unhashed_idx")
        ]

    def __str__(self) -> str:
        return self.sop_instance_uid


class InstanceHeaderRecord(models.Model):
    """An instance's header as DICOMweb serves it (``postdicom.dicom.described``), read from
    its file once: ``source`` is the SHA-256 of the file it was read from, so a row that no
    longer matches its instance's file is read again; it goes with its instance."""

    instance = models.OneToOneField(InstanceRecord, on_delete=models.CASCADE, primary_key=True, related_name="header")
    source = models.CharField(max_length=64)
    json = models.TextField()  # DICOM JSON, Pixel Data's BulkDataURI a placeholder (TOAST compresses it)
    transfer_syntax = models.CharField(max_length=64)
    pixels_at = models.BigIntegerField(null=True)  # where Pixel Data's value starts; None: no pixel data
    frames = models.IntegerField(default=1)
    frame_size = models.BigIntegerField(default=0)  # bytes of an uncompressed frame; 0: compressed

    def __str__(self) -> str:
        return f"header of instance {self.instance_id}"


class DocumentRecord(models.Model):
    """A clinical document attached to an order; its type comes from its content."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=255)  # the name the user gave it, for the download
    kind = models.CharField(max_length=10)  # pdf, jpeg, png, bmp, mp4
    content_type = models.CharField(max_length=40)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
