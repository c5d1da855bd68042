"""Changing an order's details in the creation form (to fix a typo in a name or an ID)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders.forms.create import SERVICE_FIELDS
from orders.forms.edit import OrderEditForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput


@require_http_methods(["GET", "POST"])
@login_required
def order_edit(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    api = get_api()
    detail = api.order_properties(actor=request.user, order_id=order_id)  # hidden: 404
    if not detail.can_manage:
        raise PermissionDenied(_("Only staff of the order's institution and administrators can change an order."))
    form = OrderEditForm(
        request.POST if request.method == "POST" else None,
        detail=detail,
        nodes=api.list_dicom_nodes(actor=request.user),
        required=api.required_order_fields,
        accession_unique=api.accession_numbers_unique,
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = api.update_order(actor=request.user, order_id=order_id, draft=form.draft())
        except InvalidInput as error:
            show_errors(form, error, fields=SERVICE_FIELDS)
        else:
            messages.success(request, _("Changes saved for %(name)s.") % {"name": order.patient_display_name})
            return redirect("orders:detail", order_id=order_id)
    context = {"section": "orders", "form": form, "order": detail.summary, "has_images": bool(detail.studies)}
    return render_page(request, "orders/edit.html", context)
