"""The stored-image methods of ``LocalBackend`` (see the contract for what each promises)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from postdicom import types as t
from postdicom.local.images import retrieve, search, thumbnails

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ImagesMixin:
    def search_studies(self, *, actor: User, query: t.DicomQuery) -> tuple[t.DicomStudy, ...]:
        return search.search_studies(actor, query)

    def search_series(self, *, actor: User, study_uid: str, query: t.DicomQuery) -> tuple[t.DicomSeries, ...]:
        return search.search_series(actor, study_uid, query)

    def search_instances(
        self, *, actor: User, study_uid: str, series_uid: str | None, query: t.DicomQuery
    ) -> tuple[t.DicomInstance, ...]:
        return search.search_instances(actor, study_uid, series_uid, query)

    def open_instances(
        self,
        *,
        actor: User,
        study_uid: str,
        series_uid: str | None = None,
        sop_instance_uid: str | None = None,
        purpose: t.DicomReadPurpose,
    ) -> t.StoredInstances:
        return retrieve.open_instances(actor, study_uid, series_uid, sop_instance_uid, purpose)

    def study_thumbnail(self, *, actor: User, order_id: UUID, study_uid: str | None = None) -> t.Thumbnail | None:
        return thumbnails.study_thumbnail(actor, order_id, study_uid)
