"""The flag dictionary in the embedded backend: everyone reads it, administrators change it."""

import uuid

import pytest

from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, FlagGroupRecord, FlagRecord
from postdicom.types import FlagDraft, Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
NON_ADMINS = ["staff_user", "limited_user", "outsider"]


@pytest.fixture
def group(db):
    return FlagGroupRecord.objects.create(name="Priority")


@pytest.fixture
def flag(group):
    return FlagRecord.objects.create(group=group, name="Urgent", color="#d1242f")


@pytest.mark.parametrize("persona", ["admin_user", *NON_ADMINS])
def test_every_active_user_reads_the_dictionary(request, api, persona, group, flag):
    FlagRecord.objects.create(group=group, name="Routine", color="#1a7f37")
    FlagGroupRecord.objects.create(name="Billing")
    groups = api.flag_dictionary(actor=request.getfixturevalue(persona))
    assert [g.name for g in groups] == ["Billing", "Priority"]
    assert [(f.name, f.color, f.group_id) for f in groups[1].flags] == [
        ("Routine", "#1a7f37", group.uuid),
        ("Urgent", "#d1242f", group.uuid),
    ]


def test_inactive_user_reads_nothing(api, group):
    with pytest.raises(Forbidden):
        api.flag_dictionary(actor=make_user("gone", Role.STAFF, is_active=False))


def test_create_group(api, admin_user):
    created = api.create_flag_group(actor=admin_user, name="  Report   status ")
    assert (created.name, created.flags) == ("Report status", ())
    event = AuditRecord.objects.get(action="flag_group.created")
    assert (event.actor, event.target_type, event.target_id, event.target_label) == (
        admin_user,
        "flag_group",
        str(created.id),
        "Report status",
    )


@pytest.mark.parametrize("name", ["priority", "PRIORITY", " Priority "])
def test_duplicate_group_names_are_refused_ignoring_case(api, admin_user, group, name):
    with pytest.raises(InvalidInput) as caught:
        api.create_flag_group(actor=admin_user, name=name)
    assert list(caught.value.field_errors) == ["name"]
    assert FlagGroupRecord.objects.count() == 1


@pytest.mark.parametrize("name", ["", "  ", "x" * 81])
def test_blank_or_long_group_names_are_refused(api, admin_user, name):
    with pytest.raises(InvalidInput) as caught:
        api.create_flag_group(actor=admin_user, name=name)
    assert list(caught.value.field_errors) == ["name"]


def test_rename_group(api, admin_user, group):
    renamed = api.rename_flag_group(actor=admin_user, group_id=group.uuid, name="Urgency")
    assert renamed.name == "Urgency"
    event = AuditRecord.objects.get(action="flag_group.renamed")
    assert event.detail == {"renamed_from": "Priority"}
    assert api.rename_flag_group(actor=admin_user, group_id=group.uuid, name="URGENCY").name == "URGENCY"


def test_rename_into_a_clash_is_refused(api, admin_user, group):
    FlagGroupRecord.objects.create(name="Billing")
    with pytest.raises(InvalidInput):
        api.rename_flag_group(actor=admin_user, group_id=group.uuid, name="billing")
    group.refresh_from_db()
    assert group.name == "Priority"


def test_delete_group_takes_its_flags(api, admin_user, group, flag):
    api.delete_flag_group(actor=admin_user, group_id=group.uuid)
    assert not FlagGroupRecord.objects.exists()
    assert not FlagRecord.objects.exists()
    event = AuditRecord.objects.get(action="flag_group.deleted")
    assert (event.target_id, event.detail) == (str(group.uuid), {"flags": ["Urgent"]})


def test_unknown_group(api, admin_user):
    with pytest.raises(NotFound):
        api.rename_flag_group(actor=admin_user, group_id=UNKNOWN, name="X")
    with pytest.raises(NotFound):
        api.delete_flag_group(actor=admin_user, group_id=UNKNOWN)
    with pytest.raises(NotFound):
        api.create_flag(actor=admin_user, group_id=UNKNOWN, draft=FlagDraft("X", "#000000"))


