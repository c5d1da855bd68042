"""The account's flag dictionary (GetAccountFlagDictionary): groups of coloured flags that
everyone reads and administrators manage."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution
from postdicom.types import Capability, FlagDraft
from tests.contract.admin_setup import deactivated, flag_group
from tests.contract.conftest import offers
from tests.postdicom.local.orders_setup import create

#: Nothing here waits for a commit: the local cases are rolled back, not flushed.
pytestmark = pytest.mark.rolled_back


@offers(Capability.FLAG_DICTIONARY)
def test_the_dictionary_lists_groups_and_their_flags_by_name(
    api: PostDicomApi, admin_user: User, limited_user: User
) -> None:
    urgency = flag_group(admin_user, "Urgencia")
    review = flag_group(admin_user, "Informe")
    red = get_api().create_flag(actor=admin_user, group_id=urgency.id, draft=FlagDraft(name="Alta", color="#D1242F"))
    done = get_api().create_flag(actor=admin_user, group_id=review.id, draft=FlagDraft(name="完了", color="#1a7f37"))
    dictionary = api.flag_dictionary(actor=limited_user)
    assert [(g.name, [f.id for f in g.flags]) for g in dictionary] == [("Informe", [done.id]), ("Urgencia", [red.id])]
    assert dictionary[1].flags[0].color == "#d1242f"
    with pytest.raises(Forbidden):
        api.flag_dictionary(actor=deactivated(limited_user))


@offers(Capability.CREATE_FLAG_GROUP)
def test_an_administrator_creates_a_flag_group_with_a_name_unique_ignoring_case(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    made = api.create_flag_group(actor=admin_user, name="Prioridad")
    assert (made.name, made.flags) == ("Prioridad", ())
    assert [g.id for g in get_api().flag_dictionary(actor=admin_user)] == [made.id]
    with pytest.raises(InvalidInput) as refused:
        api.create_flag_group(actor=admin_user, name="PRIORIDAD")
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(Forbidden):
        api.create_flag_group(actor=staff_user, name="Mía")


@offers(Capability.RENAME_FLAG_GROUP)
def test_a_flag_group_is_renamed(api: PostDicomApi, admin_user: User, staff_user: User) -> None:
    group = flag_group(admin_user)
    flag_group(admin_user, "Informe")
    renamed = api.rename_flag_group(actor=admin_user, group_id=group.id, name="Prioridad clínica")
    assert (renamed.id, renamed.name) == (group.id, "Prioridad clínica")
    with pytest.raises(InvalidInput):
        api.rename_flag_group(actor=admin_user, group_id=group.id, name="informe")
    with pytest.raises(NotFound):
        api.rename_flag_group(actor=admin_user, group_id=uuid.uuid4(), name="X")
    with pytest.raises(Forbidden):
        api.rename_flag_group(actor=staff_user, group_id=group.id, name="Mía")


@offers(Capability.DELETE_FLAG_GROUP)
def test_a_deleted_flag_group_leaves_no_flag_on_any_order(
    api: PostDicomApi, admin_user: User, staff_user: User, clinic: Institution
) -> None:
    group = flag_group(admin_user)
    flag = get_api().create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="Alta", color="#d1242f"))
    order = create(staff_user, clinic)
    get_api().set_order_flag(actor=staff_user, order_id=order.id, group_id=group.id, flag_id=flag.id)
    assert [f.id for f in get_api().order_properties(actor=staff_user, order_id=order.id).summary.flags] == [flag.id]
    with pytest.raises(Forbidden):
        api.delete_flag_group(actor=staff_user, group_id=group.id)
    api.delete_flag_group(actor=admin_user, group_id=group.id)
    assert get_api().flag_dictionary(actor=admin_user) == ()
    assert get_api().order_properties(actor=staff_user, order_id=order.id).summary.flags == ()
    with pytest.raises(NotFound):
        api.delete_flag_group(actor=admin_user, group_id=group.id)


@offers(Capability.CREATE_FLAG)
def test_a_flag_is_made_in_its_group_with_a_colour(api: PostDicomApi, admin_user: User, staff_user: User) -> None:
    group = flag_group(admin_user)
    made = api.create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="Urgente", color="#FFAA00"))
    assert (made.group_id, made.name, made.color) == (group.id, "Urgente", "#ffaa00")
    with pytest.raises(InvalidInput) as refused:
        api.create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="Roja", color="red"))
    assert set(refused.value.field_errors) == {"color"}
    with pytest.raises(InvalidInput) as refused:
        api.create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="urgente", color="#000000"))
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(NotFound):
        api.create_flag(actor=admin_user, group_id=uuid.uuid4(), draft=FlagDraft(name="X", color="#000000"))
    with pytest.raises(Forbidden):
        api.create_flag(actor=staff_user, group_id=group.id, draft=FlagDraft(name="Mía", color="#000000"))


@offers(Capability.UPDATE_FLAG)
def test_a_flag_is_renamed_and_recoloured(api: PostDicomApi, admin_user: User, staff_user: User) -> None:
    group = flag_group(admin_user)
    flag = get_api().create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="Alta", color="#d1242f"))
    changed = api.update_flag(actor=admin_user, flag_id=flag.id, draft=FlagDraft(name="Muy alta", color="#8B0000"))
    assert (changed.id, changed.name, changed.color) == (flag.id, "Muy alta", "#8b0000")
    with pytest.raises(InvalidInput) as refused:
        api.update_flag(actor=admin_user, flag_id=flag.id, draft=FlagDraft(name="", color="#8b0000"))
    assert set(refused.value.field_errors) == {"name"}
    with pytest.raises(NotFound):
        api.update_flag(actor=admin_user, flag_id=uuid.uuid4(), draft=FlagDraft(name="X", color="#000000"))
    with pytest.raises(Forbidden):
        api.update_flag(actor=staff_user, flag_id=flag.id, draft=FlagDraft(name="Mía", color="#000000"))


@offers(Capability.DELETE_FLAG)
def test_a_deleted_flag_is_gone_from_its_group(api: PostDicomApi, admin_user: User, staff_user: User) -> None:
    group = flag_group(admin_user)
    flag = get_api().create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft(name="Alta", color="#d1242f"))
    with pytest.raises(Forbidden):
        api.delete_flag(actor=staff_user, flag_id=flag.id)
    api.delete_flag(actor=admin_user, flag_id=flag.id)
    assert [g.flags for g in get_api().flag_dictionary(actor=admin_user)] == [()]
    with pytest.raises(NotFound):
        api.delete_flag(actor=admin_user, flag_id=flag.id)
