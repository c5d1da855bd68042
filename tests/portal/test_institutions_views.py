"""Institution administration pages: every URL, every persona."""

import uuid

import pytest
from django.urls import reverse

from postdicom.local.models import AuditRecord, Institution

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _urls(institution):
    return [
        ("get", reverse("portal:institution_list")),
        ("get", reverse("portal:institution_create")),
        ("post", reverse("portal:institution_create")),
        ("get", reverse("portal:institution_edit", args=[institution.uuid])),
        ("post", reverse("portal:institution_edit", args=[institution.uuid])),
    ]


def test_admin_opens_every_institution_page(admin_client, clinic):
    for method, url in _urls(clinic):
        response = getattr(admin_client, method)(url)
        assert response.status_code == 200, url  # a POST without data shows the form again


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere(request, persona, clinic):
    client = request.getfixturevalue(persona)
    for method, url in _urls(clinic):
        assert getattr(client, method)(url, {"name": "Hijacked"}).status_code == 403, url
    assert Institution.objects.filter(name="Hijacked").count() == 0
    clinic.refresh_from_db()
    assert clinic.name == "Clínica Central"


def test_anonymous_is_sent_to_sign_in(client, clinic):
    for method, url in _urls(clinic):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_unknown_institution_is_404(admin_client):
    url = reverse("portal:institution_edit", args=[UNKNOWN])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"name": "Ghost"}).status_code == 404


def test_list_shows_name_address_status_and_user_count(admin_client, clinic, other_clinic, staff_user, limited_user):
    other_clinic.is_active = False
    other_clinic.save()
    response = admin_client.get(reverse("portal:institution_list"))
    content = response.content.decode()
    assert "Clínica Central" in content
    assert "Av. Siempre Viva 742" in content
    assert "North Imaging" in content
    assert "Inactive" in content
    counts = {i.name: i.user_count for i in response.context["institutions"]}
    assert counts == {"Clínica Central": 2, "North Imaging": 0}


def test_empty_list_says_so(admin_client):
    response = admin_client.get(reverse("portal:institution_list"))
    assert "No institutions yet" in response.content.decode()


def test_create_institution(admin_client):
    response = admin_client.post(
        reverse("portal:institution_create"), {"name": "  South   Wing ", "address": "Calle 5"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:institution_list")
    created = Institution.objects.get(name="South Wing")
    assert created.address == "Calle 5"
    assert created.is_active
    event = AuditRecord.objects.get(action="institution.created")
    assert event.target_id == str(created.uuid)
    assert event.actor_name == "ada"


def test_duplicate_name_is_shown_next_to_the_field(admin_client, clinic):
    response = admin_client.post(
        reverse("portal:institution_create"), {"name": "CLÍNICA CENTRAL", "address": "Elsewhere 1"}
    )
    assert response.status_code == 200
    assert "already taken" in " ".join(response.context["form"].errors["name"])
    content = response.content.decode()
    assert 'value="CLÍNICA CENTRAL"' in content
    assert 'value="Elsewhere 1"' in content
    assert Institution.objects.count() == 1
    assert not AuditRecord.objects.filter(action="institution.created").exists()


def test_blank_name_is_refused(admin_client):
    response = admin_client.post(reverse("portal:institution_create"), {"name": "", "address": "Calle 9"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert 'value="Calle 9"' in response.content.decode()
    assert Institution.objects.count() == 0


def test_edit_form_shows_current_values(admin_client, clinic):
    response = admin_client.get(reverse("portal:institution_edit", args=[clinic.uuid]))
    content = response.content.decode()
    assert 'value="Clínica Central"' in content
    assert 'value="Av. Siempre Viva 742"' in content
    assert response.context["form"]["is_active"].value() is True
    assert 'id="id_is_active" checked>' in content


def test_deactivate_and_rename(admin_client, clinic):
    response = admin_client.post(
        reverse("portal:institution_edit", args=[clinic.uuid]), {"name": "Clínica Centro", "address": "Nueva 1"}
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.name, clinic.address, clinic.is_active) == ("Clínica Centro", "Nueva 1", False)
    event = AuditRecord.objects.get(action="institution.updated")
    assert event.target_id == str(clinic.uuid)
    assert event.detail["active"] is False
    assert event.detail["before"]["name"] == "Clínica Central"


def test_reactivate(admin_client, clinic):
    clinic.is_active = False
    clinic.save()
    admin_client.post(
        reverse("portal:institution_edit", args=[clinic.uuid]),
        {"name": clinic.name, "address": clinic.address, "is_active": "on"},
    )
    clinic.refresh_from_db()
    assert clinic.is_active


def test_rename_to_a_taken_name_keeps_typed_values(admin_client, clinic, other_clinic):
    response = admin_client.post(
        reverse("portal:institution_edit", args=[clinic.uuid]), {"name": "north imaging", "address": "Typed 2"}
    )
    assert response.status_code == 200
    assert "already taken" in " ".join(response.context["form"].errors["name"])
    assert 'value="Typed 2"' in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.name == "Clínica Central"
    assert clinic.is_active
