"""Institutions (PostDICOM's locations)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local import convert
from postdicom.local.access import institutions_of, require_admin
from postdicom.local.audit import record
from postdicom.local.models import Institution
from postdicom.local.validation import clean_name, ensure_unique_name
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _counted(rows: QuerySet[Institution]) -> QuerySet[Institution]:
    """``rows`` with ``user_count``, which ``convert.institution`` reports."""
    return rows.annotate(user_count=Count("profiles", distinct=True))


def institution_row(actor: User, institution_id: UUID) -> Institution:
    try:
        return _counted(institutions_of(actor)).get(uuid=institution_id)
    except Institution.DoesNotExist:
        raise NotFound(_("No such institution.")) from None


class InstitutionsMixin:
    def list_institutions(self, *, actor: User) -> tuple[t.Institution, ...]:
        return tuple(convert.institution(i) for i in _counted(institutions_of(actor)))

    def get_institution(self, *, actor: User, institution_id: UUID) -> t.Institution:
        return convert.institution(institution_row(actor, institution_id))

    def create_institution(self, *, actor: User, draft: t.InstitutionDraft) -> t.Institution:
        require_admin(actor)
        name = clean_name(draft.name)
        ensure_unique_name(Institution.objects.all(), name)
        row = Institution.objects.create(name=name, address=draft.address.strip()[:250])
        record(actor, AuditAction.INSTITUTION_CREATED, target_type="institution", target_id=row.uuid, target_label=name)
        return convert.institution(row)

    def update_institution(
        self, *, actor: User, institution_id: UUID, draft: t.InstitutionDraft, active: bool = True
    ) -> t.Institution:
        require_admin(actor)
        row = institution_row(actor, institution_id)
        name = clean_name(draft.name)
        ensure_unique_name(Institution.objects.all(), name, exclude_pk=row.pk)
        before = {"name": row.name, "address": row.address, "active": row.is_active}
        row.name, row.address, row.is_active = name, draft.address.strip()[:250], active
        row.save(update_fields=["name", "address", "is_active"])
        record(
            actor,
            AuditAction.INSTITUTION_UPDATED,
            target_type="institution",
            target_id=row.uuid,
            target_label=name,
            active=active,
            before=before,
        )
        return convert.institution(row)
