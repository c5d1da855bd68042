"""The embedded backend's users: each method, each role, the audit trail."""

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from postdicom.context import calling_from
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, UserGroup
from postdicom.types import Role, UserDraft, UserQuery
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
GOOD_PASSWORD = "tulip-orbit-canyon-42"


def _uid(user):
    return profile_of(user).uuid


def _names(page):
    return [u.username for u in page.items]


def _draft(clinic=None, **changes):
    values: dict[str, Any] = {
        "username": "nuria",
        "first_name": "Nuria",
        "last_name": "Núñez",
        "email": "nuria@clinic.test",
        "role": Role.STAFF,
        "institution_ids": (clinic.uuid,) if clinic is not None else (),
    }
    values.update(changes)
    return UserDraft(**values)


@pytest.fixture
def everyone(admin_user, staff_user, limited_user, outsider):
    return admin_user, staff_user, limited_user, outsider


@pytest.fixture
def retired(clinic):
    return make_user("ret", Role.STAFF, [clinic], first_name="Rita", last_name="Retired", is_active=False)


# --- Who sees whom --------------------------------------------------------------------------------------


def test_administrators_see_everyone_including_inactive(api, everyone, retired):
    admin_user = everyone[0]
    assert _names(api.list_users(actor=admin_user)) == ["ada", "lia", "otto", "ret", "sam"]
    active = api.list_users(actor=admin_user, query=UserQuery(include_inactive=False))
    assert "ret" not in _names(active)


def test_staff_see_the_users_of_their_institutions_and_themselves(api, everyone, retired, staff_user):
    assert _names(api.list_users(actor=staff_user)) == ["lia", "ret", "sam"]


def test_outsiders_cannot_see_clinic_users(api, everyone, outsider, staff_user):
    assert _names(api.list_users(actor=outsider)) == ["otto"]
    with pytest.raises(NotFound):
        api.get_user(actor=outsider, user_id=_uid(staff_user))


def test_limited_users_see_only_themselves(api, everyone, limited_user, staff_user):
    assert _names(api.list_users(actor=limited_user)) == ["lia"]
    assert api.get_user(actor=limited_user, user_id=_uid(limited_user)).role is Role.LIMITED
    with pytest.raises(NotFound):
        api.get_user(actor=limited_user, user_id=_uid(staff_user))


def test_staff_in_no_institution_see_only_themselves(api, everyone):
    loner = make_user("lone", Role.STAFF)
    assert _names(api.list_users(actor=loner)) == ["lone"]


def test_get_user(api, admin_user, staff_user, clinic):
    user = api.get_user(actor=staff_user, user_id=_uid(staff_user))
    assert (user.username, user.full_name, user.role, user.is_active) == ("sam", "Sam Staff", Role.STAFF, True)
    assert [i.name for i in user.institutions] == [clinic.name]
    with pytest.raises(NotFound):
        api.get_user(actor=admin_user, user_id=UNKNOWN)


def test_inactive_and_anonymous_actors_are_refused(api, staff_user):
    with pytest.raises(Forbidden):
        api.list_users(actor=AnonymousUser())
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        api.list_users(actor=staff_user)
    with pytest.raises(Forbidden):
        api.current_user(actor=staff_user)
    with pytest.raises(Forbidden):
        api.account(actor=staff_user)


def test_account_and_current_user(api, everyone, retired, staff_user, clinic):
    account = api.account(actor=staff_user)
    assert account.role is Role.STAFF
    assert account.user.username == "sam"
    assert [i.name for i in account.institutions] == [clinic.name]
    assert sorted(u.username for u in account.users) == ["lia", "sam"]  # not the inactive one
    assert api.current_user(actor=staff_user).id == _uid(staff_user)


# --- Searching and paging -------------------------------------------------------------------------------


def test_search_every_word_in_names_user_name_and_e_mail(api, everyone):
    admin_user = everyone[0]
    assert _names(api.list_users(actor=admin_user, query=UserQuery(text="staff"))) == ["sam"]
    assert _names(api.list_users(actor=admin_user, query=UserQuery(text="lía limitada"))) == ["lia"]
    assert _names(api.list_users(actor=admin_user, query=UserQuery(text="otto@clinic"))) == ["otto"]
    assert _names(api.list_users(actor=admin_user, query=UserQuery(text="sam lia"))) == []


def test_filter_by_role_institution_and_group(api, everyone, clinic):
    admin_user, staff_user, _limited_user, _outsider = everyone
    assert _names(api.list_users(actor=admin_user, query=UserQuery(role=Role.LIMITED))) == ["lia"]
    in_clinic = api.list_users(actor=admin_user, query=UserQuery(institution_id=clinic.uuid))
    assert _names(in_clinic) == ["lia", "sam"]
    group = UserGroup.objects.create(name="Radiologists")
    group.members.add(staff_user)
    others = api.list_users(actor=admin_user, query=UserQuery(not_in_group=group.uuid))
    assert _names(others) == ["ada", "lia", "otto"]
    assert _names(api.list_users(actor=staff_user, query=UserQuery(not_in_group=group.uuid))) == ["lia"]


