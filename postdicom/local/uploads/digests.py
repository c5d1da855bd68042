"""The SHA-256 of images a request stored without it (STOW-RS stores in the request and
answers: the answer needs no digest, and hashing was a tenth of its CPU; docs/decisions.md,
"STOW-RS round 8"). The worker's step after such a batch fills them in (``fill_for``),
before it describes the headers, which are kept by that digest.

Until then nothing is wrong, only slower: a stored file's entity tag falls back to its size
(its bytes never change), the pixel locations are not remembered, a header is kept by the
file's size, and an image sent again under the same UID is compared with the stored file,
hashed then (``ingest._same_image``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from postdicom.local.bulk import update_rows
from postdicom.local.models import InstanceRecord
from postdicom.local.uploads.storage import stored_sha256

log = logging.getLogger(__name__)


def fill_for(study_pks: Iterable[int]) -> int:
    """Hash the stored images of these studies that have no SHA-256 yet; how many were
    filled in. A file that cannot be read is logged and left (its row keeps no digest), and
    any other failure is logged: the rows simply wait (the module's docstring)."""
    studies = list(study_pks)
    try:
        rows = InstanceRecord.objects.filter(series__study_id__in=studies, stored=True, sha256="")
        found: list[tuple[int, str]] = []
        for pk, name in rows.values_list("pk", "file_name").order_by("pk"):
            try:
                found.append((pk, stored_sha256(name)))
            except OSError:
                log.warning("the stored file %s of instance %s cannot be read to hash it", name, pk)
        update_rows(InstanceRecord, ["sha256"], found)
    except Exception:  # the database or the storage gone: nothing is wrong meanwhile
        log.warning("the digests of studies %s not filled in", studies, exc_info=True)
        return 0
    return len(found)
