"""The image viewer in Chromium: every pydicom test file with pixel data opens with a picture
on the canvas (its pixels checked, a screenshot kept) or, where nothing can decode it, a
message in the viewport; and a radiologist's work on a CT volume: layouts, dragging a series,
scrolling by keys and slider, window presets, measurements, MPR, priors side by side,
documents, shortcuts, Spanish."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy
import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_color_lut, convert_color_space, pixel_array
from pydicom.uid import JPEG2000Lossless

from postdicom import get_api
from postdicom.local.models import InstanceRecord, StudyRecord
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import UploadFile
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, new_tab, shot, sign_in, sign_in_by_name
from tests.e2e.volume import write_ct_volume
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import BROKEN, make_image, pdf_bytes, png_bytes, pydicom_reads, shipped, shipped_files
from tests.uploads.mp4 import playable_mp4

pytestmark = pytest.mark.e2e

#: Files pydicom decodes that the viewer shows the "cannot be shown" message for instead.
KNOWN_GAPS: dict[str, str] = {}

#: How far (0-255) each channel's mean on the canvas may be from pydicom's picture's, over the
#: whole picture and in each cell of a grid over it: scaling to the viewport smooths edges
#: (more so across a cell's border), and browser JPEG decoding differs from libjpeg's by a few
#: levels; a wrong colour transform or swapped channels are off by 40 or more.
COLOUR_TOLERANCE = 12
CELL_TOLERANCE = 32
GRID = 4

SHOWN = '[data-slot="{slot}"][data-state="shown"][data-rendered="1"]'
SETTLED = f'{SHOWN.format(slot=0)}, [data-slot="0"][data-state="failed"]'

#: Reads the viewport's canvas: how many pixels are not black, and the spread of brightness.
CANVAS_PIXELS = """slot => {
  const canvas = document.querySelector(`[data-slot="${slot}"] canvas`);
  const { width, height } = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let lit = 0, low = 255, high = 0;
  for (let i = 0; i < data.length; i += 4) {
    const v = Math.max(data[i], data[i + 1], data[i + 2]);
    if (v > 8) lit += 1;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return { lit, spread: high - low, total: width * height };
}"""

#: The mean of each channel in each cell of an n x n grid over the picture on the canvas: the
#: grid covers the box around the pixels that are not black (the viewport's background), so
#: that the fit to the canvas matters not.
CANVAS_COLOURS = """([slot, n]) => {
  const canvas = document.querySelector(`[data-slot="${slot}"] canvas`);
  const { width, height } = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      if (Math.max(data[i], data[i + 1], data[i + 2]) > 8) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return null;
  const h = bottom - top + 1, w = right - left + 1, cells = [];
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      const y0 = top + Math.floor((r * h) / n), y1 = top + Math.floor(((r + 1) * h) / n);
      const x0 = left + Math.floor((c * w) / n), x1 = left + Math.floor(((c + 1) * w) / n);
      const sums = [0, 0, 0];
      for (let y = y0; y < y1; y += 1) {
        for (let x = x0; x < x1; x += 1) {
          const i = (y * width + x) * 4;
          for (let k = 0; k < 3; k += 1) sums[k] += data[i + k];
        }
      }
      const count = Math.max(1, (y1 - y0) * (x1 - x0));
      cells.push(sums.map((s) => s / count));
    }
  }
  return cells;
}"""


def expected_picture(ds: pydicom.Dataset) -> Any:
    """pydicom's picture of the first frame as RGB (YBR converted, palette applied), cut to the
    box around its pixels that are not black; None for grey images, for colour of more than 8
    bits (the viewer windows those) and where pydicom cannot decode it."""
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric.startswith("MONOCHROME") or int(ds.get("BitsAllocated", 8)) != 8:
        return None
    try:
        picture = ds.pixel_array  # pydicom 3 gives YBR as RGB
    except Exception:
        return None
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        picture = picture[0]
    if photometric == "PALETTE COLOR":
        picture = apply_color_lut(picture, ds)
        if picture.dtype != numpy.uint8:
            picture = picture / 257  # 16-bit palette entries
    lit = numpy.argwhere(picture.max(axis=2) > 8)
    if not len(lit):
        return None
    (top, left), (bottom, right) = lit.min(axis=0), lit.max(axis=0)
    return picture[top : bottom + 1, left : right + 1].astype(float)


def cell_colours(picture: Any, n: int) -> list[list[float]]:
    """Each channel's mean in each cell of an n x n grid over ``picture`` (as CANVAS_COLOURS)."""
    h, w = picture.shape[:2]
    cells = []
    for r in range(n):
        for c in range(n):
            cell = picture[r * h // n : (r + 1) * h // n, c * w // n : (c + 1) * w // n]
            cells.append([float(cell[..., k].mean()) if cell.size else 0.0 for k in range(3)])
    return cells


def colour_problem(page, ds: pydicom.Dataset, slot: int = 0) -> str | None:
    """Why the canvas's colours are not pydicom's (None when they are, or for grey images):
    the whole picture's mean per channel, and each grid cell's (swapped channels or a wrong
    colour transform can keep the whole mean)."""
    picture = expected_picture(ds)
    if picture is None:
        return None
    n = min(GRID, *picture.shape[:2])
    shown = page.evaluate(CANVAS_COLOURS, [slot, n])
    if shown is None:
        return "no picture on the canvas"
    expected = cell_colours(picture, n)
    means = [[sum(cell[k] for cell in cells) / len(cells) for k in range(3)] for cells in (shown, expected)]
    if any(abs(a - b) > COLOUR_TOLERANCE for a, b in zip(*means, strict=True)):
        return f"mean colour {_rounded(means[0])} on the canvas, pydicom's is {_rounded(means[1])}"
    for index, (a, b) in enumerate(zip(shown, expected, strict=True)):
        if any(abs(x - y) > CELL_TOLERANCE for x, y in zip(a, b, strict=True)):
            return f"cell {index} of {n}x{n} is {_rounded(a)} on the canvas, pydicom's is {_rounded(b)}"
    return None


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 1) for v in values]


