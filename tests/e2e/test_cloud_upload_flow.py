"""The upload page on the cloud backend, in a browser: the portal (pytest-django's live server)
offers the configured institutions, takes the files in resumable chunks into its own staging,
and its worker (eager here) sends them by STOW-RS to a live Rayport behind it; the report
page follows the batch to the end and the order is on that server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect
from pydicom.uid import generate_uid

from portal.celery import app
from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.local import LocalBackend
from postdicom.local.models import Institution
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import OrderQuery
from tests.conftest import PASSWORD
from tests.contract.server import RayportServer
from tests.e2e.conftest import shot, sign_in
from tests.postdicom.local.orders_setup import uid
from tests.uploads.conftest import local_storage
from tests.uploads.files import make_image

pytestmark = pytest.mark.e2e


@pytest.fixture
def portal_on_cloud(
    rayport_server: RayportServer, settings: Any, admin_user: User, clinic: Institution, tmp_path: Path
) -> Iterator[None]:
    import postdicom.cloud.tasks  # noqa: F401  (eager mode runs only the tasks imported here)

    _key, secret = get_api().create_api_key(actor=admin_user, name="cloud portal", user_id=uid(admin_user))
    local_storage(settings, tmp_path / "portal")
    forget_cached_series()
    settings.POSTDICOM = {
        "BACKEND": "postdicom.cloud.CloudBackend",
        "OPTIONS": {
            "base_url": f"{rayport_server.url}/dicomweb/",
            "api_key": secret,
            "retries": 0,
            "institutions": [(str(clinic.uuid), "Central clinic (cloud)")],
        },
    }
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_an_upload_on_the_cloud_backend_completes(page, portal_on_cloud, staff_user, clinic, tmp_path):
    study, series = generate_uid(), generate_uid()
    folder = tmp_path / "CD"
    for number in range(3):
        make_image(
            folder / f"IM{number:04d}",
            patient_name="Mamani^Lucía",
            patient_id="CLOUD-E2E",
            study_uid=study,
            series_uid=series,
            rows=64,
            columns=64,
        )

    sign_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    expect(page.get_by_role("heading", name="Upload images")).to_be_visible()
    expect(page.locator("select[name=institution_id]")).to_contain_text("Central clinic (cloud)")
    page.locator("#pick-folder").set_input_files(str(folder))
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Mamani, Lucía")
    shot(page, "preview")
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_url(re.compile(r"/orders/upload/batches/[0-9a-f-]+/$"), timeout=30_000)
    expect(page.locator("#upload-status h2").first).to_have_text("Done", timeout=30_000)
    expect(page.locator("#upload-status")).to_contain_text("3 stored")
    expect(page.get_by_role("heading", name="Upload to Central clinic (cloud)")).to_be_visible()
    shot(page, "report")

    (order,) = LocalBackend().search_orders(actor=staff_user, query=OrderQuery(patient_id="CLOUD-E2E")).items
    assert (order.institution.id, order.image_count) == (clinic.uuid, 3)


class CloudWithoutOrderList(CloudBackend):
    """The cloud backend without the order list: "/" then shows the start page (with the
    list, a cloud user starts on it)."""

    search_orders = PostDicomApi.search_orders


def test_the_start_page_names_the_cloud_accounts_institutions(page, portal_on_cloud, settings, staff_user):
    """The server does not say a user's institutions: the start page's card names those the
    portal is set up with on the server's account, where uploads and new orders go."""
    settings.POSTDICOM = {**settings.POSTDICOM, "BACKEND": f"{__name__}.CloudWithoutOrderList"}
    sign_in(page, "sam", PASSWORD)
    page.goto("/")
    card = page.locator("section.card").filter(has=page.get_by_role("heading", name="Your institutions"))
    expect(card).to_contain_text("This portal works with these institutions of the image server's account:")
    expect(card.get_by_role("listitem")).to_have_text(["Central clinic (cloud)"])
    shot(page, "start")
