"""The DICOMweb read side under a share link (``/s/<token>/dicomweb/``), for the page's
thumbnails and the viewer: ``postdicom.server.scoped`` runs each QIDO/WADO view as the
share's owner inside ``only_orders`` of what the share covers now, after ``gate`` checked
the visitor's unlock and the share's state in the database, on every request."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from postdicom.server.http import problem
from sharing.public import gate
from sharing.public.pages import GONE


def resolve(request: HttpRequest, token: str) -> tuple[User, Collection[UUID]] | HttpResponseBase:
    passage = gate.check(request, token)
    if passage.opened is None:
        if passage.refusal in GONE:
            return problem(410, _("This link no longer works."))
        return problem(403, _("Open the link again and give its password."))
    if passage.opened.upload_only:
        return problem(404, _("This link shows no images."))
    gate.use_language(request, passage.opened.language)
    return passage.opened.actor, passage.opened.order_ids
