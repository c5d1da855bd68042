"""Scenes the contract tests share, arranged with the local backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pydicom
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.local.models import Institution
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import DicomQuery, UploadFile
from tests.uploads.conftest import upload
from tests.uploads.files import shipped


def store_ct(actor: User, clinic: Institution, tmp_path: Path, monkeypatch: Any) -> tuple[pydicom.Dataset, UUID]:
    """pydicom's CT stored for ``clinic`` by ``actor`` (as the workers store it): the dataset
    and the order it made."""
    forget_cached_series()
    monkeypatch.setattr("postdicom.local.uploads.queue._send", lambda task, *args: None)
    path = shipped("CT_small.dcm")
    upload(actor, clinic, [path], tmp_path)
    dataset = pydicom.dcmread(path)
    (found,) = get_api().search_studies(actor=actor, query=DicomQuery(study_uids=(dataset.StudyInstanceUID,)))
    return dataset, found.order_id


def upload_file(tmp_path: Path, name: str, data: bytes) -> UploadFile:
    """``data`` as a file handed to the service under ``name``."""
    folder = tmp_path / "handed"
    folder.mkdir(exist_ok=True)
    path = folder / f"{len(list(folder.iterdir())):03d}-{Path(name).name}"
    path.write_bytes(data)
    return UploadFile(name=name, path=str(path), size=len(data))