def _with_pixels() -> list[tuple[Path, pydicom.Dataset, bool]]:
    """pydicom's test files that the upload accepts and that hold pixel data, each with
    whether pydicom itself decodes it here."""
    found: list[tuple[Path, pydicom.Dataset, bool]] = []
    for path in shipped_files():
        if path.name in BROKEN or pydicom_reads(path) is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path)
            if "PixelData" not in ds:
                continue
            try:
                ds.pixel_array  # noqa: B018 (decoding is the question)
                decodes = True
            except Exception:
                decodes = False
        found.append((path, ds, decodes))
    return found


def _decodable(path: Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _rounds(files: list[tuple[Path, pydicom.Dataset, bool]], size: int = 20) -> list[list[tuple[Path, bool]]]:
    """Files in rounds of at most ``size`` in which no two share a study or an instance UID,
    so that each file is the only image of its order (several test files share UIDs)."""
    rounds: list[tuple[set[str], list[tuple[Path, bool]]]] = []
    for path, ds, decodes in files:
        keys = {f"study:{ds.StudyInstanceUID}", f"sop:{ds.SOPInstanceUID}"}
        for used, members in rounds:
            if not used & keys and len(members) < size:
                used |= keys
                members.append((path, decodes))
                break
        else:
            rounds.append((set(keys), [(path, decodes)]))
    return [members for _, members in rounds]


ROUNDS = _rounds(_with_pixels())


@pytest.fixture
def storage(settings, tmp_path, monkeypatch):
    forget_cached_series()  # pks of rows an earlier test rolled back
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)
    return tmp_path


def _order_of(path: Path) -> Any:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return StudyRecord.objects.select_related("order").get(study_uid=ds.StudyInstanceUID).order.uuid


def _open(page, order_id: Any) -> str:
    page.goto(f"/orders/{order_id}/view/")
    page.wait_for_selector(SETTLED, timeout=20_000)
    return page.get_attribute('[data-slot="0"]', "data-state") or ""


def _pixels(page, slot: int = 0) -> dict[str, int]:
    page.wait_for_timeout(50)  # the next frame: the canvas holds what was rendered
    return page.evaluate(CANVAS_PIXELS, slot)


