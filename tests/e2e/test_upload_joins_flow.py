"""The upload preview and report say exactly what happens to files that touch orders the
uploader may not see (issue 9 items 1-4, 10, 11), in both languages, at desktop (1366 px)
and tablet width.

* A limited user of the clinic picks a file carrying the accession number of an order they
  may not see, one carrying its Study Instance UID, a DICOM file whose preamble starts like
  a ZIP, and one whose Study UID lies beyond a 12 MB private element: the preview offers new
  orders (saying the accession number is taken), reads the "PK" file, and says the last
  one's UID is not within the part read; after sending, the order stays out of reach.
* Staff of the clinic send an image of another patient into that order, and another image
  under one of its SOP Instance UIDs: the preview says it joins the order; the report
  shows the conflict and the differing patient details.
"""

from __future__ import annotations

import re

import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.uid import generate_uid

from postdicom.local.models import InstanceRecord, PatientOrder
from tests.conftest import PASSWORD
from tests.e2e.conftest import new_tab, shot, sign_in_by_name
from tests.orders.conftest import new_order
from tests.uploads.conftest import upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.e2e

SIZES = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture
def victim(staff_user, clinic, eager_ingest, tmp_path):
    order = new_order(staff_user, clinic, accession_number="ACCA1", patient_name="Victim^Vera", patient_id="V-1")
    study_uid, series_uid = generate_uid(), generate_uid()
    image = make_image(tmp_path / "x" / "x.dcm", study_uid=study_uid, series_uid=series_uid, accession="ACCA1")
    upload(staff_user, clinic, [image], tmp_path)
    return PatientOrder.objects.get(uuid=order.id), study_uid, series_uid, pydicom.dcmread(image).SOPInstanceUID


def _no_sideways_scroll(tab):
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", ["desktop", "tablet"])
@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_limited_user_sees_new_orders_and_never_the_hidden_one(
    browser, live_server, watch, limited_user, victim, tmp_path, size, locale
):
    order, study_uid, _series, _sop = victim
    folder = tmp_path / "pick"
    make_image(folder / "by-accession.dcm", accession="ACCA1", patient_name="Lia^Patient")
    make_image(folder / "by-study.dcm", study_uid=study_uid, patient_name="Lia^Patient")
    pk = make_image(folder / "pk-preamble.dcm", patient_name="Zip^Like")
    pk.write_bytes(b"PK\x03\x04" + pk.read_bytes()[4:])
    private = make_image(folder / "private.dcm", patient_name="Big^Private")
    ds = pydicom.dcmread(private)
    ds.private_block(0x0019, "RAYPORT TEST", create=True).add_new(0x10, "OB", b"\x00" * (12 << 20))
    ds.save_as(private, enforce_file_format=True)

    context, tab = new_tab(browser, live_server, watch, SIZES[size], locale)
    spanish = locale.startswith("es")
    sign_in_by_name(tab, "lia", PASSWORD)
    tab.goto("/orders/upload/")
    tab.locator("#pick-files").set_input_files([str(p) for p in sorted(folder.iterdir())])
    preview = tab.locator("#preview")
    expect(preview).to_contain_text("Lia, Patient")
    expect(preview).to_contain_text("Zip, Like")  # read as DICOM, not listed as a ZIP archive
    if spanish:
        expect(preview).to_contain_text("Sin su número de acceso ACCA1")
        expect(preview).to_contain_text("no está en la parte del archivo")
        expect(preview).not_to_contain_text("Se une a la orden")
    else:
        expect(preview).to_contain_text("Without its accession number ACCA1")
        expect(preview).to_contain_text("is not within the part of the file read")
        expect(preview).not_to_contain_text("Joins order")
    expect(preview).not_to_contain_text("Victim")
    _no_sideways_scroll(tab)
    shot(tab, "preview")
    tab.locator("#send-button").click()
    expect(tab).to_have_url(re.compile(r"/orders/upload/batches/[0-9a-f-]+/$"), timeout=30_000)
    expect(tab.locator("#upload-status .upload-counts li.ok strong")).to_have_text("4", timeout=30_000)
    expect(tab.locator("#upload-status")).not_to_contain_text("Victim")
    _no_sideways_scroll(tab)
    shot(tab, "report")
    assert InstanceRecord.objects.filter(series__study__order=order).count() == 1
    assert tab.goto(f"/orders/{order.uuid}/").status == 404
    context.close()
    watch.check()


@pytest.mark.parametrize("size", ["desktop", "tablet"])
@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_staff_see_the_join_the_conflict_and_the_differing_details(
    browser, live_server, watch, staff_user, victim, tmp_path, size, locale
):
    order, study_uid, series_uid, sop_uid = victim
    folder = tmp_path / "pick"
    make_image(folder / "other-patient.dcm", study_uid=study_uid, series_uid=series_uid, patient_name="Other^Olga")
    make_image(folder / "conflict.dcm", study_uid=study_uid, series_uid=series_uid, sop_uid=str(sop_uid), rows=8)

    context, tab = new_tab(browser, live_server, watch, SIZES[size], locale)
    spanish = locale.startswith("es")
    sign_in_by_name(tab, "sam", PASSWORD)
    tab.goto("/orders/upload/")
    tab.locator("#pick-files").set_input_files([str(p) for p in sorted(folder.iterdir())])
    preview = tab.locator("#preview")
    expect(preview.get_by_role("link", name=re.compile("Victim, Vera")).first).to_be_visible()
    _no_sideways_scroll(tab)
    shot(tab, "preview")
    tab.locator("#send-button").click()
    expect(tab).to_have_url(re.compile(r"/orders/upload/batches/[0-9a-f-]+/$"), timeout=30_000)
    status = tab.locator("#upload-status")
    expect(status.locator(".upload-counts li.ok strong")).to_have_text("1", timeout=30_000)
    if spanish:
        expect(status).to_contain_text("otra imagen distinta con el mismo identificador")
        expect(status).to_contain_text("difieren de los de su orden (ID del paciente, nombre)")
    else:
        expect(status).to_contain_text("A different image with the same identifier")
        expect(status).to_contain_text("differ from its order's (patient ID, name)")
    _no_sideways_scroll(tab)
    shot(tab, "report")
    tab.goto(f"/orders/{order.uuid}/")
    shot(tab, "order")
    context.close()
    watch.check()
