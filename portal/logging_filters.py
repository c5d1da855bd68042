"""Log filters: a refused request is one line in the log, a server error keeps its traceback;
no line carries a share link's token."""

from __future__ import annotations

import logging
import re


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


#: A share link's path segment, ``/s/<token>`` (``sharing``), or a view link's, ``/v/<token>``
#: (``sharing.view_links``). The token opens the share (with its password) or the viewer (from
#: the address it was made for), so no log line may carry it: web server, request and error
#: logs included.
_SHARE_TOKEN = re.compile(r"(?P<head>(?:^|[^A-Za-z0-9_.~-])[sv]/)[A-Za-z0-9_-]{8,}")
REDACTED = "[token]"


def redact_share_tokens(text: str) -> str:
    """``text`` with every share or view link token replaced by ``[token]`` (``/s/abc…/images``
    → ``/s/[token]/images``, ``/v/abc…/dicomweb/studies`` → ``/v/[token]/dicomweb/studies``)."""
    return _SHARE_TOKEN.sub(lambda m: m.group("head") + REDACTED, text) if ("s/" in text or "v/" in text) else text


class RedactShareTokens(logging.Filter):
    """Replace share tokens in a record's message (arguments merged in) and traceback before
    any handler formats it. Sits on every handler of ``settings.LOGGING`` (the console, and
    ``django.server``, which ``runserver`` logs request lines to and which does not propagate),
    so Django's "Not Found: /s/…" lines, the development server's request lines and any
    exception text are redacted alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_share_tokens(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_share_tokens(record.exc_text)
        return True
