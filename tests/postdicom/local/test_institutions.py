"""Institutions in the embedded backend: who sees which, who may change them, the audit trail."""

import uuid

import pytest

from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, Institution
from postdicom.types import InstitutionDraft, Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
NON_ADMINS = ["staff_user", "limited_user", "outsider"]


def test_admin_lists_every_institution_with_user_counts(
    api, admin_user, clinic, other_clinic, staff_user, limited_user
):
    listed = api.list_institutions(actor=admin_user)
    assert [(i.name, i.user_count) for i in listed] == [("Clínica Central", 2), ("North Imaging", 0)]
    assert listed[0].id == clinic.uuid
    assert listed[0].address == "Av. Siempre Viva 742"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("staff_user", ["Clínica Central"]), ("limited_user", ["Clínica Central"]), ("outsider", ["North Imaging"])],
)
def test_others_list_only_their_institutions(request, api, clinic, other_clinic, persona, expected):
    actor = request.getfixturevalue(persona)
    assert [i.name for i in api.list_institutions(actor=actor)] == expected


def test_inactive_user_lists_nothing(api, clinic):
    gone = make_user("gone", Role.ADMINISTRATOR, is_active=False)
    with pytest.raises(Forbidden):
        api.list_institutions(actor=gone)


def test_get_institution_hides_other_institutions(api, outsider, clinic, admin_user):
    assert api.get_institution(actor=admin_user, institution_id=clinic.uuid).name == "Clínica Central"
    with pytest.raises(NotFound):
        api.get_institution(actor=outsider, institution_id=clinic.uuid)
    with pytest.raises(NotFound):
        api.get_institution(actor=admin_user, institution_id=UNKNOWN)


def test_get_institution_counts_users(api, admin_user, clinic, staff_user):
    assert api.get_institution(actor=admin_user, institution_id=clinic.uuid).user_count == 1


def test_create_institution(api, admin_user):
    created = api.create_institution(
        actor=admin_user, draft=InstitutionDraft(name="  East \t Wing ", address=" Calle 3 ")
    )
    assert (created.name, created.address, created.is_active) == ("East Wing", "Calle 3", True)
    row = Institution.objects.get(uuid=created.id)
    assert row.name == "East Wing"
    event = AuditRecord.objects.get(action="institution.created")
    assert (event.actor, event.target_type, event.target_id, event.target_label) == (
        admin_user,
        "institution",
        str(created.id),
        "East Wing",
    )


@pytest.mark.parametrize("name", ["clínica central", "CLÍNICA CENTRAL", " Clínica  Central "])
def test_duplicate_names_are_refused_ignoring_case(api, admin_user, clinic, name):
    with pytest.raises(InvalidInput) as caught:
        api.create_institution(actor=admin_user, draft=InstitutionDraft(name=name))
    assert "name" in caught.value.field_errors
    assert Institution.objects.count() == 1
    assert not AuditRecord.objects.filter(action="institution.created").exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_blank_or_long_names_are_refused(api, admin_user, name):
    with pytest.raises(InvalidInput) as caught:
        api.create_institution(actor=admin_user, draft=InstitutionDraft(name=name))
    assert list(caught.value.field_errors) == ["name"]


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admins_cannot_create(request, api, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        api.create_institution(actor=actor, draft=InstitutionDraft(name="Mine"))
    assert not Institution.objects.filter(name="Mine").exists()


def test_update_institution(api, admin_user, clinic, staff_user):
    saved = api.update_institution(
        actor=admin_user,
        institution_id=clinic.uuid,
        draft=InstitutionDraft(name="Central", address="Nueva 2"),
        active=False,
    )
    assert (saved.name, saved.address, saved.is_active, saved.user_count) == ("Central", "Nueva 2", False, 1)
    clinic.refresh_from_db()
    assert (clinic.name, clinic.is_active) == ("Central", False)
    event = AuditRecord.objects.get(action="institution.updated")
    assert event.target_id == str(clinic.uuid)
    assert event.detail == {
        "active": False,
        "before": {"name": "Clínica Central", "address": "Av. Siempre Viva 742", "active": True},
    }


def test_update_may_keep_its_own_name_in_another_case(api, admin_user, clinic):
    saved = api.update_institution(
        actor=admin_user, institution_id=clinic.uuid, draft=InstitutionDraft(name="CLÍNICA CENTRAL")
    )
    assert saved.name == "CLÍNICA CENTRAL"


def test_update_to_another_institutions_name_is_refused(api, admin_user, clinic, other_clinic):
    with pytest.raises(InvalidInput) as caught:
        api.update_institution(
            actor=admin_user, institution_id=clinic.uuid, draft=InstitutionDraft(name="north IMAGING")
        )
    assert "name" in caught.value.field_errors
    clinic.refresh_from_db()
    assert clinic.name == "Clínica Central"


def test_update_unknown_institution(api, admin_user):
    with pytest.raises(NotFound):
        api.update_institution(actor=admin_user, institution_id=UNKNOWN, draft=InstitutionDraft(name="Ghost"))


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admins_cannot_update(request, api, clinic, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        api.update_institution(actor=actor, institution_id=clinic.uuid, draft=InstitutionDraft(name="Taken over"))
    clinic.refresh_from_db()
    assert clinic.name == "Clínica Central"
    assert not AuditRecord.objects.filter(action="institution.updated").exists()
