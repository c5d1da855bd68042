"""Folders shared with account users and user groups: sharing, listing, browsing, editing
through a share, re-sharing, revoking, expiry, and what limited users see through a share."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, Folder, FolderOrder, FolderShare, Institution
from postdicom.types import Folder as FolderType
from postdicom.types import OrderQuery, PersonRef, Role, ShareAudience
from tests.conftest import make_user
from tests.postdicom.local.orders_setup import create, group_with, uid

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def to_users(*users: User) -> ShareAudience:
    return ShareAudience(user_ids=tuple(uid(u) for u in users))


def to_groups(*groups) -> ShareAudience:
    return ShareAudience(group_ids=tuple(g.uuid for g in groups))


def name_of(ref: Any) -> str:
    """The name of a ``FolderRef``/``PersonRef``/``GroupRef`` that must be there."""
    assert ref is not None
    return ref.name


def username_of(person: PersonRef | None) -> str:
    assert person is not None
    return person.username


def field_error(caught: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    assert field in caught.value.field_errors, caught.value.field_errors
    return caught.value.field_errors[field][0]


def shared_names(actor: User) -> tuple[list[str], list[str]]:
    found = get_api().shared_folders(actor=actor)
    return [e.folder.name for e in found.with_me], [e.folder.name for e in found.with_my_groups]


def events(action_prefix: str = "folder.share") -> list[tuple[str, str, dict]]:
    rows = AuditRecord.objects.filter(action__startswith=action_prefix).order_by("at", "id")
    return [(r.action, r.target_label, r.detail) for r in rows]


@pytest.fixture
def colleague(clinic: Institution) -> User:
    return make_user("cole", Role.STAFF, [clinic], first_name="Cole", last_name="League")


@pytest.fixture
def third(clinic: Institution) -> User:
    return make_user("thea", Role.STAFF, [clinic], first_name="Thea", last_name="Third")


@pytest.fixture
def cardiology(staff_user: User) -> FolderType:
    """staff_user's Cardiology, with 2026 and 2026/March below it."""
    api = get_api()
    api.create_folder(actor=staff_user, name="Cardiology/2026/March")
    return next(f for f in api.folder_tree(actor=staff_user) if f.name == "Cardiology")


def sub(owner: User, path: str) -> FolderType:
    return next(f for f in get_api().folder_tree(actor=owner) if f.path_label == path)


@pytest.fixture
def restricted_order(staff_user: User, clinic: Institution, cardiology: FolderType):
    """An order of clinic that limited users do not see, filed in Cardiology / 2026."""
    order = create(staff_user, clinic, accession_number="AN-R", patient_name="Hidden^Hilda")
    get_api().add_order_to_folders(
        actor=staff_user, order_id=order.id, folder_ids=[sub(staff_user, "Cardiology / 2026").id]
    )
    return order


