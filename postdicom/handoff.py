"""What both backends do when an upload changes hands: check the files they are given, and
hand work to the Celery workers by task name.

A backend's queue module binds ``send`` as its own ``_send`` (tests replace that per module);
the message names the task rather than importing it, so no upload module imports a tasks
module. When the broker cannot take the message the work is already kept (on disk or in the
database), so nothing is lost: the caller gets ``Unavailable`` and the backend's sweep queues
it again once the broker is back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from celery import current_app
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from postdicom.errors import InvalidInput, Unavailable
from postdicom.types import UploadFile

log = logging.getLogger(__name__)


def require_files(files: Sequence[UploadFile]) -> None:
    """``InvalidInput`` (``files``) for no files or a file that is not on disk."""
    if not files:
        raise InvalidInput({"files": _("Choose at least one file.")})
    missing = [f.name for f in files if not os.path.isfile(f.path)]
    if missing:
        raise InvalidInput({"files": _("These files are missing: %(names)s") % {"names": ", ".join(missing)}})


#: Tasks that start a while after they are queued, in seconds (``starts_after``).
_STARTS_AFTER: dict[str, float] = {}


def starts_after(task: str, seconds: float) -> None:
    """Have ``task`` start ``seconds`` after each ``send``: work that arrives meanwhile finds
    it waiting and joins it (the thumbnails of a series sent one instance a request)."""
    _STARTS_AFTER[task] = seconds


def send(task: str, *args: object) -> None:
    """Queue ``task`` by name (the registered task when this process has it, so eager mode
    applies; else a plain message), to start at once or as ``starts_after`` says;
    ``Unavailable`` when the broker does not take it."""
    try:
        wait = _STARTS_AFTER.get(task)
        signature = current_app.signature(task, args=args)
        if wait is None:
            signature.apply_async()
        else:
            signature.apply_async(countdown=wait)
    except (OperationalError, OSError) as error:
        log.warning("The broker did not take %s%r (%s); the sweep will queue it again.", task, args, error)
        raise Unavailable(
            _("The server cannot hand work to its workers right now. What you sent is kept; try again in a moment.")
        ) from error
