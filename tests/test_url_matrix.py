"""Every named URL × every role: who may open each page and call each action, in one table.

How to add a URL (``test_every_url_has_a_row`` fails for a URL that is not in ``MATRIX``):

1. Add a row to ``MATRIX`` under the URL's full name (``"namespace:name"``)::

       "orders:detail": Row(
           kwargs=lambda s: {"order_id": s.order.id},  # built from the Scene below
           get=(LOGIN, 404, 404, 200, 200),            # anonymous, outsider, limited, staff, administrator
           post=(LOGIN, 404, 404, DONE, DONE),         # with ``data`` (valid for staff) when it needs some
           data=lambda s: {"order_ids": [s.order.id]},
       ),

   Give each method the URL accepts a tuple of five outcomes in ``ROLES`` order: a status code,
   ``LOGIN`` (302 to the sign-in page), ``DONE`` (a redirect without an error message: it
   worked) or ``REFUSED`` (a redirect with an error message: bulk actions and small forms
   report what they refused that way). A method without a tuple (of GET, POST, PUT) must be
   refused with 405 for every role. ``query`` adds a query string, ``data`` POSTs form
   fields, ``body`` sends raw content (JSON, PUT chunks) with its content type and headers.
2. If the URL needs an object the ``Scene`` lacks, add it there and in ``scene``.
3. Run ``pytest tests/test_url_matrix.py``: every mismatch is listed as
   ``name METHOD role: expected … got …``.

The personas: ``outsider`` is staff of another institution; ``limited`` is a limited user of
the clinic with nothing assigned or shared; ``staff`` created the orders, owns the folders and
started the upload; ``administrator`` belongs to no institution. Each request runs in a
savepoint rolled back afterwards (cookies restored), so one scene serves the whole matrix and
no request sees another's changes.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock
from uuid import UUID

import pydicom
import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from portal.staging import receive as staging
from portal.staging.types import UploadFileInfo
from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import Institution, StudyRecord
from postdicom.server.urls import READ_PATTERNS
from postdicom.types import (
    DicomNodeDraft,
    FlagDraft,
    OrderDraft,
    Role,
    ShareAudience,
    ShareOptions,
    UploadFile,
    ViewTarget,
)
from tests.conftest import make_user
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import make_image, pdf_bytes

LOGIN = "LOGIN"
DONE = "DONE"
REFUSED = "REFUSED"

Outcome = int | str
Outcomes = tuple[Outcome, Outcome, Outcome, Outcome, Outcome]
ROLES = ("anonymous", "outsider", "limited", "staff", "administrator")
METHODS = ("get", "post", "put")

#: Everyone is refused the same way.
ADMIN_ONLY_GET: Outcomes = (LOGIN, 403, 403, 403, 200)
ADMIN_ONLY_POST: Outcomes = (LOGIN, 403, 403, 403, DONE)


@dataclass
class Scene:
    """What the URLs point at: the clinic's objects, made through the service."""

    clinic: Institution
    colleague: User  # staff of the clinic: a share recipient, a group member, the user the admin pages edit
    order: Any  # the clinic's order, made by staff, with a document, filed in ``folder``, linked
    other: Any  # a second order of the clinic, linked to ``order``
    loner: Any  # a third order of the clinic, in no group
    trashed: Any  # an order of the clinic in the recycle bin
    document_id: UUID
    folder: Any  # staff's Cardiology / 2026 / March
    share_id: UUID  # ``folder`` shared with ``colleague``
    outside_share_id: UUID  # ``order`` shared by staff with dr@example.org (an e-mail share)
    batch_id: UUID  # staff's open upload in the clinic
    file_id: UUID  # a registered 4-byte file of that upload, nothing received yet
    full_batch_id: UUID  # staff's open upload whose one file is whole (ready to finish)
    dicom: bytes  # a small valid DICOM file
    flag_group: Any
    flag: Any
    group: Any  # a user group with ``colleague`` in it
    empty_group: Any  # a user group with nobody in it
    limited_id: UUID  # the limited user's id (not in any group)
    node: Any
    api_key: Any  # a key of ``colleague``'s, made by the administrator
    reset: tuple[str, str]  # uidb64 and token of a password reset for ``colleague``
    study: dict[str, str]  # a stored image of the clinic uploaded by staff: study, series, instance UIDs
    share_token: str  # the link of ``order`` shared by staff with outside people (with a password)
    view_link: Any  # staff's view link to the order of ``study``, for 127.0.0.1 (the test client)
    imaged_id: UUID  # the order of ``study``
    imaged_document_id: UUID  # a PDF on the order of ``study`` (which ``view_link`` shows)

    @property
    def colleague_id(self) -> UUID:
        return profile_of(self.colleague).uuid


@dataclass(frozen=True)
class Row:
    kwargs: Callable[[Scene], dict[str, Any]] = lambda s: {}
    get: Outcomes | None = None
    post: Outcomes | None = None
    put: Outcomes | None = None
    query: Callable[[Scene], dict[str, Any]] | None = None
    data: Callable[[Scene], dict[str, Any]] | None = None
    body: Callable[[Scene], tuple[bytes | str, str, dict[str, str]]] | None = None
    headers: Callable[[Scene], dict[str, str]] | None = None  # request headers (every method)


def _order(actor: User, institution: Institution, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "patient_name": "García^María",
        "patient_id": "P-1",
        "modality": "CT",
        "order_date": dt.date(2026, 11, 20),
    }
    values.update(fields)
    return get_api().create_order(actor=actor, institution_id=institution.uuid, draft=OrderDraft(**values))


