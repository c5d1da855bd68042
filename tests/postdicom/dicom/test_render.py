"""Rendering with square pixels (``render.pixel_aspect``, ``render.shown_size``): an image whose
pixels are not square is drawn as the viewer draws it, so a thumbnail, a ``/rendered`` answer
and the viewer's first preview are not squashed."""

from __future__ import annotations

import io

import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset

from postdicom.dicom.render import pixel_aspect, render, shown_size
from tests.uploads.files import make_image


def _dataset(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(
    ("values", "aspect"),
    [
        ({}, 1.0),
        ({"PixelSpacing": [0.5, 0.25]}, 2.0),  # rows 0.5 mm apart, columns 0.25 mm: tall pixels
        ({"ImagerPixelSpacing": [0.1, 0.2]}, 0.5),
        ({"PixelAspectRatio": [3, 2]}, 1.5),
        ({"PixelSpacing": [0.5, 0.25], "PixelAspectRatio": [1, 1]}, 2.0),  # the spacing first
        ({"PixelSpacing": [0, 0.25]}, 1.0),  # not believable: as square
        ({"PixelSpacing": [10, 0.1]}, 1.0),  # 100 times as tall: a damaged value
        ({"PixelSpacing": "0.5"}, 1.0),  # one value
    ],
)
def test_pixel_aspect(values, aspect):
    assert pixel_aspect(_dataset(**values)) == aspect


def test_shown_size():
    assert shown_size((512, 512), 1.0, None) == (512, 512)
    assert shown_size((512, 256), 2.0, None) == (512, 512)  # 256 rows of tall pixels
    assert shown_size((256, 512), 0.5, None) == (512, 512)
    assert shown_size((512, 512), 2.0, (160, 160)) == (80, 160)
    assert shown_size((100, 50), 1.0, (160, 160)) == (100, 50)  # never enlarged
    assert shown_size((3000, 3000), 2.0, None) == (2048, 4096)  # at most SQUARE_LIMIT a side


def test_an_image_with_tall_pixels_is_rendered_twice_as_tall(tmp_path):
    path = make_image(tmp_path / "tall.dcm", rows=64, columns=128)
    ds = pydicom.dcmread(path)
    ds.PixelSpacing = [0.5, 0.25]
    ds.save_as(path)
    with open(path, "rb") as handle:
        picture = Image.open(io.BytesIO(render(handle, str(ds.file_meta.TransferSyntaxUID), 0)))
    assert picture.size == (128, 128)
    with open(path, "rb") as handle:
        thumb = Image.open(io.BytesIO(render(handle, str(ds.file_meta.TransferSyntaxUID), 0, viewport=(64, 64))))
    assert thumb.size == (64, 64)
