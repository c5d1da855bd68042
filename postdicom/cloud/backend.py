"""``CloudBackend``: the contract over a PostDICOM-compatible HTTP API.

Selected with ``POSTDICOM = {"BACKEND": "postdicom.cloud.CloudBackend", "OPTIONS": {...}}``
(``CloudOptions``: the server's DICOMweb base URL and the account's credentials). It
implements what that API can serve and nothing else: ``capabilities`` lists exactly the
methods overridden here, and the pages hide the rest.

Who acts: every call signs in with the account's credentials and names the portal user it is
made for in ``X-Rayport-Act-As``. A Rayport server lets an administrator's API key act as
one of its users, with that user's rights and never more (so each user sees on this portal
exactly what they see there); PostDICOM's cloud ignores the header and answers as the
account. See docs/decisions.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from django.utils.translation import gettext as _

from postdicom.cloud import dicomweb
from postdicom.cloud.transport import CloudOptions, Transport
from postdicom.contract import PostDicomApi
from postdicom.errors import Forbidden, NotFound
from postdicom.types import (
    DicomInstance,
    DicomQuery,
    DicomReadPurpose,
    DicomSeries,
    DicomStudy,
    StoredInstances,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: The header naming the portal user a call is made for.
ACT_AS_HEADER = "X-Rayport-Act-As"


class CloudBackend(PostDicomApi):
    """The contract over HTTP. ``transport`` is for tests (an httpx mock transport)."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None, **options: Any) -> None:
        try:
            self.options = CloudOptions(**options)
        except ValueError as error:
            raise TypeError(str(error)) from error
        self.wire = Transport(self.options, transport=transport)

    def _as(self, actor: User) -> dict[str, str]:
        if not (actor.is_authenticated and actor.is_active):
            raise Forbidden(_("Your account is not active."))
        return {ACT_AS_HEADER: actor.get_username()}

    # --- Stored images (QIDO-RS, WADO-RS) -------------------------------------------------------

    def search_studies(self, *, actor: User, query: DicomQuery) -> tuple[DicomStudy, ...]:
        answer = self.wire.get_json("studies", params=dicomweb.query_params(query), headers=self._as(actor))
        return tuple(dicomweb.study(item) for item in dicomweb.iter_json(answer))

    def search_series(self, *, actor: User, study_uid: str, query: DicomQuery) -> tuple[DicomSeries, ...]:
        answer = self.wire.get_json(
            f"studies/{study_uid}/series", params=dicomweb.query_params(query), headers=self._as(actor)
        )
        return tuple(dicomweb.series(item) for item in dicomweb.iter_json(answer))

    def search_instances(
        self, *, actor: User, study_uid: str, series_uid: str | None, query: DicomQuery
    ) -> tuple[DicomInstance, ...]:
        path = f"studies/{study_uid}/series/{series_uid}/instances" if series_uid else f"studies/{study_uid}/instances"
        params = {**dicomweb.query_params(query), "includefield": "AvailableTransferSyntaxUID"}
        answer = self.wire.get_json(path, params=params, headers=self._as(actor))
        return tuple(dicomweb.instance(item) for item in dicomweb.iter_json(answer))

    def open_instances(
        self,
        *,
        actor: User,
        study_uid: str,
        series_uid: str | None = None,
        sop_instance_uid: str | None = None,
        purpose: DicomReadPurpose,
    ) -> StoredInstances:
        headers = self._as(actor)
        query = DicomQuery(sop_instance_uids=(sop_instance_uid,) if sop_instance_uid else (), limit=1000)
        found = self.search_instances(actor=actor, study_uid=study_uid, series_uid=series_uid, query=query)
        if not found:
            raise NotFound(_("No such images."))
        studies = self.search_studies(actor=actor, query=DicomQuery(study_uids=(study_uid,), limit=1))
        order_id = studies[0].order_id if studies else dicomweb.order_id_of({}, study_uid)
        return StoredInstances(
            order_id=order_id,
            study_uid=study_uid,
            instances=found,
            opener=lambda item: dicomweb.spool_instance(self.wire, _instance_path(item), headers),
        )


def _instance_path(item: DicomInstance) -> str:
    return f"studies/{item.study_uid}/series/{item.series_uid}/instances/{item.sop_instance_uid}"
