"""Log filters: a refused request is one line in the log, a server error keeps its traceback."""

from __future__ import annotations

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Drop the traceback of a request Django answered with a 4xx (``PermissionDenied`` → 403,
    ``Http404`` → 404, ``BadRequest`` and ``SuspiciousOperation`` → 400): Django logs each of
    them with its exception, and a probe of 240 refused URLs buried real errors under 240
    tracebacks. The line itself ("Forbidden (Permission denied): /orders/…") stays. Records
    without a status (a 500, anything not about a request) pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
