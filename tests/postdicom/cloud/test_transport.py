"""The cloud backend's wire: retries, timeouts and every refusal mapped to a service error.

The network boundary is mocked (httpx ``MockTransport``), as the house style says; the
backend is also tested over real HTTP against a live Rayport elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from postdicom.cloud.transport import CloudOptions, Transport, custom_header
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unavailable, Unsupported

OPTIONS = CloudOptions(base_url="https://rayport.example/dicomweb", username="ana", password="s3cret", backoff=0)


def _transport(handler: Callable[[httpx.Request], httpx.Response], options: CloudOptions = OPTIONS) -> Transport:
    wire = Transport(options, transport=httpx.MockTransport(handler))
    wire._sleep = lambda seconds: None
    return wire


def test_custom_calls_send_postdicoms_header_encoding() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"Success": True})

    order = uuid.UUID("12345678-1234-5678-1234-567812345678")
    answer = _transport(handler).custom(
        "getpatientorderlist",
        "GetPatientOrderList",
        {
            "PatientName": "山田^太郎",
            "InstitutionUuidList": [order],
            "Flag": True,
            "StudyDateFrom": dt.date(2026, 1, 2),
        },
    )
    assert answer == {"Success": True}
    request = seen[0]
    assert request.method == "GET"
    assert str(request.url) == "https://rayport.example/dicomweb/getpatientorderlist"
    assert request.headers["Authorization"] == "Basic YW5hOnMzY3JldA=="
    raw = request.headers["GetPatientOrderListParameters"]
    assert raw.isascii()
    assert json.loads(raw) == {
        "PatientName": "山田^太郎",
        "InstitutionUuidList": json.dumps([str(order)]),
        "Flag": "True",
        "StudyDateFrom": "2026-01-02",
    }


def test_an_api_key_is_sent_as_a_bearer_token() -> None:
    options = CloudOptions(base_url="http://127.0.0.1:1/dicomweb/", api_key="rpk_abc")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=[])

    _transport(handler, options).get_json("studies")
    assert seen == ["Bearer rpk_abc"]


def test_idempotent_calls_are_retried_on_busy_answers_and_broken_connections() -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": "1"}), "boom", httpx.Response(200, json=[{"a": 1}])])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "boom":
            raise httpx.ConnectError("refused", request=request)
        return answer  # type: ignore[return-value]

    assert _transport(handler).get_json("studies") == [{"a": 1}]


def test_retries_end_in_unavailable() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(Unavailable):
        _transport(handler).get_json("studies")
    assert len(calls) == 1 + OPTIONS.retries


def test_a_post_is_never_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503)

    with pytest.raises(Unavailable):
        _transport(handler).request("POST", "studies", content=b"x")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, NotFound), (403, Forbidden), (501, Unsupported), (401, Unavailable), (500, Unavailable), (429, Unavailable)],
)
def test_refusals_become_service_errors(status: int, kind: type[Exception]) -> None:
    with pytest.raises(kind):
        _transport(lambda r: httpx.Response(status, headers={"X-Error-Reason": "why"})).get_json("studies")


def test_a_bad_parameter_becomes_invalid_input_on_that_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"parameter": "PatientBirthdate", "message": "Not a date."}
        return httpx.Response(400, json=body, headers={"X-Error-Reason": "PatientBirthdate: not a date"})

    with pytest.raises(InvalidInput) as caught:
        _transport(handler).custom("createpatientorder", "CreatePatientOrder", {"PatientBirthdate": "x"})
    assert caught.value.field_errors == {"PatientBirthdate": ["PatientBirthdate: not a date"]}


def test_an_unreadable_answer_is_unavailable_not_a_crash() -> None:
    with pytest.raises(Unavailable):
        _transport(lambda r: httpx.Response(200, text="<html>proxy</html>")).custom("x", "X", {})


def test_options_refuse_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="http"):
        CloudOptions(base_url="ftp://x", api_key="k")
    with pytest.raises(ValueError, match="api_key"):
        CloudOptions(base_url="http://x", username="ana")
    assert "s3cret" not in repr(OPTIONS)


def test_header_values_are_strings_lists_and_booleans_as_postdicom_sends_them() -> None:
    assert json.loads(custom_header({"A": None, "B": False, "C": ["x", 2], "D": 7})) == {
        "A": "",
        "B": "False",
        "C": '["x", "2"]',
        "D": "7",
    }


def test_a_rayport_refusal_names_every_wrong_parameter() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"Success": False, "Message": "x", "Errors": {"PatientId": ["Required."], "": ["Whole."]}}
        return httpx.Response(400, json=body)

    with pytest.raises(InvalidInput) as caught:
        _transport(handler).custom("createpatientorder", "CreatePatientOrder", {})
    assert caught.value.field_errors == {"PatientId": ["Required."], InvalidInput.NON_FIELD: ["Whole."]}


@pytest.mark.django_db
def test_custom_calls_that_act_are_sent_once_and_those_that_read_are_retried() -> None:
    """Every custom endpoint is a GET, but CreatePatientOrder, CreateFolder, DeleteOrder and
    the share calls act each time: a retry after a lost answer would make a second order,
    folder or link (or answer 404 to a delete that worked), so a busy answer ends them."""
    from django.contrib.auth.models import User

    from postdicom.cloud import CloudBackend
    from postdicom.types import OrderDraft

    calls: list[str] = []
    answers = {"searchfolder": {"Folder": {"FolderUuid": str(uuid.UUID(int=1)), "FolderName": "A"}}}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.rsplit("/", 1)[-1]
        calls.append(path)
        if calls.count(path) == 1:
            raise httpx.ReadError("the answer was lost", request=request)
        return httpx.Response(200, json={"Success": True, "Message": "", **answers.get(path, {})})

    api = CloudBackend(transport=httpx.MockTransport(handler), base_url=OPTIONS.base_url, api_key="rpk_x", backoff=0)
    api.wire._sleep = lambda seconds: None
    actor = User.objects.create_user("ana", password="x")
    order = uuid.UUID(int=7)
    draft = OrderDraft(
        patient_name="DOE^JO",
        patient_id="P1",
        modality="CT",
        order_date=dt.date(2026, 1, 2),
        birth_date=dt.date(1970, 1, 1),
    )
    acting = [
        lambda: api.create_order(actor=actor, institution_id=uuid.UUID(int=2), draft=draft),
        lambda: api.create_folder(actor=actor, name="A"),
        lambda: api.delete_order(actor=actor, order_id=order),
    ]
    for call in acting:
        with pytest.raises(Unavailable):
            call()
    assert calls == ["createpatientorder", "createfolder", "deleteorder"]

    calls.clear()
    api.add_order_to_folders(actor=actor, order_id=order, folder_ids=[uuid.UUID(int=1)])
    api.assign_order(actor=actor, order_id=order, user_id=uuid.UUID(int=3))
    assert calls == ["addordertofolder", "addordertofolder", "assignordertouser", "assignordertouser"]


@pytest.mark.parametrize("status", [200, 404])
def test_an_answer_that_cannot_be_decoded_is_unavailable_not_an_httpx_error(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))

    with pytest.raises(Unavailable):
        _transport(handler).get_json("studies")


@pytest.mark.django_db
def test_a_user_named_beyond_ascii_is_acted_for_with_an_encoded_name() -> None:
    from django.contrib.auth.models import User

    from postdicom.cloud import CloudBackend
    from postdicom.types import ACT_AS_HEADER, OrderQuery, act_as_name

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers[ACT_AS_HEADER])
        return httpx.Response(200, json={"Success": True, "Message": "", "SearchResultList": [], "TotalCount": 0})

    api = CloudBackend(transport=httpx.MockTransport(handler), base_url=OPTIONS.base_url, api_key="rpk_x")
    actor = User.objects.create_user("josé.núñez", password="x")
    api.search_orders(actor=actor, query=OrderQuery())
    assert seen == ["jos%C3%A9.n%C3%BA%C3%B1ez"]
    assert act_as_name(seen[0]) == "josé.núñez"


def test_one_pooled_client_per_process_and_options_with_their_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    from postdicom.cloud import transport

    options = CloudOptions(
        base_url="https://pool.example/dicomweb", api_key="rpk_pool", connect_timeout=2, read_timeout=9
    )
    first, again = Transport(options), Transport(options)
    assert first.client is again.client  # one connection pool for every call of this process
    assert (first.client.timeout.connect, first.client.timeout.read) == (2, 9)
    assert str(first.client.base_url) == "https://pool.example/dicomweb/"
    other = Transport(CloudOptions(base_url="https://pool.example/dicomweb", api_key="rpk_other"))
    assert other.client is not first.client
    monkeypatch.setattr(transport.os, "getpid", lambda: -1)  # a forked worker: its own sockets
    assert Transport(options).client is not first.client
    first.client.close()
    monkeypatch.undo()
    assert Transport(options).client is not first.client  # a closed client is replaced
