"""The account's dictionaries: DICOM nodes and flags."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower

from postdicom.local.models.accounts import Institution


class DicomNodeRecord(models.Model):
    """A DICOM device of an institution (modality, PACS, workstation)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="dicom_nodes")
    name = models.CharField(max_length=120)
    ae_title = models.CharField(max_length=16)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField()
    description = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "ae_title"], name="dicom_node_ae_unique_per_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ae_title}@{self.host}:{self.port})"


class FlagGroupRecord(models.Model):
    """A set of mutually exclusive flags (an order has at most one flag per group)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="flag_group_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class FlagRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(FlagGroupRecord, on_delete=models.CASCADE, related_name="flags")
    name = models.CharField(max_length=80)
    color = models.CharField(max_length=7)  # "#rrggbb"

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("group", Lower("name"), name="flag_name_unique_in_group_ci")]

    def __str__(self) -> str:
        return f"{self.group}: {self.name}"