def scene(tmp_path, clinic, staff_user, admin_user, limited_user) -> Scene:
    api = get_api()
    colleague = make_user("cole", Role.STAFF, [clinic], first_name="Cole", last_name="League")
    order = _order(staff_user, clinic, accession_number="AN-1")
    other = _order(staff_user, clinic, accession_number="AN-2")
    trashed = _order(staff_user, clinic, accession_number="AN-3")
    loner = _order(staff_user, clinic, accession_number="AN-4")
    api.delete_order(actor=staff_user, order_id=trashed.id)
    api.link_orders(actor=staff_user, order_ids=[order.id, other.id])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes())
    (document,) = api.upload_documents(
        actor=staff_user,
        order_id=order.id,
        files=[UploadFile(name="report.pdf", path=str(pdf), size=pdf.stat().st_size)],
    ).added
    folder = api.create_folder(actor=staff_user, name="Cardiology/2026/March")
    api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folder.id])
    (share,) = api.share_folder(
        actor=staff_user, folder_id=folder.id, audience=ShareAudience(user_ids=(profile_of(colleague).uuid,))
    )
    outside = api.share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(email="dr@example.org"),
        options=ShareOptions(password="correct horse"),
    )
    batch = staging.start(staff_user, institution_id=clinic.uuid)
    (file,) = staging.register(staff_user, batch.id, [UploadFileInfo("a.dcm", 4)])
    full = staging.start(staff_user, institution_id=clinic.uuid)
    (whole,) = staging.register(staff_user, full.id, [UploadFileInfo("b.dcm", 4)])
    with mock.patch("postdicom.local.uploads.queue._send"):
        staging.write_chunk(staff_user, full.id, whole.id, 0, io.BytesIO(b"DICM"), 4)
    flag_group = api.create_flag_group(actor=admin_user, name="Urgency")
    flag = api.create_flag(actor=admin_user, group_id=flag_group.id, draft=FlagDraft(name="Stat", color="#cc0000"))
    group = api.create_user_group(actor=admin_user, name="Echo team")
    api.add_group_members(actor=admin_user, group_id=group.id, user_ids=[profile_of(colleague).uuid])
    empty_group = api.create_user_group(actor=admin_user, name="Night shift")
    node = api.create_dicom_node(
        actor=admin_user,
        draft=DicomNodeDraft(name="CT 2", ae_title="CT2", host="ct2.clinic.test", port=104, institution_id=clinic.uuid),
    )
    api_key, _secret = api.create_api_key(actor=admin_user, name="Lab importer", user_id=profile_of(colleague).uuid)
    reset = (urlsafe_base64_encode(force_bytes(colleague.pk)), default_token_generator.make_token(colleague))
    image = make_image(tmp_path / "scan.dcm", patient_name="García^María", accession="AN-9")
    with mock.patch("postdicom.local.uploads.queue._send"):
        upload(staff_user, clinic, [image], tmp_path)
    ds = pydicom.dcmread(image)
    study = {"study": ds.StudyInstanceUID, "series": ds.SeriesInstanceUID, "instance": ds.SOPInstanceUID}
    linked = api.share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(link=True),
        options=ShareOptions(password="Quiet-Harbor-4721"),
    )
    imaged = StudyRecord.objects.select_related("order").get(study_uid=ds.StudyInstanceUID).order
    view_link = api.view_url(actor=staff_user, target=ViewTarget(order_id=imaged.uuid), client_ip="127.0.0.1")
    (imaged_document,) = api.upload_documents(
        actor=staff_user,
        order_id=imaged.uuid,
        files=[UploadFile(name="report.pdf", path=str(pdf), size=pdf.stat().st_size)],
    ).added
    return Scene(
        clinic=clinic,
        colleague=colleague,
        order=order,
        other=other,
        loner=loner,
        trashed=trashed,
        document_id=document.id,
        folder=folder,
        share_id=share.id,
        outside_share_id=outside.id,
        batch_id=batch.id,
        file_id=file.id,
        full_batch_id=full.id,
        dicom=make_image(tmp_path / "image.dcm").read_bytes(),
        flag_group=flag_group,
        flag=flag,
        group=group,
        empty_group=empty_group,
        limited_id=profile_of(limited_user).uuid,
        node=node,
        api_key=api_key,
        reset=reset,
        study=study,
        share_token=linked.url.rstrip("/").rsplit("/", 1)[-1],
        view_link=view_link,
        imaged_id=imaged.uuid,
        imaged_document_id=imaged_document.id,
    )


def _order_id(s: Scene) -> dict[str, Any]:
    return {"order_id": s.order.id}


def _outside_share(s: Scene) -> dict[str, Any]:
    return {"share_id": s.outside_share_id}


def _folder_id(s: Scene) -> dict[str, Any]:
    return {"folder_id": s.folder.id}


def _batch_id(s: Scene) -> dict[str, Any]:
    return {"batch_id": s.batch_id}


def _user_id(s: Scene) -> dict[str, Any]:
    return {"user_id": s.colleague_id}


def _group_id(s: Scene) -> dict[str, Any]:
    return {"group_id": s.group.id}


# The answers for anonymous, outsider, limited, staff, administrator.
ALL_LOGIN_405: Outcomes = (LOGIN, 405, 405, 405, 405)


def _dicom_upload(s: Scene) -> dict[str, Any]:
    return {"institution_id": s.clinic.uuid, "dicom_files": [SimpleUploadedFile("image.dcm", s.dicom)]}


def _order_form(s: Scene) -> dict[str, Any]:
    return {
        "institution_id": s.clinic.uuid,
        "last_name": "Pérez",
        "patient_id": "P-77",
        "modality": "MR",
        "order_date": "2026-11-21",
    }


def _node_form(s: Scene) -> dict[str, Any]:
    return {"name": "MR 1", "ae_title": "MR1", "host": "mr1.clinic.test", "port": 104, "institution": s.clinic.uuid}


#: A stored image of the clinic: 401 signed out, 404 for who may not see the order.
DICOMWEB_READ: Outcomes = (401, 404, 404, 200, 200)


def _study(s: Scene) -> dict[str, Any]:
    return {"study": s.study["study"]}


