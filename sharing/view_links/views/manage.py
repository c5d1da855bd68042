"""Making and revoking view links (signed in): an order's or a patient's orders, a folder's
orders, and the list of the user's own links.

A new link's URL (with its secret token) is shown in the answer to the POST that made it,
never stored anywhere else and never cached, as API keys are; the list shows links without
their URLs.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.middleware import client_address
from portal.rendering import render_page
from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound
from postdicom.types import Folder, ViewLink, ViewTarget
from sharing.view_links.forms import VIEW_LINK_FIELDS, LifetimeForm, OrderLinkForm, PatientLinkForm

_SECTION = {"section": "orders"}


def _made(request: AuthedRequest, link: ViewLink, back: str, back_label: str) -> HttpResponse:
    context = {**_SECTION, "link": link, "url": request.build_absolute_uri(link.url), "back": back}
    context["back_label"] = back_label
    response = render_page(request, "sharing/view_links/made.html", context)
    add_never_cache_headers(response)  # no-store: the token stays out of every cache
    return response


def _make(request: AuthedRequest, form: LifetimeForm, target: ViewTarget) -> ViewLink | None:
    """The link, or None with the service's objections on ``form``."""
    try:
        return get_api().view_url(
            actor=request.user,
            target=target,
            client_ip=client_address(request) or "",
            lifetime=form.cleaned_data["lifetime"],
        )
    except InvalidInput as error:
        show_errors(form, error, fields=VIEW_LINK_FIELDS)
        return None


@require_http_methods(["GET", "POST"])
@login_required
def order_link(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    """GET: what to link to (this order, or every order of its patient) and for how long;
    POST: the link."""
    detail = get_api().order_properties(actor=request.user, order_id=order_id)
    order = detail.summary
    bound = request.POST if request.method == "POST" else None
    form = OrderLinkForm(bound, has_birth_date=order.birth_date is not None)
    if form.is_bound and form.is_valid():
        reach = form.cleaned_data["reach"]
        if reach == OrderLinkForm.ORDER:
            target = ViewTarget(order_id=order.id)
        else:
            birth = order.birth_date if reach == OrderLinkForm.PATIENT_AND_BIRTH_DATE else None
            target = ViewTarget(patient_name=order.patient_name, birth_date=birth)
        link = _make(request, form, target)
        if link is not None:
            return _made(request, link, reverse("orders:detail", kwargs={"order_id": order.id}), _("Back to the order"))
    context = {**_SECTION, "form": form, "order": order}
    return render_page(request, "sharing/view_links/order.html", context, status=400 if form.is_bound else 200)


def _folder(request: AuthedRequest, folder_id: UUID) -> Folder:
    api = get_api()
    try:
        return api.get_folder(actor=request.user, folder_id=folder_id)
    except NotFound:
        return api.get_shared_folder(actor=request.user, folder_id=folder_id).folder


@require_http_methods(["GET", "POST"])
@login_required
def folder_link(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """GET: for how long; POST: a link to the folder's orders (as the user sees them when the
    link is opened)."""
    folder = _folder(request, folder_id)
    form = LifetimeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        link = _make(request, form, ViewTarget(folder_id=folder.id))
        if link is not None:
            return _made(
                request, link, reverse("folders:detail", kwargs={"folder_id": folder.id}), _("Back to the folder")
            )
    context = {**_SECTION, "form": form, "folder": folder}
    return render_page(request, "sharing/view_links/folder.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@login_required
def patient_link(request: AuthedRequest) -> HttpResponse:
    """A link to every order of a patient typed by name (and birth date)."""
    form = PatientLinkForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        target = ViewTarget(patient_name=data["patient_name"], birth_date=data["birth_date"])
        link = _make(request, form, target)
        if link is not None:
            return _made(request, link, reverse("viewlinks:list"), _("Back to my view links"))
    return render_page(
        request, "sharing/view_links/patient.html", {**_SECTION, "form": form}, status=400 if form.is_bound else 200
    )


@require_safe
@login_required
def link_list(request: AuthedRequest) -> HttpResponse:
    links = get_api().view_links(actor=request.user)
    context = {**_SECTION, "links": links, "now": timezone.now(), "form": PatientLinkForm()}
    return render_page(request, "sharing/view_links/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def link_revoke(request: AuthedRequest, link_id: UUID) -> HttpResponse:
    """GET asks to confirm; POST revokes (the next request through the link is refused)."""
    link = next((item for item in get_api().view_links(actor=request.user) if item.id == link_id), None)
    if link is None:
        raise NotFound(_("No such view link."))
    if request.method == "POST":
        get_api().revoke_view_link(actor=request.user, link_id=link_id)
        messages.success(request, _("The view link to “%(label)s” was revoked.") % {"label": link.label})
        return redirect("viewlinks:list")
    return render_page(request, "sharing/view_links/revoke.html", {**_SECTION, "link": link})
