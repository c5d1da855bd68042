"""Sharing pages: the share page, revoking, the "Shared with me" / "Shared with my groups"
sections, and a shared folder's page in read-only and edit mode, for every persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import Forbidden
from postdicom.local.access import profile_of
from postdicom.local.models import Folder, FolderOrder, FolderShare, UserGroup
from postdicom.types import OWNER_RIGHTS, FolderRights, ShareAudience
from tests.folders.conftest import HTMX, UNKNOWN, messages_of
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def share_url(folder_id):
    return reverse("folders:share", args=[folder_id])


def detail_url(folder_id):
    return reverse("folders:detail", args=[folder_id])


def revoke_url(folder_id, share_id):
    return reverse("folders:revoke_share", args=[folder_id, share_id])


def share(owner, folder_id, *recipients, groups=(), **rights):
    audience = ShareAudience(
        user_ids=tuple(profile_of(u).uuid for u in recipients), group_ids=tuple(g.uuid for g in groups)
    )
    return get_api().share_folder(actor=owner, folder_id=folder_id, audience=audience, **rights)


@pytest.fixture
def cardiology(staff_user, march):
    return next(f for f in get_api().folder_tree(actor=staff_user) if f.name == "Cardiology")


class TestSharePage:
    def test_the_owner_sees_colleagues_groups_and_rights(self, staff_client, colleague, limited_user, cardiology):
        UserGroup.objects.create(name="Echo team")
        response = staff_client.get(share_url(cardiology.id))
        content = response.content.decode()
        assert response.status_code == 200
        assert "Cole League" in content
        assert "Lía Limitada" in content
        assert "Echo team" in content
        assert "Sam Staff" not in content.split("Share with", 1)[1].split("</form>", 1)[0]  # not oneself
        assert "This folder is not shared with anyone yet." in content
        assert 'name="includes_restricted_orders"' in content
        assert "disabled" not in content.split('name="includes_restricted_orders"', 1)[1].split(">", 1)[0]

    def test_the_owner_shares_and_sees_the_share(self, staff_client, colleague, cardiology):
        end = timezone.localdate() + dt.timedelta(days=10)
        response = staff_client.post(
            share_url(cardiology.id),
            {"user_ids": [str(profile_of(colleague).uuid)], "may_edit": "on", "expires": end.isoformat()},
        )
        assert response.status_code == 302
        assert response["Location"] == share_url(cardiology.id)
        assert messages_of(response) == ["“Cardiology” is shared with Cole League."]
        row = FolderShare.objects.get()
        assert (row.user, row.may_edit, row.may_reshare, row.expires) == (colleague, True, False, end)
        page = staff_client.get(share_url(cardiology.id)).content.decode()
        assert "Cole League" in page.split("current-shares-title", 1)[1]
        detail = staff_client.get(detail_url(cardiology.id)).content.decode()
        assert "Shared with" in detail
        assert revoke_url(cardiology.id, row.uuid) in detail

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({}, "Choose at least one colleague or group."),
            ({"user_ids": ["not-a-uuid"]}, "Select a valid choice."),
            ({"user_ids": [str(UNKNOWN)]}, "Select a valid choice."),
            ({"group_ids": [str(UNKNOWN)]}, "Select a valid choice."),
            ({"user_ids": ["{colleague}"], "expires": "2001-01-01"}, "Choose today or a later day."),
            ({"user_ids": ["{colleague}"], "expires": "soon"}, "Enter a valid date."),
        ],
    )
    def test_bad_input_is_explained(self, staff_client, colleague, cardiology, data, message):
        data = {k: [v.format(colleague=profile_of(colleague).uuid) for v in vs] if isinstance(vs, list) else vs
                for k, vs in data.items()}  # fmt: skip
        response = staff_client.post(share_url(cardiology.id), data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not FolderShare.objects.exists()

    def test_a_resharer_cannot_grant_more_than_they_have(
        self, staff_user, colleague, colleague_client, limited_user, cardiology
    ):
        share(staff_user, cardiology.id, colleague, may_reshare=True)
        page = colleague_client.get(share_url(cardiology.id)).content.decode()
        assert "you can give at most your own rights" in page
        edit_box = page.split('name="may_edit"', 1)[1].split(">", 1)[0]
        assert "disabled" in edit_box
        response = colleague_client.post(
            share_url(cardiology.id), {"user_ids": [str(profile_of(limited_user).uuid)], "may_edit": "on"}
        )
        assert response.status_code == 302
        made = FolderShare.objects.get(user=limited_user)
        assert (made.shared_by, made.may_edit) == (colleague, False)  # the disabled box is ignored

    def test_who_may_open_it(
        self, staff_user, colleague, colleague_client, outsider_client, admin_client, limited_client, cardiology
    ):
        share(staff_user, cardiology.id, colleague, may_edit=True)  # no re-sharing
        assert colleague_client.get(share_url(cardiology.id)).status_code == 403
        assert colleague_client.post(share_url(cardiology.id), {}).status_code == 403
        for stranger in (outsider_client, admin_client, limited_client):
            assert stranger.get(share_url(cardiology.id)).status_code == 404
            assert stranger.post(share_url(cardiology.id), {}).status_code == 404
        assert colleague_client.get(share_url(UNKNOWN)).status_code == 404

    def test_anonymous_goes_to_login(self, client, cardiology):
        response = client.get(share_url(cardiology.id))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestRevoke:
    def test_confirm_then_revoke(self, staff_client, staff_user, colleague, cardiology):
        (made,) = share(staff_user, cardiology.id, colleague)
        page = staff_client.get(revoke_url(cardiology.id, made.id))
        assert page.status_code == 200
        assert "Stop sharing “Cardiology” with Cole League?" in page.content.decode()
        response = staff_client.post(revoke_url(cardiology.id, made.id), {"next": detail_url(cardiology.id)})
        assert response.status_code == 302
        assert response["Location"] == detail_url(cardiology.id)
        assert messages_of(response) == ["Cole League no longer has “Cardiology”."]
        assert FolderShare.objects.get().revoked_at is not None
        assert staff_client.post(revoke_url(cardiology.id, made.id)).status_code == 404  # gone from the list

    def test_nobody_else_revokes(
        self, staff_user, colleague, colleague_client, outsider_client, admin_client, cardiology, march
    ):
        (made,) = share(staff_user, cardiology.id, colleague)
        for other in (colleague_client, outsider_client, admin_client):
            assert other.get(revoke_url(cardiology.id, made.id)).status_code == 404
            assert other.post(revoke_url(cardiology.id, made.id)).status_code == 404
        assert FolderShare.objects.get().revoked_at is None

    def test_the_share_must_belong_to_the_folder(self, staff_client, staff_user, colleague, cardiology, march):
        (made,) = share(staff_user, cardiology.id, colleague)
        assert staff_client.post(revoke_url(march.id, made.id)).status_code == 404
        assert staff_client.post(revoke_url(cardiology.id, UNKNOWN)).status_code == 404
        assert FolderShare.objects.get().revoked_at is None


class TestSharedSections:
    def test_shared_with_me_lists_owner_rights_and_last_day(self, staff_user, colleague, colleague_client, cardiology):
        end = timezone.localdate() + dt.timedelta(days=5)
        share(staff_user, cardiology.id, colleague, may_edit=True, may_reshare=True, expires=end)
        content = colleague_client.get(reverse("folders:tree")).content.decode()
        section = content.split('id="shared-with-me"', 1)[1].split("</section>", 1)[0]
        assert detail_url(cardiology.id) in section
        assert "by Sam Staff" in section
        assert ">view<" in section
        assert ">edit<" in section
        assert ">re-share<" in section
        assert "until" in section
        groups = content.split('id="shared-with-my-groups"', 1)[1].split("</section>", 1)[0]
        assert "Nothing is shared with your groups yet." in groups

    @pytest.mark.parametrize("language", ["en", "es"])
    def test_last_days_are_iso_dates_everywhere(
        self, staff_user, staff_client, colleague, colleague_client, cardiology, language
    ):
        end = timezone.localdate() + dt.timedelta(days=200)
        share(staff_user, cardiology.id, colleague, may_reshare=True, expires=end)
        pages = [
            staff_client.get(detail_url(cardiology.id), HTTP_ACCEPT_LANGUAGE=language),  # "Shared with"
            colleague_client.get(reverse("folders:tree"), HTTP_ACCEPT_LANGUAGE=language),  # the sidebar
            colleague_client.get(detail_url(cardiology.id), HTTP_ACCEPT_LANGUAGE=language),  # the banner
            colleague_client.get(share_url(cardiology.id), HTTP_ACCEPT_LANGUAGE=language),  # the latest day
        ]
        for response in pages:
            content = response.content.decode()
            assert end.isoformat() in content
            assert end.strftime("%m/%d/%Y") not in content
            assert end.strftime("%d/%m/%Y") not in content
        later = end + dt.timedelta(days=1)
        response = colleague_client.post(
            share_url(cardiology.id),
            {"user_ids": [str(profile_of(staff_user).uuid)], "expires": later.isoformat()},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert end.isoformat() in response.content.decode()

    def test_shared_with_my_groups(self, staff_user, limited_user, limited_client, cardiology):
        team = UserGroup.objects.create(name="Referrers")
        team.members.add(limited_user)
        share(staff_user, cardiology.id, groups=[team])
        content = limited_client.get(reverse("folders:tree")).content.decode()
        section = content.split('id="shared-with-my-groups"', 1)[1].split("</section>", 1)[0]
        assert "Cardiology" in section
        assert "Referrers" in section
        assert ">edit<" not in section
        mine = content.split('id="shared-with-me"', 1)[1].split("</section>", 1)[0]
        assert "Nothing is shared with you yet" in mine

    def test_others_see_nothing_shared(self, staff_user, colleague, outsider_client, admin_client, cardiology):
        share(staff_user, cardiology.id, colleague)
        for other in (outsider_client, admin_client):
            content = other.get(reverse("folders:tree")).content.decode()
            assert "Nothing is shared with you yet" in content
            assert detail_url(cardiology.id) not in content


class TestSharedFolderPage:
    def test_read_only(self, staff_user, colleague, colleague_client, filed, cardiology, march):
        share(staff_user, cardiology.id, colleague)
        response = colleague_client.get(detail_url(march.id))
        content = response.content.decode()
        assert response.status_code == 200
        assert "Shared by Sam Staff" in content
        assert "Read only" in content
        assert "AN-1" in content  # the colleague may see the order anyway (same institution)
        assert reverse("folders:remove_orders", args=[march.id]) not in content
        assert reverse("folders:edit", args=[march.id]) not in content
        assert reverse("folders:delete", args=[march.id]) not in content
        assert share_url(march.id) not in content
        # the breadcrumbs start at the shared folder
        assert [a.name for a in response.context["folder"].ancestors] == ["Cardiology", "2026"]
        top = colleague_client.get(detail_url(cardiology.id))
        assert top.context["folder"].ancestors == ()

    def test_htmx_gets_only_the_orders(self, staff_user, colleague, colleague_client, filed, march):
        share(staff_user, march.id, colleague)
        response = colleague_client.get(detail_url(march.id), {"name": "garc"}, **HTMX)
        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content
        assert "AN-1" in content

    def test_edit_mode(self, staff_user, colleague, colleague_client, filed, cardiology, march):
        share(staff_user, cardiology.id, colleague, may_edit=True, may_reshare=True)
        content = colleague_client.get(detail_url(march.id)).content.decode()
        assert reverse("folders:remove_orders", args=[march.id]) in content
        assert reverse("folders:edit", args=[march.id]) in content
        assert f"{reverse('folders:create')}?parent={march.id}" in content
        assert share_url(march.id) in content
        assert reverse("folders:delete", args=[march.id]) not in content
        top = colleague_client.get(detail_url(cardiology.id)).content.decode()
        assert reverse("folders:edit", args=[cardiology.id]) not in top  # the shared folder keeps its name

    def test_limited_users_see_only_what_they_may(
        self, staff_user, limited_user, limited_client, filed, cardiology, march
    ):
        share(staff_user, cardiology.id, limited_user)
        content = limited_client.get(detail_url(march.id)).content.decode()
        assert "AN-1" not in content
        order_url = reverse("orders:detail", args=[filed.id])
        assert limited_client.get(order_url).status_code == 404
        share(staff_user, cardiology.id, limited_user, includes_restricted_orders=True)
        content = limited_client.get(detail_url(march.id)).content.decode()
        assert "AN-1" in content
        assert limited_client.get(order_url).status_code == 200
        assert "AN-1" in limited_client.get(reverse("orders:list")).content.decode()

    def test_strangers_get_404(self, staff_user, colleague, outsider_client, admin_client, limited_client, march):
        share(staff_user, march.id, colleague)
        for other in (outsider_client, admin_client, limited_client):
            assert other.get(detail_url(march.id)).status_code == 404

    def test_expired_and_revoked_shares_give_404(self, staff_user, colleague, colleague_client, march):
        (made,) = share(staff_user, march.id, colleague)
        FolderShare.objects.update(expires=timezone.localdate() - dt.timedelta(days=1))
        assert colleague_client.get(detail_url(march.id)).status_code == 404
        FolderShare.objects.update(expires=None)
        assert colleague_client.get(detail_url(march.id)).status_code == 200
        get_api().revoke_folder_share(actor=staff_user, share_id=made.id)
        assert colleague_client.get(detail_url(march.id)).status_code == 404


class TestEditingThroughTheShare:
    def test_creating_a_sub_folder(self, staff_user, colleague, colleague_client, cardiology):
        share(staff_user, cardiology.id, colleague, may_edit=True)
        page = colleague_client.get(reverse("folders:create"), {"parent": str(cardiology.id)})
        assert page.status_code == 200
        assert "shared with you" in page.content.decode()
        response = colleague_client.post(reverse("folders:create"), {"name": "Reports", "parent": str(cardiology.id)})
        assert response.status_code == 302
        created = Folder.objects.get(name="Reports")
        assert created.owner == staff_user
        assert response["Location"] == detail_url(created.uuid)
        assert colleague_client.get(response["Location"]).status_code == 200

    def test_view_only_cannot_create(self, staff_user, colleague, colleague_client, cardiology):
        share(staff_user, cardiology.id, colleague)
        assert colleague_client.get(reverse("folders:create"), {"parent": str(cardiology.id)}).status_code == 403
        response = colleague_client.post(reverse("folders:create"), {"name": "X", "parent": str(cardiology.id)})
        assert response.status_code == 403
        assert not Folder.objects.filter(name="X").exists()

    def test_a_stranger_parent_is_a_form_error(self, staff_user, outsider_client, cardiology):
        response = outsider_client.post(reverse("folders:create"), {"name": "X", "parent": str(cardiology.id)})
        assert response.status_code == 200
        assert "Choose one of your folders." in response.content.decode()

    def test_renaming_a_folder_inside(self, staff_user, colleague, colleague_client, cardiology, march):
        share(staff_user, cardiology.id, colleague, may_edit=True)
        assert colleague_client.get(reverse("folders:edit", args=[march.id])).status_code == 200
        response = colleague_client.post(reverse("folders:edit", args=[march.id]), {"name": "Marzo"})
        assert response.status_code == 302
        assert Folder.objects.get(uuid=march.id).name == "Marzo"
        assert colleague_client.get(reverse("folders:edit", args=[cardiology.id])).status_code == 403
        assert colleague_client.post(reverse("folders:edit", args=[cardiology.id]), {"name": "M"}).status_code == 403

    def test_rights_come_from_the_service_when_shares_overlap(
        self, staff_user, colleague, colleague_client, cardiology, march
    ):
        """View only on Cardiology, edit on its sub-folder 2026: 2026 is itself a shared folder,
        so its name stays the owner's (the service refuses), while March below it may be renamed."""
        year = next(f for f in get_api().folder_tree(actor=staff_user) if f.name == "2026")
        share(staff_user, cardiology.id, colleague)
        share(staff_user, year.id, colleague, may_edit=True)
        listing = get_api().get_shared_folder(actor=colleague, folder_id=year.id)
        assert listing.folder.rights == FolderRights(can_add_sub_folders=True, can_file_orders=True)
        content = colleague_client.get(detail_url(year.id)).content.decode()
        assert reverse("folders:edit", args=[year.id]) not in content  # no Rename the service would refuse
        assert f"{reverse('folders:create')}?parent={year.id}" in content
        assert colleague_client.get(reverse("folders:edit", args=[year.id])).status_code == 403
        with pytest.raises(Forbidden):
            get_api().update_folder(actor=colleague, folder_id=year.id, name="Y", description="")
        inside = colleague_client.get(detail_url(march.id)).content.decode()
        assert reverse("folders:edit", args=[march.id]) in inside
        assert colleague_client.post(reverse("folders:edit", args=[march.id]), {"name": "Marzo"}).status_code == 302
        assert Folder.objects.get(uuid=march.id).name == "Marzo"

    def test_the_owner_has_every_right(self, staff_user, march):
        assert get_api().get_folder(actor=staff_user, folder_id=march.id).rights == OWNER_RIGHTS

    def test_view_only_and_strangers_cannot_rename(
        self, staff_user, colleague, colleague_client, outsider_client, march
    ):
        share(staff_user, march.id, colleague)
        assert colleague_client.get(reverse("folders:edit", args=[march.id])).status_code == 403
        assert outsider_client.get(reverse("folders:edit", args=[march.id])).status_code == 404
        assert colleague_client.get(reverse("folders:move", args=[march.id])).status_code == 404
        assert colleague_client.get(reverse("folders:delete", args=[march.id])).status_code == 404

    def test_filing_and_removing(self, staff_user, clinic, colleague, colleague_client, order, cardiology):
        share(staff_user, cardiology.id, colleague, may_edit=True)
        picker = colleague_client.get(reverse("folders:file_order", args=[order.id])).content.decode()
        assert "Shared with me (may edit)" in picker
        response = colleague_client.post(
            reverse("folders:file_order", args=[order.id]), {"folder_ids": [str(cardiology.id)]}
        )
        assert response.status_code == 302
        assert FolderOrder.objects.filter(folder__uuid=cardiology.id, order__uuid=order.id).exists()
        listing = colleague_client.get(reverse("orders:list")).content.decode()
        assert f'hx-get="{reverse("folders:options")}?picker=bulk"' in listing
        bulk = colleague_client.get(reverse("folders:options"), {"picker": "bulk"}, **HTMX).content.decode()
        assert "Shared with me (may edit)" in bulk
        other = new_order(staff_user, clinic, accession_number="AN-2")
        response = colleague_client.post(
            reverse("folders:bulk_add_orders"), {"order_ids": [str(other.id)], "folder_ids": [str(cardiology.id)]}
        )
        assert response.status_code == 302
        assert FolderOrder.objects.filter(folder__uuid=cardiology.id).count() == 2
        response = colleague_client.post(
            reverse("folders:remove_orders", args=[cardiology.id]), {"order_ids": [str(order.id), str(other.id)]}
        )
        assert response.status_code == 302
        assert not FolderOrder.objects.exists()

    def test_view_only_cannot_file_or_remove(self, staff_user, colleague, colleague_client, order, filed, march):
        share(staff_user, march.id, colleague)
        response = colleague_client.post(
            reverse("folders:remove_orders", args=[march.id]), {"order_ids": [str(order.id)]}
        )
        assert response.status_code == 403
        response = colleague_client.post(
            reverse("folders:file_order", args=[order.id]), {"folder_ids": [str(march.id)]}
        )
        assert response.status_code == 403
        assert FolderOrder.objects.count() == 1

    def test_removing_a_hidden_order_from_a_shared_folder_is_a_message(
        self, staff_user, colleague, colleague_client, outsider, other_clinic, march
    ):
        other_order = new_order(outsider, other_clinic, patient_name="Nord^Nils", patient_id="N-9")
        share(staff_user, march.id, colleague, may_edit=True)
        response = colleague_client.post(
            reverse("folders:remove_orders", args=[march.id]), {"order_ids": [str(other_order.id)]}
        )
        assert response.status_code == 302
        assert "no longer available" in messages_of(response)[0]
