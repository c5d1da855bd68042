"""The cloud backend's QIDO-RS and WADO-RS over a mocked wire: query keys out, DICOM JSON
and multipart answers back into the contract's types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import AnonymousUser, User

from postdicom.cloud import CloudBackend
from postdicom.errors import Forbidden, NotFound
from postdicom.types import ACT_AS_HEADER, DicomQuery, DicomReadPurpose

STUDY = "1.2.3"
ORDER = uuid.UUID("0f0f0f0f-0000-4000-8000-000000000001")
STUDY_JSON = {
    "0020000D": {"vr": "UI", "Value": [STUDY]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]},
    "00100020": {"vr": "LO", "Value": ["P-1"]},
    "00080020": {"vr": "DA", "Value": ["20260102"]},
    "00080030": {"vr": "TM", "Value": ["101500.25"]},
    "00080061": {"vr": "CS", "Value": ["CT", "SR"]},
    "00201206": {"vr": "IS", "Value": [2]},
    "00201208": {"vr": "IS", "Value": ["130"]},
    "00111001": {"vr": "LO", "Value": [str(ORDER)]},
}
INSTANCE_JSON = {
    "0020000D": {"vr": "UI", "Value": [STUDY]},
    "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]},
    "00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]},
    "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
    "00083002": {"vr": "UI", "Value": ["1.2.840.10008.1.2.1"]},
}


@pytest.fixture
def reader(db: None) -> User:
    return User.objects.create_user("rita", password="x")


def _backend(handler: Any) -> CloudBackend:
    backend = CloudBackend(
        base_url="http://server.test/dicomweb/", api_key="rpk_k", transport=httpx.MockTransport(handler)
    )
    backend.wire._sleep = lambda seconds: None
    return backend


def test_a_study_search_sends_the_query_keys_and_acts_as_the_portal_user(reader: User) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[STUDY_JSON])

    query = DicomQuery(patient_name="Yam*", modalities=("CT",), study_date_from=dt.date(2026, 1, 1), limit=25)
    (found,) = _backend(handler).search_studies(actor=reader, query=query)
    params = seen[0].url.params
    assert seen[0].url.path == "/dicomweb/studies"
    assert (params["PatientName"], params["ModalitiesInStudy"], params["StudyDate"], params["limit"]) == (
        "Yam*",
        "CT",
        "20260101-",
        "25",
    )
    assert seen[0].headers[ACT_AS_HEADER] == "rita"
    assert found.order_id == ORDER
    assert found.patient_name == "Yamada^Tarou=山田^太郎"
    assert (found.study_date, found.study_time) == (dt.date(2026, 1, 2), dt.time(10, 15))
    assert (found.modalities, found.series_count, found.instance_count) == (("CT", "SR"), 2, 130)


def test_a_server_without_orders_gets_the_same_made_up_order_id_every_time(reader: User) -> None:
    plain = {k: v for k, v in STUDY_JSON.items() if k != "00111001"}
    backend = _backend(lambda request: httpx.Response(200, json=[plain]))
    first = backend.search_studies(actor=reader, query=DicomQuery())[0].order_id
    assert first == backend.search_studies(actor=reader, query=DicomQuery())[0].order_id != ORDER


def test_no_content_is_no_results(reader: User) -> None:
    assert _backend(lambda request: httpx.Response(204)).search_studies(actor=reader, query=DicomQuery()) == ()


def test_an_instance_is_spooled_from_its_multipart_answer(reader: User) -> None:
    body = b"\x00" * 128 + b"DICM" + bytes(range(256)) * 40

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/instances"):
            return httpx.Response(200, json=[INSTANCE_JSON])
        if request.url.path.endswith("/studies"):
            return httpx.Response(200, json=[STUDY_JSON])
        assert request.headers["accept"].startswith("multipart/related")
        multipart = b"--b0undary\r\nContent-Type: application/dicom\r\n\r\n" + body + b"\r\n--b0undary--\r\n"
        pieces = [multipart[i : i + 7] for i in range(0, len(multipart), 7)]
        return httpx.Response(
            200,
            headers={"content-type": 'multipart/related; type="application/dicom"; boundary=b0undary'},
            content=iter(pieces),
        )

    stored = _backend(handler).open_instances(actor=reader, study_uid=STUDY, purpose=DicomReadPurpose.RETRIEVE)
    assert stored.order_id == ORDER
    (item,) = stored.instances
    assert item.transfer_syntax_uid == "1.2.840.10008.1.2.1"
    with stored.open(item) as handle:
        assert handle.read() == body


def test_nothing_there_is_not_found(reader: User) -> None:
    backend = _backend(lambda request: httpx.Response(200, json=[]))
    with pytest.raises(NotFound):
        backend.open_instances(actor=reader, study_uid=STUDY, purpose=DicomReadPurpose.FRAMES)


def test_an_inactive_or_anonymous_actor_sends_nothing(reader: User) -> None:
    backend = _backend(lambda request: pytest.fail("nothing may be sent"))
    reader.is_active = False
    for actor in (reader, AnonymousUser()):
        with pytest.raises(Forbidden):
            backend.search_studies(actor=actor, query=DicomQuery())  # type: ignore[arg-type]


def test_the_backend_implements_only_what_it_overrides() -> None:
    backend = CloudBackend(base_url="http://server.test/dicomweb/", api_key="rpk_k")
    assert {c.value for c in backend.capabilities} >= {"search_studies", "open_instances"}
    assert "create_user" not in {c.value for c in backend.capabilities}


def test_bad_options_are_a_type_error_as_get_api_expects() -> None:
    with pytest.raises(TypeError, match="api_key"):
        CloudBackend(base_url="http://server.test/")
