"""The image viewer of one order, full screen: its studies, the patient's priors to compare
with, and the order's documents. The images are read by the browser from ``/dicomweb/``."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from orders.viewer_config import document_entries, prior_entries, study_entries, viewer_config, viewer_csp
from portal.access import AuthedRequest
from portal.rendering import render_page
from postdicom import get_api
from postdicom.types import Document


def _document_url(name: str, order_id: UUID) -> Callable[[Document], str]:
    def url(document: Document) -> str:
        return reverse(name, kwargs={"order_id": order_id, "document_id": document.id})

    return url


@require_safe
@login_required
@viewer_csp
def view(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    content = get_api().open_viewer(actor=request.user, order_id=order_id)
    order = content.order.summary

    config = viewer_config(
        dicomweb=reverse("dicomweb:studies").removesuffix("/studies"),
        studies=study_entries(content.order.studies),
        priors=prior_entries(content.priors),
        documents=document_entries(
            content.documents,
            _document_url("orders:document_view", order.id),
            _document_url("orders:document_download", order.id),
        ),
    )
    context = {"section": "orders", "order": order, "viewer_config": config}
    return render_page(request, "orders/viewer.html", context)
