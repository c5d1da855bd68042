"""A frame as a picture people can look at: JPEG or PNG, windowed, optionally shrunk.

Greyscale frames go through the modality LUT (Rescale Slope/Intercept, so CT is in HU),
then the VOI window: the one asked for, else the file's first Window Center/Width, else the
frame's own range. The window functions are PS3.3 C.11.2.1.2's ``LINEAR``,
``LINEAR_EXACT`` and ``SIGMOID``. MONOCHROME1 is inverted so that it looks as intended;
palette colour goes through its lookup table; other colour frames arrive as RGB.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_color_lut, apply_rescale

from postdicom.dicom.frames import NotDecodable, decoded_array, read_header

WINDOW_FUNCTIONS = ("linear", "linear_exact", "sigmoid")
RENDERED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class Window:
    center: float
    width: float
    function: str = "linear"


def _first(value: Any) -> float | None:
    try:
        if value is None:
            return None
        if isinstance(value, (list, tuple, MultiValue)):
            value = value[0]
        return float(value)
    except (TypeError, ValueError, IndexError):
        return None


def file_window(ds: Dataset) -> Window | None:
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None or width < 1:
        return None
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").lower()
    return Window(center, width, function if function in WINDOW_FUNCTIONS else "linear")


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
    """PS3.3 C.11.2.1.2 to 0…255."""
    c, w = window.center, max(window.width, 1.0)
    if window.function == "sigmoid":
        out = 255.0 / (1.0 + np.exp(-4.0 * (values - c) / w))
    elif window.function == "linear_exact":
        out = ((values - c) / w + 0.5) * 255.0
    else:
        w = max(w, 2.0)  # LINEAR needs width ≥ 1; width 1 is a threshold
        out = ((values - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
    return np.clip(out, 0, 255).astype(np.uint8)


def _grey(ds: Dataset, array: np.ndarray, window: Window | None) -> np.ndarray:
    values = apply_rescale(array, ds).astype(np.float64)
    chosen = window or file_window(ds)
    if chosen is None:
        low, high = float(values.min()), float(values.max())
        chosen = Window((low + high) / 2, max(high - low, 1.0), "linear_exact")
    out = apply_window(values, chosen)
    if str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1":
        out = 255 - out
    return out


def _colour(ds: Dataset, array: np.ndarray) -> np.ndarray:
    if str(ds.get("PhotometricInterpretation", "")) == "PALETTE COLOR":
        array = apply_color_lut(array, ds)
        return (array >> 8).astype(np.uint8) if array.dtype.itemsize > 1 else array.astype(np.uint8)
    if array.dtype == np.uint8:
        return array
    bits = int(ds.get("BitsStored", 8) or 8)
    return np.clip(array.astype(np.float64) * 255.0 / ((1 << bits) - 1), 0, 255).astype(np.uint8)


#: A pixel taller (or wider) than this many times its width is taken for a damaged value.
ASPECT_LIMIT = 8.0
#: A rendering stretched to square pixels grows to at most this many pixels a side.
SQUARE_LIMIT = 4096


def pixel_aspect(ds: Dataset) -> float:
    """A pixel's height over its width: Pixel Spacing (rows, then columns), else Imager Pixel
    Spacing, else Pixel Aspect Ratio (vertical, then horizontal); 1 when none says otherwise
    or the value is not believable."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing", "PixelAspectRatio"):
        value = ds.get(keyword)
        try:
            vertical, horizontal = float(value[0]), float(value[1])
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if vertical > 0 and horizontal > 0:
            aspect = vertical / horizontal
            return aspect if 1 / ASPECT_LIMIT <= aspect <= ASPECT_LIMIT else 1.0
    return 1.0


def shown_size(size: tuple[int, int], aspect: float, viewport: tuple[int, int] | None) -> tuple[int, int]:
    """The (width, height) a frame of ``size`` pixels is shown at: its pixels made square (a
    CR or ultrasound image with pixels twice as tall as wide is drawn twice as tall, as the
    viewer draws it), then fitted inside ``viewport`` (never enlarged), as PIL's thumbnail
    does."""
    width, height = size
    if abs(aspect - 1.0) > 0.01:
        grown = (width, height * aspect) if aspect > 1 else (width / aspect, height)
        scale = min(1.0, SQUARE_LIMIT / max(grown))
        width, height = max(1, round(grown[0] * scale)), max(1, round(grown[1] * scale))
    if viewport is not None:
        scale = min(1.0, viewport[0] / width, viewport[1] / height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return width, height


def render(
    handle: IO[bytes],
    syntax: str,
    index: int,
    *,
    window: Window | None = None,
    viewport: tuple[int, int] | None = None,
    media_type: str = "image/jpeg",
    quality: int = 90,
) -> bytes:
    """Frame ``index`` as a JPEG or PNG (``media_type``), with square pixels (``shown_size``),
    fitted inside ``viewport`` (width, height) when given. ``NotDecodable`` / ``NoSuchFrame`` as ``decoded_array``."""
    ds = read_header(handle)
    array = decoded_array(handle, syntax, index)
    colour = array.ndim == 3 or str(ds.get("PhotometricInterpretation", "")) == "PALETTE COLOR"
    try:
        pixels = _colour(ds, array) if colour else _grey(ds, array, window)
        image = Image.fromarray(pixels, "RGB" if pixels.ndim == 3 else "L")
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        # decoded, but the header's description of it (palette, rescale, shape) does not fit
        raise NotDecodable(str(error)) from error
    size = shown_size(image.size, pixel_aspect(ds), viewport)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if RENDERED_TYPES[media_type] == "JPEG":
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "PNG")
    return out.getvalue()