def test_paging(api, admin_user):
    for i in range(7):
        make_user(f"user{i}", Role.LIMITED, last_name=f"Zed {i}")
    page = api.list_users(actor=admin_user, query=UserQuery(page=2, page_size=3))
    assert (page.total, page.number, page.pages) == (8, 2, 3)
    assert _names(page) == ["user2", "user3", "user4"]
    last = api.list_users(actor=admin_user, query=UserQuery(page=99, page_size=3))
    assert (last.number, _names(last)) == (3, ["user5", "user6"])


def test_contacts_are_active_users_with_an_e_mail_the_actor_can_see(api, everyone, retired, staff_user):
    make_user("noemail", Role.STAFF, [profile_of(staff_user).institutions.get()], email=" ")
    get_user_model().objects.filter(username="noemail").update(email="")
    contacts = api.list_contacts(actor=staff_user)
    assert sorted(c.email for c in contacts) == ["lia@clinic.test", "sam@clinic.test"]
    assert {c.user_id for c in contacts} == {_uid(staff_user), profile_of(everyone[2]).uuid}


# --- Creating ------------------------------------------------------------------------------------------


def test_create_user_records_the_event(api, admin_user, clinic, client):
    with calling_from("192.0.2.9"):
        created = api.create_user(actor=admin_user, draft=_draft(clinic, username="  nuria "), password=GOOD_PASSWORD)
    assert (created.username, created.role, created.is_active) == ("nuria", Role.STAFF, True)
    assert [i.id for i in created.institutions] == [clinic.uuid]
    user = get_user_model().objects.get(username="nuria")
    assert user.check_password(GOOD_PASSWORD)
    event = AuditRecord.objects.get(action="user.created")
    assert (event.actor, event.target_id, event.target_label, event.ip) == (
        admin_user,
        str(created.id),
        "nuria",
        "192.0.2.9",
    )
    assert event.detail == {"role": "staff", "institutions": [clinic.name]}
    assert GOOD_PASSWORD not in str(event.detail)


@pytest.mark.parametrize(
    "password",
    [
        "short1",  # too short
        "password123",  # common
        "8273649182736",  # only digits
        "nuria.nunez",  # like the user's own name
    ],
)
def test_weak_passwords_are_refused(api, admin_user, clinic, password):
    with pytest.raises(InvalidInput) as caught:
        api.create_user(actor=admin_user, draft=_draft(clinic, email="nuria.nunez@x.test"), password=password)
    assert "password" in caught.value.field_errors
    assert not get_user_model().objects.filter(username="nuria").exists()
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("username", ["sam", "SAM", " Sam "])
def test_user_names_are_unique_ignoring_case(api, admin_user, staff_user, clinic, username):
    with pytest.raises(InvalidInput) as caught:
        api.create_user(actor=admin_user, draft=_draft(clinic, username=username), password=GOOD_PASSWORD)
    assert "already taken" in caught.value.field_errors["username"][0]
    assert get_user_model().objects.filter(username__iexact="sam").count() == 1


def test_a_user_name_taken_at_the_same_moment_is_refused_not_a_crash(api, admin_user, staff_user, clinic, monkeypatch):
    monkeypatch.setattr("postdicom.local.users._check_draft", lambda draft, exclude_pk: [clinic])
    with pytest.raises(InvalidInput) as caught:
        api.create_user(actor=admin_user, draft=_draft(clinic, username="sam"), password=GOOD_PASSWORD)
    assert "username" in caught.value.field_errors
    assert not AuditRecord.objects.exists()


def test_create_collects_every_problem(api, admin_user):
    draft = _draft(username="two words", email="not-an-e-mail", institution_ids=(UNKNOWN,))
    with pytest.raises(InvalidInput) as caught:
        api.create_user(actor=admin_user, draft=draft, password=GOOD_PASSWORD)
    assert set(caught.value.field_errors) == {"username", "email", "institution_ids"}


def test_staff_and_limited_users_need_an_institution_administrators_do_not(api, admin_user):
    for role in (Role.STAFF, Role.LIMITED):
        with pytest.raises(InvalidInput) as caught:
            api.create_user(actor=admin_user, draft=_draft(role=role), password=GOOD_PASSWORD)
        assert "institution_ids" in caught.value.field_errors
    created = api.create_user(actor=admin_user, draft=_draft(role=Role.ADMINISTRATOR), password=GOOD_PASSWORD)
    assert created.role is Role.ADMINISTRATOR
    assert created.institutions == ()


def test_empty_user_name_is_refused(api, admin_user, clinic):
    with pytest.raises(InvalidInput) as caught:
        api.create_user(actor=admin_user, draft=_draft(clinic, username="  "), password=GOOD_PASSWORD)
    assert "username" in caught.value.field_errors


