"""Bad input never makes a 500 (issue 9, item 9).

Every parameter a page, form or the upload API reads gets values a browser would never send:
numbers past PostgreSQL's bigint, huge strings, NUL bytes, malformed UUIDs and dates, and the
first and last dates Python knows. Each must answer with a clear 4xx (or the page with a form
error), never a 500. Each request runs in its own savepoint, so one database error does not hide
the next, and every failure is listed at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from portal.staging import receive as staging
from portal.staging.types import UploadFileInfo
from postdicom import get_api
from postdicom.types import DicomNodeDraft, FlagDraft, OrderQuery, Role, ShareAudience, ShareOptions
from tests.conftest import make_user
from tests.orders.conftest import new_order

HUGE = "9" * 20
BAD_VALUES = [
    HUGE,  # past bigint
    "-" + HUGE,
    "1e400",
    "x" * 20_000,  # a huge string
    "a\x00b",  # a NUL byte: PostgreSQL refuses it in text
    "not-a-uuid",
    "2024-13-45",
    "9999-12-31",  # the last date: one more day overflows
    "0001-01-01",
]

ORDER_FILTERS = [
    "name",
    "patient_id",
    "other_patient_id",
    "accession",
    "modality",
    "institution",
    "date_from",
    "date_to",
    "birth_from",
    "birth_to",
    "status",
    "flag",
    "mine",
    "sort",
    "page",
    "folder",
]


SHARE_FIELDS = (
    "audience",
    "email",
    "password_email",
    "password_choice",
    "password",
    "title",
    "message",
    "expires",
    "open_limit",
    "language",
)


@dataclass(frozen=True)
class Endpoint:
    name: str
    args: tuple[str, ...] = ()  # names of scene ids
    method: str = "get"
    params: tuple[str, ...] = ()


ENDPOINTS = [
    # order pages
    Endpoint("orders:list", params=(*ORDER_FILTERS,)),
    Endpoint("orders:recycle_bin", params=("page",)),
    Endpoint(
        "orders:create",
        method="post",
        params=(
            "institution_id",
            "last_name",
            "order_date",
            "order_time",
            "birth_date",
            "performed_at",
            "scheduled_equipment_id",
            "accession_number",
            "modality",
            "sex",
            "priority",
        ),
    ),
    Endpoint("orders:detail", ("order",)),
    Endpoint("orders:flag", ("order",), "post", ("group_id", "flag_id", "next")),
    Endpoint("orders:assign", ("order",), "post", ("assignee", "next")),
    Endpoint("orders:unassign", ("order",), "post", ("user_id", "group_id")),
    Endpoint("orders:move", ("order",), "post", ("institution_id",)),
    Endpoint("orders:bulk_flag", method="post", params=("order_ids", "flag")),
    Endpoint("orders:bulk_assign", method="post", params=("order_ids", "assignee")),
    Endpoint("orders:bulk_link", method="post", params=("order_ids",)),
    Endpoint("orders:bulk_delete", method="post", params=("order_ids",)),
    Endpoint("orders:upload", params=("page",)),
    Endpoint(
        "orders:upload_start",
        method="post",
        params=("institution_id", "folder_id", "value_PatientName", "value_StudyDate"),
    ),
    Endpoint("orders:upload_batch", ("batch",), params=("page",)),
    # folder pages
    Endpoint("folders:tree", params=("q",)),
    Endpoint("folders:detail", ("folder",), params=(*ORDER_FILTERS, "q")),
    Endpoint("folders:children", ("folder",)),
    Endpoint("folders:options", params=("picker", "folder")),
    Endpoint("folders:create", method="post", params=("name", "parent", "description")),
    Endpoint("folders:create", params=("parent",)),
    Endpoint("folders:edit", ("folder",), "post", ("name", "description")),
    Endpoint("folders:move", ("folder",), "post", ("parent",)),
    Endpoint("folders:share", ("folder",), "post", ("user_ids", "group_ids", "expires")),
    Endpoint("folders:bulk_add_orders", method="post", params=("order_ids", "folder_ids")),
    Endpoint("folders:file_order", ("order",), "post", ("folder_ids",)),
    Endpoint("folders:remove_orders", ("folder",), "post", ("order_ids",)),
    # sharing with outside people
    Endpoint("sharing:share_orders", params=("order_ids", "next")),
    Endpoint("sharing:share_orders", method="post", params=("order_ids", *SHARE_FIELDS)),
    Endpoint("sharing:share_folder", ("folder",), "post", SHARE_FIELDS),
    Endpoint("sharing:mine", params=("page", "everyone", "active")),
    Endpoint(
        "sharing:change", ("share",), "post", ("expires", "open_limit", "downloadable", "password_choice", "password")
    ),
    # administration
    Endpoint("portal:user_list", params=("q", "role", "status", "page")),
    Endpoint("portal:user_create", method="post", params=("username", "email", "role", "institution_ids", "password")),
    Endpoint("portal:user_edit", ("user",), "post", ("username", "first_name", "email", "institution_ids")),
    Endpoint("portal:user_password", ("user",), "post", ("password", "password2")),
    Endpoint("portal:user_group_add", ("user",), "post", ("group_id",)),
    Endpoint("portal:group_list", params=("q",)),
    Endpoint("portal:group_create", method="post", params=("name", "description")),
    Endpoint("portal:group_detail", ("group",), params=("q", "page")),
    Endpoint("portal:group_candidates", ("group",), params=("q", "page")),
    Endpoint("portal:group_members_add", ("group",), "post", ("user_ids", "q", "page")),
    Endpoint("portal:institution_create", method="post", params=("name", "address")),
    Endpoint("portal:institution_edit", ("institution",), "post", ("name", "address", "is_active")),
    Endpoint("portal:node_create", method="post", params=("name", "ae_title", "host", "port", "institution")),
    Endpoint("portal:node_edit", ("node",), "post", ("name", "ae_title", "host", "port", "institution")),
    Endpoint("portal:flag_group_create", method="post", params=("name",)),
    Endpoint("portal:flag_create", ("flag_group",), "post", ("name", "color")),
    Endpoint("portal:flag_edit", ("flag",), "post", ("name", "color")),
    Endpoint("portal:audit_log", params=("q", "action", "date_from", "date_to", "page")),
    Endpoint("portal:audit_export", params=("q", "action", "date_from", "date_to")),
    # sign-in and password reset
    Endpoint("login", method="post", params=("username", "password")),
    Endpoint("password_reset", method="post", params=("email",)),
]


@pytest.fixture
def scene(clinic, other_clinic, tmp_path, settings):
    """An administrator of ``clinic`` and one of everything they manage."""
    settings.RAYPORT_UPLOAD_DIR = tmp_path / "uploads"
    admin = make_user("adela", Role.ADMINISTRATOR, [clinic])
    api = get_api()
    order = new_order(admin, clinic, accession_number="AN-1")
    folder = api.create_folder(actor=admin, name="Cardiology")
    group = api.create_user_group(actor=admin, name="Radiologists")
    flag_group = api.create_flag_group(actor=admin, name="Urgency")
    flag = api.create_flag(actor=admin, group_id=flag_group.id, draft=FlagDraft(name="Urgent", color="#cc0000"))
    node = api.create_dicom_node(
        actor=admin,
        draft=DicomNodeDraft(name="CT 2", ae_title="CT2", host="10.0.0.2", port=104, institution_id=clinic.uuid),
    )
    batch = staging.start(admin, institution_id=clinic.uuid)
    (file,) = staging.register(admin, batch.id, [UploadFileInfo("a.dcm", 10)])
    colleague = make_user("sam", Role.STAFF, [clinic])
    share = api.share_orders(
        actor=admin, order_ids=[order.id], audience=ShareAudience(link=True), options=ShareOptions()
    )
    client = Client()
    client.force_login(admin)
    ids = {
        "order": order.id,
        "folder": folder.id,
        "group": group.id,
        "flag_group": flag_group.id,
        "flag": flag.id,
        "node": node.id,
        "batch": batch.id,
        "file": file.id,
        "user": api.current_user(actor=colleague).id,
        "institution": clinic.uuid,
        "share": share.id,
    }
    return client, ids


def _answer(client: Client, method: str, url: str, **kwargs) -> str | None:
    """None when the answer is not a server error, else what went wrong."""
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, **kwargs)
            if response.status_code >= 500:
                return f"{response.status_code}"
            transaction.set_rollback(True)  # each request starts from the same scene
    except Exception as error:  # the list of failures is the point
        return f"{type(error).__name__}: {str(error)[:120]}"
    return None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.name}")
def test_no_value_makes_a_server_error(scene, endpoint):
    client, ids = scene
    url = reverse(endpoint.name, args=[ids[name] for name in endpoint.args])
    failures = []
    for param in endpoint.params:
        for value in BAD_VALUES:
            problem = _answer(client, endpoint.method, url, data={param: value})
            if problem:
                failures.append(f"{param}={value[:24]!r}: {problem}")
    assert failures == []


UPLOAD_REFUSED = [
    {"files": [{"name": "a.dcm", "size": 10**20}]},
    {"files": [{"name": "a.dcm", "size": -1}]},
    {"files": [{"name": "a.dcm", "size": 10, "last_modified": 10**20}]},
    {"files": [{"name": "a.dcm", "size": 1e300}]},
    {"files": [{"name": "a.dcm", "size": 1.5}]},
    {"files": [{"name": "a.dcm", "size": "NaN"}]},
    {"files": [{"name": "a.dcm", "size": True}]},
    {"files": [{"name": ["a"], "size": 10}]},
    {"files": [{"name": "a.dcm", "size": [10]}]},
    {"files": ["a.dcm"]},
    {"files": {"name": "a.dcm"}},
    {"files": []},
    [1, 2],
    "files",
]


@pytest.mark.parametrize("payload", UPLOAD_REFUSED, ids=lambda p: json.dumps(p)[:60])
def test_registering_upload_files_refuses_what_it_cannot_store(scene, payload):
    client, ids = scene
    url = reverse("orders:upload_register", args=[ids["batch"]])
    response = client.post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("name", "kept"),
    [("a\x00b.dcm", "ab.dcm"), ("", "unnamed"), ("d/" * 10_000 + "a.dcm", ("d/" * 10_000 + "a.dcm")[-1024:])],
)
def test_file_names_are_cleaned_not_refused(scene, name, kept):
    client, ids = scene
    url = reverse("orders:upload_register", args=[ids["batch"]])
    payload = {"files": [{"name": name, "size": 10, "last_modified": -5}]}
    response = client.post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    assert [(f["name"], f["last_modified"]) for f in response.json()["files"]] == [(kept, 0)]


@pytest.mark.parametrize(
    ("offset", "header"),
    [
        (HUGE, None),
        ("-1", None),
        ("1e400", None),
        ("0", f"{{file}}:{HUGE}:1"),
        ("0", f"{{file}}:0:{HUGE}"),
        ("0", "{file}:-1:1"),
        ("0", "not-a-uuid:0:1"),
    ],
)
def test_upload_pieces_with_impossible_numbers_are_refused(scene, offset, header):
    client, ids = scene
    if header is None:
        url = reverse("orders:upload_chunk", args=[ids["batch"], ids["file"]]) + f"?offset={offset}"
        response = client.put(url, b"x", content_type="application/octet-stream")
    else:
        url = reverse("orders:upload_parts", args=[ids["batch"]])
        parts = header.format(file=ids["file"])
        response = client.put(url, b"x", content_type="application/octet-stream", headers={"X-Upload-Parts": parts})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]


def test_a_page_past_the_end_is_a_form_error_not_a_crash(scene):
    client, _ids = scene
    response = client.get(reverse("orders:list"), {"page": HUGE})
    assert response.status_code == 200
    assert "Page: Ensure this value is less than or equal to 1000000." in response.content.decode()


def test_the_service_gives_the_last_page_for_a_page_past_any_offset(scene):
    """Every entry point (the HTTP API too) reaches the service: it bounds the number itself."""
    _client, ids = scene
    admin = get_user_model().objects.get(username="adela")
    page = get_api().search_orders(actor=admin, query=OrderQuery(page=10**20))
    assert (page.number, [o.id for o in page.items]) == (1, [ids["order"]])


@pytest.mark.parametrize("size", [HUGE, "-1", "1e400", "a\x00b", "x" * 20_000])
def test_a_preview_with_an_impossible_size_is_refused(scene, size):
    client, ids = scene
    head = SimpleUploadedFile("a.dcm", b"\0" * 200)
    data = {"file": head, "name": "a.dcm", "size": size, "institution_id": str(ids["institution"])}
    response = client.post(reverse("orders:upload_preview"), data)
    assert response.status_code == 400
    assert response.json()["error"]
