"""A clinic with two orders that have images and documents, and shares of them, for the
public share pages. Order A is shared; order B (same institution, same owner) is not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from postdicom import get_api
from postdicom.local.models import Institution, StudyRecord
from postdicom.types import Share, ShareAudience, ShareOptions
from tests.uploads.conftest import upload, upload_dirs  # noqa: F401
from tests.uploads.files import make_image, pdf_bytes

PASSWORD = "Quiet-Harbor-4721"


@dataclass
class Shared:
    """An order with one image (its study, series and instance UIDs) and a document."""

    id: uuid.UUID
    study: str
    series: str
    instance: str
    document: uuid.UUID
    name: str


def token_of(share: Share) -> str:
    path = urlsplit(share.url).path
    assert path.startswith("/s/"), share.url
    assert path.endswith("/"), share.url
    return path[3:-1]


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Counters of wrong passwords start empty in every test; refusals are not held back
    (``test_a_wrong_password_and_an_unknown_link_take_the_same_time`` turns that on)."""
    settings.RAYPORT_SHARE_REFUSAL_SECONDS = 0
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }


def _order_with_image(owner: User, clinic: Institution, tmp_path: Path, name: str, patient: str) -> Shared:
    path = make_image(tmp_path / name / f"{name}.dcm", patient_name=patient, patient_id=f"ID-{name}")
    upload(owner, clinic, [path], tmp_path / name)
    study = StudyRecord.objects.select_related("order").get(patient_name=patient)
    series = study.series.get()
    instance = series.instances.get()
    pdf = tmp_path / name / "report.pdf"
    pdf.write_bytes(pdf_bytes())
    from postdicom.types import UploadFile

    added = get_api().upload_documents(
        actor=owner,
        order_id=study.order.uuid,
        files=[UploadFile(name=f"report-{name}.pdf", path=str(pdf), size=pdf.stat().st_size)],
    )
    return Shared(
        id=study.order.uuid,
        study=study.study_uid,
        series=series.series_uid,
        instance=instance.sop_instance_uid,
        document=added.added[0].id,
        name=patient,
    )


@pytest.fixture
def order_a(staff_user, clinic, tmp_path) -> Shared:
    return _order_with_image(staff_user, clinic, tmp_path, "a", "Alpha^Ana")


@pytest.fixture
def order_b(staff_user, clinic, tmp_path) -> Shared:
    return _order_with_image(staff_user, clinic, tmp_path, "b", "Bravo^Beto")


def share_of(owner: User, *orders: Shared, **options: Any) -> str:
    """The token of a link share of ``orders`` with the password ``PASSWORD``."""
    options.setdefault("password", PASSWORD)
    share = get_api().share_orders(
        actor=owner,
        order_ids=[o.id for o in orders],
        audience=ShareAudience(link=True),
        options=ShareOptions(**options),
    )
    return token_of(share)


@pytest.fixture
def token_a(staff_user, order_a, order_b) -> str:
    return share_of(staff_user, order_a)


def unlock(client: Client, token: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Open the door as a browser does: the page (for the form token), then the password."""
    door = client.get(f"/s/{token}/", **extra)
    csrf = client.session.get("rayport_share_csrf", "")
    return client.post(f"/s/{token}/unlock/", {"password": password, "share_csrf": csrf}, **extra), door


@pytest.fixture
def visitor() -> Client:
    return Client()
