"""DICOM node administration pages: every URL, every persona."""

import uuid

import pytest
from django.urls import reverse

from portal.forms.nodes import NODE_FIELDS, DicomNodeForm
from portal.forms.service import show_errors
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.models import AuditRecord, DicomNodeRecord

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")


@pytest.fixture
def node(clinic):
    return DicomNodeRecord.objects.create(
        institution=clinic, name="CT room 2", ae_title="CT2", host="10.0.0.5", port=104, description="Ground floor"
    )


def _form(where, **changes):
    data = {
        "name": "Main PACS",
        "ae_title": "PACS1",
        "host": "pacs.clinic.local",
        "port": "11112",
        "institution": str(where.uuid),
        "description": "Archive",
    }
    data.update(changes)
    return data


def _urls(node):
    return [
        ("get", reverse("portal:node_list")),
        ("get", reverse("portal:node_create")),
        ("post", reverse("portal:node_create")),
        ("get", reverse("portal:node_edit", args=[node.uuid])),
        ("post", reverse("portal:node_edit", args=[node.uuid])),
        ("get", reverse("portal:node_delete", args=[node.uuid])),
    ]


def test_admin_opens_every_node_page(admin_client, node):
    for method, url in _urls(node):
        assert getattr(admin_client, method)(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403_everywhere(request, persona, node, clinic):
    client = request.getfixturevalue(persona)
    for method, url in [*_urls(node), ("post", reverse("portal:node_delete", args=[node.uuid]))]:
        assert getattr(client, method)(url, _form(clinic, ae_title="EVIL")).status_code == 403, url
    assert list(DicomNodeRecord.objects.values_list("ae_title", flat=True)) == ["CT2"]


def test_anonymous_is_sent_to_sign_in(client, node):
    for method, url in [*_urls(node), ("post", reverse("portal:node_delete", args=[node.uuid]))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    assert DicomNodeRecord.objects.filter(pk=node.pk).exists()


@pytest.mark.parametrize("name", ["portal:node_edit", "portal:node_delete"])
def test_unknown_node_is_404(admin_client, clinic, name):
    url = reverse(name, args=[UNKNOWN])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, _form(clinic)).status_code == 404


def test_list_shows_every_column(admin_client, node):
    content = admin_client.get(reverse("portal:node_list")).content.decode()
    for text in ("CT room 2", "CT2", "10.0.0.5:104", "Clínica Central", "Ground floor"):
        assert text in content
    assert reverse("portal:node_delete", args=[node.uuid]) in content


def test_empty_list_says_so(admin_client):
    assert "No DICOM nodes yet" in admin_client.get(reverse("portal:node_list")).content.decode()


def test_create_offers_every_institution(admin_client, clinic, other_clinic):
    response = admin_client.get(reverse("portal:node_create"))
    content = response.content.decode()
    assert f'value="{clinic.uuid}"' in content
    assert f'value="{other_clinic.uuid}"' in content


def test_create_node(admin_client, clinic):
    response = admin_client.post(reverse("portal:node_create"), _form(clinic))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:node_list")
    created = DicomNodeRecord.objects.get(ae_title="PACS1")
    assert (created.name, created.host, created.port, created.institution) == (
        "Main PACS",
        "pacs.clinic.local",
        11112,
        clinic,
    )
    event = AuditRecord.objects.get(action="node.created")
    assert event.target_id == str(created.uuid)


@pytest.mark.parametrize("port", ["abc", "70000", "0", "-1"])
def test_bad_port_is_explained_and_typed_values_kept(admin_client, clinic, port):
    response = admin_client.post(reverse("portal:node_create"), _form(clinic, port=port))
    assert response.status_code == 200
    assert response.context["form"].errors["port"] == ["A port is a number from 1 to 65535."]
    content = response.content.decode()
    assert f'value="{port}"' in content
    assert 'value="Main PACS"' in content
    assert 'value="pacs.clinic.local"' in content
    assert not DicomNodeRecord.objects.exists()


def test_service_messages_land_next_to_their_fields(admin_client, clinic):
    response = admin_client.post(
        reverse("portal:node_create"), _form(clinic, ae_title="A" * 17, host="bad host!", port="70000")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "AE title" in errors["ae_title"][0]
    assert "host name or an IP address" in errors["host"][0]
    assert "65535" in errors["port"][0]
    assert not response.context["form"].non_field_errors()
    assert f'value="{"A" * 17}"' in response.content.decode()


def test_ae_title_unique_per_institution_shows_next_to_field(admin_client, node, clinic, other_clinic):
    response = admin_client.post(reverse("portal:node_create"), _form(clinic, ae_title="CT2"))
    assert response.status_code == 200
    assert "already uses this AE title" in response.context["form"].errors["ae_title"][0]
    elsewhere = admin_client.post(reverse("portal:node_create"), _form(other_clinic, ae_title="CT2"))
    assert elsewhere.status_code == 302
    assert DicomNodeRecord.objects.filter(ae_title="CT2").count() == 2


def test_unknown_institution_is_refused_on_the_institution_field(admin_client, clinic):
    response = admin_client.post(reverse("portal:node_create"), _form(clinic, institution=str(UNKNOWN)))
    assert response.status_code == 200
    assert "institution" in response.context["form"].errors
    assert not DicomNodeRecord.objects.exists()


def test_service_institution_error_maps_onto_the_institution_field(clinic):
    form = DicomNodeForm(_form(clinic), institutions=[convert.institution(clinic)])
    assert form.is_valid()
    show_errors(form, InvalidInput({"institution_id": "Choose an institution."}), fields=NODE_FIELDS)
    assert form.errors["institution"] == ["Choose an institution."]
    assert not form.non_field_errors()


def test_edit_form_shows_current_values(admin_client, node):
    content = admin_client.get(reverse("portal:node_edit", args=[node.uuid])).content.decode()
    assert 'value="CT room 2"' in content
    assert 'value="CT2"' in content
    assert 'value="104"' in content


def test_edit_node(admin_client, node, other_clinic):
    response = admin_client.post(
        reverse("portal:node_edit", args=[node.uuid]),
        _form(other_clinic, name="CT room 3", ae_title="CT3", host="2001:db8::5", port="4242"),
    )
    assert response.status_code == 302
    node.refresh_from_db()
    assert (node.name, node.ae_title, node.host, node.port, node.institution) == (
        "CT room 3",
        "CT3",
        "2001:db8::5",
        4242,
        other_clinic,
    )
    event = AuditRecord.objects.get(action="node.updated")
    assert event.target_id == str(node.uuid)
    assert "CT2" in event.detail["before"]


def test_edit_with_bad_host_keeps_values(admin_client, node, clinic):
    response = admin_client.post(
        reverse("portal:node_edit", args=[node.uuid]), _form(clinic, name="Renamed", host="10.0.0.999")
    )
    assert response.status_code == 200
    assert "host" in response.context["form"].errors
    assert 'value="Renamed"' in response.content.decode()
    node.refresh_from_db()
    assert node.name == "CT room 2"


def test_delete_asks_then_deletes(admin_client, node):
    url = reverse("portal:node_delete", args=[node.uuid])
    confirm = admin_client.get(url)
    assert "CT room 2" in confirm.content.decode()
    assert DicomNodeRecord.objects.filter(pk=node.pk).exists()
    response = admin_client.post(url)
    assert response.status_code == 302
    assert not DicomNodeRecord.objects.filter(pk=node.pk).exists()
    event = AuditRecord.objects.get(action="node.deleted")
    assert event.target_id == str(node.uuid)
    assert admin_client.get(url).status_code == 404
