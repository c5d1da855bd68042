"""The cloud backend's STOW-RS over a mocked wire: requests of a bounded size, a streamed body
that is a correct multipart message of exactly the announced length, outcomes read from the
PS3.18 answer, a 413 split, and a busy server tried again with a fresh body."""

from __future__ import annotations

import io
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, cast

import httpx
import pydicom
import pytest

from postdicom.cloud import stow
from postdicom.cloud.transport import CloudOptions, Transport
from postdicom.dicom.comments import ERROR_COMMENT, comment
from postdicom.errors import Unavailable
from postdicom.types import UploadOutcome
from tests.uploads.files import make_image


def _wire(handler: Any) -> Transport:
    return Transport(
        CloudOptions(base_url="http://server.test/dicomweb/", api_key="k"), transport=httpx.MockTransport(handler)
    )


def _items(tmp_path: Path, count: int) -> list[stow.Outgoing]:
    items = []
    for n in range(count):
        path = make_image(tmp_path / f"im{n}.dcm")
        uid = str(pydicom.dcmread(path).SOPInstanceUID)
        items.append(stow.Outgoing(f"k{n}", path, uid, path.stat().st_size))
    return items


def _parts(request: httpx.Request) -> list[bytes]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.read())
    return [cast(bytes, part.get_payload(decode=True)) for part in message.iter_parts()]


def _answer(stored: list[str], failed: dict[str, int]) -> dict[str, Any]:
    return {
        "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": [uid]}} for uid in stored]},
        "00081198": {
            "vr": "SQ",
            "Value": [
                {
                    "00081155": {"vr": "UI", "Value": [uid]},
                    "00081197": {"vr": "US", "Value": [code]},
                    "00000902": {"vr": "LO", "Value": ["why"]},
                }
                for uid, code in failed.items()
            ],
        },
    }


def test_requests_are_bounded_and_never_carry_one_instance_twice(tmp_path: Path) -> None:
    items = [stow.Outgoing(f"k{n}", tmp_path, f"1.{n}", 10) for n in range(12)]
    assert [len(g) for g in stow.requests_of(items, max_files=5, max_bytes=1000)] == [5, 5, 2]
    items = [stow.Outgoing(f"k{n}", tmp_path, f"1.{n % 3}", 10) for n in range(8)]
    groups = stow.requests_of(items, max_files=5, max_bytes=1000)
    assert [len(g) for g in groups] == [3, 3, 2]
    assert all(len({i.sop_instance_uid for i in g}) == len(g) for g in groups)
    big = [stow.Outgoing(f"b{n}", tmp_path, f"2.{n}", 600) for n in range(3)]
    assert [len(g) for g in stow.requests_of(big, max_files=25, max_bytes=1000)] == [1, 1, 1]


def test_the_body_is_the_files_streamed_with_the_length_announced(tmp_path: Path) -> None:
    items = _items(tmp_path, 3)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        uids = [i.sop_instance_uid for i in items]
        return httpx.Response(202, json=_answer(uids[:1], {uids[1]: 0x0111, uids[2]: 0xC000}))

    results = stow.store(_wire(handler), items, params={"institution": "x"}, headers={}, retries=0, backoff=0)
    (request,) = seen
    body = request.read()
    assert int(request.headers["content-length"]) == len(body)
    assert "transfer-encoding" not in request.headers
    assert request.url.params["institution"] == "x"
    assert _parts(request) == [i.path.read_bytes() for i in items]
    assert results["k0"] == stow.Result(UploadOutcome.STORED)
    assert results["k1"] == stow.Result(UploadOutcome.CONFLICT, "why")
    assert results["k2"] == stow.Result(UploadOutcome.REJECTED, "why")


def test_a_stored_instance_warned_0111_is_a_duplicate_and_other_warnings_stay_warnings(tmp_path: Path) -> None:
    """The served STOW answers an image it already holds as referenced with the warning 0111:
    the local backend's ``DUPLICATE``; B000 (changed when stored) stays a stored warning."""
    items = _items(tmp_path, 3)
    uids = [i.sop_instance_uid for i in items]
    answer = _answer(uids, {})
    referenced = answer["00081199"]["Value"]
    referenced[0]["00081196"] = {"vr": "US", "Value": [0x0111]}
    referenced[0]["00000902"] = {"vr": "LO", "Value": ["The instance was already stored; nothing changed."]}
    referenced[1]["00081196"] = {"vr": "US", "Value": [0xB000]}
    results = stow.read_answer(items, answer)
    assert results["k0"] == stow.Result(UploadOutcome.DUPLICATE)
    assert results["k1"].outcome is UploadOutcome.STORED
    assert results["k1"].warnings
    assert results["k2"] == stow.Result(UploadOutcome.STORED)


def test_a_reason_longer_than_an_lo_arrives_whole_from_a_rayport(tmp_path: Path) -> None:
    """A Rayport cuts its ErrorComment to 64 characters and gives the whole sentence in its
    private element; the cloud backend reports the whole sentence."""
    items = [stow.Outgoing("k0", tmp_path, "1.2.3", 10)]
    why = "The image does not belong to study 1.2.826.0.1.3680043.8.498.77, the study of the address."
    failure = {"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081197": {"vr": "US", "Value": [0xA900]}}
    answer = {"00081198": {"vr": "SQ", "Value": [{**failure, **comment(ERROR_COMMENT, "LO", why)}]}}
    assert stow.read_answer(items, answer)["k0"] == stow.Result(UploadOutcome.REJECTED, why)


def test_a_409_is_an_answer_and_an_instance_it_does_not_name_was_not_stored(tmp_path: Path) -> None:
    items = _items(tmp_path, 2)
    answer = _answer([], {items[0].sop_instance_uid: 0xC000})
    results = stow.store(
        _wire(lambda r: httpx.Response(409, json=answer)), items, params={}, headers={}, retries=0, backoff=0
    )
    assert results["k0"].outcome is UploadOutcome.REJECTED
    assert results["k1"].outcome is UploadOutcome.REJECTED
    assert results["k1"].reason


def test_a_request_too_large_is_split_and_a_busy_server_is_tried_again(tmp_path: Path) -> None:
    items = _items(tmp_path, 4)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        parts = _parts(request)
        calls.append(len(parts))
        if len(calls) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"})
        if len(parts) > 2:
            return httpx.Response(413, headers={"X-Error-Reason": "too large"})
        uids = [str(pydicom.dcmread(io.BytesIO(p)).SOPInstanceUID) for p in parts]
        return httpx.Response(200, json=_answer(uids, {}))

    slept: list[float] = []
    results = stow.store(_wire(handler), items, params={}, headers={}, retries=2, backoff=0.5, sleep=slept.append)
    assert calls == [4, 4, 2, 2]  # the 503 sent again with a fresh body, the 413 split in two
    assert slept == [0.5]
    assert {r.outcome for r in results.values()} == {UploadOutcome.STORED}


def test_an_unreachable_server_is_unavailable_after_the_retries(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(Unavailable):
        stow.store(
            _wire(handler), _items(tmp_path, 1), params={}, headers={}, retries=1, backoff=0, sleep=lambda s: None
        )
