"""A refused request is one line in the web log; a server error keeps its traceback (issue 9
item 13: a probe of 240 refused URLs wrote 240 tracebacks and buried the real errors)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def _console() -> logging.Handler:
    """The web log's handler, as settings.LOGGING configures it."""
    return next(h for h in logging.getLogger().handlers if h.name == "console")


def _logged(record: logging.LogRecord) -> str:
    console = _console()
    assert console.filter(record)
    return console.format(record)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("/administration/", "Forbidden (Permission denied): /administration/"),
        ("/orders/00000000-0000-0000-0000-000000000000/", "Not Found: /orders/00000000-0000-0000-0000-000000000000/"),
    ],
)
def test_a_refused_request_is_one_line(staff_client, caplog, path, line):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = staff_client.get(path)
    assert response.status_code in (403, 404)
    (record,) = _request_records(caplog)
    assert record.getMessage() == line
    assert record.exc_info is None
    text = _logged(record)
    assert text.endswith(line)
    assert "\n" not in text


def test_a_refused_service_call_is_one_line(outsider_client, caplog, staff_user, clinic):
    """``Forbidden``/``NotFound`` from the service become 403/404 in the middleware: one line too."""
    from postdicom import get_api

    folder = get_api().create_folder(actor=staff_user, name="Private")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = outsider_client.get(f"/folders/{folder.id}/")
    assert response.status_code == 404
    (record,) = _request_records(caplog)
    assert "\n" not in _logged(record)


def test_a_suspicious_request_is_one_line(db, caplog):
    with caplog.at_level(logging.WARNING):
        response = Client().get("/accounts/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    text = _logged(record)
    assert "Invalid HTTP_HOST header: 'evil.example'" in text
    assert "\n" not in text
    assert "Traceback" not in text


@pytest.mark.urls("tests.portal.failing_urls")
def test_a_server_error_keeps_its_traceback(staff_user, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(staff_user)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/failing/")
    assert response.status_code == 500
    (record,) = _request_records(caplog)
    text = _logged(record)
    assert text.splitlines()[0].endswith("Internal Server Error: /failing/")
    assert "Traceback (most recent call last):" in text
    assert "RuntimeError: the failing test view failed" in text
