"""API keys: made by administrators for a user, shown once, listed without their secret,
revoked at once."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.api_keys import SECRET_START, authenticate_api_key
from postdicom.types import AuditAction, AuditQuery, Capability
from tests.contract.admin_setup import deactivated
from tests.contract.conftest import offers
from tests.postdicom.local.orders_setup import uid

#: Nothing here waits for a commit: the local cases are rolled back, not flushed.
pytestmark = pytest.mark.rolled_back


@offers(Capability.CREATE_API_KEY)
def test_a_key_is_shown_once_and_acts_as_its_user(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    key, secret = api.create_api_key(actor=admin_user, name="Informes — PACS", user_id=uid(limited_user))
    assert (key.name, key.user.username, key.revoked, key.last_used_at) == ("Informes — PACS", "lia", False, None)
    assert secret.startswith(SECRET_START)
    assert key.prefix == secret[: len(key.prefix)]
    assert len(secret) > 40
    assert authenticate_api_key(secret) == limited_user
    with pytest.raises(InvalidInput) as refused:
        api.create_api_key(actor=admin_user, name=" ", user_id=uuid.uuid4())
    assert set(refused.value.field_errors) == {"name", "user_id"}
    with pytest.raises(InvalidInput) as refused:
        api.create_api_key(actor=admin_user, name="Viejo", user_id=uid(deactivated(staff_user)))
    assert set(refused.value.field_errors) == {"user_id"}
    with pytest.raises(Forbidden):
        api.create_api_key(actor=limited_user, name="Mía", user_id=uid(limited_user))


@offers(Capability.LIST_API_KEYS)
def test_keys_are_listed_newest_first_revoked_included(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    before = {k.id for k in get_api().list_api_keys(actor=admin_user)}  # the cloud backend's own key
    older, _secret = get_api().create_api_key(actor=admin_user, name="Antigua", user_id=uid(staff_user))
    newer, _secret = get_api().create_api_key(actor=admin_user, name="Nueva", user_id=uid(limited_user))
    get_api().revoke_api_key(actor=admin_user, key_id=older.id)
    listed = [k for k in api.list_api_keys(actor=admin_user) if k.id not in before]
    assert [(k.id, k.name, k.revoked) for k in listed] == [(newer.id, "Nueva", False), (older.id, "Antigua", True)]
    with pytest.raises(Forbidden):
        api.list_api_keys(actor=staff_user)


@offers(Capability.REVOKE_API_KEY)
def test_a_revoked_key_stops_at_once_and_revoking_again_changes_nothing(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    key, secret = get_api().create_api_key(actor=admin_user, name="Script", user_id=uid(staff_user))
    with pytest.raises(Forbidden):
        api.revoke_api_key(actor=staff_user, key_id=key.id)
    assert authenticate_api_key(secret) == staff_user
    api.revoke_api_key(actor=admin_user, key_id=key.id)
    api.revoke_api_key(actor=admin_user, key_id=key.id)
    assert authenticate_api_key(secret) is None
    revoked = get_api().audit_log(actor=admin_user, query=AuditQuery(action=AuditAction.API_KEY_REVOKED.value))
    assert [e.target_id for e in revoked.items] == [str(key.id)]
    with pytest.raises(NotFound):
        api.revoke_api_key(actor=admin_user, key_id=uuid.uuid4())