@pytest.mark.parametrize("files", ROUNDS, ids=[f"round{n}" for n in range(1, len(ROUNDS) + 1)])
def test_every_pydicom_file_with_pixels_opens(page, watch, staff_user, clinic, storage, tmp_path, files):
    assert sum(len(r) for r in ROUNDS) > 80, "pydicom's test files went missing"
    upload(staff_user, clinic, [path for path, _ in files], tmp_path)
    sign_in(page, "sam", PASSWORD)
    problems = []
    for path, decodes in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert InstanceRecord.objects.filter(sop_instance_uid=ds.SOPInstanceUID, stored=True).exists(), path.name
        state = _open(page, _order_of(path))
        shot(page, path.name)
        if state == "shown":
            pixels = _pixels(page)
            if pixels["lit"] == 0 or pixels["spread"] < 8:
                problems.append(f"{path.name}: blank canvas {pixels}")
            elif wrong := colour_problem(page, _decodable(path)):
                problems.append(f"{path.name}: {wrong}")
        else:
            message = page.inner_text('[data-slot="0"] [data-message]')
            if decodes and path.name not in KNOWN_GAPS:
                problems.append(f"{path.name}: pydicom decodes it, the viewer said {message!r}")
            elif "cannot be shown" not in message:
                problems.append(f"{path.name}: neither a picture nor the message ({message!r})")
        watch.check()  # no console error, failed request or CSP violation for this file
    assert not problems, "\n".join(problems)


#: The canvas at the centre of each of the picture's pixels (sampled on at most 64 x 64 of
#: them), the picture being where the box around the non-black pixels is.
CANVAS_SAMPLES = """([slot, rows, columns, step]) => {
  const canvas = document.querySelector(`[data-slot="${slot}"] canvas`);
  const { width, height } = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      if (Math.max(data[i], data[i + 1], data[i + 2]) > 8) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  const h = bottom - top + 1, w = right - left + 1, out = [];
  for (let r = 0; r < rows; r += step) {
    for (let c = 0; c < columns; c += step) {
      const y = top + Math.floor(((r + 0.5) * h) / rows), x = left + Math.floor(((c + 0.5) * w) / columns);
      const i = (y * width + x) * 4;
      out.push([data[i], data[i + 1], data[i + 2]]);
    }
  }
  return out;
}"""


