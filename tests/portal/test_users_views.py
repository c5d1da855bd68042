"""User administration pages: every URL, every persona."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _uid(user):
    return profile_of(user).uuid


def _urls(subject):
    uid = _uid(subject)
    return [
        ("get", reverse("portal:admin_home")),
        ("get", reverse("portal:user_list")),
        ("get", reverse("portal:user_create")),
        ("get", reverse("portal:user_detail", args=[uid])),
        ("get", reverse("portal:user_edit", args=[uid])),
        ("get", reverse("portal:user_password", args=[uid])),
        ("post", reverse("portal:user_activate", args=[uid])),
        ("post", reverse("portal:user_deactivate", args=[uid])),
    ]


def test_admin_opens_every_user_page(admin_client, staff_user):
    for method, url in _urls(staff_user):
        response = getattr(admin_client, method)(url)
        assert response.status_code in (200, 302), url


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere(request, persona, staff_user):
    client = request.getfixturevalue(persona)
    for method, url in _urls(staff_user):
        assert getattr(client, method)(url).status_code == 403, url
    assert get_user_model().objects.get(pk=staff_user.pk).is_active


def test_anonymous_is_sent_to_sign_in(client, staff_user):
    for method, url in _urls(staff_user):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_unknown_user_is_404(admin_client):
    url = reverse("portal:user_detail", args=["00000000-0000-4000-8000-000000000000"])
    assert admin_client.get(url).status_code == 404


def test_create_user_then_sign_in(admin_client, clinic, client):
    response = admin_client.post(
        reverse("portal:user_create"),
        {
            "username": "nuria",
            "first_name": "Nuria",
            "last_name": "Núñez",
            "email": "nuria@clinic.test",
            "role": "staff",
            "institution_ids": [str(clinic.uuid)],
            "password": "a-long-enough-secret",
        },
    )
    assert response.status_code == 302
    created = get_user_model().objects.get(username="nuria")
    assert profile_of(created).role == "staff"
    assert list(profile_of(created).institutions.all()) == [clinic]
    assert AuditRecord.objects.filter(action="user.created", target_label="nuria").exists()
    login = client.post(reverse("login"), {"username": "nuria", "password": "a-long-enough-secret"})
    assert login.status_code == 302


def test_create_user_with_bad_input_keeps_typed_values(admin_client, staff_user, clinic):
    response = admin_client.post(
        reverse("portal:user_create"),
        {
            "username": "sam",  # taken
            "first_name": "Second",
            "email": "not-an-email",
            "role": "limited",
            "institution_ids": [],
            "password": "123",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors
    content = response.content.decode()
    assert 'value="Second"' in content
    assert get_user_model().objects.filter(username="sam").count() == 1


def test_service_errors_show_next_to_fields(admin_client, staff_user, clinic):
    response = admin_client.post(
        reverse("portal:user_create"),
        {
            "username": "SAM",
            "first_name": "Twin",
            "role": "staff",
            "institution_ids": [str(clinic.uuid)],
            "password": "a-long-enough-secret",
        },
    )
    assert response.status_code == 200
    assert "already taken" in " ".join(response.context["form"].errors["username"])


def test_list_filters_and_htmx_fragment(admin_client, staff_user, limited_user):
    response = admin_client.get(reverse("portal:user_list"), {"q": "lía"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Limitada" in content
    assert "Staff</a>" not in content
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_admin_cannot_deactivate_self(admin_client, admin_user):
    response = admin_client.post(reverse("portal:user_deactivate", args=[_uid(admin_user)]), follow=True)
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_deactivated_user_cannot_sign_in(admin_client, staff_user, client):
    admin_client.post(reverse("portal:user_deactivate", args=[_uid(staff_user)]))
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error


def test_set_password(admin_client, staff_user, client):
    url = reverse("portal:user_password", args=[_uid(staff_user)])
    mismatch = admin_client.post(url, {"password": "another-long-secret", "password2": "different"})
    assert mismatch.status_code == 200
    done = admin_client.post(url, {"password": "another-long-secret", "password2": "another-long-secret"})
    assert done.status_code == 302
    staff_user.refresh_from_db()
    assert staff_user.check_password("another-long-secret")
