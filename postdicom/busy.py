"""A database too busy to answer: SQLite's write lock, waited for as long as the connection's
``timeout`` (portal/settings.py) and still held by another process. The call may work a moment
later, so every entry point answers it as ``Unavailable`` (503 with ``Retry-After``), never as
a 500: ``busy_database`` tells it from the other database errors, which stay bugs.

PostgreSQL waits for row locks without a limit, so it raises nothing of the kind here.
"""

from __future__ import annotations

import sqlite3

from django.db import OperationalError
from django.utils.translation import gettext as _

from postdicom.errors import Unavailable

#: SQLite's primary result codes for "another connection holds the lock".
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def busy_database(error: BaseException) -> Unavailable | None:
    """The ``Unavailable`` to answer when ``error`` is SQLite's "database is locked" (as
    Django raises it: its ``OperationalError`` caused by sqlite3's), else None."""
    cause = error.__cause__ if isinstance(error, OperationalError) else None
    if not isinstance(cause, sqlite3.OperationalError):
        return None
    code = getattr(cause, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in _BUSY_CODES:  # extended codes keep the primary one in the low byte
        return None
    return Unavailable(_("The database is busy with other work; try again in a moment."))
