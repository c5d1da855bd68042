"""Account and directory (Initialize, GetUserList, GetUserGroupList, GetContactList): who the
actor is, the users and user groups they may see, and administrators managing them."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.cloud import CloudBackend
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution, UserGroup
from postdicom.types import Capability, Role, UserQuery
from tests.conftest import PASSWORD, make_user
from tests.contract.admin_setup import NEW_PASSWORD, WEAK_PASSWORD, deactivated, user_draft
from tests.contract.conftest import offers
from tests.postdicom.local.orders_setup import group_with, uid

# --- Who is signed in ---------------------------------------------------------------------------

#: Nothing here waits for a commit: the local cases are rolled back, not flushed.
pytestmark = pytest.mark.rolled_back


@offers(Capability.ACCOUNT)
def test_the_account_names_the_actor_their_institutions_and_colleagues(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    make_user("成田", Role.LIMITED, [clinic], first_name="純", last_name="成田")
    make_user("gone", Role.STAFF, [clinic], is_active=False)
    account = api.account(actor=staff_user)
    assert (account.user.username, account.role) == ("sam", Role.STAFF)
    assert [i.id for i in account.institutions] == [clinic.uuid]
    assert {u.username for u in account.users} == {"sam", "成田"}  # active, of the clinic; no outsider
    with pytest.raises(Forbidden):
        api.account(actor=deactivated(outsider))


@offers(Capability.CURRENT_USER)
def test_the_current_user_is_the_actor_and_an_inactive_one_is_refused(api: PostDicomApi, limited_user: User) -> None:
    me = api.current_user(actor=limited_user)
    assert (me.username, me.first_name, me.last_name, me.email, me.is_active) == (
        "lia",
        "Lía",
        "Limitada",
        "lia@clinic.test",
        True,
    )
    assert me.full_name == "Lía Limitada"
    # The cloud cannot tell a user's role: it says so, and gives the least one.
    assert me.role_known is not isinstance(api, CloudBackend)
    assert me.role is Role.LIMITED
    with pytest.raises(Forbidden):
        api.current_user(actor=deactivated(limited_user))


# --- Users --------------------------------------------------------------------------------------


@offers(Capability.LIST_USERS)
def test_users_are_listed_as_far_as_the_actor_may_see(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User, outsider: User
) -> None:
    everyone = api.list_users(actor=admin_user)
    assert {u.username for u in everyone.items} == {"ada", "sam", "lia", "otto"}
    assert everyone.total == 4
    assert [u.username for u in api.list_users(actor=staff_user).items] == ["lia", "sam"]  # by last name
    assert [u.username for u in api.list_users(actor=staff_user, query=UserQuery(text="limitada")).items] == ["lia"]
    assert [u.username for u in api.list_users(actor=limited_user).items] == ["lia"]
    staff_only = api.list_users(actor=admin_user, query=UserQuery(role=Role.STAFF, page_size=1))
    assert (staff_only.total, staff_only.pages, len(staff_only.items)) == (2, 2, 1)
    with pytest.raises(Forbidden):
        api.list_users(actor=deactivated(outsider))


@offers(Capability.GET_USER)
def test_a_user_is_read_with_role_and_institutions_or_not_found(
    api: PostDicomApi, admin_user: User, limited_user: User, outsider: User, clinic: Institution
) -> None:
    lia = api.get_user(actor=admin_user, user_id=uid(limited_user))
    assert (lia.username, lia.role, [i.name for i in lia.institutions]) == ("lia", Role.LIMITED, [clinic.name])
    with pytest.raises(NotFound):
        api.get_user(actor=outsider, user_id=uid(limited_user))  # another institution's user
    with pytest.raises(NotFound):
        api.get_user(actor=admin_user, user_id=uuid.uuid4())


@offers(Capability.CREATE_USER)
def test_an_administrator_creates_a_user_who_can_sign_in(
    api: PostDicomApi, admin_user: User, clinic: Institution
) -> None:
    made = api.create_user(actor=admin_user, draft=user_draft(clinic), password=NEW_PASSWORD)
    assert (made.username, made.last_name, made.role, made.is_active) == ("zoë", "Δημητρίου", Role.STAFF, True)
    assert [i.id for i in made.institutions] == [clinic.uuid]
    assert get_api().get_user(actor=admin_user, user_id=made.id).email == "zoe@clinic.test"
    assert get_user_model().objects.get(username="zoë").check_password(NEW_PASSWORD)


@offers(Capability.CREATE_USER)
def test_a_refused_user_names_the_field_and_staff_may_not_create(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution
) -> None:
    with pytest.raises(InvalidInput) as refused:
        api.create_user(
            actor=admin_user,
            draft=user_draft(clinic, username="SAM", email="not-an-address", institution_ids=(uuid.uuid4(),)),
            password=NEW_PASSWORD,
        )
    assert set(refused.value.field_errors) == {"username", "email", "institution_ids"}
    with pytest.raises(InvalidInput) as refused:
        api.create_user(actor=admin_user, draft=user_draft(clinic), password=WEAK_PASSWORD)
    assert set(refused.value.field_errors) == {"password"}
    with pytest.raises(Forbidden):
        api.create_user(actor=staff_user, draft=user_draft(clinic), password=NEW_PASSWORD)
    assert not get_user_model().objects.filter(username="zoë").exists()


@offers(Capability.UPDATE_USER)
def test_an_administrator_changes_a_user_but_not_their_own_role(
    api: PostDicomApi,
    admin_user: User,
    staff_user: User,
    limited_user: User,
    clinic: Institution,
    other_clinic: Institution,
) -> None:
    changed = api.update_user(
        actor=admin_user,
        user_id=uid(limited_user),
        draft=user_draft(other_clinic, username="lia", first_name="Lía", last_name="Ñandú", email="lia@clinic.test"),
    )
    assert (changed.last_name, changed.role, [i.id for i in changed.institutions]) == (
        "Ñandú",
        Role.STAFF,
        [other_clinic.uuid],
    )
    with pytest.raises(InvalidInput) as refused:
        api.update_user(
            actor=admin_user,
            user_id=uid(admin_user),
            draft=user_draft(clinic, username="ada", role=Role.STAFF),
        )
    assert set(refused.value.field_errors) == {"role"}
    with pytest.raises(Forbidden):
        api.update_user(actor=staff_user, user_id=uid(staff_user), draft=user_draft(clinic, username="sam"))


@offers(Capability.SET_USER_ACTIVE)
def test_a_deactivated_user_keeps_their_place_and_nobody_deactivates_themself(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    gone = api.set_user_active(actor=admin_user, user_id=uid(limited_user), active=False)
    assert (gone.username, gone.is_active) == ("lia", False)
    assert not get_user_model().objects.get(username="lia").is_active
    listed = get_api().list_users(actor=admin_user, query=UserQuery(include_inactive=False)).items
    assert "lia" not in {u.username for u in listed}
    assert api.set_user_active(actor=admin_user, user_id=uid(limited_user), active=True).is_active
    with pytest.raises(InvalidInput):
        api.set_user_active(actor=admin_user, user_id=uid(admin_user), active=False)
    with pytest.raises(Forbidden):
        api.set_user_active(actor=staff_user, user_id=uid(limited_user), active=False)


@offers(Capability.SET_USER_PASSWORD)
def test_an_administrator_sets_a_password_that_works_and_a_weak_one_is_refused(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    api.set_user_password(actor=admin_user, user_id=uid(limited_user), password=NEW_PASSWORD)
    lia = get_user_model().objects.get(username="lia")
    assert lia.check_password(NEW_PASSWORD)
    assert not lia.check_password(PASSWORD)
    with pytest.raises(InvalidInput) as refused:
        api.set_user_password(actor=admin_user, user_id=uid(limited_user), password=WEAK_PASSWORD)
    assert set(refused.value.field_errors) == {"password"}
    with pytest.raises(Forbidden):
        api.set_user_password(actor=staff_user, user_id=uid(limited_user), password=NEW_PASSWORD)
    with pytest.raises(NotFound):
        api.set_user_password(actor=admin_user, user_id=uuid.uuid4(), password=NEW_PASSWORD)


# --- User groups --------------------------------------------------------------------------------


@offers(Capability.LIST_USER_GROUPS)
def test_groups_are_listed_by_name_and_a_limited_user_sees_their_own(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    group_with(staff_user, name="radiólogos")
    group_with(limited_user, staff_user, name="Cardiología")
    everyone = api.list_user_groups(actor=staff_user)
    assert [(g.name, g.member_count) for g in everyone] == [("Cardiología", 2), ("radiólogos", 1)]
    assert [g.name for g in api.list_user_groups(actor=admin_user, text="RADIÓ")] == ["radiólogos"]
    assert [g.name for g in api.list_user_groups(actor=limited_user)] == ["Cardiología"]
    with pytest.raises(Forbidden):
        api.list_user_groups(actor=deactivated(staff_user))


@offers(Capability.GET_USER_GROUP)
def test_a_group_is_read_by_whoever_may_see_it(api: PostDicomApi, staff_user: User, limited_user: User) -> None:
    group = group_with(staff_user, name="Neuro")
    group.description = "Guardia nocturna"
    group.save(update_fields=["description"])
    read = api.get_user_group(actor=staff_user, group_id=group.uuid)
    assert (read.id, read.name, read.description, read.member_count) == (group.uuid, "Neuro", "Guardia nocturna", 1)
    with pytest.raises(NotFound):
        api.get_user_group(actor=limited_user, group_id=group.uuid)  # not a member
    with pytest.raises(NotFound):
        api.get_user_group(actor=staff_user, group_id=uuid.uuid4())


@offers(Capability.CREATE_USER_GROUP)
def test_an_administrator_creates_a_group_whose_name_is_unique_ignoring_case(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    made = api.create_user_group(actor=admin_user, name="  Ecografía ", description="Turno tarde")
    assert (made.name, made.description, made.member_count) == ("Ecografía", "Turno tarde", 0)
    assert [g.id for g in get_api().list_user_groups(actor=admin_user)] == [made.id]
    with pytest.raises(InvalidInput) as refused:
        api.create_user_group(actor=admin_user, name="ECOGRAFÍA")
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(Forbidden):
        api.create_user_group(actor=staff_user, name="Otro")


@offers(Capability.UPDATE_USER_GROUP)
def test_an_administrator_renames_a_group_but_not_to_a_taken_name(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    group = group_with(staff_user, name="Neuro")
    group_with(name="Tórax")
    renamed = api.update_user_group(actor=admin_user, group_id=group.uuid, name="Neurología", description="Pisos 2–3")
    assert (renamed.id, renamed.name, renamed.description, renamed.member_count) == (
        group.uuid,
        "Neurología",
        "Pisos 2–3",
        1,
    )
    with pytest.raises(InvalidInput) as refused:
        api.update_user_group(actor=admin_user, group_id=group.uuid, name="tórax")
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(NotFound):
        api.update_user_group(actor=admin_user, group_id=uuid.uuid4(), name="X")
    with pytest.raises(Forbidden):
        api.update_user_group(actor=staff_user, group_id=group.uuid, name="Mía")


@offers(Capability.DELETE_USER_GROUP)
def test_a_deleted_group_is_gone_and_its_members_stay(api: PostDicomApi, admin_user: User, staff_user: User) -> None:
    group = group_with(staff_user, name="Neuro")
    with pytest.raises(Forbidden):
        api.delete_user_group(actor=staff_user, group_id=group.uuid)
    api.delete_user_group(actor=admin_user, group_id=group.uuid)
    assert not UserGroup.objects.filter(uuid=group.uuid).exists()
    assert get_user_model().objects.filter(username="sam", is_active=True).exists()
    with pytest.raises(NotFound):
        api.delete_user_group(actor=admin_user, group_id=group.uuid)


@offers(Capability.GROUP_MEMBERS, Capability.GROUPS_OF_USER)
def test_members_of_a_group_and_groups_of_a_user(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User, outsider: User
) -> None:
    cardio = group_with(limited_user, staff_user, name="Cardiología")
    group_with(staff_user, name="Neuro")
    assert [u.username for u in api.group_members(actor=admin_user, group_id=cardio.uuid)] == ["lia", "sam"]
    assert [g.name for g in api.groups_of_user(actor=admin_user, user_id=uid(staff_user))] == ["Cardiología", "Neuro"]
    assert [g.name for g in api.groups_of_user(actor=limited_user, user_id=uid(limited_user))] == ["Cardiología"]
    with pytest.raises(NotFound):
        api.group_members(actor=admin_user, group_id=uuid.uuid4())
    with pytest.raises(NotFound):
        api.groups_of_user(actor=outsider, user_id=uid(staff_user))  # another institution's user


@offers(Capability.ADD_GROUP_MEMBERS, Capability.REMOVE_GROUP_MEMBERS)
def test_members_join_and_leave_counting_only_changes(
    api: PostDicomApi, admin_user: User, staff_user: User, limited_user: User
) -> None:
    group = group_with(staff_user, name="Neuro")
    both = [uid(staff_user), uid(limited_user)]
    assert api.add_group_members(actor=admin_user, group_id=group.uuid, user_ids=both) == 1  # sam already in
    assert set(group.members.values_list("username", flat=True)) == {"sam", "lia"}
    assert api.remove_group_members(actor=admin_user, group_id=group.uuid, user_ids=[uid(limited_user)]) == 1
    assert api.remove_group_members(actor=admin_user, group_id=group.uuid, user_ids=[uid(limited_user)]) == 0
    assert list(group.members.values_list("username", flat=True)) == ["sam"]
    with pytest.raises(InvalidInput) as refused:
        api.add_group_members(actor=admin_user, group_id=group.uuid, user_ids=[uuid.uuid4()])
    assert set(refused.value.field_errors) == {"user_ids"}
    with pytest.raises(Forbidden):
        api.add_group_members(actor=staff_user, group_id=group.uuid, user_ids=[uid(limited_user)])
    with pytest.raises(Forbidden):
        api.remove_group_members(actor=staff_user, group_id=group.uuid, user_ids=[uid(staff_user)])


# --- Contacts -----------------------------------------------------------------------------------


@offers(Capability.LIST_CONTACTS)
def test_contacts_are_the_colleagues_the_actor_may_see(
    api: PostDicomApi, staff_user: User, limited_user: User, outsider: User
) -> None:
    contacts = api.list_contacts(actor=staff_user)
    assert [(c.name, c.email, c.user_id) for c in contacts] == [
        ("Lía Limitada", "lia@clinic.test", uid(limited_user)),
        ("Sam Staff", "sam@clinic.test", uid(staff_user)),
    ]
    assert "otto@clinic.test" not in {c.email for c in contacts}
    with pytest.raises(Forbidden):
        api.list_contacts(actor=deactivated(outsider))
