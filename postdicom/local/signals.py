"""Every Django user gets a profile; superusers start as administrators."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from postdicom.local.models import Profile
from postdicom.types import Role


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _ensure_profile(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        role = Role.ADMINISTRATOR if instance.is_superuser else Role.LIMITED
        Profile.objects.get_or_create(user=instance, defaults={"role": role.value})
