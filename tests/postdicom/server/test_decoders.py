"""Every image file pydicom ships, through /rendered, /thumbnail and /frames (uncompressed).

Each file with pixel data that the upload stores is uploaded on its own (into an institution
of its own: many of pydicom's files share UIDs, and a second file with the same SOP Instance
UID would join the first one's order as a conflict). pydicom itself, reading the whole file,
is the oracle: what it decodes, the server must render (a PNG of the image's size that is not
blank when the image is not) and send as uncompressed frames of the right bytes; what it
cannot decode must be a 406 with a JSON reason, never a 500. With ``-s`` the test prints
which files decode and which do not.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.test import Client
from PIL import Image
from pydicom.data import get_testdata_files
from pydicom.pixels import apply_rescale
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from postdicom.dicom.render import pixel_aspect, shown_size
from postdicom.local.models import InstanceRecord, Institution
from postdicom.types import Role
from tests.conftest import make_user
from tests.postdicom.server.test_retrieve import parts
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import pydicom_reads

pytestmark = pytest.mark.django_db

OCTETS = 'multipart/related; type="application/octet-stream"'
SYNTAXES_DECODED_HERE = {
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.51",  # JPEG extended
    "1.2.840.10008.1.2.4.57",  # JPEG lossless
    "1.2.840.10008.1.2.4.70",  # JPEG lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless (pydicom's files lack study/series UIDs: given some)
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.5",  # RLE lossless
    "1.2.840.10008.1.2.1.99",  # deflated
}


@dataclass
class Case:
    path: Path
    ds: pydicom.Dataset
    syntax: UID
    oracle: np.ndarray | None  # frame 1 as pydicom decodes it, None when it cannot

    @property
    def url(self) -> str:
        ds = self.ds
        return f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"


def _with_uids(path: Path, folder: Path) -> Path | None:
    """A copy of ``path`` with the Study and Series Instance UIDs the upload needs, when only
    those are missing (pydicom's JPEG-LS near-lossless files): the pixel data stays as it is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            return None
    if "PixelData" not in ds or not str(ds.get("SOPInstanceUID", "") or "").strip():
        return None
    ds.StudyInstanceUID = ds.get("StudyInstanceUID") or generate_uid()
    ds.SeriesInstanceUID = ds.get("SeriesInstanceUID") or generate_uid()
    copy = folder / f"{path.stem}-with-uids.dcm"
    ds.save_as(copy, enforce_file_format=True)
    return copy


def _cases(folder: Path) -> list[Case]:
    cases = []
    for name in sorted(get_testdata_files()):
        path = Path(name)
        if not path.is_file():
            continue
        if pydicom_reads(path) is None:
            completed = _with_uids(path, folder)
            if completed is None or pydicom_reads(completed) is None:
                continue
            path = completed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path)
            except Exception:  # noqa: S112 (a file pydicom cannot read whole is not an image case)
                continue
            if "PixelData" not in ds:
                continue
            syntax = UID(ds.file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian))
            try:
                array = ds.pixel_array
                oracle = array[0] if int(ds.get("NumberOfFrames", 1) or 1) > 1 else array
            except Exception:
                oracle = None
        cases.append(Case(path, ds, syntax, oracle))
    return cases


def _expected_frame(case: Case) -> bytes:
    """Frame 1 as the server should send it uncompressed: cut from the file when stored
    uncompressed little-endian on byte boundaries, else decoded (little-endian, RGB)."""
    ds, oracle = case.ds, case.oracle
    assert oracle is not None
    native = case.syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
    if native and int(ds.BitsAllocated) % 8 == 0:
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        size = get_expected_length(ds, "bytes") // frames
        return bytes(ds.PixelData[:size])
    return oracle.astype(oracle.dtype.newbyteorder("<"), copy=False).tobytes()


def _blank(image: Image.Image) -> bool:
    extrema = image.getextrema()
    bands = extrema if image.mode == "RGB" else [extrema]
    return all(low == high for low, high in bands)  # type: ignore[misc]


