"""STOW-RS from dicomweb-client against real server processes (postdicom.server.stow):
dicomweb-client sends every body over 1 MB with ``Transfer-Encoding: chunked`` and no
``Content-Length``. Under gunicorn (what ``runportal`` and production run) such a body is read
and stored; under a server that cannot give a chunked body (Django's own, pytest-django's
``live_server``) the client is answered 411 with the reason, never a misleading 400."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient

from postdicom import get_api
from postdicom.local.models import InstanceRecord
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db(transaction=True)

STUDY = "1.2.826.0.1.3680043.8.498.9411"
SERIES = f"{STUDY}.1"


def _study(tmp_path: Path) -> list[pydicom.Dataset]:
    """Three 512 × 512 16-bit images: about 1.5 MB, sent in one request."""
    return [
        pydicom.dcmread(make_image(tmp_path / f"{n}.dcm", study_uid=STUDY, series_uid=SERIES, rows=512, columns=512))
        for n in range(3)
    ]


@pytest.fixture
def key_of_sam(admin_user, staff_user) -> str:
    """sam's API key: the server process hashes passwords as production does, not as the
    tests make them, so it signs sam in by key (as Basic password, as PostDICOM's clients send)."""
    _key, secret = get_api().create_api_key(actor=admin_user, name="modality", user_id=staff_user.profile.uuid)
    return secret


def _client(url: str, secret: str, sent: list[requests.PreparedRequest]) -> DICOMwebClient:
    """A client as sam, keeping every request it sends in ``sent``."""
    session = requests.Session()
    session.auth = ("sam", secret)
    session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))
    return DICOMwebClient(url=f"{url}/dicomweb", session=session)


def _chunked(request: requests.PreparedRequest) -> bool:
    return request.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in request.headers


def test_a_study_over_1_mb_sent_chunked_is_stored_under_gunicorn(rayport_server, key_of_sam, tmp_path):
    sent: list[requests.PreparedRequest] = []
    client = _client(rayport_server.url, key_of_sam, sent)  # gunicorn, in a process of its own
    datasets = _study(tmp_path)
    answer = client.store_instances(datasets)
    assert [request.method for request in sent] == ["POST"]
    assert _chunked(sent[0])  # what this test is about: no Content-Length
    assert [item.ReferencedSOPInstanceUID for item in answer.ReferencedSOPSequence] == [
        ds.SOPInstanceUID for ds in datasets
    ]
    assert "FailedSOPSequence" not in answer or not answer.FailedSOPSequence
    stored = InstanceRecord.objects.filter(series__study__study_uid=STUDY, stored=True)
    assert stored.count() == 3
    # Every byte arrived: the images come back as they were sent.
    back = client.retrieve_instance(STUDY, SERIES, datasets[2].SOPInstanceUID)
    assert back.PixelData == datasets[2].PixelData


def test_a_server_that_cannot_give_a_chunked_body_answers_411(live_server, key_of_sam, tmp_path):
    sent: list[requests.PreparedRequest] = []
    with pytest.raises(requests.HTTPError) as refused:
        _client(live_server.url, key_of_sam, sent).store_instances(_study(tmp_path))
    assert _chunked(sent[0])
    response = refused.value.response
    assert response is not None
    assert response.status_code == 411
    assert "cannot read a chunked body" in response.json()["error"]
    assert "Content-Length" in response.headers["X-Error-Reason"]
    assert not InstanceRecord.objects.exists()
