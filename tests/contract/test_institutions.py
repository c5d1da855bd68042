"""Institutions (PostDICOM's locations) and their DICOM nodes (GetDicomNodeList): each user
sees those of their institutions, administrators all and manage them."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import Capability, InstitutionDraft
from tests.contract.admin_setup import deactivated, node_draft
from tests.contract.conftest import offers
from tests.postdicom.local.orders_setup import create

# --- Institutions -------------------------------------------------------------------------------

#: Nothing here waits for a commit: the local cases are rolled back, not flushed.
pytestmark = pytest.mark.rolled_back


@offers(Capability.LIST_INSTITUTIONS)
def test_institutions_are_listed_as_far_as_the_actor_belongs(
    api: PostDicomApi,
    admin_user: User,
    staff_user: User,
    outsider: User,
    clinic: Institution,
    other_clinic: Institution,
) -> None:
    assert {i.id for i in api.list_institutions(actor=admin_user)} == {clinic.uuid, other_clinic.uuid}
    mine = api.list_institutions(actor=staff_user)
    assert [(i.id, i.name, i.address, i.user_count) for i in mine] == [
        (clinic.uuid, "Clínica Central", "Av. Siempre Viva 742", 1)
    ]
    with pytest.raises(Forbidden):
        api.list_institutions(actor=deactivated(outsider))


@offers(Capability.GET_INSTITUTION)
def test_an_institution_is_read_by_its_members_only(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    read = api.get_institution(actor=staff_user, institution_id=clinic.uuid)
    assert (read.id, read.name, read.is_active) == (clinic.uuid, "Clínica Central", True)
    with pytest.raises(NotFound):
        api.get_institution(actor=outsider, institution_id=clinic.uuid)
    with pytest.raises(NotFound):
        api.get_institution(actor=staff_user, institution_id=uuid.uuid4())


@offers(Capability.CREATE_INSTITUTION)
def test_an_administrator_creates_an_institution_with_a_name_unique_ignoring_case(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution
) -> None:
    made = api.create_institution(
        actor=admin_user, draft=InstitutionDraft(name=" 京都 医療センター ", address="京都市")
    )
    assert (made.name, made.address, made.is_active, made.user_count) == ("京都 医療センター", "京都市", True, 0)
    assert made.id in {i.id for i in get_api().list_institutions(actor=admin_user)}
    with pytest.raises(InvalidInput) as refused:
        api.create_institution(actor=admin_user, draft=InstitutionDraft(name="CLÍNICA CENTRAL"))
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(InvalidInput) as refused:
        api.create_institution(actor=admin_user, draft=InstitutionDraft(name="   "))
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(Forbidden):
        api.create_institution(actor=staff_user, draft=InstitutionDraft(name="Mía"))


@offers(Capability.UPDATE_INSTITUTION)
def test_an_inactive_institution_takes_no_new_orders(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    changed = api.update_institution(
        actor=admin_user,
        institution_id=clinic.uuid,
        draft=InstitutionDraft(name="Clínica Sur", address=""),
        active=False,
    )
    assert (changed.id, changed.name, changed.address, changed.is_active) == (clinic.uuid, "Clínica Sur", "", False)
    with pytest.raises(InvalidInput) as refused:
        create(staff_user, clinic)
    assert "institution_id" in refused.value.field_errors
    with pytest.raises(InvalidInput):
        api.update_institution(
            actor=admin_user, institution_id=clinic.uuid, draft=InstitutionDraft(name="north imaging")
        )
    with pytest.raises(NotFound):
        api.update_institution(actor=admin_user, institution_id=uuid.uuid4(), draft=InstitutionDraft(name="X"))
    with pytest.raises(Forbidden):
        api.update_institution(actor=staff_user, institution_id=clinic.uuid, draft=InstitutionDraft(name="Mía"))


# --- DICOM nodes --------------------------------------------------------------------------------


@offers(Capability.CREATE_DICOM_NODE)
def test_an_administrator_adds_a_node_and_a_bad_one_is_refused_field_by_field(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution
) -> None:
    made = api.create_dicom_node(actor=admin_user, draft=node_draft(clinic))
    assert (made.name, made.ae_title, made.host, made.port, made.institution.id) == (
        "Tomógrafo 1",
        "CT_SALA_1",
        "10.0.0.5",
        104,
        clinic.uuid,
    )
    with pytest.raises(InvalidInput) as refused:
        api.create_dicom_node(
            actor=admin_user, draft=node_draft(clinic, ae_title="ÁREA_DE_TOMOGRAFÍA", host="10.0.0.999", port=0)
        )
    assert set(refused.value.field_errors) == {"ae_title", "host", "port"}
    with pytest.raises(InvalidInput) as refused:
        api.create_dicom_node(actor=admin_user, draft=node_draft(clinic, name="Otro"))  # the same AE title
    assert set(refused.value.field_errors) == {"ae_title"}
    with pytest.raises(Forbidden):
        api.create_dicom_node(actor=staff_user, draft=node_draft(clinic, ae_title="MINE"))


@offers(Capability.LIST_DICOM_NODES, Capability.GET_DICOM_NODE)
def test_nodes_are_seen_by_the_users_of_their_institution(
    api: PostDicomApi,
    admin_user: User,
    staff_user: User,
    outsider: User,
    clinic: Institution,
    other_clinic: Institution,
) -> None:
    ours = get_api().create_dicom_node(actor=admin_user, draft=node_draft(clinic))
    theirs = get_api().create_dicom_node(actor=admin_user, draft=node_draft(other_clinic, name="MR Norte"))
    assert {n.id for n in api.list_dicom_nodes(actor=admin_user)} == {ours.id, theirs.id}
    assert [n.id for n in api.list_dicom_nodes(actor=staff_user)] == [ours.id]
    assert api.get_dicom_node(actor=staff_user, node_id=ours.id).description == "Sala 1"
    with pytest.raises(NotFound):
        api.get_dicom_node(actor=outsider, node_id=ours.id)
    with pytest.raises(NotFound):
        api.get_dicom_node(actor=admin_user, node_id=uuid.uuid4())


@offers(Capability.UPDATE_DICOM_NODE)
def test_a_node_is_changed_but_not_to_an_ae_title_its_institution_uses(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution
) -> None:
    node = get_api().create_dicom_node(actor=admin_user, draft=node_draft(clinic))
    get_api().create_dicom_node(actor=admin_user, draft=node_draft(clinic, name="MR", ae_title="MR_SALA_2"))
    changed = api.update_dicom_node(
        actor=admin_user, node_id=node.id, draft=node_draft(clinic, host="pacs.clinica.local", port=11112)
    )
    assert (changed.id, changed.host, changed.port) == (node.id, "pacs.clinica.local", 11112)
    with pytest.raises(InvalidInput) as refused:
        api.update_dicom_node(actor=admin_user, node_id=node.id, draft=node_draft(clinic, ae_title="MR_SALA_2"))
    assert set(refused.value.field_errors) == {"ae_title"}
    with pytest.raises(Forbidden):
        api.update_dicom_node(actor=staff_user, node_id=node.id, draft=node_draft(clinic))


@offers(Capability.DELETE_DICOM_NODE)
def test_a_deleted_node_is_gone(api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution) -> None:
    node = get_api().create_dicom_node(actor=admin_user, draft=node_draft(clinic))
    with pytest.raises(Forbidden):
        api.delete_dicom_node(actor=staff_user, node_id=node.id)
    api.delete_dicom_node(actor=admin_user, node_id=node.id)
    assert get_api().list_dicom_nodes(actor=admin_user) == ()
    with pytest.raises(NotFound):
        api.delete_dicom_node(actor=admin_user, node_id=node.id)