class TestShareWithUsers:
    def test_the_recipient_sees_it_under_shared_with_me(
        self, staff_user: User, colleague: User, cardiology: FolderType
    ) -> None:
        (share,) = get_api().share_folder(
            actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), may_edit=True
        )
        assert (name_of(share.folder), name_of(share.user), share.group, username_of(share.shared_by)) == (
            "Cardiology",
            "Cole League",
            None,
            "sam",
        )
        assert (share.may_edit, share.may_reshare, share.includes_restricted_orders, share.expires) == (
            True,
            False,
            False,
            None,
        )
        found = get_api().shared_folders(actor=colleague)
        (entry,) = found.with_me
        assert found.with_my_groups == ()
        assert (entry.folder.id, entry.owner.name, entry.may_edit, entry.may_reshare) == (
            cardiology.id,
            "Sam Staff",
            True,
            False,
        )
        assert events() == [
            (
                "folder.shared",
                "Cardiology",
                {
                    "user": "Cole League",
                    "may_edit": True,
                    "may_reshare": False,
                    "includes_restricted_orders": False,
                    "expires": None,
                },
            )
        ]

    def test_several_recipients_make_one_share_each(
        self, staff_user: User, colleague: User, limited_user: User, cardiology: FolderType
    ) -> None:
        shares = get_api().share_folder(
            actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague, limited_user, colleague)
        )
        assert [username_of(s.user) for s in shares] == ["cole", "lia"]
        assert shared_names(limited_user) == (["Cardiology"], [])

    def test_nobody_else_sees_it(
        self, staff_user: User, colleague: User, third: User, admin_user: User, outsider: User, cardiology
    ) -> None:
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        for other in (third, admin_user, outsider):
            assert shared_names(other) == ([], [])
            with pytest.raises(NotFound):
                get_api().get_shared_folder(actor=other, folder_id=cardiology.id)
        assert shared_names(staff_user) == ([], [])  # the owner's own folder is not "shared with" them

    def test_the_recipient_still_cannot_use_it_as_their_own(
        self, staff_user: User, colleague: User, cardiology
    ) -> None:
        api = get_api()
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), may_edit=True)
        with pytest.raises(NotFound):
            api.get_folder(actor=colleague, folder_id=cardiology.id)
        with pytest.raises(NotFound):
            api.move_folder(actor=colleague, folder_id=cardiology.id, parent_id=None)
        with pytest.raises(NotFound):
            api.delete_folder(actor=colleague, folder_id=cardiology.id)
        assert api.folder_tree(actor=colleague).folders == ()

    def test_sharing_again_changes_the_share(self, staff_user: User, colleague: User, cardiology) -> None:
        api = get_api()
        (first,) = api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        end = today() + dt.timedelta(days=7)
        (again,) = api.share_folder(
            actor=staff_user,
            folder_id=cardiology.id,
            audience=to_users(colleague),
            may_edit=True,
            expires=end,
        )
        assert again.id == first.id
        assert (again.may_edit, again.expires) == (True, end)
        assert FolderShare.objects.count() == 1
        action, _label, detail = events()[-1]
        assert action == "folder.share_changed"
        assert detail["changes"] == {"may_edit": [False, True], "expires": [None, end.isoformat()]}

    def test_sharing_again_unchanged_writes_nothing(self, staff_user: User, colleague: User, cardiology) -> None:
        api = get_api()
        for _ in range(2):
            api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        assert [e[0] for e in events()] == ["folder.shared"]

    def test_a_sub_folder_shows_from_the_shared_folder_down(self, staff_user: User, colleague: User, cardiology):
        api = get_api()
        year = sub(staff_user, "Cardiology / 2026")
        api.share_folder(actor=staff_user, folder_id=year.id, audience=to_users(colleague))
        listing = api.get_shared_folder(actor=colleague, folder_id=year.id)
        assert (listing.folder.ancestors, listing.folder.parent_id) == ((), None)
        assert [f.name for f in listing.sub_folders] == ["March"]
        march = api.get_shared_folder(actor=colleague, folder_id=listing.sub_folders[0].id)
        assert [a.name for a in march.folder.ancestors] == ["2026"]
        assert (march.access.top.name, march.access.owner.name) == ("2026", "Sam Staff")
        with pytest.raises(NotFound):  # above the shared folder: still private
            api.get_shared_folder(actor=colleague, folder_id=cardiology.id)

    def test_a_folder_moved_out_is_no_longer_shared(self, staff_user: User, colleague: User, cardiology) -> None:
        api = get_api()
        march = sub(staff_user, "Cardiology / 2026 / March")
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        api.get_shared_folder(actor=colleague, folder_id=march.id)
        api.move_folder(actor=staff_user, folder_id=march.id, parent_id=None)
        with pytest.raises(NotFound):
            api.get_shared_folder(actor=colleague, folder_id=march.id)

    def test_counts_are_of_what_the_recipient_sees(
        self, staff_user: User, colleague: User, limited_user: User, cardiology, restricted_order
    ) -> None:
        api = get_api()
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague, limited_user))
        seen = api.get_shared_folder(actor=colleague, folder_id=cardiology.id).folder
        assert (seen.order_count, seen.all_sub_order_count, seen.all_sub_folder_count) == (0, 1, 2)
        hidden = api.get_shared_folder(actor=limited_user, folder_id=cardiology.id).folder
        assert (hidden.all_sub_order_count, hidden.all_sub_folder_count) == (0, 2)


