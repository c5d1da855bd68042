"""Creating an order in a form, with possible duplicates shown before saving."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orders.forms.create import SERVICE_FIELDS, OrderForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.types import Capability


@require_http_methods(["GET", "POST"])
@login_required
def order_create(request: AuthedRequest) -> HttpResponse:
    api = get_api()
    offered = api.capabilities
    form = OrderForm(
        request.POST or None,
        institutions=api.list_institutions(actor=request.user),
        # A server without these (the cloud backend) still takes orders: no equipment to
        # choose, no duplicate check before saving.
        nodes=api.list_dicom_nodes(actor=request.user) if Capability.LIST_DICOM_NODES in offered else (),
        required=api.required_order_fields,
        accession_unique=api.accession_numbers_unique,
    )
    duplicates: tuple[object, ...] = ()
    if request.method == "POST" and form.is_valid():
        draft = form.draft()
        if not form.cleaned_data["confirm_duplicates"] and Capability.POSSIBLE_DUPLICATES in offered:
            duplicates = api.possible_duplicates(actor=request.user, institution_id=form.institution(), draft=draft)
        if not duplicates:
            try:
                order = api.create_order(actor=request.user, institution_id=form.institution(), draft=draft)
            except InvalidInput as error:
                show_errors(form, error, fields=SERVICE_FIELDS)
            else:
                messages.success(request, _("Order created for %(name)s.") % {"name": order.patient_display_name})
                return redirect("orders:detail", order_id=order.id)
    context = {"section": "orders", "form": form, "duplicates": duplicates}
    return render_page(request, "orders/create.html", context)
