"""API key administration pages: list, create (the secret shown once), revoke; every persona."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from postdicom.local.access import profile_of
from postdicom.local.api_keys import authenticate_api_key
from postdicom.local.models import ApiKeyRecord
from postdicom.types import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(api, admin_user, staff_user):
    return api.create_api_key(actor=admin_user, name="Lab importer", user_id=profile_of(staff_user).uuid)


def _urls(key_id):
    return [
        ("get", reverse("portal:api_key_list")),
        ("get", reverse("portal:api_key_create")),
        ("post", reverse("portal:api_key_create")),
        ("get", reverse("portal:api_key_revoke", args=[key_id])),
        ("post", reverse("portal:api_key_revoke", args=[key_id])),
    ]


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere(request, persona, key, staff_user):
    client = request.getfixturevalue(persona)
    form = {"name": "Mine", "user": str(profile_of(staff_user).uuid)}
    for method, url in _urls(key[0].id):
        assert getattr(client, method)(url, form).status_code == 403, url
    assert ApiKeyRecord.objects.count() == 1
    assert ApiKeyRecord.objects.get().revoked_at is None


def test_anonymous_is_sent_to_sign_in(client, key):
    for method, url in _urls(key[0].id):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"]


def test_list_shows_name_user_prefix_and_never_the_secret(admin_client, key):
    api_key, secret = key
    page = admin_client.get(reverse("portal:api_key_list")).content.decode()
    assert "Lab importer" in page
    assert "Sam Staff" in page
    assert f"{api_key.prefix}…" in page
    assert "Never" in page
    assert secret not in page


def test_create_shows_the_secret_once_and_it_works(admin_client, staff_user):
    response = admin_client.post(
        reverse("portal:api_key_create"), {"name": "PACS bridge", "user": str(profile_of(staff_user).uuid)}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "shown only this once" in page
    row = ApiKeyRecord.objects.get()
    start = page.index(row.prefix)
    secret = page[start : page.index('"', start)]
    assert authenticate_api_key(secret) == staff_user
    assert secret not in admin_client.get(reverse("portal:api_key_list")).content.decode()


def test_create_offers_only_active_users(admin_client, clinic):
    make_user("gone", Role.STAFF, [clinic], first_name="Gone", is_active=False)
    page = admin_client.get(reverse("portal:api_key_create")).content.decode()
    assert "(gone)" not in page
    assert "(ada)" in page


def test_create_with_bad_input_says_what_is_wrong(admin_client):
    response = admin_client.post(reverse("portal:api_key_create"), {"name": "  ", "user": str(uuid.uuid4())})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page
    assert "Select a valid choice" in page
    assert not ApiKeyRecord.objects.exists()


def test_create_in_spanish(admin_client, staff_user):
    admin_client.cookies["django_language"] = "es"
    response = admin_client.post(
        reverse("portal:api_key_create"),
        {"name": "Puente", "user": str(profile_of(staff_user).uuid)},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "Copie esta clave ahora" in response.content.decode()


def test_revoke_asks_then_revokes_at_once(admin_client, key):
    api_key, secret = key
    url = reverse("portal:api_key_revoke", args=[api_key.id])
    confirm = admin_client.get(url).content.decode()
    assert "Revoke API key" in confirm
    assert "Lab importer" in confirm
    assert authenticate_api_key(secret) is not None
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:api_key_list")
    assert authenticate_api_key(secret) is None
    listed = admin_client.get(reverse("portal:api_key_list")).content.decode()
    assert "Revoked" in listed
    assert "was revoked" in listed


def test_revoking_an_unknown_key_is_404(admin_client):
    assert admin_client.get(reverse("portal:api_key_revoke", args=[uuid.uuid4()])).status_code == 404
    assert admin_client.post(reverse("portal:api_key_revoke", args=[uuid.uuid4()])).status_code == 404


def test_overview_and_tabs_list_api_keys(admin_client, key):
    page = admin_client.get(reverse("portal:admin_home")).content.decode()
    assert reverse("portal:api_key_list") in page
    assert "1 active key" in page


def test_the_list_shows_when_a_key_was_last_used(admin_client, client, key):
    api_key, secret = key
    assert client.get("/dicomweb/studies", headers={"Authorization": f"Bearer {secret}"}).status_code in (200, 204)
    used = ApiKeyRecord.objects.get(uuid=api_key.id).last_used_at
    assert used is not None
    row = admin_client.get(reverse("portal:api_key_list")).content.decode()
    assert timezone.localtime(used).strftime("%Y-%m-%d %H:%M") in row
    assert "Never" not in row
