"""DICOM nodes in the embedded backend: visibility by institution, validation, audit."""

import dataclasses
import uuid

import pytest

from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, DicomNodeRecord
from postdicom.types import DicomNodeDraft

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
NON_ADMINS = ["staff_user", "limited_user", "outsider"]


@pytest.fixture
def clinic_node(clinic):
    return DicomNodeRecord.objects.create(
        institution=clinic, name="CT room 2", ae_title="CT2", host="10.0.0.5", port=104
    )


@pytest.fixture
def north_node(other_clinic):
    return DicomNodeRecord.objects.create(
        institution=other_clinic, name="North PACS", ae_title="NPACS", host="pacs.north.local", port=11112
    )


def _draft(institution, **changes):
    draft = DicomNodeDraft(
        name="Main PACS",
        ae_title="PACS1",
        host="pacs.clinic.local",
        port=11112,
        institution_id=institution.uuid,
        description="Archive",
    )
    return dataclasses.replace(draft, **changes)


def test_admin_lists_every_node(api, admin_user, clinic_node, north_node):
    assert [n.name for n in api.list_dicom_nodes(actor=admin_user)] == ["CT room 2", "North PACS"]


@pytest.mark.parametrize("persona", ["staff_user", "limited_user"])
def test_clinic_users_see_only_clinic_nodes(request, api, persona, clinic_node, north_node):
    listed = api.list_dicom_nodes(actor=request.getfixturevalue(persona))
    assert [(n.id, n.ae_title, n.host, n.port, n.institution.name) for n in listed] == [
        (clinic_node.uuid, "CT2", "10.0.0.5", 104, "Clínica Central")
    ]


def test_outsider_sees_none_of_clinics_nodes(api, outsider, clinic_node, north_node):
    assert [n.name for n in api.list_dicom_nodes(actor=outsider)] == ["North PACS"]
    with pytest.raises(NotFound):
        api.get_dicom_node(actor=outsider, node_id=clinic_node.uuid)


def test_get_node(api, staff_user, admin_user, clinic_node):
    assert api.get_dicom_node(actor=staff_user, node_id=clinic_node.uuid).ae_title == "CT2"
    with pytest.raises(NotFound):
        api.get_dicom_node(actor=admin_user, node_id=UNKNOWN)


def test_create_node(api, admin_user, clinic):
    created = api.create_dicom_node(
        actor=admin_user, draft=_draft(clinic, ae_title=" PACS1 ", host=" pacs.clinic.local ")
    )
    assert (created.name, created.ae_title, created.host, created.port, created.description) == (
        "Main PACS",
        "PACS1",
        "pacs.clinic.local",
        11112,
        "Archive",
    )
    assert created.institution.id == clinic.uuid
    assert DicomNodeRecord.objects.get(uuid=created.id).institution == clinic
    event = AuditRecord.objects.get(action="node.created")
    assert (event.actor, event.target_type, event.target_id) == (admin_user, "node", str(created.id))
    assert "PACS1@pacs.clinic.local:11112" in event.target_label


@pytest.mark.parametrize("host", ["10.1.2.3", "2001:db8::1", "pacs", "pacs-1.clinic.example.org", "PACS.local."])
def test_good_hosts(api, admin_user, clinic, host):
    assert api.create_dicom_node(actor=admin_user, draft=_draft(clinic, host=host)).host == host


@pytest.mark.parametrize(
    "host", ["", "bad host", "-pacs.local", "pacs-.local", "a..b", "10.0.0.999", "300.1.1.1", "x" * 64, "pacs\n.local"]
)
def test_bad_hosts(api, admin_user, clinic, host):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=_draft(clinic, host=host))
    assert list(caught.value.field_errors) == ["host"]


@pytest.mark.parametrize("ae", ["A", "A" * 16, "CT 2", "STORE_SCP-1"])
def test_good_ae_titles(api, admin_user, clinic, ae):
    assert api.create_dicom_node(actor=admin_user, draft=_draft(clinic, ae_title=ae)).ae_title == ae


@pytest.mark.parametrize("ae", ["", "   ", "A" * 17, "CT\\2", "CTÑ", "CT\t2"])
def test_bad_ae_titles(api, admin_user, clinic, ae):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=_draft(clinic, ae_title=ae))
    assert list(caught.value.field_errors) == ["ae_title"]


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_bad_ports(api, admin_user, clinic, port):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=_draft(clinic, port=port))
    assert caught.value.field_errors == {"port": ["A port is a number from 1 to 65535."]}