def _series(s: Scene) -> dict[str, Any]:
    return {"study": s.study["study"], "series": s.study["series"]}


def _instance(s: Scene) -> dict[str, Any]:
    return {**_series(s), "instance": s.study["instance"]}


def _share(s: Scene) -> dict[str, Any]:
    return {"token": s.share_token}


def _share_batch(s: Scene) -> dict[str, Any]:
    return {"token": s.share_token, "batch_id": s.batch_id}


#: A share link's pages before its password: back to the door; its JSON and forms: 403.
SHARE_DOOR: Outcomes = (DONE, DONE, DONE, DONE, DONE)
SHARE_403: Outcomes = (403, 403, 403, 403, 403)
#: A view link's page and images: the same for everyone who holds it.
VIEW_LINK_READ: Outcomes = (200, 200, 200, 200, 200)


def _view_token(s: Scene) -> dict[str, Any]:
    return {"token": s.view_link.url.strip("/").split("/")[-1]}


def _under_view_link(kwargs: Callable[[Scene], dict[str, Any]]) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {**_view_token(s), **kwargs(s)}


def _pd(header: str, make: Callable[[Scene], dict[str, Any]]) -> Callable[[Scene], dict[str, str]]:
    """A PostDICOM custom endpoint's parameter header, every value a string (as its C# client)."""
    return lambda s: {header: json.dumps({k: str(v) for k, v in make(s).items()})}


def _study_order(s: Scene) -> dict[str, Any]:
    order = StudyRecord.objects.select_related("order__institution").get(study_uid=s.study["study"]).order
    return {"PatientOrderInstitutionUuid": order.institution.uuid, "PatientOrderUuid": order.uuid}


def _the_order(s: Scene) -> dict[str, Any]:
    return {"PatientOrderInstitutionUuid": s.clinic.uuid, "PatientOrderUuid": s.order.id}


#: A custom endpoint about the clinic's order: 401 signed out, 404 for who may not see it.
CUSTOM_ORDER: Outcomes = (401, 404, 404, 200, 200)
#: A share link to the clinic's order: made by whoever sees it.
CUSTOM_SHARE: Outcomes = (401, 404, 404, 200, 200)
#: A share link to staff's folder: only its owner (folders are private, administrators too).
CUSTOM_SHARE_FOLDER: Outcomes = (401, 404, 404, 200, 404)
#: STOW-RS with one part that is no DICOM file: it fails alone (409, nothing stored) before
#: the ingest, so the matrix checks who may call it without storing anything.
STOW_NOTHING_STORED: Outcomes = (401, 409, 409, 409, 409)


def _stow_body(s: Scene) -> tuple[bytes, str, dict[str, str]]:
    body = b"--b\r\nContent-Type: application/dicom\r\n\r\nnot a DICOM file\r\n--b--\r\n"
    return body, 'multipart/related; type="application/dicom"; boundary=b', {}


