"""WADO-RS reads: which stored instances a request reaches, and opening their files.

Nothing is read here: the caller gets the instances and a way to open each file, and streams
it; their kept headers (``headers``) come with the rows, read from the files only for an
instance that has none yet. Reading a whole study or series (its files or its metadata) is one audit event on the
order. A single instance's file or metadata is one event too, but once per person, study
and way within ``SAME_READ_WITHIN`` (a script that fetches a study instance by instance, as
PostDICOM's flat WADO path invites, leaves one row, not none and not hundreds); frames and
rendered images are not audited, since a viewer asks for hundreds of them.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import NotFound
from postdicom.local.audit import SAME_READ_WITHIN, record_read
from postdicom.local.images.headers import headers_of
from postdicom.local.images.search import instance, study_row
from postdicom.local.models import InstanceRecord
from postdicom.local.orders.visibility import order_label, visible_among
from postdicom.local.uploads.storage import open_stored

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_AUDITED = {
    t.DicomReadPurpose.RETRIEVE: t.AuditAction.ORDER_DICOMWEB_RETRIEVE,
    t.DicomReadPurpose.METADATA: t.AuditAction.ORDER_DICOMWEB_METADATA,
}


def open_instances(
    actor: User,
    study_uid: str,
    series_uid: str | None,
    sop_instance_uid: str | None,
    purpose: t.DicomReadPurpose,
) -> t.StoredInstances:
    # One query for the rows with their series, study and live order (a viewer asks this once
    # per frame), then the visibility of those few orders (``visible_among``: the role first,
    # folder shares only when it fails) instead of every visible order as a subquery; the
    # study is looked up apart only to say what is missing.
    rows = InstanceRecord.objects.filter(
        stored=True,
        series__study__study_uid=study_uid,
        series__study__order__deleted_at__isnull=True,
    )
    if series_uid is not None:
        rows = rows.filter(series__series_uid=series_uid)
    if sop_instance_uid is not None:
        rows = rows.filter(sop_instance_uid=sop_instance_uid)
    rows = rows.select_related("series__study__order", "header")
    if purpose is not t.DicomReadPurpose.METADATA:
        rows = rows.defer("header__json")
    found = list(rows.order_by("series__number", "series_id", "id"))
    seen = visible_among(actor, list({row.series.study.order_id: row.series.study.order for row in found}.values()))
    found = [row for row in found if row.series.study.order_id in seen]
    if not found:
        study_row(actor, study_uid)  # NotFound for a study the actor cannot see
        raise NotFound(_("No such instance.") if sop_instance_uid else _("Nothing is stored here yet."))
    study = found[0].series.study
    names = {row.sop_instance_uid: row.file_name for row in found}

    def opener(item: t.DicomInstance) -> IO[bytes]:
        try:
            return open_stored(names[item.sop_instance_uid])
        except (KeyError, FileNotFoundError):
            raise NotFound(_("The image's file is missing.")) from None

    action = _AUDITED.get(purpose)
    if action is not None:
        single = sop_instance_uid is not None  # one instance at a time: once per study a while
        record_read(
            actor,
            action,
            target_type="order",
            target_id=study.order.uuid,
            target_label=order_label(study.order),
            once_within=SAME_READ_WITHIN if single else None,
            same={"study_uid": study.study_uid},
            series_uid=series_uid or (found[0].series.series_uid if single else ""),
            instances=len(found),
        )
    return t.StoredInstances(
        order_id=study.order.uuid,
        study_uid=study.study_uid,
        instances=tuple(instance(study, row) for row in found),
        opener=opener,
        header_source=lambda: headers_of(found, with_json=purpose is t.DicomReadPurpose.METADATA),
    )
