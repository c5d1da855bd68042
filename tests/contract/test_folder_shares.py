"""Folders shared with colleagues and user groups (ShareFolderWithAccountUser / …UserGroup),
on every backend that offers them: sharing, what the dialog offers, the folder's shares,
revoking, and the recipient's "Shared with me"."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound, Unsupported
from postdicom.local.models import Institution
from postdicom.types import Capability, Folder, Role, Share, ShareAudience, ShareKind
from tests.conftest import make_user
from tests.missing import offered
from tests.postdicom.local.orders_setup import create, group_with, uid


@pytest.fixture
def colleague(clinic: Institution) -> User:
    return make_user("kenji", Role.STAFF, [clinic], first_name="健二", last_name="山田")


@pytest.fixture
def cardiology(staff_user: User) -> Folder:
    """staff_user's "Кардиология", with "Эхо" below it."""
    inner = get_api().create_folder(actor=staff_user, name="Кардиология/Эхо")
    return get_api().get_folder(actor=staff_user, folder_id=inner.ancestors[0].id)


def share_with(owner: User, folder: Folder, *users: User, may_edit: bool = False, may_reshare: bool = False) -> Share:
    (made,) = get_api().share_folder(
        actor=owner,
        folder_id=folder.id,
        audience=ShareAudience(user_ids=tuple(uid(u) for u in users)),
        may_edit=may_edit,
        may_reshare=may_reshare,
    )
    return made


def test_a_folder_shared_with_a_colleague_and_a_group(
    api: PostDicomApi, staff_user: User, colleague: User, outsider: User, cardiology: Folder
) -> None:
    """A backend either shares with account users and groups or says it cannot
    (PostDICOM's HTTP API shares folders only by link); it never half-makes the shares."""
    offered(api, Capability.SHARE_FOLDER)
    group = group_with(colleague, name="Ecografistas")
    audience = ShareAudience(user_ids=(uid(colleague),), group_ids=(group.uuid,))
    made: tuple[Share, ...] = ()
    refusal = ""
    try:
        made = api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=audience, may_edit=True)
    except Unsupported as unsupported:
        refusal = unsupported.message
    if not made:
        assert refusal
        assert get_api().folder_shares(actor=staff_user, folder_id=cardiology.id) == ()
        return
    to_user, to_group = made
    assert (to_user.kind, to_user.user and to_user.user.username, to_user.may_edit) == (ShareKind.USER, "kenji", True)
    assert (to_group.kind, to_group.group and to_group.group.name) == (ShareKind.GROUP, "Ecografistas")
    with pytest.raises(InvalidInput) as refused:
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=ShareAudience(user_ids=(uid(staff_user),)))
    assert "user_ids" in refused.value.field_errors
    with pytest.raises(NotFound):
        api.share_folder(actor=outsider, folder_id=cardiology.id, audience=ShareAudience(user_ids=(uid(colleague),)))


def test_the_share_dialog_offers_colleagues_and_the_owners_rights(
    api: PostDicomApi, staff_user: User, colleague: User, outsider: User, cardiology: Folder
) -> None:
    offered(api, Capability.FOLDER_SHARE_OPTIONS)
    group_with(colleague, name="Ecografistas")
    options = api.folder_share_options(actor=staff_user, folder_id=cardiology.id)
    assert (options.is_owner, options.may_edit, options.may_reshare) == (True, True, True)
    assert options.folder.id == cardiology.id
    usernames = {p.username for p in options.users}
    assert "kenji" in usernames
    assert "sam" not in usernames
    assert [g.name for g in options.groups] == ["Ecografistas"]
    with pytest.raises(NotFound):
        api.folder_share_options(actor=outsider, folder_id=cardiology.id)


def test_a_view_only_recipient_may_not_share_further(
    api: PostDicomApi, staff_user: User, colleague: User, cardiology: Folder
) -> None:
    offered(api, Capability.FOLDER_SHARE_OPTIONS)
    share_with(staff_user, cardiology, colleague)
    with pytest.raises(Forbidden):
        api.folder_share_options(actor=colleague, folder_id=cardiology.id)


