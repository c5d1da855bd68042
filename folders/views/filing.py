"""Filing orders in folders and taking them out: the bulk action of the order lists, the
"Add to folders" page of one order (also shown inside the order page's Folders card), and
removing ticked orders from a folder."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from folders.forms import BulkAddToFoldersForm, FolderIdsForm
from folders.shared import editable, shared_lists
from orders.forms.actions import OrderIdsForm
from portal.access import AuthedRequest
from portal.forms.service import show_errors
from portal.rendering import redirect_back, render_page
from postdicom import get_api
from postdicom.errors import InvalidInput, NotFound


def _first_error(request: AuthedRequest, form: OrderIdsForm | FolderIdsForm) -> None:
    for errors in form.errors.values():
        messages.error(request, str(errors[0]))
        return


@require_POST
@login_required
def bulk_add_orders(request: AuthedRequest) -> HttpResponse:
    """File the ticked orders of a list in the chosen folders; back to the list."""
    back = redirect_back(request, reverse("orders:list"))
    form = BulkAddToFoldersForm(request.POST)
    if not form.is_valid():
        _first_error(request, form)
        return back
    api = get_api()
    done, problems = 0, []
    for order_id in form.cleaned_data["order_ids"]:
        try:
            api.add_order_to_folders(actor=request.user, order_id=order_id, folder_ids=form.cleaned_data["folder_ids"])
        except (InvalidInput, NotFound) as error:
            problems.append(error.message)
        else:
            done += 1
    for problem in dict.fromkeys(problems):  # each message once
        messages.error(request, problem)
    if done:
        messages.success(
            request,
            ngettext("%(n)d order is now in the chosen folders.", "%(n)d orders are now in the chosen folders.", done)
            % {"n": done},
        )
    return back


@require_http_methods(["GET", "POST"])
@login_required
def file_order(request: AuthedRequest, order_id: UUID) -> HttpResponse:
    """Choose folders for one order. htmx shows the form inside the order page."""
    api = get_api()
    detail = api.order_properties(actor=request.user, order_id=order_id)
    tree = api.folder_tree(actor=request.user, with_counts=False)
    form = FolderIdsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            added = api.add_order_to_folders(
                actor=request.user, order_id=order_id, folder_ids=form.cleaned_data["folder_ids"]
            )
        except InvalidInput as error:
            show_errors(form, error)
        except NotFound:
            form.add_error("folder_ids", _("One of the chosen folders no longer exists. Choose again."))
        else:
            messages.success(
                request,
                ngettext("Filed in %(n)d more folder.", "Filed in %(n)d more folders.", added) % {"n": added}
                if added
                else _("The order was already in those folders."),
            )
            return redirect_back(request, reverse("orders:detail", args=[order_id]))
    context = {
        "section": "orders",
        "order": detail.summary,
        "filed": {f.id for f in detail.folders},
        "tree": tree,
        "shared_targets": editable(shared_lists(request)),
        "form": form,
        "chosen": {str(v) for v in form["folder_ids"].value() or ()},
    }
    return render_page(request, "folders/file_order.html", context, fragment="picker")


def _folder_exists(request: AuthedRequest, folder_id: UUID) -> None:
    """``NotFound`` (404) unless the folder is the user's or shared with them."""
    api = get_api()
    try:
        api.get_folder(actor=request.user, folder_id=folder_id)
    except NotFound:
        api.get_shared_folder(actor=request.user, folder_id=folder_id)


@require_POST
@login_required
def remove_orders(request: AuthedRequest, folder_id: UUID) -> HttpResponse:
    """Take the ticked orders (or the one order of an order page) out of the folder."""
    back = redirect_back(request, reverse("folders:detail", args=[folder_id]))
    form = OrderIdsForm(request.POST)
    if not form.is_valid():
        _first_error(request, form)
        return back
    api = get_api()
    try:
        removed = api.remove_orders_from_folder(
            actor=request.user, folder_id=folder_id, order_ids=form.cleaned_data["order_ids"]
        )
    except NotFound:
        _folder_exists(request, folder_id)  # someone else's folder: 404
        messages.error(request, _("One of the ticked orders is no longer available. Nothing was removed."))
        return back
    messages.success(
        request,
        ngettext(
            "%(n)d order left the folder. It is still in the order list.",
            "%(n)d orders left the folder. They are still in the order list.",
            removed,
        )
        % {"n": removed},
    )
    return back