MATRIX: dict[str, Row] = {
    # --- Signing in, the account, the language ------------------------------------------------------
    "home": Row(get=(LOGIN, DONE, DONE, DONE, DONE)),  # to the order list
    # Django's form views answer PUT like POST.
    "login": Row(
        get=(200, DONE, DONE, DONE, DONE),
        post=(200, DONE, DONE, DONE, DONE),  # a wrong password: the form again; signed in: home
        put=(200, DONE, DONE, DONE, DONE),
        data=lambda s: {"username": "cole", "password": "wrong"},
    ),
    "logout": Row(post=(DONE, DONE, DONE, DONE, DONE)),
    "password_change": Row(
        get=(LOGIN, 200, 200, 200, 200), post=(LOGIN, 200, 200, 200, 200), put=(LOGIN, 200, 200, 200, 200)
    ),
    "password_change_done": Row(get=(LOGIN, 200, 200, 200, 200), post=ALL_LOGIN_405, put=ALL_LOGIN_405),
    "password_reset": Row(
        get=(200, 200, 200, 200, 200),
        post=(DONE, DONE, DONE, DONE, DONE),
        put=(200, 200, 200, 200, 200),
        data=lambda s: {"email": "nobody@clinic.test"},
    ),
    "password_reset_done": Row(get=(200, 200, 200, 200, 200)),
    # A valid link goes on to the new-password form (the token moves into the session).
    "password_reset_confirm": Row(
        kwargs=lambda s: {"uidb64": s.reset[0], "token": s.reset[1]},
        get=(DONE, DONE, DONE, DONE, DONE),
        post=(DONE, DONE, DONE, DONE, DONE),
        put=(DONE, DONE, DONE, DONE, DONE),
    ),
    "password_reset_complete": Row(get=(200, 200, 200, 200, 200)),
    "set_language": Row(
        get=(DONE, DONE, DONE, DONE, DONE),  # changes nothing, back to where it came from
        post=(DONE, DONE, DONE, DONE, DONE),
        put=(DONE, DONE, DONE, DONE, DONE),
        data=lambda s: {"language": "es", "next": "/"},
    ),
    # --- Administration: administrators only (403 for everyone else, signed in) ----------------------
    "portal:admin_home": Row(get=ADMIN_ONLY_GET),
    "portal:user_list": Row(get=ADMIN_ONLY_GET),
    "portal:user_create": Row(
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {
            "username": "nora",
            "role": "staff",
            "institution_ids": [s.clinic.uuid],
            "password": "another-long-passphrase-7",
        },
    ),
    "portal:user_detail": Row(kwargs=_user_id, get=ADMIN_ONLY_GET),
    "portal:user_edit": Row(
        kwargs=_user_id,
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"username": "cole", "role": "staff", "institution_ids": [s.clinic.uuid]},
    ),
    "portal:user_password": Row(
        kwargs=_user_id,
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"password": "another-long-passphrase-7", "password2": "another-long-passphrase-7"},
    ),
    "portal:user_activate": Row(kwargs=_user_id, post=ADMIN_ONLY_POST),
    "portal:user_deactivate": Row(kwargs=_user_id, post=ADMIN_ONLY_POST),
    "portal:user_group_add": Row(kwargs=_user_id, post=ADMIN_ONLY_POST, data=lambda s: {"group_id": s.empty_group.id}),
    "portal:user_group_remove": Row(
        kwargs=lambda s: {"user_id": s.colleague_id, "group_id": s.group.id}, post=ADMIN_ONLY_POST
    ),
    "portal:group_list": Row(get=ADMIN_ONLY_GET),
    "portal:group_create": Row(get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=lambda s: {"name": "Radiology"}),
    "portal:group_detail": Row(kwargs=_group_id, get=ADMIN_ONLY_GET),
    "portal:group_edit": Row(
        kwargs=_group_id, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=lambda s: {"name": "Echo"}
    ),
    "portal:group_delete": Row(kwargs=_group_id, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST),
    "portal:group_candidates": Row(kwargs=_group_id, get=ADMIN_ONLY_GET),
    "portal:group_members_add": Row(
        kwargs=_group_id, post=ADMIN_ONLY_POST, data=lambda s: {"user_ids": [s.limited_id]}
    ),
    "portal:group_member_remove": Row(
        kwargs=lambda s: {"group_id": s.group.id, "user_id": s.colleague_id}, post=ADMIN_ONLY_POST
    ),
    "portal:institution_list": Row(get=ADMIN_ONLY_GET),
    "portal:institution_create": Row(get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=lambda s: {"name": "South"}),
    "portal:institution_edit": Row(
        kwargs=lambda s: {"institution_id": s.clinic.uuid},
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"name": "Clínica Central", "is_active": "on"},
    ),
    "portal:node_list": Row(get=ADMIN_ONLY_GET),
    "portal:node_create": Row(get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=_node_form),
    "portal:node_edit": Row(
        kwargs=lambda s: {"node_id": s.node.id}, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=_node_form
    ),
    "portal:node_delete": Row(kwargs=lambda s: {"node_id": s.node.id}, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST),
    "portal:api_key_list": Row(get=ADMIN_ONLY_GET),
    # A made key's secret is shown in the answer to the POST itself (200), never after a redirect.
    "portal:api_key_create": Row(
        get=ADMIN_ONLY_GET,
        post=(LOGIN, 403, 403, 403, 200),
        data=lambda s: {"name": "PACS bridge", "user": s.colleague_id},
    ),
    "portal:api_key_revoke": Row(kwargs=lambda s: {"key_id": s.api_key.id}, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST),
    "portal:flag_list": Row(get=ADMIN_ONLY_GET),
    "portal:flag_group_create": Row(get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST, data=lambda s: {"name": "Billing"}),
    "portal:flag_group_rename": Row(
        kwargs=lambda s: {"group_id": s.flag_group.id},
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"name": "Urgent"},
    ),
    "portal:flag_group_delete": Row(
        kwargs=lambda s: {"group_id": s.flag_group.id}, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST
    ),
    "portal:flag_create": Row(
        kwargs=lambda s: {"group_id": s.flag_group.id},
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"name": "Routine", "color": "#00aa00"},
    ),
    "portal:flag_edit": Row(
        kwargs=lambda s: {"flag_id": s.flag.id},
        get=ADMIN_ONLY_GET,
        post=ADMIN_ONLY_POST,
        data=lambda s: {"name": "STAT", "color": "#cc0000"},
    ),
    "portal:flag_delete": Row(kwargs=lambda s: {"flag_id": s.flag.id}, get=ADMIN_ONLY_GET, post=ADMIN_ONLY_POST),
    "portal:audit_log": Row(get=ADMIN_ONLY_GET),
    "portal:audit_export": Row(get=ADMIN_ONLY_GET),
    # --- Orders: outsiders and limited users without an assignment never see the clinic's order --------
    "orders:list": Row(get=(LOGIN, 200, 200, 200, 200)),  # each sees their own orders
    # The picture of the order's study (made on this first request): like the order itself.
    "orders:thumbnail": Row(kwargs=lambda s: {"order_id": s.imaged_id}, get=(LOGIN, 404, 404, 200, 200)),
    # A new order goes into one of the user's institutions: the clinic is not a choice for the outsider.
    "orders:create": Row(get=(LOGIN, 200, 200, 200, 200), post=(LOGIN, 200, DONE, DONE, DONE), data=_order_form),
    "orders:recycle_bin": Row(get=(LOGIN, 200, 403, 200, 200)),
    # Bulk actions report each refused order as an error message and go back to the list.
    "orders:bulk_flag": Row(
        post=(LOGIN, REFUSED, REFUSED, DONE, DONE),
        data=lambda s: {"order_ids": [s.order.id], "flag": f"{s.flag_group.id}:{s.flag.id}"},
    ),
    "orders:bulk_assign": Row(
        post=(LOGIN, REFUSED, REFUSED, DONE, DONE),
        data=lambda s: {"order_ids": [s.order.id], "assignee": f"user:{s.colleague_id}"},
    ),
    "orders:bulk_link": Row(post=(LOGIN, 404, 404, DONE, DONE), data=lambda s: {"order_ids": [s.loner.id, s.other.id]}),
    # A ZIP of the ticked orders: 404 when one of them is hidden, as for the order's own page.
    "orders:bulk_download": Row(post=(LOGIN, 404, 404, 200, 200), data=lambda s: {"order_ids": [s.order.id]}),
    "orders:bulk_delete": Row(post=(LOGIN, REFUSED, REFUSED, DONE, DONE), data=lambda s: {"order_ids": [s.order.id]}),
    # Uploading: into one of the user's institutions (administrators: any); the clinic is not a
    # choice for the outsider (the form again). A batch is its uploader's (and administrators').
    "orders:upload": Row(get=(LOGIN, 200, 200, 200, 200), post=(LOGIN, 200, DONE, DONE, DONE), data=_dicom_upload),
    "orders:upload_preview": Row(
        post=(LOGIN, 200, 200, 200, 200),  # reads the files sent, nothing stored
        data=lambda s: {"file": SimpleUploadedFile("image.dcm", s.dicom), "name": "image.dcm", "size": len(s.dicom)},
    ),
    "orders:upload_start": Row(post=(LOGIN, 400, 201, 201, 201), data=lambda s: {"institution_id": s.clinic.uuid}),
    "orders:upload_batch": Row(kwargs=_batch_id, get=(LOGIN, 404, 404, 200, 200)),
    "orders:upload_state": Row(kwargs=_batch_id, get=(LOGIN, 404, 404, 200, 200)),
    "orders:upload_register": Row(
        kwargs=_batch_id,
        post=(LOGIN, 404, 404, 200, 200),
        body=lambda s: (json.dumps({"files": [{"name": "b.dcm", "size": 8}]}), "application/json", {}),
    ),
    "orders:upload_chunk": Row(
        kwargs=lambda s: {"batch_id": s.batch_id, "file_id": s.file_id},
        put=(LOGIN, 404, 404, 200, 200),
        query=lambda s: {"offset": 0},
        body=lambda s: (b"DICM", "application/octet-stream", {}),
    ),
    "orders:upload_parts": Row(
        kwargs=_batch_id,
        put=(LOGIN, 404, 404, 200, 200),
        body=lambda s: (b"DICM", "application/octet-stream", {"X-Upload-Parts": f"{s.file_id}:0:4"}),
    ),
    "orders:upload_finish": Row(kwargs=lambda s: {"batch_id": s.full_batch_id}, post=(LOGIN, 404, 404, 200, 200)),
    "orders:detail": Row(kwargs=_order_id, get=(LOGIN, 404, 404, 200, 200)),
    "orders:download": Row(kwargs=_order_id, get=(LOGIN, 404, 404, 200, 200)),
    "orders:document_upload": Row(
        kwargs=_order_id,
        post=(LOGIN, 404, 404, DONE, DONE),
        data=lambda s: {"attachments": [SimpleUploadedFile("more.pdf", pdf_bytes())]},
    ),
    "orders:document_download": Row(
        kwargs=lambda s: {"order_id": s.order.id, "document_id": s.document_id}, get=(LOGIN, 404, 404, 200, 200)
    ),
    "orders:document_view": Row(
        kwargs=lambda s: {"order_id": s.order.id, "document_id": s.document_id}, get=(LOGIN, 404, 404, 200, 200)
    ),
    "orders:document_pdf": Row(
        kwargs=lambda s: {"order_id": s.order.id, "document_id": s.document_id}, get=(LOGIN, 404, 404, 200, 200)
    ),
    "orders:document_delete": Row(
        kwargs=lambda s: {"order_id": s.order.id, "document_id": s.document_id}, post=(LOGIN, 404, 404, DONE, DONE)
    ),
    "orders:delete": Row(kwargs=_order_id, post=(LOGIN, 404, 404, DONE, DONE)),
    "orders:edit": Row(kwargs=_order_id, get=(LOGIN, 404, 404, 200, 200), post=(LOGIN, 404, 404, 200, 200)),
    "orders:viewer": Row(kwargs=_order_id, get=(LOGIN, 404, 404, 200, 200)),
    "orders:purge": Row(
        kwargs=lambda s: {"order_id": s.trashed.id}, get=(LOGIN, 404, 404, 403, 200), post=(LOGIN, 404, 404, 403, DONE)
    ),
    "orders:link": Row(
        kwargs=lambda s: {"order_id": s.loner.id},
        get=(LOGIN, 404, 404, 200, 200),
        post=(LOGIN, 404, 404, DONE, DONE),
        data=lambda s: {"order_ids": [s.other.id]},
    ),
    "orders:bulk_add_to_link": Row(
        post=(LOGIN, 404, 404, DONE, DONE), data=lambda s: {"order_ids": [s.order.id, s.loner.id]}
    ),
    "orders:restore": Row(kwargs=lambda s: {"order_id": s.trashed.id}, post=(LOGIN, 404, 404, DONE, DONE)),
    "orders:flag": Row(
        kwargs=_order_id,
        post=(LOGIN, 404, 404, DONE, DONE),
        data=lambda s: {"group_id": s.flag_group.id, "flag_id": s.flag.id},
    ),
    "orders:assign": Row(
        kwargs=_order_id, post=(LOGIN, 404, 404, DONE, DONE), data=lambda s: {"assignee": f"user:{s.colleague_id}"}
    ),
    "orders:unassign": Row(
        kwargs=_order_id, post=(LOGIN, 404, 404, DONE, DONE), data=lambda s: {"user_id": s.colleague_id}
    ),
    "orders:move": Row(
        kwargs=_order_id, post=(LOGIN, 404, 404, DONE, DONE), data=lambda s: {"institution_id": s.clinic.uuid}
    ),
    "orders:unlink": Row(kwargs=_order_id, post=(LOGIN, 404, 404, DONE, DONE)),
    # --- Folders: each user's own; nobody else's exists for them, administrators included --------------
    "folders:tree": Row(get=(LOGIN, 200, 200, 200, 200)),
    "folders:create": Row(
        get=(LOGIN, 200, 200, 200, 200), post=(LOGIN, DONE, DONE, DONE, DONE), data=lambda s: {"name": "Neuro"}
    ),
    "folders:options": Row(get=(LOGIN, 200, 200, 200, 200), query=lambda s: {"picker": "bulk"}),
    "folders:bulk_add_orders": Row(
        post=(LOGIN, REFUSED, REFUSED, DONE, REFUSED),
        data=lambda s: {"order_ids": [s.other.id], "folder_ids": [s.folder.id]},
    ),
    # Administrators see the order but may file it only in folders of their own (the form says so).
    "folders:file_order": Row(
        kwargs=lambda s: {"order_id": s.other.id},
        get=(LOGIN, 404, 404, 200, 200),
        post=(LOGIN, 404, 404, DONE, 200),
        data=lambda s: {"folder_ids": [s.folder.id]},
    ),
    "folders:detail": Row(kwargs=_folder_id, get=(LOGIN, 404, 404, 200, 404)),
    "folders:children": Row(kwargs=_folder_id, get=(LOGIN, 404, 404, 200, 404)),
    "folders:edit": Row(
        kwargs=_folder_id,
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, DONE, 404),
        data=lambda s: {"name": "Marzo"},
    ),
    "folders:move": Row(
        kwargs=_folder_id,
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, DONE, 404),
        data=lambda s: {"parent": ""},
    ),
    "folders:delete": Row(kwargs=_folder_id, get=(LOGIN, 404, 404, 200, 404), post=(LOGIN, 404, 404, DONE, 404)),
    "folders:remove_orders": Row(
        kwargs=_folder_id, post=(LOGIN, 404, 404, DONE, 404), data=lambda s: {"order_ids": [s.order.id]}
    ),
    "folders:share": Row(
        kwargs=_folder_id,
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, DONE, 404),
        data=lambda s: {"user_ids": [s.colleague_id], "may_edit": "on"},
    ),
    "folders:revoke_share": Row(
        kwargs=lambda s: {"folder_id": s.folder.id, "share_id": s.share_id},
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, DONE, 404),
    ),
    # --- Sharing with outside people ------------------------------------------------------------------
    "sharing:mine": Row(get=(LOGIN, 200, 200, 200, 200)),
    "sharing:share_orders": Row(
        query=lambda s: {"order_ids": str(s.order.id)},
        get=(LOGIN, 404, 404, 200, 200),
        post=(LOGIN, 404, 404, 200, 200),  # 200: the link and password, shown once
        data=lambda s: {"order_ids": [s.order.id], "audience": "link", "password_choice": "none", "language": "en"},
    ),
    "sharing:share_folder": Row(
        kwargs=_folder_id,
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, 200, 404),
        data=lambda s: {"audience": "upload_link", "password_choice": "generate", "language": "es"},
    ),
    "sharing:detail": Row(kwargs=_outside_share, get=(LOGIN, 404, 404, 200, 200)),
    "sharing:change": Row(
        kwargs=_outside_share,
        get=(LOGIN, 404, 404, 200, 200),
        post=(LOGIN, 404, 404, DONE, DONE),
        data=lambda s: {"password_choice": "keep", "open_limit": "5"},
    ),
    "sharing:revoke": Row(kwargs=_outside_share, get=(LOGIN, 404, 404, 200, 200), post=(LOGIN, 404, 404, DONE, DONE)),
    "sharing:resend": Row(kwargs=_outside_share, post=(LOGIN, 404, 404, DONE, DONE)),
    # The public pages of a link: the same for every role, signed in or not (an account adds
    # nothing to a link). Nobody here has given the password: the door (200), the other pages
    # back to it (DONE), JSON 403 for the upload protocol and images; the visitor's own form
    # token is missing from every POST and PUT (403). tests/sharing/ has the unlocked visitor.
    "share:open": Row(kwargs=_share, get=(200, 200, 200, 200, 200)),
    "share:unlock": Row(kwargs=_share, post=SHARE_403, data=lambda s: {"password": "Quiet-Harbor-4721"}),
    "share:order": Row(kwargs=lambda s: {**_share(s), **_order_id(s)}, get=SHARE_DOOR),
    "share:viewer": Row(kwargs=lambda s: {**_share(s), **_order_id(s)}, get=SHARE_DOOR),
    "share:download": Row(kwargs=_share, get=SHARE_DOOR),
    "share:order_download": Row(kwargs=lambda s: {**_share(s), **_order_id(s)}, get=SHARE_DOOR),
    "share:document": Row(kwargs=lambda s: {**_share(s), **_order_id(s), "document_id": s.document_id}, get=SHARE_DOOR),
    "share:upload_preview": Row(kwargs=_share, post=SHARE_403),
    "share:upload_start": Row(kwargs=_share, post=SHARE_403),
    "share:upload_batch": Row(kwargs=_share_batch, get=SHARE_DOOR),
    "share:upload_state": Row(kwargs=_share_batch, get=SHARE_403),
    "share:upload_register": Row(kwargs=_share_batch, post=SHARE_403),
    "share:upload_chunk": Row(kwargs=lambda s: {**_share_batch(s), "file_id": s.file_id}, put=SHARE_403),
    "share:upload_parts": Row(kwargs=_share_batch, put=SHARE_403),
    "share:upload_finish": Row(kwargs=_share_batch, post=SHARE_403),
    # --- DICOMweb (session sign-in; JSON 401 instead of a login redirect; GET and HEAD only) ---------
    "dicomweb:studies": Row(  # what each may see: nothing, for two of them
        get=(401, 200, 200, 200, 200), post=STOW_NOTHING_STORED, body=_stow_body
    ),
    "dicomweb:study": Row(kwargs=_study, get=DICOMWEB_READ, post=STOW_NOTHING_STORED, body=_stow_body),
    # STOW-RS to the base URL into the clinic: the outsider is told it is none of theirs.
    "dicomweb:store": Row(
        post=(401, 400, 409, 409, 409), query=lambda s: {"institution": s.clinic.uuid}, body=_stow_body
    ),
    # PostDICOM's flat paths: the same answers as the standard ones.
    "dicomweb:flat_series_search": Row(get=DICOMWEB_READ, query=lambda s: {"0020000D": s.study["study"]}),
    "dicomweb:flat_instance_search": Row(get=DICOMWEB_READ, query=lambda s: {"0020000E": s.study["series"]}),
    "dicomweb:flat_series": Row(kwargs=lambda s: {"series": s.study["series"]}, get=DICOMWEB_READ),
    "dicomweb:flat_instance": Row(kwargs=lambda s: {"instance": s.study["instance"]}, get=DICOMWEB_READ),
    "dicomweb:study_metadata": Row(kwargs=_study, get=DICOMWEB_READ),
    "dicomweb:study_series": Row(kwargs=_study, get=DICOMWEB_READ),
    "dicomweb:study_instances": Row(kwargs=_study, get=DICOMWEB_READ),
    "dicomweb:series": Row(kwargs=_series, get=DICOMWEB_READ),
    "dicomweb:series_metadata": Row(kwargs=_series, get=DICOMWEB_READ),
    "dicomweb:series_instances": Row(kwargs=_series, get=DICOMWEB_READ),
    "dicomweb:instance": Row(kwargs=_instance, get=DICOMWEB_READ),
    "dicomweb:instance_metadata": Row(kwargs=_instance, get=DICOMWEB_READ),
    "dicomweb:instance_rendered": Row(kwargs=_instance, get=DICOMWEB_READ),
    "dicomweb:instance_thumbnail": Row(kwargs=_instance, get=DICOMWEB_READ),
    "dicomweb:frames": Row(kwargs=lambda s: {**_instance(s), "frames": "1"}, get=DICOMWEB_READ),
    "dicomweb:frame_rendered": Row(kwargs=lambda s: {**_instance(s), "frames": "1"}, get=DICOMWEB_READ),
    # --- View links: made by whoever sees the order (or owns the folder); opened by anyone ---------------
    "viewlinks:list": Row(get=(LOGIN, 200, 200, 200, 200)),  # each sees their own links
    # A patient none of them sees is refused in the form (400).
    "viewlinks:patient": Row(
        get=(LOGIN, 200, 200, 200, 200),
        post=(LOGIN, 400, 400, 200, 200),
        data=lambda s: {"patient_name": "García^María", "lifetime": 60},
    ),
    "viewlinks:order": Row(
        kwargs=_order_id,
        get=(LOGIN, 404, 404, 200, 200),
        post=(LOGIN, 404, 404, 200, 200),  # the new link is shown in the answer, this once
        data=lambda s: {"reach": "order", "lifetime": 60},
    ),
    # A folder is its owner's (administrators included, nobody else sees it).
    "viewlinks:folder": Row(
        kwargs=_folder_id,
        get=(LOGIN, 404, 404, 200, 404),
        post=(LOGIN, 404, 404, 200, 404),
        data=lambda s: {"lifetime": 60},
    ),
    "viewlinks:revoke": Row(
        kwargs=lambda s: {"link_id": s.view_link.id}, get=(LOGIN, 404, 404, 200, 404), post=(LOGIN, 404, 404, DONE, 404)
    ),
    # The link itself works for whoever holds it (from its address), signed in or not.
    "viewlinks:page": Row(kwargs=_view_token, get=VIEW_LINK_READ),
    # Its orders' documents, shown (never downloaded) as its maker sees them.
    "viewlinks:document": Row(
        kwargs=_under_view_link(lambda s: {"order_id": s.imaged_id, "document_id": s.imaged_document_id}),
        get=VIEW_LINK_READ,
    ),
    **{
        f"viewlinks:{name}": Row(kwargs=_under_view_link(kwargs), get=VIEW_LINK_READ)
        for name, kwargs in (
            ("dicomweb:studies", lambda s: {}),
            ("dicomweb:study", _study),
            ("dicomweb:study_metadata", _study),
            ("dicomweb:study_series", _study),
            ("dicomweb:study_instances", _study),
            ("dicomweb:series", _series),
            ("dicomweb:series_metadata", _series),
            ("dicomweb:series_instances", _series),
            ("dicomweb:instance", _instance),
            ("dicomweb:instance_metadata", _instance),
            ("dicomweb:instance_rendered", _instance),
            ("dicomweb:instance_thumbnail", _instance),
            ("dicomweb:frames", lambda s: {**_instance(s), "frames": "1"}),
            ("dicomweb:frame_rendered", lambda s: {**_instance(s), "frames": "1"}),
        )
    },
    # --- PostDICOM's custom endpoints (GET with an <Op>Parameters header; JSON 401) -----------------
    # Orders are made in the caller's own institutions (administrators: any): the outsider is
    # refused as a wrong InstitutionUuid.
    "dicomweb:createpatientorder": Row(
        get=(401, 400, 200, 200, 200),
        headers=_pd(
            "CreatePatientOrderParameters",
            lambda s: {
                "InstitutionUuid": s.clinic.uuid,
                "PatientName": "PEREZ^JUAN",
                "PatientId": "P-77",
                "PatientBirthdate": "1975-03-09",
                "Modality": "MR",
            },
        ),
    ),
    "dicomweb:getpatientorderlist": Row(
        get=(401, 200, 200, 200, 200), headers=_pd("GetPatientOrderListParameters", lambda s: {"PatientName": ""})
    ),
    "dicomweb:getpatientorderproperties": Row(
        get=CUSTOM_ORDER, headers=_pd("GetPatientOrderPropertiesParameters", _the_order)
    ),
    "dicomweb:deleteorder": Row(get=CUSTOM_ORDER, headers=_pd("DeleteOrderParameters", _the_order)),
    "dicomweb:assignordertouser": Row(
        get=CUSTOM_ORDER,
        headers=_pd(
            "AssignOrderToUserParameters",
            lambda s: {"PatientOrderUuid": s.order.id, "AssignedUserUuid": s.colleague_id},
        ),
    ),
    "dicomweb:assignordertousergroup": Row(
        get=CUSTOM_ORDER,
        headers=_pd(
            "AssignOrderToUserGroupParameters",
            lambda s: {"PatientOrderUuid": s.order.id, "AssignedUserGroupUuid": s.group.id},
        ),
    ),
    "dicomweb:createfolder": Row(
        get=(401, 200, 200, 200, 200), headers=_pd("CreateFolderParameters", lambda s: {"FolderName": "Inbox"})
    ),
    # Folders are private: only their owner (staff) sees inside, administrators included.
    "dicomweb:searchfolder": Row(
        get=(401, 404, 404, 200, 404),
        headers=_pd("SearchFolderParameters", lambda s: {"ParentFolderUuid": s.folder.id, "GetOrdersInFolder": True}),
    ),
    "dicomweb:addordertofolder": Row(
        get=(401, 404, 404, 200, 404),
        headers=_pd(
            "AddOrderToFolderParameters",
            lambda s: {"PatientOrderUuid": s.loner.id, "FolderUuidList": json.dumps([str(s.folder.id)])},
        ),
    ),
    "dicomweb:createsharelink": Row(
        get=CUSTOM_SHARE,
        headers=_pd(
            "ShareParameters",
            lambda s: {"PatientOrderInfoList": json.dumps([json.dumps({"PatientOrderUuid": str(s.order.id)})])},
        ),
    ),
    "dicomweb:sharepatientorderwithurl": Row(
        get=CUSTOM_SHARE,
        headers=_pd("SharePatientOrderParameters", lambda s: {"OrderUuidList": json.dumps([str(s.order.id)])}),
    ),
    "dicomweb:sharefolderwithurl": Row(
        get=CUSTOM_SHARE_FOLDER, headers=_pd("ShareFolderParameters", lambda s: {"FolderUuid": s.folder.id})
    ),
    "dicomweb:getdicomtagcontent": Row(
        get=CUSTOM_ORDER,
        headers=_pd("GetDicomTagContentParameters", lambda s: {**_study_order(s), "DicomTagIdList": '["PatientName"]'}),
    ),
}


