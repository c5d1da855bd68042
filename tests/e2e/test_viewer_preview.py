"""The viewer's early preview in Chromium: a long series shows the server's rendering of its
first image (early.js) where the viewport draws, until the viewer draws that same image on its
canvas and removes the preview; the viewer asks for nothing early.js already asked for; and a
series' image count reads "1 image", "60 images"."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pydicom
import pytest
from playwright.sync_api import expect

from postdicom.local.models import StudyRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.e2e.test_viewer import CANVAS_PIXELS, SHOWN
from tests.e2e.volume import write_ct_volume
from tests.uploads.conftest import local_storage, upload

pytestmark = pytest.mark.e2e

#: How long the viewer's bundle is held back, so that the preview has time to show (on a fast
#: machine the viewer could otherwise draw first, and then no preview is shown at all).
BUNDLE_DELAY = 2.0

#: Records each preview put into the page or taken out of it, and what its viewport held then.
RECORD = """
window.previewLog = [];
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof HTMLImageElement) || !node.matches('img[data-preview]')) continue;
      window.previewLog.push({ event: 'shown', loaded: node.complete && node.naturalWidth > 0,
        rendered: node.closest('[data-slot]').dataset.rendered || '' });
    }
    for (const node of record.removedNodes) {
      if (!(node instanceof HTMLImageElement) || !node.matches('img[data-preview]')) continue;
      window.previewLog.push({ event: 'removed', rendered: record.target.dataset.rendered || '' });
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def long_ct(staff_user, clinic, settings, tmp_path, monkeypatch) -> dict[str, Any]:
    """A 60-slice CT (more than the viewer's QUICK_SERIES) and a one-image scout in its study."""
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)
    slices = write_ct_volume(tmp_path / "ct", slices=60, size=128, patient_id="PV-1")
    study_uid = pydicom.dcmread(slices[0], stop_before_pixels=True).StudyInstanceUID
    [scout] = write_ct_volume(tmp_path / "scout", slices=1, size=128, patient_id="PV-1", study_uid=study_uid)
    ds = pydicom.dcmread(scout)
    ds.SeriesNumber = 1  # before the CT (number 2): the CT is still the one shown first
    ds.Modality = "SR"  # ... as the viewer opens the first series that may hold images
    ds.SeriesDescription = "Scout"
    ds.save_as(scout)
    upload(staff_user, clinic, [*slices, scout], tmp_path)
    order = StudyRecord.objects.select_related("order").get(study_uid=study_uid).order.uuid
    return {"order": order, "study": study_uid}


def _held_back(route) -> None:
    time.sleep(BUNDLE_DELAY)
    route.continue_()


def test_a_long_series_shows_the_servers_picture_until_the_viewer_draws_it(page, long_ct):
    sign_in(page, "sam", PASSWORD)
    requested: Counter[str] = Counter()
    page.on("request", lambda request: requested.update([request.url]))
    page.add_init_script(RECORD)
    page.route("**/static/viewer/viewer.js", _held_back)
    page.goto(f"/orders/{long_ct['order']}/")
    page.get_by_role("link", name="View images").first.click()

    # The preview: the server's rendering of one image of the CT, over the whole viewport.
    preview = page.locator('[data-slot="0"] img[data-preview]')
    expect(preview).to_be_visible()
    assert page.get_attribute('[data-slot="0"]', "data-rendered") is None  # the viewer has not drawn yet
    src = preview.get_attribute("src") or ""
    assert src.startswith(f"/dicomweb/studies/{long_ct['study']}/series/"), src
    assert src.endswith("/rendered"), src  # no window asked for: the file's own, as the viewer's
    assert preview.evaluate("img => img.naturalWidth") == 128
    assert preview.bounding_box() == page.locator('[data-slot="0"] [data-canvas]').bounding_box()

    # The viewer draws the same image, then the preview goes.
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
    expect(preview).to_have_count(0)
    assert page.evaluate(CANVAS_PIXELS, 0)["spread"] > 50
    sop = src.split("/instances/")[1].split("/")[0]
    shown = page.evaluate("() => document.querySelector('[data-viewer]').viewer.viewport(0).getCurrentImageId()")
    assert f"/instances/{sop}/frames/1" in shown
    assert page.evaluate("() => window.previewLog") == [
        {"event": "shown", "loaded": True, "rendered": ""},
        {"event": "removed", "rendered": "1"},
    ]
    expect(page.locator('[data-slot="0"] [data-br]')).to_contain_text("W 400 L 40")  # the file's window

    # What early.js asked for, the viewer took, and the preloaded bundle is the one imported:
    # nothing twice.
    twice = [url for url, n in requested.items() if n > 1 and ("/dicomweb/" in url or "/static/viewer/" in url)]
    assert not twice, twice
    assert sum("/instances?limit=" in url for url in requested) == 1
    assert sum(url.endswith("/static/viewer/viewer.js") for url in requested) == 1

    # Image counts in words.
    counts = page.locator(".rv-thumb-count")
    expect(counts).to_have_text(["1 image", "60 images"])


def test_a_preview_that_comes_too_late_is_never_shown(page, long_ct):
    """The server's picture held back until the viewer has drawn its own: it stays out of the page."""
    sign_in(page, "sam", PASSWORD)
    page.add_init_script(RECORD)
    held = []
    page.route("**/rendered", lambda route: held.append(route))
    page.goto(f"/orders/{long_ct['order']}/view/")
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
    assert len(held) == 1
    with page.expect_response("**/rendered"):
        held[0].continue_()
    page.wait_for_timeout(500)  # decoded (a 128×128 JPEG) and refused
    expect(page.locator("img[data-preview]")).to_have_count(0)
    assert page.evaluate("() => window.previewLog") == []
