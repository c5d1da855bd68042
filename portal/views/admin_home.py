"""The administration overview."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal.access import AuthedRequest, admin_required
from postdicom import get_api
from postdicom.types import AuditQuery, Capability, UserQuery


@require_safe
@admin_required
def admin_home(request: AuthedRequest) -> HttpResponse:
    api = get_api()
    actor = request.user
    context = {
        "section": "admin",
        "tab": "overview",
        "user_total": api.list_users(actor=actor, query=UserQuery(page_size=1)).total,
        "groups": api.list_user_groups(actor=actor),
        "institutions": api.list_institutions(actor=actor),
        "nodes": api.list_dicom_nodes(actor=actor),
        "flag_groups": api.flag_dictionary(actor=actor),
        "api_keys_active": (
            sum(1 for key in api.list_api_keys(actor=actor) if not key.revoked)
            if Capability.LIST_API_KEYS in api.capabilities
            else None
        ),
        "recent": api.audit_log(actor=actor, query=AuditQuery(page_size=8)).items,
    }
    return render(request, "portal/admin_home.html", context)
