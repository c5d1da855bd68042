"""The portal's settings with SQLite as it was before WAL (branch sqlite500's "before"): the
rollback journal, where a writer makes the readers wait. ``bench/sqlite/busy.py`` only."""

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES

DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
