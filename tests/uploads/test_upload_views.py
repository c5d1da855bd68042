"""The upload pages and the JSON protocol, for every persona."""

from __future__ import annotations

import json
import tracemalloc
import uuid

import pytest
from django.core.handlers.wsgi import LimitedStream
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from orders.views.upload_api import upload_chunk
from postdicom import get_api
from postdicom.local.models import UploadBatch
from postdicom.types import Capability
from tests.portal.staging.test_receive import Trickle
from tests.uploads.conftest import run
from tests.uploads.files import make_image, pdf_bytes, shipped

pytestmark = pytest.mark.django_db

ZERO = uuid.UUID(int=0)


def _start(client, clinic, **extra):
    data = {"institution_id": str(clinic.uuid), **extra}
    return client.post(reverse("orders:upload_start"), data)


def _register(client, batch, files):
    return client.post(batch["files_url"], json.dumps({"files": files}), content_type="application/json")


def _put(client, batch, file_id, data, offset=0):
    url = reverse("orders:upload_chunk", args=[batch["id"], file_id]) + f"?offset={offset}"
    return client.generic("PUT", url, data, content_type="application/octet-stream")


class TestPage:
    def test_everyone_signed_in_may_open_it(self, admin_client, staff_client, limited_client, outsider_client):
        for client in (admin_client, staff_client, limited_client, outsider_client):
            response = client.get(reverse("orders:upload"))
            assert response.status_code == 200
            assert "js/upload.js" in response.content.decode()

    def test_institutions_are_the_users_own(self, staff_client, clinic, other_clinic):
        content = staff_client.get(reverse("orders:upload")).content.decode()
        assert clinic.name in content
        assert other_clinic.name not in content

    def test_anonymous_goes_to_login(self, client):
        for url in (reverse("orders:upload"), reverse("orders:upload_batch", args=[ZERO])):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def test_nav_links_the_page(self, staff_client):
        assert f'href="{reverse("orders:upload")}"' in staff_client.get(reverse("orders:list")).content.decode()

    def test_without_javascript_the_form_uploads(self, staff_client, clinic, tmp_path):
        path = make_image(tmp_path / "a.dcm", patient_name="Plain^Form")
        with open(path, "rb") as handle:
            response = staff_client.post(
                reverse("orders:upload"),
                {"institution_id": str(clinic.uuid), "dicom_files": [handle]},
            )
        assert response.status_code == 302
        batch = UploadBatch.objects.get()
        assert response["Location"] == reverse("orders:upload_batch", args=[batch.uuid])
        run(type("R", (), {"batch_id": batch.uuid})())
        page = staff_client.get(response["Location"]).content.decode()
        assert "Plain, Form" in page
        assert "Done" in page

    def test_without_files_or_institution_the_errors_show(self, staff_client, other_clinic):
        response = staff_client.post(reverse("orders:upload"), {"institution_id": str(other_clinic.uuid)})
        assert response.status_code == 200
        assert response.context["form"].errors["institution_id"]
        assert response.context["files_form"].errors["dicom_files"]


