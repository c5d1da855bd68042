"""A service the request needs, busy or gone for the moment: the call may work a moment later,
so every entry point answers it as ``Unavailable`` (503 with ``Retry-After``), never as a 500.

- ``busy_database``: SQLite's write lock, waited for as long as the connection's ``timeout``
  (portal/settings.py) and still held by another process. PostgreSQL waits for row locks
  without a limit, so it raises nothing of the kind.
- ``service_away``: that, or PostgreSQL that cannot be reached or gave up on the transaction
  (psycopg's ``OperationalError``: connection refused or lost, the server shutting down, a
  deadlock or serialization failure), a connection Django finds closed (``InterfaceError``),
  or Redis (the cache and the task queue) refusing or timing out.

Every other error stays a bug (500): SQLite raises ``OperationalError`` for a missing table
or bad SQL too, so only its lock counts.
"""

from __future__ import annotations

import sqlite3

import psycopg
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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


def service_away(error: BaseException) -> Unavailable | None:
    """The ``Unavailable`` to answer when ``error`` says the database, the cache or the task
    queue cannot serve the request just now (above), else None."""
    if (busy := busy_database(error)) is not None:
        return busy
    if isinstance(error, InterfaceError) or (
        isinstance(error, OperationalError) and isinstance(error.__cause__, psycopg.OperationalError)
    ):
        return Unavailable(_("The database cannot be reached just now; try again in a moment."))
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return Unavailable(_("The portal's cache and task queue cannot be reached just now; try again in a moment."))
    return None