@pytest.mark.parametrize(
    "name",
    ["SC_ybr_full_422_uncompressed.dcm", "SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm"],
)
def test_the_fixed_colour_files_match_pydicom_pixel_by_pixel(page, watch, staff_user, clinic, storage, tmp_path, name):
    """The files the viewer drew wrong (noise, pink): each pixel's colour on the canvas against
    pydicom's (YBR_FULL_422 through ``convert_color_space``), within 10 levels for all but the
    pixels beside a sharp edge, which scaling to the viewport blends (at most 5 %)."""
    path = shipped(name)
    upload(staff_user, clinic, [path], tmp_path)
    sign_in(page, "sam", PASSWORD)
    assert _open(page, _order_of(path)) == "shown"
    page.wait_for_timeout(50)
    ds = _decodable(path)
    if ds.PhotometricInterpretation == "YBR_FULL_422":
        expected = convert_color_space(pixel_array(ds, as_rgb=False), "YBR_FULL", "RGB")
    else:
        expected = ds.pixel_array
    lit = numpy.argwhere(expected.max(axis=2) > 8)
    (top, left), (bottom, right) = lit.min(axis=0), lit.max(axis=0)
    expected = expected[top : bottom + 1, left : right + 1].astype(int)
    rows, columns = expected.shape[:2]
    step = max(1, max(rows, columns) // 64)
    shown = numpy.array(page.evaluate(CANVAS_SAMPLES, [0, rows, columns, step]), dtype=int)
    wanted = expected[::step, ::step].reshape(-1, 3)
    off = numpy.abs(shown - wanted).max(axis=1) > 10
    assert off.mean() <= 0.05, f"{name}: {off.sum()} of {len(off)} pixels off by more than 10"
    shot(page, f"pixels-{name}")
    watch.check()


def _undecodable(tmp_path: Path) -> Path:
    """A JPEG 2000 file whose frame is not JPEG 2000: nothing can decode it."""
    path = make_image(tmp_path / "src" / "broken-j2k.dcm", rows=16, columns=16, patient_id="BAD-1")
    ds = pydicom.dcmread(path)
    ds.PixelData = encapsulate([b"\x00\x01not a codestream" * 8])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.save_as(path, enforce_file_format=True)
    return path


def test_an_image_nothing_can_decode_says_so(page, watch, staff_user, clinic, storage, tmp_path):
    path = _undecodable(tmp_path)
    upload(staff_user, clinic, [path], tmp_path)
    sign_in(page, "sam", PASSWORD)

    state = _open(page, _order_of(path))

    assert state == "failed"
    message = page.locator('[data-slot="0"] [data-message]')
    expect(message).to_be_visible()
    expect(message).to_contain_text("This image cannot be shown")
    shot(page, "undecodable")
    # The decoder's own complaint reaches the console; the page itself stays usable.
    watch.problems = [p for p in watch.problems if "console error" not in p]


# ---- a radiologist's session on a CT volume -------------------------------------------------------


@pytest.fixture
def chest(staff_user, clinic, storage, tmp_path) -> dict[str, Any]:
    """A 40-slice CT of PH-1, an older CT of the same patient (the prior), and documents."""
    current = write_ct_volume(tmp_path / "current", slices=40, size=128, study_date="20261120")
    prior = write_ct_volume(tmp_path / "prior", slices=30, size=128, study_date="20250301", description="CT chest 2025")
    upload(staff_user, clinic, current, tmp_path)
    upload(staff_user, clinic, prior, tmp_path)
    order_id = _order_of(current[0])
    files = {"report.pdf": pdf_bytes(), "photo.png": png_bytes(), "clip.mp4": playable_mp4()}
    uploads = []
    for name, content in files.items():
        file = tmp_path / name
        file.write_bytes(content)
        uploads.append(UploadFile(name=name, path=str(file), size=len(content)))
    get_api().upload_documents(actor=staff_user, order_id=order_id, files=uploads)
    return {"order": order_id, "prior": _order_of(prior[0])}


def _overlay(page, slot: int, corner: str) -> str:
    return page.inner_text(f'[data-slot="{slot}"] [data-{corner}]')


def test_a_radiologist_reads_a_ct(page, chest):
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{chest['order']}/")
    page.get_by_role("link", name="View images").first.click()
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
    assert _pixels(page)["spread"] > 50
    expect(page.locator('[data-slot="0"] [data-tl]')).to_contain_text("PHANTOM, Chest")
    expect(page.locator('[data-slot="0"] [data-bl]')).to_contain_text("Im 21 / 40")
    expect(page.locator('[data-slot="0"] [data-br]')).to_contain_text("W 400 L 40")
    assert page.inner_text('[data-slot="0"] [data-marker="left"]') == "R"
    assert page.inner_text('[data-slot="0"] [data-marker="top"]') == "A"
    expect(page.locator(".rv-thumb canvas")).to_have_count(1)  # the series' thumbnail, drawn here
    shot(page, "ct-first")

    # Scrolling: keys, slider, Home/End.
    page.keyboard.press("ArrowDown")
    expect(page.locator('[data-slot="0"] [data-bl]')).to_contain_text("Im 22 / 40")
    page.keyboard.press("End")
    expect(page.locator('[data-slot="0"] [data-bl]')).to_contain_text("Im 40 / 40")
    page.locator('[data-slot="0"] [data-slider]').fill("4")
    expect(page.locator('[data-slot="0"] [data-bl]')).to_contain_text("Im 5 / 40")
    page.locator('[data-slot="0"] canvas').hover()
    page.mouse.wheel(0, 300)
    page.wait_for_function(
        "() => !document.querySelector('[data-slot=\"0\"] [data-bl]').textContent.includes('Im 5 /')"
    )

    # Window presets, invert, the lung window changes the picture.
    before = _pixels(page)
    page.locator("[data-presets]").select_option("lung")
    expect(page.locator('[data-slot="0"] [data-br]')).to_contain_text("W 1500 L -600")
    assert _pixels(page) != before
    page.keyboard.press("i")
    expect(page.locator('[data-slot="0"] [data-br]')).to_contain_text("inverted")
    page.keyboard.press("x")
    expect(page.locator('[data-slot="0"] [data-br]')).to_contain_text("W 400 L 40")

    # Window/level by dragging.
    box = page.locator('[data-slot="0"] canvas').bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 60, cy + 40, steps=5)
    page.mouse.up()
    expect(page.locator('[data-slot="0"] [data-br]')).not_to_contain_text("W 400 L 40")

    # A length measurement and a ROI with its statistics in HU.
    page.keyboard.press("x")
    page.get_by_role("button", name="Length", exact=True).click()
    page.mouse.move(cx - 80, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy, steps=5)
    page.mouse.up()
    page.get_by_role("button", name="Ellipse ROI", exact=True).click()
    page.mouse.move(cx - 30, cy - 30)
    page.mouse.down()
    page.mouse.move(cx + 10, cy + 10, steps=5)
    page.mouse.up()
    svg_text = page.locator('[data-slot="0"] svg').first.text_content() or ""
    assert "mm" in svg_text, svg_text
    assert "HU" in svg_text, svg_text
    shot(page, "ct-measured")

    # Flip and rotate swap the orientation markers.
    page.keyboard.press("h")
    expect(page.locator('[data-slot="0"] [data-marker="left"]')).to_have_text("L")
    page.keyboard.press("x")
    page.keyboard.press("o")
    expect(page.locator('[data-slot="0"] [data-marker="top"]')).not_to_have_text("A")

    # Cine plays and stops.
    page.keyboard.press("x")
    page.get_by_role("button", name="Play", exact=True).click()
    start = _overlay(page, 0, "bl")
    page.wait_for_function(
        "start => document.querySelector('[data-slot=\"0\"] [data-bl]').textContent !== start", arg=start
    )
    page.get_by_role("button", name="Stop", exact=True).click()

    # Layouts, and a series dragged into the second viewport.
    page.get_by_role("button", name="2×2").click()
    expect(page.locator("[data-slot]:not([hidden])")).to_have_count(4)
    page.get_by_role("button", name="1×2").click()
    expect(page.locator("[data-slot]:not([hidden])")).to_have_count(2)
    expect(page.locator('[data-slot="1"] [data-message]')).to_have_text("Drag a series here")
    page.locator(".rv-thumb").first.drag_to(page.locator('[data-slot="1"]'))
    page.wait_for_selector(SHOWN.format(slot=1), timeout=20_000)
    assert _pixels(page, 1)["spread"] > 50
    shot(page, "ct-1x2")

    # MPR: three planes of the volume.
    page.locator('[data-slot="0"] canvas').click(position={"x": 5, "y": 5})
    page.keyboard.press("m")
    for slot in range(3):
        page.wait_for_selector(SHOWN.format(slot=slot), timeout=20_000)
    page.wait_for_timeout(500)
    for slot, plane in enumerate(("Axial", "Sagittal", "Coronal")):
        expect(page.locator(f'[data-slot="{slot}"] [data-bl]')).to_contain_text(plane)
        assert _pixels(page, slot)["spread"] > 30, plane
    assert page.inner_text('[data-slot="1"] [data-marker="top"]') == "H"
    shot(page, "ct-mpr")

    # Shortcuts are listed.
    page.keyboard.press("?")
    expect(page.locator("[data-help]")).to_be_visible()
    expect(page.locator("[data-help]")).to_contain_text("Previous / next image")
    page.get_by_role("button", name="Close").click()