# --- Only administrators manage users -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff_user", "limited_user", "outsider"])
def test_only_administrators_manage_users(request, api, persona, staff_user, clinic):
    actor = request.getfixturevalue(persona)
    target = _uid(staff_user)
    with pytest.raises(Forbidden):
        api.create_user(actor=actor, draft=_draft(clinic), password=GOOD_PASSWORD)
    with pytest.raises(Forbidden):
        api.update_user(actor=actor, user_id=target, draft=_draft(clinic, username="sam"))
    with pytest.raises(Forbidden):
        api.set_user_active(actor=actor, user_id=target, active=False)
    with pytest.raises(Forbidden):
        api.set_user_password(actor=actor, user_id=target, password=GOOD_PASSWORD)
    staff_user.refresh_from_db()
    assert staff_user.is_active
    assert staff_user.check_password(PASSWORD)
    assert staff_user.first_name == "Sam"
    assert not get_user_model().objects.filter(username="nuria").exists()
    assert not AuditRecord.objects.exists()


# --- Editing ------------------------------------------------------------------------------------------


def test_update_user_records_what_changed(api, admin_user, staff_user, clinic, other_clinic):
    draft = _draft(other_clinic, username="samuel", first_name="Sam", last_name="Staff", email="sam@clinic.test")
    updated = api.update_user(actor=admin_user, user_id=_uid(staff_user), draft=draft)
    assert updated.username == "samuel"
    assert [i.name for i in updated.institutions] == [other_clinic.name]
    event = AuditRecord.objects.get(action="user.updated")
    assert event.detail == {
        "changes": {"username": ["sam", "samuel"], "institutions": [clinic.name, other_clinic.name]}
    }


def test_update_checks_user_names_of_others_ignoring_case(api, admin_user, staff_user, limited_user, clinic):
    with pytest.raises(InvalidInput) as caught:
        api.update_user(actor=admin_user, user_id=_uid(staff_user), draft=_draft(clinic, username="LIA"))
    assert "username" in caught.value.field_errors
    # changing only the case of one's own name is fine
    updated = api.update_user(actor=admin_user, user_id=_uid(staff_user), draft=_draft(clinic, username="Sam"))
    assert updated.username == "Sam"


def test_administrators_cannot_remove_their_own_admin_role(api, admin_user, clinic):
    draft = _draft(clinic, username="ada", role=Role.STAFF)
    with pytest.raises(InvalidInput) as caught:
        api.update_user(actor=admin_user, user_id=_uid(admin_user), draft=draft)
    assert "role" in caught.value.field_errors
    assert profile_of(admin_user).role == Role.ADMINISTRATOR.value
    assert not AuditRecord.objects.exists()


def test_administrators_may_change_another_administrators_role(api, admin_user, clinic):
    other = make_user("bob", Role.ADMINISTRATOR)
    updated = api.update_user(actor=admin_user, user_id=_uid(other), draft=_draft(clinic, username="bob"))
    assert updated.role is Role.STAFF


def test_update_unknown_user(api, admin_user, clinic):
    with pytest.raises(NotFound):
        api.update_user(actor=admin_user, user_id=UNKNOWN, draft=_draft(clinic))


# --- Activating and passwords ---------------------------------------------------------------------------


def test_deactivate_and_activate(api, admin_user, staff_user):
    assert api.set_user_active(actor=admin_user, user_id=_uid(staff_user), active=False).is_active is False
    assert api.set_user_active(actor=admin_user, user_id=_uid(staff_user), active=False).is_active is False
    staff_user.refresh_from_db()
    assert not staff_user.is_active
    assert AuditRecord.objects.filter(action="user.deactivated").count() == 1  # the repeat changed nothing
    assert api.set_user_active(actor=admin_user, user_id=_uid(staff_user), active=True).is_active is True
    assert AuditRecord.objects.filter(action="user.activated", target_label="sam").exists()


def test_administrators_cannot_deactivate_themselves(api, admin_user):
    with pytest.raises(InvalidInput):
        api.set_user_active(actor=admin_user, user_id=_uid(admin_user), active=False)
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert not AuditRecord.objects.exists()


def test_set_password(api, admin_user, staff_user):
    api.set_user_password(actor=admin_user, user_id=_uid(staff_user), password=GOOD_PASSWORD)
    staff_user.refresh_from_db()
    assert staff_user.check_password(GOOD_PASSWORD)
    event = AuditRecord.objects.get(action="user.password_set")
    assert event.target_label == "sam"
    assert GOOD_PASSWORD not in str(event.detail)


@pytest.mark.parametrize("password", ["short", "qwertyuiop", "1234567890123", "sam@clinic.test"])
def test_set_password_refuses_weak_ones(api, admin_user, staff_user, password):
    with pytest.raises(InvalidInput) as caught:
        api.set_user_password(actor=admin_user, user_id=_uid(staff_user), password=password)
    assert "password" in caught.value.field_errors
    staff_user.refresh_from_db()
    assert staff_user.check_password(PASSWORD)
    assert not AuditRecord.objects.exists()
