"""The upload page and the new-order page in front of the cloud backend, with the
institutions configured (``CloudOptions.institutions``: PostDICOM's API cannot list them).
The portal's own views are driven over its URLs, as upload.js and the order form drive them,
and what they make is looked for on the live Rayport server behind the backend."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from postdicom import get_api
from postdicom.cloud import CloudBackend
from postdicom.local import LocalBackend
from postdicom.local.models import Institution
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import Capability, OrderQuery
from tests.contract.server import RayportServer
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

SENT: list[str] = []


@pytest.fixture
def on_cloud(
    rayport_server: RayportServer,
    settings: Any,
    admin_user: User,
    clinic: Institution,
    other_clinic: Institution,
    tmp_path: Path,
    monkeypatch: Any,
) -> list[str]:
    """The portal on the cloud backend, offering both clinics; what would go to the workers
    is recorded (the test sends each batch itself, as the worker would)."""
    local = get_api()
    _key, secret = local.create_api_key(actor=admin_user, name="cloud backend", user_id=uid(admin_user))
    local_storage(settings, tmp_path / "portal")  # the portal's own staging
    forget_cached_series()
    settings.POSTDICOM = {
        "BACKEND": "postdicom.cloud.CloudBackend",
        "OPTIONS": {
            "base_url": f"{rayport_server.url}/dicomweb/",
            "api_key": secret,
            "retries": 0,
            "institutions": [(str(clinic.uuid), "Central (cloud)"), (str(other_clinic.uuid), "North (cloud)")],
        },
    }
    sent: list[str] = []
    monkeypatch.setattr("postdicom.cloud.queue._send", lambda task, *args: sent.append(str(args[0])))
    return sent


def _on_server() -> LocalBackend:
    return LocalBackend()


def test_the_menu_and_the_upload_page_offer_the_configured_institutions(on_cloud: list[str], staff_client: Client):
    api = get_api()
    assert isinstance(api, CloudBackend)
    assert {Capability.LIST_INSTITUTIONS, Capability.UPLOAD_DICOM} <= api.capabilities
    page = staff_client.get(reverse("orders:upload"))
    assert page.status_code == 200
    nav = {item.section: item for item in page.context["nav_items"]}
    assert nav["upload"].url == reverse("orders:upload")
    content = page.content.decode()
    assert content.index("Central (cloud)") < content.index("North (cloud)")
    assert "js/upload.js" in content


def test_an_upload_through_the_portals_views_arrives_on_the_server(
    on_cloud: list[str], staff_client: Client, staff_user: User, clinic: Institution, tmp_path: Path
) -> None:
    """start, register, chunks (one file in two), finish, report: upload.js's calls."""
    study = "1.2.826.0.1.3680043.8.498.1313"
    contents = [
        make_image(
            tmp_path / "src" / f"IM{n}", study_uid=study, patient_id="CLOUD-13", patient_name="Quispe^Rosa"
        ).read_bytes()
        for n in range(2)
    ]
    started = staff_client.post(reverse("orders:upload_start"), {"institution_id": str(clinic.uuid)})
    assert started.status_code == 201, started.content
    batch = started.json()
    wanted = [{"name": f"CD/IM{n}", "size": len(c), "last_modified": 1} for n, c in enumerate(contents)]
    registered = staff_client.post(batch["files_url"], json.dumps({"files": wanted}), content_type="application/json")
    assert registered.status_code == 200, registered.content
    ids = [f["id"] for f in registered.json()["files"]]

    def put(file_id: str, data: bytes, offset: int) -> Any:
        url = reverse("orders:upload_chunk", args=[batch["id"], file_id]) + f"?offset={offset}"
        return staff_client.generic("PUT", url, data, content_type="application/octet-stream")

    half = len(contents[0]) // 2
    assert put(ids[0], contents[0][:half], 0).json()["received"] == half
    assert put(ids[0], contents[0][half:], half).json()["outcome"] == "received"
    assert put(ids[1], contents[1], 0).json()["outcome"] == "received"
    finished = staff_client.post(batch["finish_url"])
    assert finished.status_code == 200, finished.content
    assert set(on_cloud) == {batch["id"]}  # handed to the workers …
    api = get_api()
    assert isinstance(api, CloudBackend)
    assert api.send_batch(uuid.UUID(batch["id"]))  # … which send it by STOW-RS

    report = staff_client.get(batch["report_url"])
    assert report.status_code == 200
    assert report.context["done"]
    assert report.context["batch"].counts == {"stored": 2}
    assert report.context["batch"].institution.name == "Central (cloud)"
    assert "Quispe, Rosa" in report.content.decode()
    assert "Upload to Central (cloud)" in report.content.decode()
    (order,) = _on_server().search_orders(actor=staff_user, query=OrderQuery(patient_id="CLOUD-13")).items
    assert order.institution.id == clinic.uuid
    assert order.image_count == 2


def test_an_institution_not_configured_is_refused_before_anything_is_sent(
    on_cloud: list[str], staff_client: Client
) -> None:
    response = staff_client.post(reverse("orders:upload_start"), {"institution_id": str(uuid.uuid4())})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert on_cloud == []


def test_the_server_still_decides_what_the_user_may_do_in_an_institution(
    on_cloud: list[str], staff_client: Client, staff_user: User, other_clinic: Institution, tmp_path: Path
) -> None:
    """Configured for the portal is not a right on the server: Sam is not a member of the
    northern clinic there, so the order it would make is refused, nothing is stored."""
    response = staff_client.post(reverse("orders:create"), _order(other_clinic, patient_id="NORTH-1"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert _on_server().search_orders(actor=staff_user, query=OrderQuery(patient_id="NORTH-1")).total == 0


def test_a_new_order_is_created_on_the_server(
    on_cloud: list[str], staff_client: Client, staff_user: User, clinic: Institution
) -> None:
    form = staff_client.get(reverse("orders:create"))
    assert form.status_code == 200
    assert "Central (cloud)" in form.content.decode()
    # PostDICOM's CreatePatientOrder requires a birth date (required_order_fields): the form
    # marks it and refuses an order without it, before anything is sent.
    assert form.context["form"].fields["birth_date"].required
    # The server's uniqueness of accession numbers is not known here: the form does not claim it.
    assert form.context["form"].fields["accession_number"].help_text == "1 to 16 characters."
    assert "unique in the institution" not in form.content.decode()
    refused = staff_client.post(reverse("orders:create"), _order(clinic, patient_id="GR-77", birth_date=""))
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"birth_date"}
    assert "The image server requires this for an order." in refused.content.decode()
    assert _on_server().search_orders(actor=staff_user, query=OrderQuery(patient_id="GR-77")).total == 0
    response = staff_client.post(reverse("orders:create"), _order(clinic, patient_id="GR-77"))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    (order,) = _on_server().search_orders(actor=staff_user, query=OrderQuery(patient_id="GR-77")).items
    assert response["Location"] == reverse("orders:detail", args=[order.id])
    assert (order.institution.id, order.modality) == (clinic.uuid, "MR")
    detail = staff_client.get(response["Location"])
    assert detail.status_code == 200
    assert "Papadopoulos, Γιώργος" in detail.content.decode()


def _order(institution: Institution, **changes: str) -> dict[str, str]:
    return {
        "institution_id": str(institution.uuid),
        "last_name": "Papadopoulos",
        "first_name": "Γιώργος",
        "patient_id": "GR-77",
        "birth_date": "1971-05-04",
        "modality": "mr",
        "study_description": "Brain",
        "order_date": "2026-11-29",
        "order_time": "09:30",
        **changes,
    }
