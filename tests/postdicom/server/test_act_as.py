"""``X-Rayport-Act-As``: an administrator's API key acts for a named user, with that user's
rights only (the cloud backend of another portal); every other credential naming someone
else is refused (postdicom.server.auth._acting_for)."""

from __future__ import annotations

import pytest
from django.test import Client

from postdicom import get_api
from postdicom.local.models import AuditRecord
from postdicom.types import ACT_AS_HEADER, Role, act_as_value
from tests.conftest import PASSWORD, make_user
from tests.postdicom.local.orders_setup import create, uid
from tests.postdicom.server.test_auth import basic, bearer

LIST = "/dicomweb/getpatientorderlist"
EVERY_ORDER = {"GetPatientOrderListParameters": "{}"}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["PatientId"] for o in response.json()["SearchResultList"]]


@pytest.fixture
def admin_key(admin_user) -> str:
    return get_api().create_api_key(actor=admin_user, name="portal in front", user_id=uid(admin_user))[1]


def test_an_administrators_key_acts_with_the_named_users_rights(admin_key, staff_user, outsider, clinic):
    create(staff_user, clinic, patient_id="P-1")
    assert _names(Client().get(LIST, headers={**bearer(admin_key), **EVERY_ORDER})) == ["P-1"]
    assert _names(Client().get(LIST, headers={**bearer(admin_key), **EVERY_ORDER, ACT_AS_HEADER: "sam"})) == ["P-1"]
    assert _names(Client().get(LIST, headers={**bearer(admin_key), **EVERY_ORDER, ACT_AS_HEADER: "otto"})) == []


def test_the_call_is_audited_as_the_user_acted_for(admin_key, staff_user, clinic):
    order = create(staff_user, clinic)
    headers = {**bearer(admin_key), ACT_AS_HEADER: "sam"}
    headers["GetPatientOrderPropertiesParameters"] = f'{{"PatientOrderUuid": "{order.id}"}}'
    assert Client().get("/dicomweb/getpatientorderproperties", headers=headers).status_code == 200
    assert AuditRecord.objects.filter(target_id=str(order.id)).latest("id").actor_name == "sam"


@pytest.mark.parametrize("how", ["staff key", "basic", "session"])
def test_no_other_credential_may_act_for_someone(how, admin_user, staff_user, outsider):
    """Refused, never ignored: a caller must not believe it acts as someone it does not (the
    session too: it used to be ignored there)."""
    client, headers = Client(), {}
    if how == "basic":
        headers = basic("sam", PASSWORD)
    elif how == "session":
        client.force_login(staff_user)
    else:
        headers = bearer(get_api().create_api_key(actor=admin_user, name="k", user_id=uid(staff_user))[1])
    response = client.get(LIST, headers={**headers, **EVERY_ORDER, ACT_AS_HEADER: "otto"})
    assert response.status_code == 403
    assert "administrator's API key" in response.content.decode()


def test_naming_oneself_is_no_change(staff_user):
    response = Client().get(LIST, headers={**basic("sam", PASSWORD), **EVERY_ORDER, ACT_AS_HEADER: "sam"})
    assert response.status_code == 200


def test_an_unknown_or_inactive_user_cannot_be_acted_for(admin_key, staff_user):
    staff_user.is_active = False
    staff_user.save()
    for name in ("sam", "nobody"):
        response = Client().get(LIST, headers={**bearer(admin_key), **EVERY_ORDER, ACT_AS_HEADER: name})
        assert response.status_code == 403


def test_a_user_named_beyond_ascii_is_named_percent_encoded(admin_key, clinic):
    """The cloud backend sends ``act_as_value`` (UTF-8, percent-encoded): header values are
    ASCII on the wire."""
    jose = make_user("josé", Role.STAFF, [clinic])
    create(jose, clinic, patient_id="P-J")
    headers = {**bearer(admin_key), **EVERY_ORDER, ACT_AS_HEADER: act_as_value("josé")}
    assert act_as_value("josé") == "jos%C3%A9"
    assert _names(Client().get(LIST, headers=headers)) == ["P-J"]
    broken = Client().get(LIST, headers={**bearer(admin_key), **EVERY_ORDER, ACT_AS_HEADER: "jos%E9"})
    assert broken.status_code == 403