def test_a_folders_shares_oldest_first(
    api: PostDicomApi, staff_user: User, colleague: User, outsider: User, clinic: Institution, cardiology: Folder
) -> None:
    offered(api, Capability.FOLDER_SHARES)
    third = make_user("thea", Role.STAFF, [clinic])
    first = share_with(staff_user, cardiology, colleague)
    second = share_with(staff_user, cardiology, third)
    assert [s.id for s in api.folder_shares(actor=staff_user, folder_id=cardiology.id)] == [first.id, second.id]
    with pytest.raises(NotFound):
        api.folder_shares(actor=outsider, folder_id=cardiology.id)


def test_revoking_a_folder_share_ends_the_recipients_access(
    api: PostDicomApi, staff_user: User, colleague: User, clinic: Institution, cardiology: Folder
) -> None:
    offered(api, Capability.REVOKE_FOLDER_SHARE)
    third = make_user("thea", Role.STAFF, [clinic])
    made = share_with(staff_user, cardiology, colleague)
    other = share_with(staff_user, cardiology, third)
    with pytest.raises(Forbidden):
        api.revoke_folder_share(actor=colleague, share_id=other.id)
    with pytest.raises(NotFound):
        api.revoke_folder_share(actor=staff_user, share_id=uuid4())
    api.revoke_folder_share(actor=staff_user, share_id=made.id)
    api.revoke_folder_share(actor=staff_user, share_id=made.id)
    assert get_api().shared_folders(actor=colleague).with_me == ()
    assert [s.id for s in get_api().folder_shares(actor=staff_user, folder_id=cardiology.id)] == [other.id]


def test_shared_with_me_and_with_my_groups(
    api: PostDicomApi, staff_user: User, colleague: User, outsider: User, cardiology: Folder
) -> None:
    offered(api, Capability.SHARED_FOLDERS)
    made = share_with(staff_user, cardiology, colleague, may_edit=True)
    teaching = get_api().create_folder(actor=staff_user, name="Docencia")
    group = group_with(colleague, name="Ecografistas")
    get_api().share_folder(actor=staff_user, folder_id=teaching.id, audience=ShareAudience(group_ids=(group.uuid,)))
    found = api.shared_folders(actor=colleague)
    ((mine,), (ours,)) = found.with_me, found.with_my_groups
    assert (mine.share_id, mine.folder.name, mine.owner.username, mine.may_edit) == (
        made.id,
        "Кардиология",
        "sam",
        True,
    )
    assert (ours.folder.name, ours.group and ours.group.name) == ("Docencia", "Ecografistas")
    assert api.shared_folders(actor=outsider).with_me == ()
    colleague.is_active = False
    with pytest.raises(Forbidden):
        api.shared_folders(actor=colleague)


def test_a_shared_folder_is_browsed_from_the_share_down(
    api: PostDicomApi, staff_user: User, colleague: User, outsider: User, clinic: Institution, cardiology: Folder
) -> None:
    offered(api, Capability.GET_SHARED_FOLDER)
    order = create(staff_user, clinic)
    echo = get_api().list_folders(actor=staff_user, parent_id=cardiology.id).sub_folders[0]
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[echo.id])
    share_with(staff_user, cardiology, colleague)
    top = api.get_shared_folder(actor=colleague, folder_id=cardiology.id)
    assert ([f.name for f in top.sub_folders], top.folder.all_sub_order_count) == (["Эхо"], 1)
    assert (top.access.owner.username, top.access.top.id, top.access.may_edit) == ("sam", cardiology.id, False)
    below = api.get_shared_folder(actor=colleague, folder_id=echo.id)
    assert ([a.name for a in below.folder.ancestors], below.folder.order_count) == (["Кардиология"], 1)
    assert not below.folder.rights.can_file_orders
    with pytest.raises(NotFound):
        api.get_shared_folder(actor=outsider, folder_id=cardiology.id)
    with pytest.raises(NotFound):
        api.get_shared_folder(actor=staff_user, folder_id=cardiology.id)
