"""The order's image viewer page: who may open it, what its configuration holds, its
Content-Security-Policy, and the way to it from the order page."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.models import AuditRecord, StudyRecord
from postdicom.types import AuditAction
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    found = re.search(
        r'<script id="rayport-viewer" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert found, "the viewer's configuration is missing"
    return json.loads(unescape(found.group(1)))


def _with_study(order, uid: str = "1.2.826.0.1.99.1", description: str = "CT chest") -> None:
    StudyRecord.objects.create(order_id=_pk(order), study_uid=uid, description=description)


def _pk(order) -> int:
    from postdicom.local.models import PatientOrder

    return PatientOrder.objects.get(uuid=order.id).pk


def test_the_viewer_gets_the_orders_studies_priors_and_dicomweb_base(staff_client, staff_user, clinic, order):
    _with_study(order)
    prior = new_order(staff_user, clinic, patient_id=order.patient_id, accession_number="OLD-1", modality="MR")
    _with_study(prior, uid="1.2.826.0.1.99.2", description="MR brain")

    response = staff_client.get(reverse("orders:viewer", kwargs={"order_id": order.id}))

    assert response.status_code == 200
    config = _config(response)
    assert config["dicomweb"] == "/dicomweb"
    assert [s["uid"] for s in config["studies"]] == ["1.2.826.0.1.99.1"]
    assert config["studies"][0]["label"].startswith("CT chest")
    assert [[s["uid"] for s in p["studies"]] for p in config["priors"]] == [["1.2.826.0.1.99.2"]]
    assert config["priors"][0]["label"].startswith("MR")
    assert config["documents"] == []
    assert config["language"] == "en"
    assert config["strings"]["cannotDecode"]
    assert config["strings"]["imageCount"] == {"one": "%(count)s image", "other": "%(count)s images"}
    # early.js is the one script run at once; it imports the viewer's bundle, preloaded meanwhile.
    page = response.content.decode()
    assert '<script type="module" src="/static/viewer/early.js"></script>' in page
    assert '<link rel="modulepreload" href="/static/viewer/viewer.js">' in page
    assert 'data-module="/static/viewer/viewer.js"' in page
    assert '<script type="module" src="/static/viewer/viewer.js"' not in page
    assert reverse("orders:detail", kwargs={"order_id": order.id}) in response.content.decode()
    assert AuditRecord.objects.filter(action=AuditAction.ORDER_VIEWER_OPENED, target_id=str(order.id)).count() == 1


def test_the_policy_lets_the_codecs_compile_and_nothing_else_in(staff_client, order):
    response = staff_client.get(reverse("orders:viewer", kwargs={"order_id": order.id}))

    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'wasm-unsafe-eval'" in script_src
    assert "'unsafe-eval'" not in script_src.replace("'wasm-unsafe-eval'", "")
    assert "'unsafe-inline'" not in script_src
    assert "http" not in policy  # no other origin: nothing from a CDN
    style_src = next(d for d in policy.split(";") if d.strip().startswith("style-src "))
    assert "'unsafe-inline'" not in style_src  # only style attributes (style-src-attr)


def test_documents_are_offered_with_their_inline_urls(staff_client, staff_user, order, tmp_path, settings):
    from tests.uploads.conftest import local_storage
    from tests.uploads.files import pdf_bytes

    local_storage(settings, tmp_path)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes())
    from postdicom.types import UploadFile

    get_api().upload_documents(
        actor=staff_user,
        order_id=order.id,
        files=[UploadFile(name="report.pdf", path=str(path), size=path.stat().st_size)],
    )
    document = get_api().order_properties(actor=staff_user, order_id=order.id).documents[0]

    config = _config(staff_client.get(reverse("orders:viewer", kwargs={"order_id": order.id})))

    kwargs = {"order_id": order.id, "document_id": document.id}
    assert config["documents"] == [
        {
            "name": "report.pdf",
            "type": "pdf",
            "contentType": "application/pdf",
            "url": reverse("orders:document_view", kwargs=kwargs),
            "downloadUrl": reverse("orders:document_download", kwargs=kwargs),
        }
    ]


def test_the_viewer_speaks_spanish(staff_client, order):
    staff_client.cookies["django_language"] = "es"

    response = staff_client.get(reverse("orders:viewer", kwargs={"order_id": order.id}), HTTP_ACCEPT_LANGUAGE="es")

    config = _config(response)
    assert config["language"] == "es"
    assert config["strings"]["dropHere"] == "Arrastre una serie aquí"
    assert "Atajos de teclado" in response.content.decode()


def test_outsiders_and_limited_users_get_404(outsider_client, limited_client, order):
    url = reverse("orders:viewer", kwargs={"order_id": order.id})

    assert outsider_client.get(url).status_code == 404
    assert limited_client.get(url).status_code == 404
    assert not AuditRecord.objects.filter(action=AuditAction.ORDER_VIEWER_OPENED).exists()


def test_the_order_page_offers_the_viewer_when_it_has_images(staff_client, order):
    url = reverse("orders:detail", kwargs={"order_id": order.id})
    viewer = reverse("orders:viewer", kwargs={"order_id": order.id})
    assert viewer not in staff_client.get(url).content.decode()

    _with_study(order)

    page = staff_client.get(url).content.decode()
    assert f'<a class="button" href="{viewer}">View images</a>' in page