#: Counts how often the first viewport's image number changes, until ``imageChanges.stop()``.
COUNT_IMAGE_CHANGES = """() => {
  const corner = document.querySelector('[data-slot="0"] [data-bl]');
  let last = corner.textContent, count = 0;
  const observer = new MutationObserver(() => {
    if (corner.textContent !== last) { last = corner.textContent; count += 1; }
  });
  observer.observe(corner, { childList: true, characterData: true, subtree: true });
  window.imageChanges = { stop: () => { observer.disconnect(); return count; } };
}"""


def test_the_other_tools_a_radiologist_expects(page, chest):
    """What the session above leaves out: zoom, pan and fit, the angle, the brain and auto
    (MR) windows, the vertical flip, the rectangle ROI and cine at another frame rate."""
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{chest['order']}/view/")
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
    canvas = page.locator('[data-slot="0"] canvas')
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corner = page.locator('[data-slot="0"] [data-br]')
    start_zoom = corner.inner_text().split("\n")[-1]

    # An angle (three clicks) and a rectangle ROI with HU statistics.
    page.get_by_role("button", name="Angle", exact=True).click()
    page.mouse.move(cx - 60, cy - 40)
    page.mouse.down()
    page.mouse.move(cx, cy, steps=5)
    page.mouse.up()
    page.mouse.move(cx + 60, cy - 40, steps=5)
    # Cornerstone holds a click back for a moment to tell it from a double click.
    page.mouse.click(cx + 60, cy - 40, delay=100)
    expect(page.locator('[data-slot="0"] svg').first).to_contain_text("°")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Rect ROI", exact=True).click()
    page.mouse.move(cx - 40, cy + 20)
    page.mouse.down()
    page.mouse.move(cx + 20, cy + 60, steps=5)
    page.mouse.up()
    expect(page.locator('[data-slot="0"] svg').first).to_contain_text("HU")
    shot(page, "angle-and-rect")

    # Zoom by dragging with the zoom tool, then fit brings the first zoom back.
    # (Away from the measurements, whose handles a drag would move instead.)
    ex, ey = box["x"] + 40, box["y"] + 80
    page.get_by_role("button", name="Zoom", exact=True).click()
    page.mouse.move(ex, ey)
    page.mouse.down()
    page.mouse.move(ex, ey + 120, steps=6)
    page.mouse.up()
    expect(corner).not_to_contain_text(start_zoom)
    zoomed = _pixels(page)
    page.keyboard.press("p")
    page.mouse.move(ex, ey)
    page.mouse.down()
    page.mouse.move(ex + 150, ey + 100, steps=6)
    page.mouse.up()
    page.wait_for_timeout(300)  # the next animation frame draws it
    assert _pixels(page) != zoomed  # panned: the picture moved
    page.get_by_role("button", name="Fit", exact=True).click()
    expect(corner).to_contain_text(start_zoom)

    # The brain and auto windows, by their keys.
    page.keyboard.press("4")
    expect(corner).to_contain_text("W 80 L 40")
    page.keyboard.press("0")
    expect(corner).not_to_contain_text("W 80 L 40")
    page.keyboard.press("1")
    expect(corner).to_contain_text("W 400 L 40")

    # Flip vertically swaps the head and foot markers (A and P on an axial CT).
    assert page.inner_text('[data-slot="0"] [data-marker="top"]') == "A"
    page.get_by_role("button", name="Flip V", exact=True).click()
    expect(page.locator('[data-slot="0"] [data-marker="top"]')).to_have_text("P")
    page.keyboard.press("x")
    expect(page.locator('[data-slot="0"] [data-marker="top"]')).to_have_text("A")

    # Cine at 30 frames a second moves through the stack faster than at 2.
    # Counted as changes of the image number (a loop back to the first image counts too).
    def frames_in(ms: int) -> int:
        page.evaluate(COUNT_IMAGE_CHANGES)
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_timeout(ms)
        page.get_by_role("button", name="Stop", exact=True).click()
        return page.evaluate("() => window.imageChanges.stop()")

    page.locator("[data-fps]").fill("2")
    page.locator("[data-fps]").dispatch_event("change")
    slow = frames_in(1000)
    page.locator("[data-fps]").fill("30")
    page.locator("[data-fps]").dispatch_event("change")
    fast = frames_in(1000)
    assert slow <= 4, (slow, fast)
    assert fast >= 10, (slow, fast)