class TestAudienceAndRecipients:
    def test_accounts_and_email_together_are_refused(self, staff_user: User, colleague: User, cardiology) -> None:
        with pytest.raises(InvalidInput):
            get_api().share_folder(
                actor=staff_user,
                folder_id=cardiology.id,
                audience=ShareAudience(email="a@b.test", user_ids=(uid(colleague),)),
            )

    def test_nobody_chosen(self, staff_user: User, cardiology) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=ShareAudience())
        assert "at least one" in field_error(caught, "user_ids")

    def test_not_with_oneself(self, staff_user: User, cardiology) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(staff_user))
        assert "yourself" in field_error(caught, "user_ids")

    def test_unknown_invisible_and_inactive_users_are_refused(
        self, staff_user: User, outsider: User, clinic: Institution, cardiology
    ) -> None:
        gone = make_user("gone", Role.STAFF, [clinic], is_active=False)
        for audience in (ShareAudience(user_ids=(uuid4(),)), to_users(outsider), to_users(gone)):
            with pytest.raises(InvalidInput) as caught:
                get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=audience)
            assert field_error(caught, "user_ids")
        assert not FolderShare.objects.exists()

    def test_an_administrator_may_share_with_anyone(self, admin_user: User, outsider: User) -> None:
        folder = get_api().create_folder(actor=admin_user, name="Teaching")
        get_api().share_folder(actor=admin_user, folder_id=folder.id, audience=to_users(outsider))
        assert shared_names(outsider) == (["Teaching"], [])

    def test_unknown_group(self, staff_user: User, cardiology) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(
                actor=staff_user, folder_id=cardiology.id, audience=ShareAudience(group_ids=(uuid4(),))
            )
        assert field_error(caught, "group_ids")

    def test_a_past_day(self, staff_user: User, colleague: User, cardiology) -> None:
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(
                actor=staff_user,
                folder_id=cardiology.id,
                audience=to_users(colleague),
                expires=today() - dt.timedelta(days=1),
            )
        assert field_error(caught, "expires")

    def test_someone_elses_folder(self, staff_user: User, colleague: User, admin_user: User, cardiology) -> None:
        for actor in (colleague, admin_user):
            with pytest.raises(NotFound):
                get_api().share_folder(actor=actor, folder_id=cardiology.id, audience=to_users(staff_user))
        with pytest.raises(NotFound):
            get_api().share_folder(actor=staff_user, folder_id=uuid4(), audience=to_users(colleague))

    def test_inactive_actor(self, staff_user: User, colleague: User, cardiology) -> None:
        staff_user.is_active = False
        staff_user.save()
        with pytest.raises(Forbidden):
            get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))


class TestGroups:
    def test_members_see_it_under_shared_with_my_groups(
        self, staff_user: User, colleague: User, third: User, cardiology
    ) -> None:
        team = group_with(colleague, name="Echo team")
        (share,) = get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_groups(team))
        assert (name_of(share.group), share.user) == ("Echo team", None)
        found = get_api().shared_folders(actor=colleague)
        assert found.with_me == ()
        assert name_of(found.with_my_groups[0].group) == "Echo team"
        assert shared_names(third) == ([], [])
        assert events()[-1][2]["group"] == "Echo team"

    def test_membership_changes_take_effect_at_once(
        self, staff_user: User, colleague: User, third: User, cardiology
    ) -> None:
        team = group_with(colleague, name="Echo team")
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_groups(team))
        team.members.add(third)
        assert shared_names(third) == ([], ["Cardiology"])
        team.members.remove(colleague)
        assert shared_names(colleague) == ([], [])
        with pytest.raises(NotFound):
            get_api().get_shared_folder(actor=colleague, folder_id=cardiology.id)

    def test_shared_with_me_and_my_group_lists_both(self, staff_user: User, colleague: User, cardiology) -> None:
        team = group_with(colleague, name="Echo team")
        get_api().share_folder(
            actor=staff_user,
            folder_id=cardiology.id,
            audience=ShareAudience(user_ids=(uid(colleague),), group_ids=(team.uuid,)),
        )
        assert shared_names(colleague) == (["Cardiology"], ["Cardiology"])

    def test_the_owner_in_the_group_does_not_see_it_as_shared(self, staff_user: User, colleague, cardiology) -> None:
        team = group_with(staff_user, colleague)
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_groups(team))
        assert shared_names(staff_user) == ([], [])

    def test_limited_users_share_only_with_their_own_groups(
        self, limited_user: User, colleague: User, clinic: Institution
    ) -> None:
        mine = group_with(limited_user, colleague, name="Mine")
        other = group_with(colleague, name="Other")
        folder = get_api().create_folder(actor=limited_user, name="Referrals")
        get_api().share_folder(actor=limited_user, folder_id=folder.id, audience=to_groups(mine))
        with pytest.raises(InvalidInput):
            get_api().share_folder(actor=limited_user, folder_id=folder.id, audience=to_groups(other))
        with pytest.raises(InvalidInput):  # limited users see no other users to choose
            get_api().share_folder(actor=limited_user, folder_id=folder.id, audience=to_users(colleague))