class TestProtocol:
    def test_a_whole_upload(self, staff_client, clinic, tmp_path):
        data = make_image(tmp_path / "a.dcm").read_bytes()
        response = _start(staff_client, clinic, replace_PatientName="on", value_PatientName="Anon^A")
        assert response.status_code == 201
        batch = response.json()
        files = _register(staff_client, batch, [{"name": "x/a.dcm", "size": len(data), "last_modified": 1}]).json()
        file_id = files["files"][0]["id"]
        assert _put(staff_client, batch, file_id, data[:10]).json()["received"] == 10
        replay = _put(staff_client, batch, file_id, data[:10])  # the same chunk again: nothing changes
        assert replay.json()["received"] == 10
        conflict = _put(staff_client, batch, file_id, data[20:30], offset=20)  # a gap
        assert conflict.status_code == 409
        assert conflict.json()["received"] == 10
        assert _put(staff_client, batch, file_id, data[10:], offset=10).json()["outcome"] == "received"
        state = staff_client.get(reverse("orders:upload_state", args=[batch["id"]])).json()
        assert state["state"] == "open"
        assert state["bytes_received"] == len(data)
        finished = staff_client.post(batch["finish_url"])
        assert finished.status_code == 200
        assert finished.json()["state"] == "queued"
        page = staff_client.get(batch["report_url"], HTTP_HX_REQUEST="true")
        assert 'hx-trigger="every 1s"' in page.content.decode()
        assert "<html" not in page.content.decode()
        run(type("R", (), {"batch_id": uuid.UUID(batch["id"])})())
        done = staff_client.get(batch["report_url"], HTTP_HX_REQUEST="true").content.decode()
        assert "every 1s" not in done
        assert "Anon, A" in done

    def test_bad_settings_return_the_settings_with_errors(self, staff_client, other_clinic):
        response = _start(staff_client, other_clinic, replace_StudyDate="on", value_StudyDate="nope")
        assert response.status_code == 400
        content = response.content.decode()
        assert 'id="upload-settings"' in content
        assert "errorlist" in content

    def test_chunks_need_a_sane_offset_and_size(self, staff_client, clinic, settings):
        batch = _start(staff_client, clinic).json()
        file_id = _register(staff_client, batch, [{"name": "a", "size": 100}]).json()["files"][0]["id"]
        url = reverse("orders:upload_chunk", args=[batch["id"], file_id])
        assert staff_client.generic("PUT", url, b"x").status_code == 400  # no offset
        settings.RAYPORT_UPLOAD_CHUNK_MAX = 10
        assert _put(staff_client, batch, file_id, b"x" * 11).status_code == 413
        assert _put(staff_client, batch, file_id, b"x" * 5, offset=50).status_code == 409  # a gap
        assert _put(staff_client, batch, file_id, b"x" * 5, offset=99).status_code == 400  # past the end

    def test_registration_needs_a_list(self, staff_client, clinic):
        batch = _start(staff_client, clinic).json()
        assert _register(staff_client, batch, []).status_code == 400
        bad = staff_client.post(batch["files_url"], "{nope", content_type="application/json")
        assert bad.status_code == 400

    def test_other_users_get_404(self, staff_client, limited_client, outsider_client, admin_client, clinic):
        batch = _start(staff_client, clinic).json()
        file_id = _register(staff_client, batch, [{"name": "a", "size": 3}]).json()["files"][0]["id"]
        for client in (limited_client, outsider_client):
            assert client.get(batch["report_url"]).status_code == 404
            assert client.get(reverse("orders:upload_state", args=[batch["id"]])).status_code == 404
            assert _register(client, batch, [{"name": "b", "size": 3}]).status_code == 404
            assert _put(client, batch, file_id, b"abc").status_code == 404
            assert client.post(batch["finish_url"]).status_code == 404
        assert admin_client.get(batch["report_url"]).status_code == 200
        unknown = reverse("orders:upload_batch", args=[uuid.uuid4()])
        assert staff_client.get(unknown).status_code == 404

    def test_anonymous_cannot_use_the_protocol(self, client):
        assert client.post(reverse("orders:upload_start")).status_code == 302
        assert client.post(reverse("orders:upload_preview")).status_code == 302

    def test_wrong_methods_are_refused(self, staff_client):
        assert staff_client.get(reverse("orders:upload_start")).status_code == 405
        assert staff_client.get(reverse("orders:upload_preview")).status_code == 405

    def test_the_chunk_view_never_reads_the_whole_body(self, staff_user, staff_client, clinic):
        """The view gets a request whose body is produced on demand (as a socket would) and
        must read it in pieces: memory stays flat for a 64 MB chunk."""
        size = 64 * 1024 * 1024
        batch = _start(staff_client, clinic).json()
        file_id = _register(staff_client, batch, [{"name": "big", "size": size}]).json()["files"][0]["id"]
        url = reverse("orders:upload_chunk", args=[batch["id"], file_id]) + "?offset=0"
        request = RequestFactory().generic("PUT", url, b"", content_type="application/octet-stream")
        body = Trickle(size)
        request._stream = LimitedStream(body, size)  # type: ignore[assignment,arg-type]
        request.META["CONTENT_LENGTH"] = str(size)
        request.user = staff_user
        tracemalloc.start()
        try:
            with override_settings(RAYPORT_UPLOAD_CHUNK_MAX=size):
                response = upload_chunk(request, batch_id=uuid.UUID(batch["id"]), file_id=uuid.UUID(file_id))  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert json.loads(response.content)["received"] == size
        assert body.biggest <= 1024 * 1024
        assert peak < 6 * 1024 * 1024, peak


