"""No log line carries a share link's token (issue 12): the development server's request
lines, Django's request log and tracebacks all show ``/s/[token]/``."""

from __future__ import annotations

import io
import logging
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from portal.logging_filters import redact_share_tokens
from postdicom import get_api
from postdicom.local.models import OutsideShare
from tests.portal.test_settings import ROOT, _get_when_up, environ  # noqa: F401

PORT = 18081  # helper 8's port range


def test_tokens_are_replaced_wherever_they_stand_in_a_line():
    token = secrets.token_urlsafe(32)
    assert redact_share_tokens(f'"GET /s/{token}/dicomweb/studies HTTP/1.1" 200') == (
        '"GET /s/[token]/dicomweb/studies HTTP/1.1" 200'
    )
    assert redact_share_tokens(f"Not Found: /s/{token}") == "Not Found: /s/[token]"
    assert redact_share_tokens(f"s/{token}/unlock/") == "s/[token]/unlock/"
    # A view link's token opens the viewer (from its address): kept out of the logs alike.
    assert redact_share_tokens(f'"GET /v/{token}/dicomweb/studies HTTP/1.1" 200') == (
        '"GET /v/[token]/dicomweb/studies HTTP/1.1" 200'
    )
    assert redact_share_tokens(f"Not Found: /v/{token}/") == "Not Found: /v/[token]/"
    # Other paths are left alone, including ones that merely contain "s/".
    for line in (
        "/dicomweb/studies/1.2.3/series/4.5",
        "/orders/s/",
        "/folders/abc/",
        "uploads/batches/x",
        "/view-links/order/3f1c2d9e-0000-4000-8000-000000000000/",
        "/orders/3f1c2d9e-0000-4000-8000-000000000000/view/",
    ):
        assert redact_share_tokens(line) == line


@contextmanager
def handler_output() -> Iterator[io.StringIO]:
    """What the configured handlers (settings.LOGGING) write, for the block's duration."""
    stream = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if h.name == "console"]
    handlers += [h for h in logging.getLogger("django.server").handlers if h.name == "django.server"]
    assert len(handlers) == 2
    saved = [h.setStream(stream) for h in handlers]  # type: ignore[attr-defined]
    try:
        yield stream
    finally:
        for handler, old in zip(handlers, saved, strict=True):
            handler.setStream(old)  # type: ignore[attr-defined]


def test_handlers_redact_records_of_every_logger():
    token = secrets.token_urlsafe(32)
    with handler_output() as out:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET /s/{token}/ HTTP/1.1", "200", "512")
        logging.getLogger("django.request").warning("Not Found: %s", f"/s/{token}/x/")
        logging.getLogger("celery.app.trace").info("share %s", f"https://portal.example/s/{token}/")
        try:
            raise ValueError(f"no share at /s/{token}/")
        except ValueError:
            logging.getLogger("django.request").exception("Internal Server Error: %s", f"/s/{token}/")
    text = out.getvalue()
    assert token not in text
    assert text.count("/s/[token]/") == 5


def test_the_development_server_logs_no_token(environ):  # noqa: F811
    """`make run` serves with `manage.py runserver`, whose request lines go to django.server."""
    token = secrets.token_urlsafe(32)
    env = {k: v for k, v in environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _get_when_up(f"http://127.0.0.1:{PORT}/static/css/share.css")
        missing = httpx.get(f"http://127.0.0.1:{PORT}/s/{token}/no-such-page/?lang=es")
        assert missing.status_code == 404
        assert missing.headers["referrer-policy"] == "no-referrer"
        assert missing.headers["cache-control"] == "no-store"
        time.sleep(1)  # the request line is written once the answer is sent
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "GET /s/[token]/no-such-page/?lang=es HTTP/1.1" in output
    assert "Not Found: /s/[token]/no-such-page/" in output
    assert token not in output


@pytest.mark.django_db
def test_requests_under_a_link_leave_no_token_in_logs_or_the_audit_trail(staff_user, token_a, order_a, order_b):
    from django.test import Client

    from postdicom.local.models import AuditRecord, ShareAccess
    from tests.sharing.conftest import unlock

    visitor = Client()
    with handler_output() as out:
        unlock(visitor, token_a, "wrong")  # a refusal
        unlock(visitor, token_a)
        visitor.get(f"/s/{token_a}/orders/{order_a.id}/")
        visitor.get(f"/s/{token_a}/orders/{order_b.id}/")  # 404: "Not Found: /s/…"
        visitor.get(f"/s/{token_a}/dicomweb/studies/{order_b.study}/series")  # 404 JSON
        visitor.get(f"/s/{token_a}/no-such-page/")
        get_api().revoke_share(actor=staff_user, share_id=OutsideShare.objects.get().uuid)
        visitor.get(f"/s/{token_a}/")  # 410: "Gone: /s/…"
    text = out.getvalue()
    assert "/s/[token]/" in text
    assert token_a not in text
    for row in AuditRecord.objects.all():
        assert token_a not in f"{row.action} {row.target_id} {row.target_label} {row.detail}"
    for access in ShareAccess.objects.all():
        assert token_a not in access.detail