class TestExpiryAndRevoking:
    def test_a_share_works_through_its_last_day(self, staff_user: User, colleague: User, cardiology) -> None:
        (share,) = get_api().share_folder(
            actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), expires=today()
        )
        assert shared_names(colleague) == (["Cardiology"], [])
        assert get_api().shared_folders(actor=colleague).with_me[0].expires == today()
        FolderShare.objects.filter(uuid=share.id).update(expires=today() - dt.timedelta(days=1))
        assert shared_names(colleague) == ([], [])
        with pytest.raises(NotFound):
            get_api().get_shared_folder(actor=colleague, folder_id=cardiology.id)
        (listed,) = get_api().folder_shares(actor=staff_user, folder_id=cardiology.id)
        assert listed.expired

    def test_sharing_again_renews_an_expired_share(self, staff_user: User, colleague: User, cardiology) -> None:
        (share,) = get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        FolderShare.objects.filter(uuid=share.id).update(expires=today() - dt.timedelta(days=1))
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        assert shared_names(colleague) == (["Cardiology"], [])

    def test_the_owner_revokes(self, staff_user: User, colleague: User, cardiology) -> None:
        api = get_api()
        (share,) = api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        api.revoke_folder_share(actor=staff_user, share_id=share.id)
        assert shared_names(colleague) == ([], [])
        assert api.folder_shares(actor=staff_user, folder_id=cardiology.id) == ()
        row = FolderShare.objects.get(uuid=share.id)
        assert row.revoked_at is not None
        assert row.revoked_by == staff_user
        assert events()[-1][:2] == ("folder.share_revoked", "Cardiology")
        api.revoke_folder_share(actor=staff_user, share_id=share.id)  # twice: nothing more
        assert [e[0] for e in events()].count("folder.share_revoked") == 1
        # a new share can be made after a revoked one
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        assert shared_names(colleague) == (["Cardiology"], [])

    def test_who_may_revoke(
        self, staff_user: User, colleague: User, outsider: User, admin_user: User, cardiology
    ) -> None:
        api = get_api()
        (share,) = api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        with pytest.raises(Forbidden):  # the recipient knows the folder but did not make the share
            api.revoke_folder_share(actor=colleague, share_id=share.id)
        for stranger in (outsider, admin_user):
            with pytest.raises(NotFound):
                api.revoke_folder_share(actor=stranger, share_id=share.id)
        with pytest.raises(NotFound):
            api.revoke_folder_share(actor=staff_user, share_id=uuid4())
        assert shared_names(colleague) == (["Cardiology"], [])

    def test_who_may_list_the_shares(self, staff_user: User, colleague: User, outsider: User, cardiology) -> None:
        api = get_api()
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        listed = api.folder_shares(actor=staff_user, folder_id=cardiology.id)
        assert [username_of(s.user) for s in listed] == ["cole"]
        assert api.folder_shares(actor=colleague, folder_id=cardiology.id) == ()  # made none
        with pytest.raises(NotFound):
            api.folder_shares(actor=outsider, folder_id=cardiology.id)

    def test_an_inactive_owner_shares_nothing(self, staff_user: User, colleague: User, cardiology) -> None:
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        staff_user.is_active = False
        staff_user.save()
        assert shared_names(colleague) == ([], [])

    def test_deleting_the_folder_ends_its_shares(self, staff_user: User, colleague: User, cardiology) -> None:
        api = get_api()
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        api.delete_folder(actor=staff_user, folder_id=cardiology.id)
        assert shared_names(colleague) == ([], [])
        assert not FolderShare.objects.exists()
        assert AuditRecord.objects.get(action="folder.deleted").detail["shares_ended"] == 1


