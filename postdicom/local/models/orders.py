"""Patient orders: the order itself, its link group, flags and assignments.

PostgreSQL-only indexes that Django cannot declare portably (the pg_trgm trigram index on
``patient_name_search`` and the case-insensitive prefix indexes on the IDs) are created by
migration 0002 when it runs on PostgreSQL (``PG_INDEXES`` there).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from postdicom.local.models.accounts import Institution, UserGroup
from postdicom.local.models.directory import DicomNodeRecord, FlagGroupRecord, FlagRecord
from postdicom.local.orders.names import normalize_name
from postdicom.types import OrderStatus


class OrderGroup(models.Model):
    """Orders linked to open together (PostDICOM's "connected group"); one institution."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="order_groups")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.uuid)


_LIVE = models.Q(deleted_at__isnull=True)


class PatientOrder(models.Model):
    """A patient order: who, what was ordered, where, and where it stands.

    ``deleted_at`` set means the order is in the recycle bin; purging deletes the row.
    Indexes: see Meta, plus migration 0002's PostgreSQL-only trigram and prefix indexes.
    ``patient_name_search`` is ``patient_name`` normalized for searching (see
    ``postdicom.local.orders.names.normalize_name``); ``save()`` keeps it in step.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # indexed by order_institution_deleted_idx (institution first), not by a second index
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="orders", db_index=False)
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in OrderStatus], default=OrderStatus.SCHEDULED.value
    )

    # The patient
    patient_name = models.CharField(max_length=200)  # LAST^FIRST^MIDDLE
    patient_name_search = models.CharField(max_length=200, editable=False)
    patient_id = models.CharField(max_length=64)
    other_patient_id = models.CharField(max_length=64, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)  # M, F, O or ""

    # The order
    modality = models.CharField(max_length=16)
    accession_number = models.CharField(max_length=16, blank=True)
    study_description = models.CharField(max_length=64, blank=True)
    order_date = models.DateField()
    order_time = models.TimeField(null=True, blank=True)
    performed_at = models.DateTimeField(null=True, blank=True)
    complaints = models.TextField(blank=True)
    history = models.TextField(blank=True)
    symptom = models.TextField(blank=True)
    priority = models.CharField(max_length=16, blank=True)
    requesting_physician = models.CharField(max_length=64, blank=True)
    requesting_department = models.CharField(max_length=64, blank=True)
    referring_physician = models.CharField(max_length=64, blank=True)
    procedure_id = models.CharField(max_length=16, blank=True)
    procedure_description = models.CharField(max_length=64, blank=True)
    scheduled_equipment = models.ForeignKey(
        DicomNodeRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="scheduled_orders"
    )
    note1 = models.TextField(blank=True)
    note2 = models.TextField(blank=True)

    # Bookkeeping
    # True while the order carries a flag (kept by set_order_flag). A search hint only: the
    # "flagged" filters also check OrderFlag, so a stale True (a flag group deleted by an
    # administrator cascades without touching it) costs a little speed, never a wrong row.
    has_flags = models.BooleanField(default=False, editable=False)
    group = models.ForeignKey(OrderGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_orders"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                "institution",
                Upper("accession_number"),
                condition=~models.Q(accession_number=""),
                name="order_accession_unique_per_institution",
            ),
        ]
        # Searches only ever look at live orders (deleted_at IS NULL), so the indexes that
        # serve them are partial: smaller, and they need no filter on deleted_at.
        indexes = [
            models.Index(fields=["institution", "order_date"], condition=_LIVE, name="order_live_institution_idx"),
            models.Index(fields=["order_date"], condition=_LIVE, name="order_live_date_idx"),
            models.Index(
                fields=["order_date", "institution"],
                condition=_LIVE & models.Q(has_flags=True),
                name="order_live_flagged_idx",
            ),
            models.Index(fields=["birth_date"], name="order_birth_date_idx"),
            models.Index(fields=["patient_id"], name="order_patient_id_idx"),
            models.Index(fields=["other_patient_id"], name="order_other_patient_id_idx"),
            models.Index(fields=["accession_number"], name="order_accession_idx"),
            models.Index(  # the recycle bin and the purge task: few rows
                fields=["deleted_at"], condition=models.Q(deleted_at__isnull=False), name="order_recycled_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_name} · {self.accession_number or self.patient_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.patient_name_search = normalize_name(self.patient_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "patient_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "patient_name_search"}
        super().save(*args, **kwargs)


class OrderFlag(models.Model):
    """The flag an order carries in one flag group (at most one per group)."""

    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="order_flags")
    group = models.ForeignKey(FlagGroupRecord, on_delete=models.CASCADE, related_name="+")
    flag = models.ForeignKey(FlagRecord, on_delete=models.CASCADE, related_name="order_flags")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "group"], name="order_one_flag_per_group")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.flag_id}"


class OrderUserAssignment(models.Model):
    """An order assigned to a user (typically a limited user, who then sees it)."""

    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="user_assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "user"], name="order_user_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.order_id} → user {self.user_id}"


class OrderGroupAssignment(models.Model):
    """An order assigned to a user group: every member sees it."""

    order = models.ForeignKey(PatientOrder, on_delete=models.CASCADE, related_name="group_assignments")
    user_group = models.ForeignKey(UserGroup, on_delete=models.CASCADE, related_name="order_assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "user_group"], name="order_group_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → group {self.user_group_id}"
