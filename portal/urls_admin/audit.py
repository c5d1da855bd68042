"""Administration URLs: the audit log (included under the ``portal`` namespace). Read-only:
no URL here changes or deletes an event."""

from __future__ import annotations

from django.urls import URLPattern, path

from portal.views import audit

urlpatterns: list[URLPattern] = [
    path("", audit.audit_log, name="audit_log"),
    path("export.csv", audit.audit_export, name="audit_export"),
]