@pytest.mark.parametrize("port", [1, 104, 65535])
def test_edge_ports(api, admin_user, clinic, port):
    assert api.create_dicom_node(actor=admin_user, draft=_draft(clinic, port=port)).port == port


def test_unknown_institution(api, admin_user):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=DicomNodeDraft("X", "X", "x.local", 104, UNKNOWN))
    assert list(caught.value.field_errors) == ["institution_id"]


def test_every_problem_is_reported_at_once(api, admin_user, clinic):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=_draft(clinic, name=" ", ae_title="", host="no way", port=0))
    assert set(caught.value.field_errors) == {"name", "ae_title", "host", "port"}
    assert not DicomNodeRecord.objects.exists()


def test_ae_title_is_unique_per_institution(api, admin_user, clinic, other_clinic, clinic_node):
    with pytest.raises(InvalidInput) as caught:
        api.create_dicom_node(actor=admin_user, draft=_draft(clinic, ae_title="CT2"))
    assert "already uses this AE title" in caught.value.field_errors["ae_title"][0]
    assert api.create_dicom_node(actor=admin_user, draft=_draft(other_clinic, ae_title="CT2")).ae_title == "CT2"


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admins_cannot_create_update_or_delete(request, api, persona, clinic, clinic_node):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        api.create_dicom_node(actor=actor, draft=_draft(clinic))
    with pytest.raises(Forbidden):
        api.update_dicom_node(actor=actor, node_id=clinic_node.uuid, draft=_draft(clinic))
    with pytest.raises(Forbidden):
        api.delete_dicom_node(actor=actor, node_id=clinic_node.uuid)
    assert list(DicomNodeRecord.objects.values_list("ae_title", flat=True)) == ["CT2"]
    assert not AuditRecord.objects.filter(action__startswith="node.").exists()


def test_update_node(api, admin_user, clinic_node, other_clinic):
    saved = api.update_dicom_node(
        actor=admin_user,
        node_id=clinic_node.uuid,
        draft=_draft(other_clinic, name="CT room 3", ae_title="CT3", port=4242),
    )
    assert (saved.id, saved.name, saved.ae_title, saved.port, saved.institution.id) == (
        clinic_node.uuid,
        "CT room 3",
        "CT3",
        4242,
        other_clinic.uuid,
    )
    clinic_node.refresh_from_db()
    assert clinic_node.institution == other_clinic
    event = AuditRecord.objects.get(action="node.updated")
    assert event.target_id == str(clinic_node.uuid)
    assert event.detail["before"] == "CT room 2 (CT2@10.0.0.5:104)"


def test_update_keeps_its_own_ae_title(api, admin_user, clinic, clinic_node):
    saved = api.update_dicom_node(actor=admin_user, node_id=clinic_node.uuid, draft=_draft(clinic, ae_title="CT2"))
    assert saved.ae_title == "CT2"


def test_update_into_a_clash_is_refused(api, admin_user, clinic, clinic_node):
    other = api.create_dicom_node(actor=admin_user, draft=_draft(clinic))
    with pytest.raises(InvalidInput) as caught:
        api.update_dicom_node(actor=admin_user, node_id=other.id, draft=_draft(clinic, ae_title="CT2"))
    assert "ae_title" in caught.value.field_errors
    assert DicomNodeRecord.objects.get(uuid=other.id).ae_title == "PACS1"


def test_update_and_delete_unknown_node(api, admin_user, clinic):
    with pytest.raises(NotFound):
        api.update_dicom_node(actor=admin_user, node_id=UNKNOWN, draft=_draft(clinic))
    with pytest.raises(NotFound):
        api.delete_dicom_node(actor=admin_user, node_id=UNKNOWN)


def test_delete_node(api, admin_user, clinic_node):
    api.delete_dicom_node(actor=admin_user, node_id=clinic_node.uuid)
    assert not DicomNodeRecord.objects.exists()
    event = AuditRecord.objects.get(action="node.deleted")
    assert (event.target_id, event.target_label) == (str(clinic_node.uuid), "CT room 2 (CT2@10.0.0.5:104)")
    with pytest.raises(NotFound):
        api.get_dicom_node(actor=admin_user, node_id=clinic_node.uuid)