class TestEditingThroughAShare:
    def test_view_only_recipients_change_nothing(
        self, staff_user: User, colleague: User, clinic: Institution, cardiology
    ) -> None:
        api = get_api()
        order = create(staff_user, clinic)
        march = sub(staff_user, "Cardiology / 2026 / March")
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        with pytest.raises(Forbidden):
            api.add_order_to_folders(actor=colleague, order_id=order.id, folder_ids=[march.id])
        with pytest.raises(Forbidden):
            api.create_folder(actor=colleague, name="Mine", parent_id=march.id)
        with pytest.raises(Forbidden):
            api.update_folder(actor=colleague, folder_id=march.id, name="Renamed", description="")
        with pytest.raises(Forbidden):
            api.remove_orders_from_folder(actor=colleague, folder_id=march.id, order_ids=[order.id])
        assert not FolderOrder.objects.exists()

    def test_editors_file_create_rename_and_remove(
        self, staff_user: User, colleague: User, clinic: Institution, cardiology
    ) -> None:
        api = get_api()
        order = create(staff_user, clinic)
        own = api.create_folder(actor=colleague, name="My own")
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), may_edit=True)
        # filing into the shared folder and one's own at once
        assert api.add_order_to_folders(actor=colleague, order_id=order.id, folder_ids=[cardiology.id, own.id]) == 2
        assert api.get_folder(actor=staff_user, folder_id=cardiology.id).order_count == 1
        created = api.create_folder(actor=colleague, name="Reports/2027", parent_id=cardiology.id)
        assert [a.name for a in created.ancestors] == ["Cardiology", "Reports"]
        row = Folder.objects.get(uuid=created.id)
        assert row.owner == staff_user  # the owner's tree grows
        assert sub(staff_user, "Cardiology / Reports / 2027").id == created.id
        renamed = api.update_folder(actor=colleague, folder_id=created.id, name="2028", description="x")
        assert (renamed.name, [a.name for a in renamed.ancestors]) == ("2028", ["Cardiology", "Reports"])
        with pytest.raises(Forbidden):  # the shared folder itself keeps its owner's name
            api.update_folder(actor=colleague, folder_id=cardiology.id, name="Mine now", description="")
        assert api.remove_orders_from_folder(actor=colleague, folder_id=cardiology.id, order_ids=[order.id]) == 1
        trail = AuditRecord.objects.filter(actor=colleague, target_type="folder").order_by("id")
        owners = {r.action: r.detail.get("owner") for r in trail}
        assert owners["folder.created"] == "sam"
        assert owners["folder.renamed"] == "sam"
        assert owners["folder.order_removed"] == "sam"

    def test_editors_cannot_create_a_name_taken_in_the_owners_tree(
        self, staff_user: User, colleague: User, cardiology
    ) -> None:
        api = get_api()
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), may_edit=True)
        with pytest.raises(InvalidInput) as caught:
            api.create_folder(actor=colleague, name="2026", parent_id=cardiology.id)
        assert field_error(caught, "name")

    def test_editors_file_only_orders_they_see(
        self, staff_user: User, limited_user: User, clinic: Institution, cardiology
    ) -> None:
        api = get_api()
        order = create(staff_user, clinic)
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(limited_user), may_edit=True)
        with pytest.raises(NotFound):
            api.add_order_to_folders(actor=limited_user, order_id=order.id, folder_ids=[cardiology.id])

    def test_a_revoked_editor_is_back_to_nothing(
        self, staff_user: User, colleague: User, clinic: Institution, cardiology
    ) -> None:
        api = get_api()
        order = create(staff_user, clinic)
        (share,) = api.share_folder(
            actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague), may_edit=True
        )
        api.revoke_folder_share(actor=staff_user, share_id=share.id)
        with pytest.raises(NotFound):
            api.add_order_to_folders(actor=colleague, order_id=order.id, folder_ids=[cardiology.id])

    def test_the_order_filter_works_on_a_shared_folder(
        self, staff_user: User, colleague: User, outsider: User, cardiology, restricted_order
    ) -> None:
        api = get_api()
        year = sub(staff_user, "Cardiology / 2026")
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(colleague))
        page = api.search_orders(actor=colleague, query=OrderQuery(folder_id=year.id))
        assert [o.id for o in page.items] == [restricted_order.id]
        with pytest.raises(InvalidInput):
            api.search_orders(actor=outsider, query=OrderQuery(folder_id=year.id))
        # the shared top folder with its sub-folders holds it too
        assert api.search_orders(actor=colleague, query=OrderQuery(folder_id=cardiology.id)).total == 0
        below = api.search_orders(actor=colleague, query=OrderQuery(folder_id=cardiology.id, include_sub_folders=True))
        assert [o.id for o in below.items] == [restricted_order.id]


