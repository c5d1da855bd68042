"""A technician attaches a short video (MP4) to an order; the order page plays it, and the
viewer can jump to any moment of it: the browser reads it in byte ranges (206)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from postdicom.local.models import DocumentRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import shot, sign_in
from tests.orders.conftest import new_order
from tests.uploads.conftest import local_storage
from tests.uploads.mp4 import playable_mp4

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_storage(settings, tmp_path):
    local_storage(settings, tmp_path)
    return tmp_path


def test_an_attached_video_plays_and_seeks(page, staff_user, clinic, own_storage, tmp_path):
    order = new_order(staff_user, clinic, accession_number="VID-1")
    clip = tmp_path / "endoscopy.mp4"
    clip.write_bytes(playable_mp4())
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/documents/" in r.url else None)

    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{order.id}/")
    page.locator("#document-files").set_input_files(str(clip))
    page.locator("#documents").get_by_role("button", name="Attach", exact=True).click()
    expect(page.locator("#documents")).to_contain_text("endoscopy.mp4")
    assert DocumentRecord.objects.get().kind == "mp4"

    video = page.locator("#documents video.document-video")
    expect(video).to_be_visible()
    # HAVE_METADATA (1) or better: the browser read the file's index and knows its length.
    page.wait_for_function("() => document.querySelector('video.document-video').readyState >= 1")
    assert video.evaluate("v => [v.duration, v.videoWidth, v.videoHeight]") == [2, 32, 32]
    # Seeking works only when the server answers ranges; then the picture is there to show.
    seeked = video.evaluate(
        """v => new Promise(done => {
            v.addEventListener('seeked', () => done([v.currentTime, v.readyState]), {once: true});
            v.currentTime = 1.5;
        })"""
    )
    assert seeked[0] == pytest.approx(1.5, abs=0.11)
    assert seeked[1] >= 2  # HAVE_CURRENT_DATA: the frame at 1.5 s was decoded
    assert video.evaluate("v => v.seekable.length === 1 && v.seekable.end(0) === v.duration")
    assert 206 in statuses, statuses
    assert video.evaluate("v => v.error") is None
    # A 32 × 32 clip is not shown 32 pixels wide: the player has a usable size, and in a
    # narrow window it takes the column's width without overflowing it.
    box = video.bounding_box()
    assert box is not None
    assert box["width"] >= 280, box
    assert box["height"] >= 150, box
    shot(page, "video")
    page.set_viewport_size({"width": 360, "height": 800})
    narrow, card = video.bounding_box(), page.locator("#documents").bounding_box()
    assert narrow is not None
    assert card is not None
    assert narrow["width"] >= 200, narrow
    assert narrow["x"] + narrow["width"] <= card["x"] + card["width"], (narrow, card)
    shot(page, "video-narrow")