def test_priors_open_side_by_side_and_documents_in_the_page(page, chest):
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{chest['order']}/view/")
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)

    prior = page.locator("[data-priors] .rv-prior")
    expect(prior).to_have_count(1)
    expect(prior).to_contain_text("CT")
    prior.click()
    page.wait_for_selector(SHOWN.format(slot=1), timeout=20_000)
    expect(page.locator('[data-slot="1"] [data-tr]')).to_contain_text("CT chest 2025")
    expect(page.get_by_role("button", name="Link")).to_have_attribute("aria-pressed", "true")
    # Linked: scrolling one scrolls the other to the same place in its stack.
    page.locator('[data-slot="0"] canvas').click(position={"x": 5, "y": 5})
    page.keyboard.press("End")
    expect(page.locator('[data-slot="1"] [data-bl]')).to_contain_text("Im 30 / 30")
    page.locator("[data-presets]").select_option("bone")
    expect(page.locator('[data-slot="1"] [data-br]')).to_contain_text("W 2000 L 300")
    shot(page, "priors")

    documents = page.locator("[data-documents] .rv-document")
    expect(documents).to_have_count(3)
    documents.filter(has_text="photo.png").click()
    expect(page.locator("[data-document-body] img")).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-document-body] img').naturalWidth > 0")
    page.get_by_role("button", name="Back to images").click()
    documents.filter(has_text="clip.mp4").click()
    page.wait_for_function("() => document.querySelector('[data-document-body] video').readyState >= 1")
    assert page.locator("[data-document-body] video").evaluate("v => v.controls && v.duration") == 2
    page.keyboard.press("Escape")
    expect(page.locator("[data-document]")).to_be_hidden()
    documents.filter(has_text="report.pdf").click()
    frame = page.locator("[data-document-body] iframe")
    expect(frame).to_be_visible()
    assert frame.get_attribute("src").startswith(f"/orders/{chest['order']}/documents/")
    shot(page, "documents")