class TestRestrictedOrders:
    """A limited user never sees through a folder an order they may not see, unless the
    share explicitly includes restricted orders; then order pages and search agree."""

    def _check_sees(self, limited_user: User, order_id, folder_id, *, sees: bool) -> None:
        api = get_api()
        everything = api.search_orders(actor=limited_user, query=OrderQuery())
        assert (order_id in [o.id for o in everything.items]) is sees
        try:
            in_folder = [
                o.id for o in api.search_orders(actor=limited_user, query=OrderQuery(folder_id=folder_id)).items
            ]
        except InvalidInput:  # the folder is no longer shared with them at all
            in_folder = []
        assert (order_id in in_folder) is sees
        if sees:
            assert api.order_properties(actor=limited_user, order_id=order_id).summary.id == order_id
        else:
            with pytest.raises(NotFound):
                api.order_properties(actor=limited_user, order_id=order_id)

    def test_without_the_permission_nothing_new_is_seen(
        self, staff_user: User, limited_user: User, cardiology, restricted_order
    ) -> None:
        year = sub(staff_user, "Cardiology / 2026")
        get_api().share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_users(limited_user))
        self._check_sees(limited_user, restricted_order.id, year.id, sees=False)

    def test_with_the_permission_the_folder_and_below_are_seen(
        self, staff_user: User, limited_user: User, clinic: Institution, cardiology, restricted_order
    ) -> None:
        api = get_api()
        year = sub(staff_user, "Cardiology / 2026")
        elsewhere = create(staff_user, clinic, accession_number="AN-X")  # not filed: stays hidden
        (share,) = api.share_folder(
            actor=staff_user,
            folder_id=cardiology.id,
            audience=to_users(limited_user),
            includes_restricted_orders=True,
        )
        self._check_sees(limited_user, restricted_order.id, year.id, sees=True)
        with pytest.raises(NotFound):
            api.order_properties(actor=limited_user, order_id=elsewhere.id)
        listing = api.get_shared_folder(actor=limited_user, folder_id=cardiology.id)
        assert listing.folder.all_sub_order_count == 1
        assert listing.access.includes_restricted_orders
        with pytest.raises(Forbidden):  # seeing is not managing
            api.delete_order(actor=limited_user, order_id=restricted_order.id)
        api.revoke_folder_share(actor=staff_user, share_id=share.id)
        self._check_sees(limited_user, restricted_order.id, year.id, sees=False)

    def test_through_a_group_share_too(
        self, staff_user: User, limited_user: User, cardiology, restricted_order
    ) -> None:
        team = group_with(limited_user, name="Referrers")
        get_api().share_folder(
            actor=staff_user, folder_id=cardiology.id, audience=to_groups(team), includes_restricted_orders=True
        )
        year = sub(staff_user, "Cardiology / 2026")
        self._check_sees(limited_user, restricted_order.id, year.id, sees=True)
        team.members.remove(limited_user)
        self._check_sees(limited_user, restricted_order.id, year.id, sees=False)

    def test_an_expired_share_shows_nothing(
        self, staff_user: User, limited_user: User, cardiology, restricted_order
    ) -> None:
        (share,) = get_api().share_folder(
            actor=staff_user,
            folder_id=cardiology.id,
            audience=to_users(limited_user),
            includes_restricted_orders=True,
        )
        FolderShare.objects.filter(uuid=share.id).update(expires=today() - dt.timedelta(days=1))
        self._check_sees(limited_user, restricted_order.id, sub(staff_user, "Cardiology / 2026").id, sees=False)

    def test_never_more_than_the_owner_sees(
        self,
        staff_user: User,
        limited_user: User,
        admin_user: User,
        other_clinic: Institution,
        cardiology,
        restricted_order,
    ) -> None:
        api = get_api()
        api.share_folder(
            actor=staff_user,
            folder_id=cardiology.id,
            audience=to_users(limited_user),
            includes_restricted_orders=True,
        )
        api.move_order_to_institution(actor=admin_user, order_id=restricted_order.id, institution_id=other_clinic.uuid)
        self._check_sees(limited_user, restricted_order.id, sub(staff_user, "Cardiology / 2026").id, sees=False)

    def test_staff_of_another_institution_see_them_only_with_the_permission(
        self, admin_user: User, outsider: User, clinic: Institution
    ) -> None:
        api = get_api()
        order = create(admin_user, clinic, accession_number="AN-S")
        folder = api.create_folder(actor=admin_user, name="Second opinions")
        api.add_order_to_folders(actor=admin_user, order_id=order.id, folder_ids=[folder.id])
        (_share,) = api.share_folder(actor=admin_user, folder_id=folder.id, audience=to_users(outsider))
        with pytest.raises(NotFound):
            api.order_properties(actor=outsider, order_id=order.id)
        api.share_folder(
            actor=admin_user, folder_id=folder.id, audience=to_users(outsider), includes_restricted_orders=True
        )
        assert api.order_properties(actor=outsider, order_id=order.id).summary.id == order.id
        found = api.search_orders(actor=outsider, query=OrderQuery())
        assert order.id in [o.id for o in found.items]

    def test_limited_owners_cannot_pass_on_restricted_orders(self, limited_user: User, clinic: Institution) -> None:
        team = group_with(limited_user, name="Mine")
        folder = get_api().create_folder(actor=limited_user, name="Referrals")
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(
                actor=limited_user, folder_id=folder.id, audience=to_groups(team), includes_restricted_orders=True
            )
        assert field_error(caught, "includes_restricted_orders")


