"""A URLconf for the scoped-mount tests: the portal's URLs plus ``/t/<token>/dicomweb/``,
whose tokens are whatever ``GRANTS`` holds (``refused`` answers 410)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from portal.urls import urlpatterns as portal_patterns
from postdicom.server.scoped import scoped_patterns

GRANTS: dict[str, tuple[User, Collection[UUID]]] = {}


def resolve(request: HttpRequest, token: str) -> tuple[User, Collection[UUID]] | HttpResponse:
    if token not in GRANTS:
        return HttpResponse("gone", status=410)
    return GRANTS[token]


urlpatterns = [
    *portal_patterns,
    path("t/<str:token>/dicomweb/", include((scoped_patterns(resolve), "dicomweb"), namespace="test_scoped")),
]