NO_WEBGL = """(() => {
  const original = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /webgl/.test(kind) ? null : original.call(this, kind, ...rest);
  };
})();"""


def test_without_webgl_images_still_show_and_it_says_so(page, chest):
    page.add_init_script(NO_WEBGL)
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/orders/{chest['order']}/view/")
    page.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)

    expect(page.locator("[data-notice]")).to_contain_text("This browser has no WebGL")
    assert _pixels(page)["spread"] > 50
    page.keyboard.press("m")
    expect(page.locator("[data-notice]")).to_contain_text("MPR needs WebGL")
    shot(page, "no-webgl")


def test_the_viewer_in_spanish(browser, live_server, watch, chest):
    context, tab = new_tab(browser, live_server, watch, DESKTOP, "es-ES")
    try:
        sign_in_by_name(tab, "sam", PASSWORD)
        tab.goto(f"/orders/{chest['order']}/view/")
        tab.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
        expect(tab.get_by_role("button", name="Atajos")).to_be_visible()
        expect(tab.locator('[data-slot="0"] [data-bl]')).to_contain_text("Im 21 / 40")
        tab.get_by_role("button", name="1×2").click()
        expect(tab.locator('[data-slot="1"] [data-message]')).to_have_text("Arrastre una serie aquí")
        expect(tab.get_by_role("link", name="← Volver a la orden")).to_be_visible()
        shot(tab, "spanish")
    finally:
        context.close()
    watch.check()


PHONE = {"width": 390, "height": 844}

#: The overlay's corners and markers whose right edge is past ``width`` (the viewer page is fixed
#: to the window: what sticks out is cut off, not scrolled to).
OUTSIDE = """width => [...document.querySelectorAll(
  '[data-slot="0"] [data-tr], [data-slot="0"] [data-br], [data-slot="0"] [data-marker="right"], [data-slot="0"] canvas'
)].filter((e) => e.offsetParent !== null && e.getBoundingClientRect().right > width + 1)
  .map((e) => `${e.textContent.trim() || e.tagName} ${Math.round(e.getBoundingClientRect().right)}`)"""


def _outside(tab, width: int) -> list[str]:
    return tab.evaluate(OUTSIDE, width)


@pytest.mark.parametrize(
    ("locale", "back", "shortcuts"),
    [("en-US", "← Back to the order", "Shortcuts"), ("es-ES", "← Volver a la orden", "Atajos")],
)
def test_the_viewer_on_a_phone(browser, live_server, watch, chest, locale, back, shortcuts):
    """On a phone-sized screen the picture takes most of it: the tools are one row that scrolls
    sideways, every one of them reachable (the last, the shortcuts, is scrolled to and clicked),
    the series one strip; the overlay fits (Spanish's labels are the longer), with the way back."""
    context, tab = new_tab(browser, live_server, watch, PHONE, locale)
    try:
        sign_in_by_name(tab, "sam", PASSWORD)
        tab.goto(f"/orders/{chest['order']}/view/")
        tab.wait_for_selector(SHOWN.format(slot=0), timeout=20_000)
        assert _pixels(tab)["spread"] > 50
        assert _outside(tab, PHONE["width"]) == []
        expect(tab.get_by_role("link", name=back)).to_be_visible()
        shot(tab, "phone")
        canvas = tab.locator('[data-slot="0"] canvas').bounding_box()
        assert canvas["width"] >= PHONE["width"] * 0.8, canvas
        assert canvas["height"] >= PHONE["height"] * 0.65, canvas  # half the screen before the tools took one row
        toolbar = tab.locator(".rv-toolbar")
        assert toolbar.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert toolbar.bounding_box()["height"] < 60  # one row
        tab.get_by_role("button", name=shortcuts).click()  # past the screen's edge: scrolled to
        expect(tab.locator("[data-help]")).to_be_visible()
        shot(tab, "phone-shortcuts")
    finally:
        context.close()
    watch.check()
