"""The embedded backend's user groups: each method, each role, the audit trail."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from postdicom.context import calling_from
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, UserGroup
from postdicom.types import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _uid(user):
    return profile_of(user).uuid


def _usernames(users):
    return [u.username for u in users]


@pytest.fixture
def radiologists(staff_user, limited_user):
    group = UserGroup.objects.create(name="Radiologists", description="CT and MR")
    group.members.add(staff_user, limited_user)
    return group


@pytest.fixture
def nurses(outsider):
    group = UserGroup.objects.create(name="nurses")
    group.members.add(outsider)
    return group


@pytest.fixture
def ana(clinic):
    return make_user("ana", Role.STAFF, [clinic], first_name="Ana", last_name="Ruiz")


def _members(group):
    return set(UserGroup.objects.get(pk=group.pk).members.values_list("username", flat=True))


# --- Listing and reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "staff_user", "outsider"])
def test_admins_and_staff_list_every_group_by_name_with_counts(request, api, radiologists, nurses, persona):
    actor = request.getfixturevalue(persona)
    UserGroup.objects.create(name="Anaesthesia")
    groups = api.list_user_groups(actor=actor)
    assert [g.name for g in groups] == ["Anaesthesia", "nurses", "Radiologists"]  # ignoring case
    assert [g.member_count for g in groups] == [0, 1, 2]
    assert groups[2].id == radiologists.uuid
    assert groups[2].description == "CT and MR"


def test_limited_users_see_only_their_own_groups(api, limited_user, radiologists, nurses):
    groups = api.list_user_groups(actor=limited_user)
    assert [g.name for g in groups] == ["Radiologists"]
    assert groups[0].member_count == 2  # every member is counted, not only the actor


def test_list_filters_by_name(api, admin_user, radiologists, nurses):
    assert [g.name for g in api.list_user_groups(actor=admin_user, text=" RADIO ")] == ["Radiologists"]
    assert api.list_user_groups(actor=admin_user, text="zzz") == ()


def test_inactive_or_anonymous_actors_are_refused(api, staff_user, radiologists):
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        api.list_user_groups(actor=staff_user)
    with pytest.raises(Forbidden):
        api.list_user_groups(actor=AnonymousUser())


def test_get_user_group(api, admin_user, limited_user, radiologists, nurses):
    assert api.get_user_group(actor=admin_user, group_id=nurses.uuid).name == "nurses"
    assert api.get_user_group(actor=limited_user, group_id=radiologists.uuid).member_count == 2
    with pytest.raises(NotFound):
        api.get_user_group(actor=limited_user, group_id=nurses.uuid)  # not theirs
    with pytest.raises(NotFound):
        api.get_user_group(actor=admin_user, group_id=UNKNOWN)


def test_group_members_for_each_role(api, admin_user, staff_user, limited_user, outsider, radiologists):
    radiologists.members.add(outsider)
    assert _usernames(api.group_members(actor=admin_user, group_id=radiologists.uuid)) == ["lia", "otto", "sam"]
    # staff see the members who work in their institutions
    assert _usernames(api.group_members(actor=staff_user, group_id=radiologists.uuid)) == ["lia", "sam"]
    assert _usernames(api.group_members(actor=outsider, group_id=radiologists.uuid)) == ["otto"]
    # limited users see only themselves
    assert _usernames(api.group_members(actor=limited_user, group_id=radiologists.uuid)) == ["lia"]


def test_group_members_of_a_hidden_or_unknown_group(api, admin_user, limited_user, nurses):
    with pytest.raises(NotFound):
        api.group_members(actor=limited_user, group_id=nurses.uuid)
    with pytest.raises(NotFound):
        api.group_members(actor=admin_user, group_id=UNKNOWN)


def test_groups_of_user_for_each_role(api, admin_user, staff_user, limited_user, outsider, radiologists, nurses):
    assert [g.name for g in api.groups_of_user(actor=admin_user, user_id=_uid(outsider))] == ["nurses"]
    assert [g.name for g in api.groups_of_user(actor=staff_user, user_id=_uid(limited_user))] == ["Radiologists"]
    assert [g.name for g in api.groups_of_user(actor=limited_user, user_id=_uid(limited_user))] == ["Radiologists"]
    assert api.groups_of_user(actor=admin_user, user_id=_uid(admin_user)) == ()
    with pytest.raises(NotFound):
        api.groups_of_user(actor=outsider, user_id=_uid(staff_user))  # another institution's user
    with pytest.raises(NotFound):
        api.groups_of_user(actor=limited_user, user_id=_uid(staff_user))
    with pytest.raises(NotFound):
        api.groups_of_user(actor=admin_user, user_id=UNKNOWN)


# --- Creating, renaming, deleting ----------------------------------------------------------------------


def test_create_group_records_who_and_from_where(api, admin_user):
    with calling_from("10.1.2.3"):
        created = api.create_user_group(actor=admin_user, name="  Night   shift ", description=" Weekends ")
    assert (created.name, created.description, created.member_count) == ("Night shift", "Weekends", 0)
    assert UserGroup.objects.get(uuid=created.id).name == "Night shift"
    event = AuditRecord.objects.get(action="group.created")
    assert (event.actor, event.target_type, event.target_id) == (admin_user, "group", str(created.id))
    assert (event.target_label, event.ip) == ("Night shift", "10.1.2.3")


@pytest.mark.parametrize("persona", ["staff_user", "limited_user", "outsider"])
def test_only_administrators_manage_groups(request, api, radiologists, ana, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        api.create_user_group(actor=actor, name="Mine")
    with pytest.raises(Forbidden):
        api.update_user_group(actor=actor, group_id=radiologists.uuid, name="Mine")
    with pytest.raises(Forbidden):
        api.delete_user_group(actor=actor, group_id=radiologists.uuid)
    with pytest.raises(Forbidden):
        api.add_group_members(actor=actor, group_id=radiologists.uuid, user_ids=[_uid(ana)])
    with pytest.raises(Forbidden):
        api.remove_group_members(actor=actor, group_id=radiologists.uuid, user_ids=[_uid(actor)])
    assert list(UserGroup.objects.values_list("name", flat=True)) == ["Radiologists"]
    assert _members(radiologists) == {"sam", "lia"}
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_create_refuses_a_bad_name(api, admin_user, name):
    with pytest.raises(InvalidInput) as caught:
        api.create_user_group(actor=admin_user, name=name)
    assert "name" in caught.value.field_errors
    assert not UserGroup.objects.exists()


def test_create_refuses_a_long_description(api, admin_user):
    with pytest.raises(InvalidInput) as caught:
        api.create_user_group(actor=admin_user, name="Ok", description="d" * 251)
    assert "description" in caught.value.field_errors
    assert api.create_user_group(actor=admin_user, name="Ok", description="d" * 250).description == "d" * 250


def test_names_are_unique_ignoring_case(api, admin_user, radiologists):
    with pytest.raises(InvalidInput) as caught:
        api.create_user_group(actor=admin_user, name="RADIOLOGISTS")
    assert "already taken" in caught.value.field_errors["name"][0]
    assert UserGroup.objects.count() == 1
    assert not AuditRecord.objects.exists()


def test_a_name_taken_at_the_same_moment_is_refused_not_a_crash(api, admin_user, radiologists, monkeypatch):
    monkeypatch.setattr("postdicom.local.groups.ensure_unique_name", lambda *args, **kwargs: None)
    with pytest.raises(InvalidInput) as caught:
        api.create_user_group(actor=admin_user, name="radiologists")
    assert "name" in caught.value.field_errors
    other = UserGroup.objects.create(name="Nurses")
    with pytest.raises(InvalidInput):
        api.update_user_group(actor=admin_user, group_id=other.uuid, name="Radiologists")
    assert not AuditRecord.objects.exists()


def test_rename_group(api, admin_user, radiologists):
    updated = api.update_user_group(actor=admin_user, group_id=radiologists.uuid, name="Radiology", description="")
    assert (updated.name, updated.description, updated.member_count) == ("Radiology", "", 2)
    radiologists.refresh_from_db()
    assert radiologists.name == "Radiology"
    event = AuditRecord.objects.get(action="group.updated")
    assert (event.target_label, event.detail) == ("Radiology", {"renamed_from": "Radiologists"})


def test_changing_only_the_description_is_recorded_without_a_rename(api, admin_user, radiologists):
    api.update_user_group(actor=admin_user, group_id=radiologists.uuid, name="Radiologists", description="New")
    assert AuditRecord.objects.get(action="group.updated").detail == {}
    assert UserGroup.objects.get(pk=radiologists.pk).description == "New"


def test_rename_checks_the_other_names(api, admin_user, radiologists, nurses):
    with pytest.raises(InvalidInput):
        api.update_user_group(actor=admin_user, group_id=radiologists.uuid, name="NURSES")
    assert api.update_user_group(actor=admin_user, group_id=radiologists.uuid, name="radiologists").name == (
        "radiologists"
    )
    with pytest.raises(NotFound):
        api.update_user_group(actor=admin_user, group_id=UNKNOWN, name="Anything")


def test_delete_group_keeps_its_members(api, admin_user, radiologists, staff_user, limited_user):
    api.delete_user_group(actor=admin_user, group_id=radiologists.uuid)
    assert not UserGroup.objects.exists()
    assert get_user_model().objects.filter(pk__in=[staff_user.pk, limited_user.pk], is_active=True).count() == 2
    event = AuditRecord.objects.get(action="group.deleted")
    assert (event.target_id, event.target_label) == (str(radiologists.uuid), "Radiologists")
    assert event.detail == {"members": ["lia", "sam"]}
    with pytest.raises(NotFound):
        api.delete_user_group(actor=admin_user, group_id=radiologists.uuid)


# --- Membership --------------------------------------------------------------------------------------


def test_add_members_skips_those_already_in(api, admin_user, radiologists, staff_user, ana, outsider):
    added = api.add_group_members(
        actor=admin_user, group_id=radiologists.uuid, user_ids=[_uid(ana), _uid(staff_user), _uid(outsider)]
    )
    assert added == 2
    assert _members(radiologists) == {"sam", "lia", "ana", "otto"}
    events = AuditRecord.objects.filter(action="group.member_added")
    assert sorted(e.detail["user"] for e in events) == ["ana", "otto"]
    assert {e.target_id for e in events} == {str(radiologists.uuid)}
    assert api.add_group_members(actor=admin_user, group_id=radiologists.uuid, user_ids=[_uid(ana)]) == 0
    assert AuditRecord.objects.filter(action="group.member_added").count() == 2


def test_add_members_with_an_unknown_user_changes_nothing(api, admin_user, radiologists, ana):
    with pytest.raises(InvalidInput) as caught:
        api.add_group_members(actor=admin_user, group_id=radiologists.uuid, user_ids=[_uid(ana), UNKNOWN])
    assert "user_ids" in caught.value.field_errors
    assert _members(radiologists) == {"sam", "lia"}
    assert not AuditRecord.objects.exists()


def test_add_members_to_an_unknown_group(api, admin_user, ana):
    with pytest.raises(NotFound):
        api.add_group_members(actor=admin_user, group_id=UNKNOWN, user_ids=[_uid(ana)])


def test_adding_nobody_is_a_no_op(api, admin_user, radiologists):
    assert api.add_group_members(actor=admin_user, group_id=radiologists.uuid, user_ids=[]) == 0
    assert not AuditRecord.objects.exists()


def test_remove_members(api, admin_user, radiologists, staff_user, ana):
    removed = api.remove_group_members(
        actor=admin_user, group_id=radiologists.uuid, user_ids=[_uid(staff_user), _uid(ana)]
    )
    assert removed == 1  # Ana was not a member
    assert _members(radiologists) == {"lia"}
    event = AuditRecord.objects.get(action="group.member_removed")
    assert (event.target_id, event.detail) == (str(radiologists.uuid), {"user": "sam"})
    assert get_user_model().objects.filter(pk=staff_user.pk).exists()


def test_remove_from_an_unknown_group_or_an_unknown_user(api, admin_user, radiologists, staff_user):
    with pytest.raises(NotFound):
        api.remove_group_members(actor=admin_user, group_id=UNKNOWN, user_ids=[_uid(staff_user)])
    with pytest.raises(InvalidInput):
        api.remove_group_members(actor=admin_user, group_id=radiologists.uuid, user_ids=[UNKNOWN])
    assert _members(radiologists) == {"sam", "lia"}


def test_membership_changes_show_in_counts_and_lists(api, admin_user, radiologists, ana):
    api.add_group_members(actor=admin_user, group_id=radiologists.uuid, user_ids=[_uid(ana)])
    assert api.get_user_group(actor=admin_user, group_id=radiologists.uuid).member_count == 3
    assert [g.name for g in api.groups_of_user(actor=admin_user, user_id=_uid(ana))] == ["Radiologists"]
    assert "ana" in _usernames(api.group_members(actor=admin_user, group_id=radiologists.uuid))