def _check_decodable(client: Client, case: Case) -> list[str]:
    problems = []
    oracle = case.oracle
    assert oracle is not None
    rendered = client.get(f"{case.url}/rendered", HTTP_ACCEPT="image/png")
    if rendered.status_code != 200:
        return [f"rendered {rendered.status_code}: {rendered.content[:200]!r}"]
    image = Image.open(io.BytesIO(rendered.content))
    square = shown_size((int(case.ds.Columns), int(case.ds.Rows)), pixel_aspect(case.ds), None)  # square pixels
    if image.format != "PNG" or image.size != square:
        problems.append(f"rendered {image.format} {image.size}")
    if oracle.min() != oracle.max() and _blank(image):
        # the file's own window may leave nothing to see (a CT windowed for soft tissue that
        # shows only bone): the window of its values must show the picture
        values = apply_rescale(oracle, case.ds) if oracle.ndim == 2 else oracle
        low, high = float(values.min()), float(values.max())
        window = {"window": f"{(low + high) / 2},{max(high - low, 1)},linear_exact"}
        again = client.get(f"{case.url}/rendered", window, HTTP_ACCEPT="image/png")
        if again.status_code != 200 or _blank(Image.open(io.BytesIO(again.content))):
            problems.append("rendered blank")
    thumbnail = client.get(f"{case.url}/thumbnail")
    if thumbnail.status_code != 200 or thumbnail["Content-Type"] != "image/jpeg":
        problems.append(f"thumbnail {thumbnail.status_code}")
    elif max(Image.open(io.BytesIO(thumbnail.content)).size) > 128:
        problems.append("thumbnail too large")
    frames = client.get(f"{case.url}/frames/1", HTTP_ACCEPT=OCTETS)
    if frames.status_code != 200:
        problems.append(f"frames {frames.status_code}: {frames.content[:200]!r}")
    else:
        ((_type, body),) = parts(frames)
        expected = _expected_frame(case)
        if len(body) != len(expected):
            problems.append(f"frame of {len(body)} bytes, expected {len(expected)}")
        elif body != expected:
            problems.append("frame bytes differ from pydicom's")
    return problems


def _check_undecodable(client: Client, case: Case) -> list[str]:
    problems = []
    for what, response in (
        ("rendered", client.get(f"{case.url}/rendered")),
        ("thumbnail", client.get(f"{case.url}/thumbnail")),
        ("frames", client.get(f"{case.url}/frames/1", HTTP_ACCEPT=OCTETS)),
    ):
        if response.status_code != 406:
            problems.append(f"{what} {response.status_code}, expected 406")
        elif not response.json().get("error") or not response["X-Error-Reason"]:
            problems.append(f"{what}: 406 without a reason")
    return problems


def test_every_image_pydicom_ships(settings, tmp_path, monkeypatch):
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    local_storage(settings, tmp_path)
    cases = _cases(tmp_path)
    assert len(cases) > 60
    table, failures = [], []
    for number, case in enumerate(cases):
        place = Institution.objects.create(name=f"Lab {number}")
        uploader = make_user(f"up{number}", Role.STAFF, [place])
        (tmp_path / f"u{number}").mkdir()
        upload(uploader, place, [case.path], tmp_path / f"u{number}")
        mine = InstanceRecord.objects.filter(series__study__order__institution=place, stored=True)
        if not mine.filter(sop_instance_uid=case.ds.SOPInstanceUID).exists():
            table.append((case.path.name, case.syntax.name, "not stored (the upload refuses it)"))
            continue
        client = Client()
        client.force_login(uploader)  # who sees only this file's order: no other file with its UIDs
        if case.oracle is not None:
            problems = _check_decodable(client, case)
            verdict = "decoded" if not problems else "FAILED: " + "; ".join(problems)
        else:
            problems = _check_undecodable(client, case)
            verdict = "not decodable: 406 with a reason" if not problems else "FAILED: " + "; ".join(problems)
        table.append((case.path.name, case.syntax.name, verdict))
        if problems:
            failures.append(f"{case.path.name} ({case.syntax.name}): {'; '.join(problems)}")
    print()
    for row in table:
        print(" | ".join(row))
    assert not failures, "\n".join(failures)
    decoded = {UID(c.syntax) for c, row in zip(cases, table, strict=True) if row[2] == "decoded"}
    # every compressed syntax that the pinned decoders cover has at least one file decoded
    assert {s for s in SYNTAXES_DECODED_HERE if any(c.syntax == s for c in cases)} <= {str(s) for s in decoded}