def _under_share(kwargs: Callable[[Scene], dict[str, Any]]) -> Callable[[Scene], dict[str, Any]]:
    return lambda s: {**_share(s), **kwargs(s)}


# The DICOMweb read side under a share link: the read paths of /dicomweb/ (never the store, the
# flat paths or the custom endpoints), 403 before the password.
MATRIX.update(
    {
        f"share_dicomweb:{read.name}": Row(kwargs=_under_share(MATRIX[f"dicomweb:{read.name}"].kwargs), get=SHARE_403)
        for read in READ_PATTERNS
    }
)

# --- Running the matrix ---------------------------------------------------------------------------


def url_names() -> set[str]:
    """Every named URL of the project, ``namespace:name``, through every ``include``."""

    def walk(resolver: URLResolver, namespace: str) -> Iterator[str]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                yield from walk(entry, f"{namespace}:{inner}".strip(":") if inner else namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}:{entry.name}" if namespace else entry.name

    return set(walk(get_resolver(), ""))


def outcome(response: Any) -> Outcome:
    if response.status_code in (301, 302, 303):
        if response["Location"].startswith(reverse("login") + "?"):
            return LOGIN
        refused = [m for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]
        return REFUSED if refused else DONE
    return response.status_code


def call(client: Client, method: str, url: str, row: Row, s: Scene) -> Outcome:
    """One request in a savepoint that is rolled back; the client's cookies are kept as they were."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            target = f"{url}?{urlencode(row.query(s))}" if row.query else url
            headers = row.headers(s) if row.headers else {}
            if method == "get":
                response = client.get(target, headers=headers)
            elif row.body is not None:
                content, content_type, extra = row.body(s)
                response = client.generic(
                    method.upper(), target, content, content_type=content_type, headers={**headers, **extra}
                )
            else:
                response = (
                    client.generic(method.upper(), target, headers=headers)
                    if method == "put"
                    else client.post(target, row.data(s) if row.data else {}, headers=headers)
                )
            result = outcome(response)
            if response.streaming:  # read to the end: the client's wrapper then closes it safely
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return result


def test_every_url_has_a_row():
    missing = sorted(url_names() - MATRIX.keys())
    stale = sorted(MATRIX.keys() - url_names())
    assert not missing, (
        f"No authorization decided for {missing}: add a row to MATRIX in tests/test_url_matrix.py "
        "(see the comment at its top) with the answer for each role and method."
    )
    assert not stale, f"MATRIX has rows for URLs that no longer exist: {stale}"


@pytest.fixture
def clients(outsider, limited_user, staff_user, admin_user) -> dict[str, Client]:
    made = {"anonymous": Client(raise_request_exception=False)}
    for role, user in zip(ROLES[1:], (outsider, limited_user, staff_user, admin_user), strict=True):
        made[role] = Client(raise_request_exception=False)
        made[role].force_login(user)
    return made


def test_every_role_gets_the_decided_answer(
    settings, tmp_path, clinic, staff_user, admin_user, limited_user, clients, caplog
):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # a thousand refusals, each logged
    local_storage(settings, tmp_path)  # stored files go to this test's folder
    # Every role asks to reset the same address; the throttle has tests of its own.
    settings.RAYPORT_PASSWORD_RESETS_PER_ADDRESS = 100
    # STOW-RS stores in the request: no worker runs here, and a request's transaction never commits.
    settings.RAYPORT_STOW_IN_REQUEST = True
    s = scene(tmp_path, clinic, staff_user, admin_user, limited_user)
    wrong = []
    for name in sorted(url_names() & MATRIX.keys()):
        row = MATRIX[name]
        url = reverse(name, kwargs=row.kwargs(s))
        for method in METHODS:
            expected: Outcomes = getattr(row, method) or (405, 405, 405, 405, 405)
            for role, want in zip(ROLES, expected, strict=True):
                got = call(clients[role], method, url, row, s)
                if got != want:
                    wrong.append(f"{name} {method.upper()} {role}: expected {want}, got {got}")
    assert not wrong, "\n".join(["URL × role answers that differ from MATRIX:", *wrong])
