"""Each study's small picture, made once and kept in storage beside its files.

A list of orders shows one per order without decoding anything: the page links an image to
the order's thumbnail URL, and the first request for it draws a middle image of the study's
first series (``render``, the same code as DICOMweb's rendered images), saves it as a JPEG
under ``thumbnails/<order>/<study>.jpg`` and remembers the name on the study row; every later
request only reads that file. The ingest worker draws them as soon as a batch is stored, so
the first request rarely has to. A study none of whose candidate images can be drawn (no
pixel data, a compression without a decoder here) is remembered as such (``NONE``) and tried
again only when new images arrive. Purging an order deletes its thumbnails with its files.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING
from uuid import UUID

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from pydicom.errors import InvalidDicomError

from postdicom import types as t
from postdicom.dicom.frames import FrameError
from postdicom.dicom.render import render
from postdicom.errors import NotFound
from postdicom.local.models import InstanceRecord, SeriesRecord, StudyRecord
from postdicom.local.orders.visibility import order_row
from postdicom.local.uploads.storage import file_storage, open_stored

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

#: The picture fits in this box (pixels), drawn for a 64 px cell on a 2× screen.
SIZE = (160, 160)
QUALITY = 80
#: ``thumbnail_name`` of a study that has nothing to draw.
NONE = "-"
#: How many images of a study are tried before giving up (the middle and first image of its
#: first two series).
CANDIDATES = 4


def thumbnail_name(study: StudyRecord) -> str:
    return f"thumbnails/{study.order.uuid}/{study.study_uid}.jpg"


def _candidates(study: StudyRecord) -> list[InstanceRecord]:
    picks: list[int] = []
    for series_pk in SeriesRecord.objects.filter(study=study).order_by("number", "id").values_list("pk", flat=True)[:2]:
        ids = list(
            InstanceRecord.objects.filter(series_id=series_pk, stored=True).order_by("id").values_list("pk", flat=True)
        )
        if ids:
            picks += [ids[len(ids) // 2], ids[0]]
    wanted = list(dict.fromkeys(picks))[:CANDIDATES]
    found = InstanceRecord.objects.in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found]


def _draw(instance: InstanceRecord) -> bytes | None:
    try:
        with open_stored(instance.file_name) as handle:
            middle = max(instance.number_of_frames, 1) // 2
            return render(handle, instance.transfer_syntax_uid, middle, viewport=SIZE, quality=QUALITY)
    except (FrameError, InvalidDicomError, ValueError, TypeError, KeyError, EOFError, OSError):
        log.info("thumbnail: %s cannot be drawn", instance.sop_instance_uid, exc_info=True)
        return None


def _save(name: str, data: bytes) -> None:
    storage = file_storage()
    if storage.get_available_name(name) != name:  # a storage that would not overwrite: make room
        storage.delete(name)
    saved = storage.save(name, ContentFile(data, name=name.rsplit("/", 1)[-1]))
    if saved != name:
        storage.delete(saved)
        raise OSError(f"storage saved {name!r} as {saved!r}")


def ensure(study: StudyRecord, *, retry: bool = False) -> str:
    """The study's thumbnail name, drawn and saved now if it has none (``retry``: also when
    an earlier try found nothing to draw). ``NONE`` when nothing can be drawn."""
    if study.thumbnail_name and (study.thumbnail_name != NONE or not retry):
        return study.thumbnail_name
    name = NONE
    for instance in _candidates(study):
        data = _draw(instance)
        if data is not None:
            name = thumbnail_name(study)
            _save(name, data)
            break
    StudyRecord.objects.filter(pk=study.pk).update(thumbnail_name=name)
    study.thumbnail_name = name
    return name


def make_for(study_pks: Iterable[int]) -> None:
    """The ingest worker's step after a batch is stored: draw the thumbnails its studies lack
    (again for those that had nothing to draw). A failure is logged and never fails the batch:
    the first request for the picture tries again."""
    for study in StudyRecord.objects.select_related("order").filter(pk__in=list(study_pks)):
        try:
            ensure(study, retry=True)
        except Exception:  # any storage or decoder failure: the lazy path covers it
            log.warning("thumbnail of study %s not made", study.study_uid, exc_info=True)


def open_thumbnail(name: str) -> IO[bytes]:
    try:
        return open_stored(name)
    except FileNotFoundError:
        raise NotFound(_("The picture's file is missing.")) from None


def etag(study: StudyRecord) -> str:
    return '"' + hashlib.sha256(f"{study.uuid}:{study.thumbnail_name}".encode()).hexdigest()[:24] + '"'


def study_thumbnail(actor: User, order_id: UUID, study_uid: str | None) -> t.Thumbnail | None:
    order = order_row(actor, order_id)
    studies = StudyRecord.objects.filter(order=order).order_by("study_date", "id")
    if study_uid is not None:
        studies = studies.filter(study_uid=study_uid)
    rows = list(studies)
    if study_uid is not None and not rows:
        raise NotFound(_("No such study in this order."))
    for study in rows:
        study.order = order
        name = ensure(study)
        if name != NONE:
            return t.Thumbnail(
                order_id=order.uuid,
                study_uid=study.study_uid,
                etag=etag(study),
                opener=functools.partial(open_thumbnail, name),
            )
    return None
