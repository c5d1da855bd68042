"""API keys in the embedded backend: who may manage them, how the secret is kept, revoking,
the throttled ``last_used_at``, and who a key authenticates."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from django.db import connection

from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.access import profile_of
from postdicom.local.api_keys import LAST_USED_EVERY, authenticate_api_key
from postdicom.local.models import ApiKeyRecord, AuditRecord
from postdicom.types import AuditAction, Capability

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(api, admin_user, staff_user):
    return api.create_api_key(actor=admin_user, name="  Lab   importer ", user_id=profile_of(staff_user).uuid)


def test_the_local_backend_has_the_three_capabilities(api):
    assert {Capability.LIST_API_KEYS, Capability.CREATE_API_KEY, Capability.REVOKE_API_KEY} <= api.capabilities


def test_create_returns_the_key_and_a_long_random_secret(made, staff_user):
    key, secret = made
    assert key.name == "Lab importer"
    assert key.user.username == staff_user.username
    assert secret.startswith("rpk_")
    assert len(secret) >= 4 + 43
    assert key.prefix == secret[:12]
    assert not key.revoked
    assert key.last_used_at is None


def test_two_keys_never_share_a_secret(api, admin_user, staff_user):
    secrets = {
        api.create_api_key(actor=admin_user, name=f"k{i}", user_id=profile_of(staff_user).uuid)[1] for i in range(5)
    }
    assert len(secrets) == 5


def test_the_secret_is_never_stored_in_clear(made):
    key, secret = made
    with connection.cursor() as cursor:
        stored_id = ApiKeyRecord._meta.get_field("uuid").get_db_prep_value(key.id, connection)  # SQLite: hex text
        cursor.execute("SELECT * FROM postdicom_apikeyrecord WHERE uuid = %s", [stored_id])
        row = cursor.fetchone()
        cursor.execute("SELECT CAST(detail AS TEXT), target_label FROM postdicom_auditrecord")
        audit = cursor.fetchall()
    stored = " ".join(str(value) for value in row)
    assert secret not in stored
    assert secret[12:] not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert all(secret[12:] not in " ".join(map(str, event)) for event in audit)


def test_only_administrators_manage_keys(api, made, staff_user, limited_user, outsider):
    key, _secret = made
    for actor in (staff_user, limited_user, outsider):
        with pytest.raises(Forbidden):
            api.list_api_keys(actor=actor)
        with pytest.raises(Forbidden):
            api.create_api_key(actor=actor, name="mine", user_id=profile_of(actor).uuid)
        with pytest.raises(Forbidden):
            api.revoke_api_key(actor=actor, key_id=key.id)
    assert ApiKeyRecord.objects.count() == 1
    assert ApiKeyRecord.objects.get().revoked_at is None


def test_list_shows_every_key_newest_first(api, admin_user, made, limited_user):
    newer, _ = api.create_api_key(actor=admin_user, name="Viewer", user_id=profile_of(limited_user).uuid)
    assert [k.id for k in api.list_api_keys(actor=admin_user)] == [newer.id, made[0].id]


def test_create_refuses_a_blank_name_an_unknown_or_inactive_user(api, admin_user, staff_user):
    with pytest.raises(InvalidInput) as blank:
        api.create_api_key(actor=admin_user, name="  ", user_id=uuid.uuid4())
    assert set(blank.value.field_errors) == {"name", "user_id"}
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(InvalidInput) as inactive:
        api.create_api_key(actor=admin_user, name="k", user_id=profile_of(staff_user).uuid)
    assert "deactivated" in inactive.value.field_errors["user_id"][0]
    assert not ApiKeyRecord.objects.exists()


def test_the_secret_authenticates_its_user(made, staff_user):
    _key, secret = made
    assert authenticate_api_key(secret) == staff_user


@pytest.mark.parametrize("wrong", ["", "rpk_", "rpk_nothing-like-it", "Basic abc", "x" * 5000])
def test_a_wrong_secret_authenticates_nobody(made, wrong):
    assert authenticate_api_key(wrong) is None
    _key, secret = made
    assert authenticate_api_key(secret[:-1]) is None


def test_revoked_at_once_and_audited_once(api, admin_user, made):
    key, secret = made
    api.revoke_api_key(actor=admin_user, key_id=key.id)
    assert authenticate_api_key(secret) is None
    api.revoke_api_key(actor=admin_user, key_id=key.id)  # again: nothing changes
    assert [k.revoked for k in api.list_api_keys(actor=admin_user)] == [True]
    actions = list(AuditRecord.objects.filter(target_type="api_key").values_list("action", flat=True))
    assert sorted(actions) == sorted([AuditAction.API_KEY_CREATED, AuditAction.API_KEY_REVOKED])
    created = AuditRecord.objects.get(action=AuditAction.API_KEY_CREATED)
    assert created.actor == admin_user
    assert created.detail["user"] == "sam"
    assert created.detail["prefix"] == key.prefix


def test_revoking_an_unknown_key_is_not_found(api, admin_user):
    with pytest.raises(NotFound):
        api.revoke_api_key(actor=admin_user, key_id=uuid.uuid4())


def test_a_deactivated_user_s_key_refuses(made, staff_user):
    _key, secret = made
    staff_user.is_active = False
    staff_user.save()
    assert authenticate_api_key(secret) is None


def test_last_used_is_written_at_most_once_a_minute(api, admin_user, made):
    key, secret = made
    authenticate_api_key(secret)
    first = ApiKeyRecord.objects.get(uuid=key.id).last_used_at
    assert first is not None
    authenticate_api_key(secret)
    assert ApiKeyRecord.objects.get(uuid=key.id).last_used_at == first
    earlier = first - LAST_USED_EVERY - dt.timedelta(seconds=1)
    ApiKeyRecord.objects.filter(uuid=key.id).update(last_used_at=earlier)
    authenticate_api_key(secret)
    latest = ApiKeyRecord.objects.get(uuid=key.id).last_used_at
    assert latest is not None
    assert latest > first
    assert api.list_api_keys(actor=admin_user)[0].last_used_at is not None
