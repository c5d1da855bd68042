"""People and places: institutions, user profiles and user groups."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from postdicom.types import Role


class Institution(models.Model):
    """A location of the clinic (PostDICOM calls it institution)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=250, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="institution_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What Rayport adds to Django's user: a stable UUID, a role, institutions."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Role], default=Role.LIMITED.value)
    institutions = models.ManyToManyField(Institution, related_name="profiles", blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class UserGroup(models.Model):
    """A named set of users that orders and folders can be assigned or shared to."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=250, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="user_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="user_group_name_unique_ci")]

    def __str__(self) -> str:
        return self.name
