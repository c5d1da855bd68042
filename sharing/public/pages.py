"""The pages a visitor of a share link sees: the door (password), the refusals, and the
shared orders with their images and documents.

Every view takes the link's ``token`` from the URL and goes through ``gate``: nothing is
shown unless the visitor's session unlocked this share and the share works now (asked of the
service on every request). What the share covers is then read as the share's owner inside
``only_orders(order_ids)``: the orders the share names (or, for a folder, those filed in it
now), nothing else, and nothing can be changed. Answers are never cached
(``middleware.PublicShareHeaders``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from orders.viewer_config import document_entries, prior_entries, study_entries, viewer_config, viewer_csp
from orders.views.documents import INLINE_CSP  # a document shown may show itself, nothing else
from orders.views.download import orders_archive_response
from portal.downloads import file_response
from portal.rendering import render_page
from postdicom import get_api
from postdicom.context import only_orders
from postdicom.errors import NotFound
from postdicom.types import (
    ARCHIVE_ORDERS_MAX,
    DicomQuery,
    DicomStudy,
    Document,
    OpenedShare,
    OrderQuery,
    OrderSummary,
    ShareAccessKind,
    ShareRefusal,
)
from sharing.public import gate, throttle
from sharing.public.csrf import share_csrf_protect, share_csrf_token
from sharing.public.forms import UnlockForm

#: Orders per page of a share.
PAGE_SIZE = 20
#: The refusals that end a share for good: "gone" (410), shown at once.
GONE = (ShareRefusal.EXPIRED, ShareRefusal.REVOKED, ShareRefusal.USED_UP)

ShareView = Callable[..., HttpResponseBase]


def public_context(request: HttpRequest, token: str, **extra: Any) -> dict[str, Any]:
    """What the public layout needs: the link (for the language switch and the forms) and
    the visitor's form token."""
    # The language switch reloads the page shown; after a form was sent, the link's own page.
    here = request.path if request.method in ("GET", "HEAD") else reverse("share:open", kwargs={"token": token})
    return {"token": token, "share_csrf": share_csrf_token(request), "share_path": here, **extra}


def refused(request: HttpRequest, token: str, refusal: ShareRefusal | None, retry_after: int = 0) -> HttpResponse:
    """The page of a share that does not open: gone for good (410), paused (429 with the
    wait), or back to the door (an unknown link or a replaced one: as a wrong password)."""
    if refusal in GONE:
        context = public_context(request, token, refusal=refusal.value if refusal else "")
        return render_page(request, "sharing/public/gone.html", context, status=410)
    if refusal is ShareRefusal.LOCKED:
        return locked(request, token, retry_after)
    return redirect("share:open", token=token)


