"""The cloud backend's institutions come from its configuration (``CloudOptions.institutions``):
PostDICOM's HTTP API has no endpoint for them. Offered only when some are configured."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom.cloud import CloudBackend
from postdicom.cloud.transport import CloudOptions
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unsupported
from postdicom.types import Capability

MAIN = uuid.UUID("9b2f6f8e-1d6a-4c55-9a57-3f1f2a1b0c01")
NORTH = uuid.UUID("0a0e5c52-7a43-4f0e-8d8e-52b1ad0f3c02")
BASE: dict[str, Any] = {"base_url": "https://rayport.example/dicomweb/", "api_key": "rk_example"}


def _user(active: bool = True) -> User:
    return User(username="ana", is_active=active)


def test_institutions_are_offered_in_their_order_to_every_active_user() -> None:
    api = CloudBackend(**BASE, institutions=[(str(NORTH), " North "), (MAIN, "Clínica Central")])
    assert {Capability.LIST_INSTITUTIONS, Capability.GET_INSTITUTION} <= api.capabilities
    assert [(i.id, i.name, i.is_active) for i in api.list_institutions(actor=_user())] == [
        (NORTH, "North", True),
        (MAIN, "Clínica Central", True),
    ]
    assert api.get_institution(actor=_user(), institution_id=MAIN).name == "Clínica Central"
    with pytest.raises(NotFound):
        api.get_institution(actor=_user(), institution_id=uuid.uuid4())
    with pytest.raises(Forbidden):
        api.list_institutions(actor=_user(active=False))


def test_a_mapping_keeps_its_order_too() -> None:
    options = CloudOptions(**BASE, institutions={str(MAIN): "Main", str(NORTH): "North"})  # type: ignore[arg-type]
    assert options.institutions == ((MAIN, "Main"), (NORTH, "North"))
    hash(options)  # the pooled client is kept per options


def test_without_institutions_they_are_not_offered() -> None:
    api = CloudBackend(**BASE)
    assert Capability.LIST_INSTITUTIONS not in api.capabilities
    assert Capability.GET_INSTITUTION not in api.capabilities
    assert Capability.CREATE_ORDER in api.capabilities
    with pytest.raises(Unsupported):
        api.list_institutions(actor=_user())
    with pytest.raises(Unsupported):
        api.get_institution(actor=_user(), institution_id=MAIN)


@pytest.mark.parametrize(
    ("institutions", "said"),
    [
        ([("nope", "Main")], "is not a UUID"),
        ([(MAIN, "  ")], "has no name"),
        ([(MAIN, "Main"), (str(MAIN).upper(), "Again")], "given twice"),
        (["just-a-name"], "is not a (uuid, name) pair"),
    ],
)
def test_bad_institutions_are_refused_when_the_backend_is_made(institutions: object, said: str) -> None:
    with pytest.raises(TypeError) as refused:
        CloudBackend(**BASE, institutions=institutions)
    assert said in str(refused.value)


def test_an_upload_to_an_institution_not_configured_is_refused_before_anything_is_kept() -> None:
    api = CloudBackend(**BASE, institutions=[(MAIN, "Main")])
    with pytest.raises(InvalidInput) as refused:
        api.start_upload(actor=_user(), institution_id=NORTH)
    assert set(refused.value.field_errors) == {"institution_id"}