def test_create_flag(api, admin_user, group):
    created = api.create_flag(actor=admin_user, group_id=group.uuid, draft=FlagDraft(" Routine ", "#1A7F37"))
    assert (created.name, created.color, created.group_id) == ("Routine", "#1a7f37", group.uuid)
    event = AuditRecord.objects.get(action="flag.created")
    assert (event.target_type, event.target_id, event.target_label, event.detail) == (
        "flag",
        str(created.id),
        "Priority: Routine",
        {"color": "#1a7f37"},
    )


@pytest.mark.parametrize("color", ["", "red", "#12345", "#1234567", "#gggggg", "1a7f37", "#1a7f37 ", "#1a7f37\n"])
def test_bad_colours_are_refused(api, admin_user, group, color):
    with pytest.raises(InvalidInput) as caught:
        api.create_flag(actor=admin_user, group_id=group.uuid, draft=FlagDraft("Stat", color))
    assert caught.value.field_errors == {"color": ["Choose a colour like #1a7f37."]}
    assert not FlagRecord.objects.exists()


def test_flag_names_are_unique_within_a_group_ignoring_case(api, admin_user, group, flag):
    with pytest.raises(InvalidInput) as caught:
        api.create_flag(actor=admin_user, group_id=group.uuid, draft=FlagDraft("URGENT", "#000000"))
    assert list(caught.value.field_errors) == ["name"]
    other = FlagGroupRecord.objects.create(name="Billing")
    assert api.create_flag(actor=admin_user, group_id=other.uuid, draft=FlagDraft("Urgent", "#000000")).name == "Urgent"


def test_update_flag(api, admin_user, flag):
    saved = api.update_flag(actor=admin_user, flag_id=flag.uuid, draft=FlagDraft("Very urgent", "#8250DF"))
    assert (saved.name, saved.color) == ("Very urgent", "#8250df")
    event = AuditRecord.objects.get(action="flag.updated")
    assert event.detail == {"before": {"name": "Urgent", "color": "#d1242f"}}
    assert api.update_flag(actor=admin_user, flag_id=flag.uuid, draft=FlagDraft("VERY URGENT", "#8250df")).name == (
        "VERY URGENT"
    )


def test_update_flag_into_a_clash_or_bad_colour_is_refused(api, admin_user, group, flag):
    routine = FlagRecord.objects.create(group=group, name="Routine", color="#1a7f37")
    with pytest.raises(InvalidInput):
        api.update_flag(actor=admin_user, flag_id=routine.uuid, draft=FlagDraft("urgent", "#1a7f37"))
    with pytest.raises(InvalidInput):
        api.update_flag(actor=admin_user, flag_id=routine.uuid, draft=FlagDraft("Routine", "green"))
    routine.refresh_from_db()
    assert (routine.name, routine.color) == ("Routine", "#1a7f37")


def test_delete_flag(api, admin_user, flag):
    api.delete_flag(actor=admin_user, flag_id=flag.uuid)
    assert not FlagRecord.objects.exists()
    assert AuditRecord.objects.get(action="flag.deleted").target_id == str(flag.uuid)


def test_unknown_flag(api, admin_user):
    with pytest.raises(NotFound):
        api.update_flag(actor=admin_user, flag_id=UNKNOWN, draft=FlagDraft("X", "#000000"))
    with pytest.raises(NotFound):
        api.delete_flag(actor=admin_user, flag_id=UNKNOWN)


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admins_cannot_change_the_dictionary(request, api, persona, group, flag):
    actor = request.getfixturevalue(persona)
    attempts = [
        lambda: api.create_flag_group(actor=actor, name="Mine"),
        lambda: api.rename_flag_group(actor=actor, group_id=group.uuid, name="Mine"),
        lambda: api.delete_flag_group(actor=actor, group_id=group.uuid),
        lambda: api.create_flag(actor=actor, group_id=group.uuid, draft=FlagDraft("Mine", "#000000")),
        lambda: api.update_flag(actor=actor, flag_id=flag.uuid, draft=FlagDraft("Mine", "#000000")),
        lambda: api.delete_flag(actor=actor, flag_id=flag.uuid),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert list(FlagGroupRecord.objects.values_list("name", flat=True)) == ["Priority"]
    assert list(FlagRecord.objects.values_list("name", "color")) == [("Urgent", "#d1242f")]
    assert not AuditRecord.objects.filter(action__startswith="flag").exists()