def locked(request: HttpRequest, token: str, seconds: int) -> HttpResponse:
    minutes = max(1, -(-seconds // 60))
    response = render_page(
        request, "sharing/public/locked.html", public_context(request, token, minutes=minutes), status=429
    )
    response["Retry-After"] = str(max(1, seconds))
    return response


def shared(view: ShareView) -> ShareView:
    """A page of an unlocked, working share (not an upload-only one): ``view(request, token,
    opened, …)``. The door for a visitor who has not unlocked it, the refusal otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        passage = gate.check(request, token)
        if passage.opened is None:
            if passage.locked_out:
                return redirect("share:open", token=token)
            return refused(request, token, passage.refusal, passage.retry_after)
        gate.use_language(request, passage.opened.language)
        if passage.opened.upload_only:
            raise NotFound("an upload-only share shows nothing")
        return view(request, token, passage.opened, *args, **kwargs)

    return wrapper


# --- The door ---------------------------------------------------------------------------------


@require_safe
def share_open(request: HttpRequest, token: str) -> HttpResponseBase:
    """The link itself: the shared orders (or the upload page) once unlocked, else the door."""
    passage = gate.check(request, token)
    if passage.opened is not None:
        gate.use_language(request, passage.opened.language)
        if passage.opened.upload_only:
            from sharing.public.uploads import upload_page

            return upload_page(request, token, passage.opened)
        return _orders_page(request, token, passage.opened)
    if not passage.locked_out and passage.refusal in GONE:
        door_language = get_api().share_status(token=token).language
        gate.use_language(request, door_language)
        return refused(request, token, passage.refusal)
    return _door(request, token)


def _door(request: HttpRequest, token: str, form: UnlockForm | None = None, wrong: bool = False) -> HttpResponse:
    door = get_api().share_status(token=token, client_ip=gate.client_ip(request))
    gate.use_language(request, door.language)
    if door.refusal in GONE:
        return refused(request, token, door.refusal)
    wait = throttle.client_wait(gate.client_ip(request))
    if door.refusal is ShareRefusal.LOCKED:
        wait = max(wait, door.retry_after)
    if wait:
        return locked(request, token, wait)
    context = public_context(
        request,
        token,
        form=form or UnlockForm(),
        needs_password=door.needs_password,
        wrong=wrong,
        upload_only=bool(door.kind and door.kind.upload_only),
    )
    return render_page(request, "sharing/public/door.html", context, status=200)


@require_POST
@share_csrf_protect
def share_unlock(request: HttpRequest, token: str) -> HttpResponseBase:
    """The door's form. A client paused for too many wrong passwords is answered before the
    password is looked at (no hashing); an unknown link and a wrong password get the same
    answer, and the service hashes a password for both."""
    started = time.monotonic()
    ip = gate.client_ip(request)
    wait = throttle.client_wait(ip)
    if wait:
        gate.use_language(request, get_api().share_status(token=token).language)
        return locked(request, token, wait)
    form = UnlockForm(request.POST)
    password = form.cleaned_data["password"] if form.is_valid() else ""
    opening = get_api().open_share(token=token, password=password, client_ip=ip)
    if opening.opened is not None:
        throttle.forget(ip)
        gate.remember_unlock(request, token, opening.opened)
        return redirect("share:open", token=token)
    # A wrong password on a real share does more work (the count, the access log, the audit
    # event) than on an unknown link, which only hashes: every refusal takes the same time.
    time.sleep(max(0.0, started + settings.RAYPORT_SHARE_REFUSAL_SECONDS - time.monotonic()))
    if opening.refusal is ShareRefusal.WRONG_PASSWORD:
        wait = throttle.count_failure(ip)
        if wait:
            gate.use_language(request, get_api().share_status(token=token).language)
            return locked(request, token, wait)
        return _door(request, token, UnlockForm(), wrong=True)
    gate.use_language(request, get_api().share_status(token=token).language)
    return refused(request, token, opening.refusal, opening.retry_after)


# --- What a share shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedOrder:
    """One order as the share page lists it: its summary, its studies (from the image index)
    and the first image of its first study, for a thumbnail."""

    order: OrderSummary
    studies: tuple[DicomStudy, ...]
    thumbnail: dict[str, str] | None


def _thumbnail_of(actor: Any, study: DicomStudy) -> dict[str, str] | None:
    found = get_api().search_instances(
        actor=actor, study_uid=study.study_uid, series_uid=None, query=DicomQuery(limit=1)
    )
    if not found:
        return None
    first = found[0]
    return {"study": first.study_uid, "series": first.series_uid, "instance": first.sop_instance_uid}


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), 100_000)
    except ValueError:
        return 1


def _orders_page(request: HttpRequest, token: str, opened: OpenedShare) -> HttpResponse:
    api = get_api()
    actor = opened.actor
    with only_orders(opened.order_ids):
        page = api.search_orders(
            actor=actor,
            query=OrderQuery(order_ids=opened.order_ids, page=_page_number(request), page_size=PAGE_SIZE),
        )
        studies: dict[UUID, list[DicomStudy]] = {}
        if page.items:
            for study in api.search_studies(actor=actor, query=DicomQuery(limit=1000)):
                studies.setdefault(study.order_id, []).append(study)
        rows = []
        for order in page.items:
            mine = tuple(studies.get(order.id, ()))
            rows.append(SharedOrder(order, mine, _thumbnail_of(actor, mine[0]) if mine else None))
    context = public_context(
        request, token, share=opened, page=page, rows=rows, download_url=_download_url(token, opened)
    )
    return render_page(request, "sharing/public/orders.html", context)


@require_safe
@shared
def share_order(request: HttpRequest, token: str, opened: OpenedShare, order_id: UUID) -> HttpResponseBase:
    """One shared order: its details, images (every series) and documents."""
    api = get_api()
    actor = opened.actor
    with only_orders(opened.order_ids):
        detail = api.order_properties(actor=actor, order_id=order_id)
        series = []
        for study in detail.studies:
            for one in study.series:
                found = api.search_instances(
                    actor=actor, study_uid=study.study_uid, series_uid=one.series_uid, query=DicomQuery(limit=1)
                )
                first = found[0].sop_instance_uid if found else ""
                series.append({"study": study, "series": one, "instance": first})
    api.log_share_access(token=token, client_ip=gate.client_ip(request), kind=ShareAccessKind.VIEWED, order_id=order_id)
    context = public_context(
        request,
        token,
        share=opened,
        detail=detail,
        order=detail.summary,
        series=series,
        download_url=_download_url(token, opened, order_id),
    )
    return render_page(request, "sharing/public/order.html", context)


@require_safe
@shared
def share_document(
    request: HttpRequest, token: str, opened: OpenedShare, order_id: UUID, document_id: UUID
) -> HttpResponseBase:
    """A document of a shared order, shown in the browser (saved only when downloads are
    allowed)."""
    download = opened.downloadable and request.GET.get("download") == "1"
    with only_orders(opened.order_ids):
        document, handle = get_api().open_document(
            actor=opened.actor, order_id=order_id, document_id=document_id, download=download
        )
    if download or request.headers.get("Range") is None:
        kind = ShareAccessKind.DOWNLOADED if download else ShareAccessKind.VIEWED
        get_api().log_share_access(
            token=token, client_ip=gate.client_ip(request), kind=kind, order_id=order_id, detail=document.name
        )
    response = file_response(
        request, handle, as_attachment=download, filename=document.name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    if not download:
        response["Content-Security-Policy"] = INLINE_CSP
    return response


@require_safe
@shared
@viewer_csp
def share_viewer(request: HttpRequest, token: str, opened: OpenedShare, order_id: UUID) -> HttpResponseBase:
    """The built-in viewer for one shared order, reading its images from the link's own
    DICOMweb mount; the patient's other orders in the share are its priors."""
    with only_orders(opened.order_ids):
        content = get_api().open_viewer(actor=opened.actor, order_id=order_id)
    get_api().log_share_access(
        token=token, client_ip=gate.client_ip(request), kind=ShareAccessKind.VIEWED, order_id=order_id
    )

    def document_url(download: bool) -> Callable[[Document], str]:
        def url(document: Document) -> str:
            path = reverse("share:document", kwargs={"token": token, "order_id": order_id, "document_id": document.id})
            return f"{path}?download=1" if download else path

        return url

    config = viewer_config(
        dicomweb=reverse("share_dicomweb:studies", kwargs={"token": token}).removesuffix("/studies"),
        studies=study_entries(content.order.studies),
        priors=prior_entries(content.priors),
        documents=document_entries(
            content.documents, document_url(False), document_url(True) if opened.downloadable else None
        ),
        download_url=_download_url(token, opened, order_id),
    )
    context = public_context(request, token, share=opened, order=content.order.summary, viewer_config=config)
    return render_page(request, "sharing/public/viewer.html", context)


def _download_url(token: str, opened: OpenedShare, order_id: UUID | None = None) -> str | None:
    """Where the share's ZIP (or one order's) downloads from, when the share allows downloads."""
    if not opened.downloadable:
        return None
    if order_id is None:
        return reverse("share:download", kwargs={"token": token})
    return reverse("share:order_download", kwargs={"token": token, "order_id": order_id})


def _archive(request: HttpRequest, token: str, opened: OpenedShare, order_ids: list[UUID]) -> HttpResponseBase:
    if not opened.downloadable:
        raise NotFound("this share allows no downloads")
    with only_orders(opened.order_ids):
        response = orders_archive_response(opened.actor, order_ids)
    get_api().log_share_access(
        token=token,
        client_ip=gate.client_ip(request),
        kind=ShareAccessKind.DOWNLOADED,
        order_id=order_ids[0] if len(order_ids) == 1 else None,
        detail=f"ZIP, {len(order_ids)}",
    )
    return response


@require_safe
@shared
def share_download(request: HttpRequest, token: str, opened: OpenedShare) -> HttpResponseBase:
    """Everything the share covers as one streamed ZIP (only when it allows downloads). The
    archive is built inside the share's scope, as its owner: it holds the shared orders and
    nothing else."""
    return _archive(request, token, opened, list(opened.order_ids[:ARCHIVE_ORDERS_MAX]))


@require_safe
@shared
def share_order_download(request: HttpRequest, token: str, opened: OpenedShare, order_id: UUID) -> HttpResponseBase:
    return _archive(request, token, opened, [order_id])
