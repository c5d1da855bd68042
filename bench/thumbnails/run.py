"""The order list page with 50 orders that have images, and their thumbnails.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rayport_thumbs_bench \\
        .venv/bin/python bench/thumbnails/run.py          # --help for the options

Makes a fresh database (dropped first: never name one you care about), migrates it, and
uploads ``--orders`` (50) studies of one 512×512 16-bit CT slice each through
``upload_dicom``, ingested in-process as a worker would (with the worker's thumbnail step
unless ``--lazy``). Then, in-process with a signed-in test client (no network, no browser):

* the order list (``/orders/``, 50 rows on a page): ``--runs`` (40) GETs, p50/p95 ms, the
  p50 of this process's CPU time (less disturbed by other work on the machine than wall time)
  and SQL statements per page;
* each order's thumbnail (``orders:thumbnail``, when the URL exists): the first request of
  each (drawn then when ``--lazy``) and then again (read from storage), p50/p95 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--lazy", action="store_true", help="no thumbnails at ingest: the first request draws each")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.rsplit("/", 1)[-1].endswith("bench"):
        sys.exit("DATABASE_URL must name a throwaway database whose name ends in 'bench'")
    from bench.ingest.run import fresh_database

    fresh_database(url.rsplit("/", 1)[-1])
    data = Path(tempfile.mkdtemp(prefix="rayport-thumbs-bench-"))
    os.environ["RAYPORT_DATA_DIR"] = str(data)
    import django

    django.setup()
    try:
        measure(args, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _image(path: Path, index: int) -> Path:
    import random

    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.filewriter import dcmwrite
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID = f"Bench^Patient{index:03d}", f"B{index:05d}"
    ds.PatientBirthDate, ds.StudyDate, ds.StudyTime = "19700101", "20261120", "101500"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber, ds.AccessionNumber = "CT", 1, 1, f"BN{index:05d}"
    ds.Rows = ds.Columns = 512
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.PixelData = random.Random(index).randbytes(512 * 512 * 2)
    dcmwrite(path, ds, enforce_file_format=True)
    return path


def measure(args: argparse.Namespace, data: Path) -> None:
    from unittest import mock

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from bench.timing import Timing, percentile, sql_clock
    from postdicom import get_api
    from postdicom.local.access import profile_of
    from postdicom.local.models import Institution, UploadBatch
    from postdicom.local.uploads.ingest import run_batch
    from postdicom.types import UploadFile

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    clinic = Institution.objects.create(name="Bench")
    user = get_user_model().objects.create_user("bench", password="bench-password-4711")
    profile = profile_of(user)
    profile.role = "staff"
    profile.save()
    profile.institutions.set([clinic])
    staging = data / "staging"
    staging.mkdir(parents=True)
    files = []
    for index in range(args.orders):
        path = _image(staging / f"{index:03d}.dcm", index)
        files.append(UploadFile(name=path.name, path=str(path), size=path.stat().st_size))
    maker = "postdicom.local.images.thumbnails.make_for"
    with mock.patch("postdicom.local.uploads.queue._send"):
        receipt = get_api().upload_dicom(actor=user, institution_id=clinic.uuid, files=files)
        if args.lazy:
            with mock.patch(maker):
                run_batch(UploadBatch.objects.get(uuid=receipt.batch_id).pk)
        else:
            run_batch(UploadBatch.objects.get(uuid=receipt.batch_id).pk)
    client = Client()
    client.force_login(user)
    page = Timing()
    cpu: list[float] = []
    for _ in range(args.runs + 1):
        started = time.process_time()
        with sql_clock(page):
            response = client.get("/orders/")
        cpu.append((time.process_time() - started) * 1000)
        assert response.status_code == 200, response.status_code
        assert response.content.count(b'class="patient-cell"') == args.orders
    page.wall, page.queries, cpu = page.wall[1:], page.queries[1:], cpu[1:]  # the first warms caches up
    print(f"order list, {args.orders} rows: p50 {statistics.median(page.wall):.1f} ms, "
          f"p95 {percentile(page.wall, 95):.1f} ms (this process's CPU: p50 {statistics.median(cpu):.1f} ms), "
          f"{max(page.queries)} SQL statements")  # fmt: skip
    try:
        reverse("orders:thumbnail", kwargs={"order_id": "00000000-0000-0000-0000-000000000000"})
    except NoReverseMatch:
        print("no orders:thumbnail URL here")
        return
    orders = get_api().search_orders(actor=user, query=__import__("postdicom.types").types.OrderQuery()).items
    for label in ("first request" + (" (drawn now)" if args.lazy else " (made at ingest)"), "again"):
        timing = Timing()
        for order in orders:
            with sql_clock(timing):
                answer = client.get(reverse("orders:thumbnail", kwargs={"order_id": order.id}))
                body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            assert answer.status_code == 200
            assert answer["Content-Type"] == "image/jpeg", answer["Content-Type"]
            assert body[:2] == b"\xff\xd8"
        print(f"thumbnail, {label}: p50 {statistics.median(timing.wall):.1f} ms, "
              f"p95 {percentile(timing.wall, 95):.1f} ms, {max(timing.queries)} SQL statements")  # fmt: skip


if __name__ == "__main__":
    main()