class TestPreview:
    def _post(self, client, paths, head=64 * 1024, headers=None, **extra):
        files, names, sizes = [], [], []
        for path in paths:
            data = path.read_bytes()
            handle = __import__("io").BytesIO(data[:head])
            handle.name = "head"
            files.append(handle)
            names.append(path.name)
            sizes.append(str(len(data)))
        data = {"file": files, "name": names, "size": sizes, **extra}
        return client.post(reverse("orders:upload_preview"), data, headers=headers)

    def test_headers_are_enough_and_orders_are_named(self, staff_client, staff_user, clinic, tmp_path):
        from tests.orders.conftest import new_order

        order = new_order(staff_user, clinic, accession_number="ACC-7")
        big = make_image(tmp_path / "big.dcm", rows=512, columns=512, accession="acc-7", patient_name="Big^Bo")
        bad = tmp_path / "doc.dcm"
        bad.write_bytes(pdf_bytes())
        response = self._post(
            staff_client, [big, bad, shipped("DICOMDIR"), shipped("JPEG2000.dcm")], institution_id=str(clinic.uuid)
        )
        assert response.status_code == 200
        result = {f["name"]: f for f in response.json()["files"]}
        assert result["big.dcm"]["readable"]
        assert result["big.dcm"]["patient_name"] == "Big, Bo"
        assert result["big.dcm"]["order"]["id"] == str(order.id)
        assert not result["doc.dcm"]["readable"]
        assert "PDF" in result["doc.dcm"]["reason"]
        assert result["DICOMDIR"]["skipped"]
        assert result["JPEG2000.dcm"]["readable"]  # compressed pixels after a cut header

    def test_a_header_longer_than_sent_is_checked_later(self, staff_client, tmp_path):
        path = make_image(tmp_path / "a.dcm", rows=512, columns=512)
        result = self._post(staff_client, [path], head=200).json()["files"][0]
        assert not result["readable"]
        assert not result["checked"]

    def test_a_uid_after_a_large_private_element_is_not_within_the_part_read(self, staff_client, tmp_path):
        """Issue 9 item 11: a 12 MB private element before the Study Instance UID is beyond
        the 64 KB the preview reads: "not within the part read", never "no Study Instance UID"."""
        import pydicom

        path = make_image(tmp_path / "private.dcm")
        ds = pydicom.dcmread(path)
        block = ds.private_block(0x0019, "RAYPORT TEST", create=True)
        block.add_new(0x10, "OB", b"\x00" * (12 << 20))
        ds.save_as(path, enforce_file_format=True)
        result = self._post(staff_client, [path]).json()["files"][0]
        assert not result["readable"]
        assert not result["checked"]
        assert "Study Instance UID is not within the part of the file read" in result["reason"]
        result = self._post(staff_client, [path], headers={"Accept-Language": "es"}).json()["files"][0]
        assert "no está en la parte del archivo" in result["reason"]

    def test_bad_requests(self, staff_client, tmp_path):
        assert staff_client.post(reverse("orders:upload_preview"), {}).status_code == 400
        path = make_image(tmp_path / "a.dcm")
        response = staff_client.post(
            reverse("orders:upload_preview"),
            {"file": [open(path, "rb")], "name": ["a"], "size": ["x"]},  # noqa: SIM115
        )
        assert response.status_code == 400


def test_get_api_sees_the_upload_capabilities():
    caps = get_api().capabilities
    assert {
        Capability.UPLOAD_DICOM,
        Capability.READ_DICOM_FILES,
        Capability.UPLOAD_DOCUMENTS,
        Capability.START_UPLOAD,
        Capability.OPEN_DOCUMENT,
    } <= caps


def test_client_fixture_is_plain(client: Client):
    assert client.get(reverse("orders:upload")).status_code == 302


def test_the_page_offers_the_users_folders(staff_client, staff_user):
    folder = get_api().create_folder(actor=staff_user, name="Cardiology/2026")
    content = staff_client.get(reverse("orders:upload")).content.decode()
    assert "Cardiology / 2026" in content
    assert str(folder.id) in content