class TestResharing:
    def _share(self, owner: User, folder_id, recipient: User, **rights):
        (share,) = get_api().share_folder(actor=owner, folder_id=folder_id, audience=to_users(recipient), **rights)
        return share

    def test_without_the_right_it_is_forbidden(self, staff_user: User, colleague: User, third: User, cardiology):
        self._share(staff_user, cardiology.id, colleague, may_edit=True)
        with pytest.raises(Forbidden):
            get_api().share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        with pytest.raises(Forbidden):
            get_api().folder_share_options(actor=colleague, folder_id=cardiology.id)

    def test_a_reshare_never_escalates(self, staff_user: User, colleague: User, third: User, cardiology) -> None:
        api = get_api()
        self._share(staff_user, cardiology.id, colleague, may_reshare=True)
        with pytest.raises(InvalidInput) as caught:
            api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third), may_edit=True)
        assert field_error(caught, "may_edit")
        with pytest.raises(InvalidInput) as caught:
            api.share_folder(
                actor=colleague,
                folder_id=cardiology.id,
                audience=to_users(third),
                includes_restricted_orders=True,
            )
        assert field_error(caught, "includes_restricted_orders")
        (reshare,) = api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        assert (username_of(reshare.shared_by), reshare.may_edit) == ("cole", False)
        assert shared_names(third) == (["Cardiology"], [])
        assert api.shared_folders(actor=third).with_me[0].shared_by.username == "cole"
        assert events()[-1][2]["reshared"] is True

    def test_a_reshare_ends_no_later_than_the_resharers_access(
        self, staff_user: User, colleague: User, third: User, limited_user: User, cardiology
    ) -> None:
        api = get_api()
        end = today() + dt.timedelta(days=3)
        self._share(staff_user, cardiology.id, colleague, may_reshare=True, expires=end)
        with pytest.raises(InvalidInput) as caught:
            api.share_folder(
                actor=colleague,
                folder_id=cardiology.id,
                audience=to_users(third),
                expires=end + dt.timedelta(days=1),
            )
        assert field_error(caught, "expires")
        (reshare,) = api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        assert reshare.expires == end
        options = api.folder_share_options(actor=colleague, folder_id=cardiology.id)
        assert (options.is_owner, options.may_edit, options.includes_restricted_orders, options.latest_expiry) == (
            False,
            False,
            False,
            end,
        )

    def test_narrowing_the_original_narrows_the_reshare(
        self, staff_user: User, colleague: User, third: User, clinic: Institution, cardiology
    ) -> None:
        api = get_api()
        self._share(staff_user, cardiology.id, colleague, may_edit=True, may_reshare=True)
        api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third), may_edit=True)
        assert api.shared_folders(actor=third).with_me[0].may_edit
        self._share(staff_user, cardiology.id, colleague, may_reshare=True)  # view only now
        assert not api.shared_folders(actor=third).with_me[0].may_edit
        order = create(staff_user, clinic)
        with pytest.raises(Forbidden):
            api.add_order_to_folders(actor=third, order_id=order.id, folder_ids=[cardiology.id])

    def test_revoking_the_original_revokes_the_reshares(
        self, staff_user: User, colleague: User, third: User, limited_user: User, cardiology
    ) -> None:
        api = get_api()
        original = self._share(staff_user, cardiology.id, colleague, may_reshare=True)
        api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third), may_reshare=True)
        team = group_with(limited_user, name="Referrers")
        api.share_folder(actor=third, folder_id=cardiology.id, audience=to_groups(team))
        assert shared_names(limited_user) == ([], ["Cardiology"])
        api.revoke_folder_share(actor=staff_user, share_id=original.id)
        assert shared_names(third) == ([], [])
        assert shared_names(limited_user) == ([], [])
        assert FolderShare.objects.filter(revoked_at__isnull=True).count() == 0
        cascaded = [e for e in events() if e[0] == "folder.share_revoked"]
        assert len(cascaded) == 3
        assert cascaded[1][2]["with_the_share_it_came_from"] is True

    def test_a_resharer_who_leaves_the_group_takes_the_reshare_along(
        self, staff_user: User, colleague: User, third: User, cardiology
    ) -> None:
        api = get_api()
        team = group_with(colleague, name="Echo team")
        api.share_folder(actor=staff_user, folder_id=cardiology.id, audience=to_groups(team), may_reshare=True)
        api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        assert shared_names(third) == (["Cardiology"], [])
        team.members.remove(colleague)
        assert shared_names(third) == ([], [])

    def test_resharers_list_and_revoke_their_own_shares(
        self, staff_user: User, colleague: User, third: User, limited_user: User, cardiology
    ) -> None:
        api = get_api()
        self._share(staff_user, cardiology.id, colleague, may_reshare=True)
        owners = self._share(staff_user, cardiology.id, limited_user)
        (mine,) = api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        assert [s.id for s in api.folder_shares(actor=colleague, folder_id=cardiology.id)] == [mine.id]
        assert len(api.folder_shares(actor=staff_user, folder_id=cardiology.id)) == 3
        with pytest.raises(Forbidden):
            api.revoke_folder_share(actor=colleague, share_id=owners.id)
        api.revoke_folder_share(actor=colleague, share_id=mine.id)
        assert shared_names(third) == ([], [])

    def test_a_resharer_cannot_overwrite_anothers_share(
        self, staff_user: User, colleague: User, third: User, cardiology
    ) -> None:
        api = get_api()
        self._share(staff_user, cardiology.id, colleague, may_reshare=True)
        self._share(staff_user, cardiology.id, third, may_edit=True)
        with pytest.raises(InvalidInput) as caught:
            api.share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(third))
        assert "already has" in field_error(caught, "user_ids")
        assert api.shared_folders(actor=third).with_me[0].may_edit

    def test_not_back_to_the_owner(self, staff_user: User, colleague: User, cardiology) -> None:
        self._share(staff_user, cardiology.id, colleague, may_reshare=True)
        with pytest.raises(InvalidInput) as caught:
            get_api().share_folder(actor=colleague, folder_id=cardiology.id, audience=to_users(staff_user))
        assert "owns" in field_error(caught, "user_ids")


class TestShareOptions:
    def test_the_owner_may_grant_everything(
        self, staff_user: User, colleague: User, limited_user: User, outsider: User, cardiology
    ) -> None:
        group_with(colleague, name="Echo team")
        options = get_api().folder_share_options(actor=staff_user, folder_id=cardiology.id)
        assert [u.username for u in options.users] == ["cole", "lia"]  # not the owner, not other institutions
        assert [g.name for g in options.groups] == ["Echo team"]
        assert (options.is_owner, options.may_edit, options.may_reshare, options.includes_restricted_orders) == (
            True,
            True,
            True,
            True,
        )

    def test_a_limited_owner_may_not_grant_restricted_orders(self, limited_user: User) -> None:
        folder = get_api().create_folder(actor=limited_user, name="Referrals")
        options = get_api().folder_share_options(actor=limited_user, folder_id=folder.id)
        assert not options.includes_restricted_orders
        assert options.users == ()

    def test_strangers(self, staff_user: User, outsider: User, admin_user: User, cardiology) -> None:
        for stranger in (outsider, admin_user):
            with pytest.raises(NotFound):
                get_api().folder_share_options(actor=stranger, folder_id=cardiology.id)
