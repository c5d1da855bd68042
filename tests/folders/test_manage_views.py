"""Creating, renaming, moving and deleting folders through the pages: every persona, bad
input next to the fields with what was typed kept, and the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.models import AuditRecord, Folder, FolderOrder, PatientOrder
from tests.folders.conftest import UNKNOWN, messages_of

pytestmark = pytest.mark.django_db


def detail_url(folder_id):
    return reverse("folders:detail", args=[folder_id])


def form_errors(response, field):
    return response.context["form"].errors.get(field, [])


class TestCreate:
    def test_every_persona_creates_their_own(self, admin_client, staff_client, limited_client, outsider_client):
        for client in (admin_client, staff_client, limited_client, outsider_client):
            assert client.get(reverse("folders:create")).status_code == 200
            response = client.post(reverse("folders:create"), {"name": "Inbox", "description": ""})
            assert response.status_code == 302
        assert Folder.objects.filter(name="Inbox").count() == 4
        assert AuditRecord.objects.filter(action="folder.created", target_label="Inbox").count() == 4

    def test_anonymous_goes_to_login(self, client):
        for method in (client.get, client.post):
            response = method(reverse("folders:create"))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def test_a_path_creates_the_levels_and_opens_the_last(self, staff_client, staff_user):
        response = staff_client.post(
            reverse("folders:create"), {"name": "Cardiology/2026/March", "description": "Echo"}
        )
        march = Folder.objects.get(name="March")
        assert response["Location"] == detail_url(march.uuid)
        assert march.description == "Echo"
        assert [e.target_label for e in AuditRecord.objects.filter(action="folder.created").order_by("id")] == [
            "Cardiology",
            "Cardiology / 2026",
            "Cardiology / 2026 / March",
        ]
        assert "Cardiology / 2026 / March" in messages_of(response)[0]

    def test_inside_a_folder_from_its_page(self, staff_client, march):
        form = staff_client.get(reverse("folders:create"), {"parent": str(march.id)}).content.decode()
        assert f'<option value="{march.id}" selected>' in form
        staff_client.post(reverse("folders:create"), {"name": "Week 1", "parent": str(march.id)})
        assert Folder.objects.filter(name="Week 1", parent__uuid=march.id).exists()

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "This field is required."),
            ("   ", "Enter a folder name."),
            (" / // ", "A folder name cannot be made only of slashes and spaces."),
            ("bad\x01name", "A folder name cannot contain control characters."),
            ("x" * 121, "A folder name may have at most 120 characters."),
        ],
    )
    def test_bad_names_are_explained_and_kept(self, staff_client, name, message):
        response = staff_client.post(reverse("folders:create"), {"name": name, "description": "Keep me"})
        assert response.status_code == 200
        assert message in form_errors(response, "name")
        assert response.context["form"]["description"].value() == "Keep me"
        assert not Folder.objects.exists()

    def test_taken_name_and_bad_parents(self, staff_client, colleague, march):
        response = staff_client.post(reverse("folders:create"), {"name": "cardiology"})
        assert form_errors(response, "name") == ["There is already a folder named “Cardiology” here."]
        assert response.context["form"]["name"].value() == "cardiology"
        theirs = get_api().create_folder(actor=colleague, name="Theirs")
        for parent in (str(theirs.id), str(UNKNOWN)):
            response = staff_client.post(reverse("folders:create"), {"name": "X", "parent": parent})
            assert form_errors(response, "parent") == ["Choose one of your folders."]
        response = staff_client.post(reverse("folders:create"), {"name": "X", "parent": "not-a-uuid"})
        assert response.status_code == 200
        assert form_errors(response, "parent")
        assert staff_client.get(reverse("folders:create"), {"parent": "junk"}).status_code == 200
        assert not Folder.objects.filter(name="X").exists()

    def test_too_long_description(self, staff_client):
        response = staff_client.post(reverse("folders:create"), {"name": "A", "description": "d" * 1001})
        assert form_errors(response, "description")


class TestEdit:
    def test_rename_and_describe(self, staff_client, march):
        page = staff_client.get(reverse("folders:edit", args=[march.id]))
        assert page.context["form"]["name"].value() == "March"
        response = staff_client.post(
            reverse("folders:edit", args=[march.id]), {"name": "March 2026", "description": "Echo and ECG"}
        )
        assert response["Location"] == detail_url(march.id)
        row = Folder.objects.get(uuid=march.id)
        assert (row.name, row.description) == ("March 2026", "Echo and ECG")
        event = AuditRecord.objects.get(action="folder.renamed")
        assert (event.target_id, event.detail["renamed_from"]) == (str(march.id), "March")

    def test_bad_names_are_explained_and_kept(self, staff_client, march, staff_user):
        get_api().create_folder(actor=staff_user, name="April", parent_id=march.parent_id)
        for name, message in (("a/b", "cannot contain “/”"), ("APRIL", "already a folder named")):
            response = staff_client.post(reverse("folders:edit", args=[march.id]), {"name": name, "description": ""})
            assert response.status_code == 200
            assert message in form_errors(response, "name")[0]
            assert response.context["form"]["name"].value() == name
        assert Folder.objects.get(uuid=march.id).name == "March"

    @pytest.mark.parametrize("persona", ["admin_client", "colleague_client", "outsider_client", "limited_client"])
    def test_nobody_else_renames_it(self, request, persona, march):
        client = request.getfixturevalue(persona)
        response = client.post(reverse("folders:edit", args=[march.id]), {"name": "Mine", "description": ""})
        assert response.status_code == 404
        assert Folder.objects.get(uuid=march.id).name == "March"


class TestMove:
    def test_the_form_offers_neither_itself_nor_its_sub_folders(self, staff_client, march):
        cardiology, year = march.ancestors
        content = staff_client.get(reverse("folders:move", args=[year.id])).content.decode()
        assert f'value="{cardiology.id}" selected' in content
        assert f'value="{year.id}"' not in content
        assert f'value="{march.id}"' not in content

    def test_move_under_another_and_to_the_top(self, staff_client, staff_user, march):
        archive = get_api().create_folder(actor=staff_user, name="Archive")
        year = march.ancestors[1]
        response = staff_client.post(reverse("folders:move", args=[year.id]), {"parent": str(archive.id)})
        assert response["Location"] == detail_url(year.id)
        assert "Archive / 2026" in messages_of(response)[0]
        assert get_api().get_folder(actor=staff_user, folder_id=march.id).path_label == "Archive / 2026 / March"
        staff_client.post(reverse("folders:move", args=[year.id]), {"parent": ""})
        assert Folder.objects.get(uuid=year.id).parent is None
        assert AuditRecord.objects.filter(action="folder.moved", target_id=str(year.id)).count() == 2

    def test_into_itself_or_below_is_refused_with_a_message(self, staff_client, march):
        cardiology = march.ancestors[0]
        for target in (cardiology.id, march.id):
            response = staff_client.post(reverse("folders:move", args=[cardiology.id]), {"parent": str(target)})
            assert response.status_code == 200
            assert "cannot move into itself" in form_errors(response, "parent")[0]
        assert Folder.objects.get(uuid=cardiology.id).parent is None

    def test_someone_elses_target_and_bad_input(self, staff_client, colleague, march):
        theirs = get_api().create_folder(actor=colleague, name="Theirs")
        for parent in (str(theirs.id), "not-a-uuid"):
            response = staff_client.post(reverse("folders:move", args=[march.id]), {"parent": parent})
            assert response.status_code == 200
            assert form_errors(response, "parent")

    def test_others_get_404(self, colleague_client, admin_client, march):
        for client in (colleague_client, admin_client):
            assert client.post(reverse("folders:move", args=[march.id]), {"parent": ""}).status_code == 404
        assert Folder.objects.get(uuid=march.id).parent is not None


class TestDelete:
    def test_the_page_says_what_will_happen(self, staff_client, filed, march):
        cardiology = march.ancestors[0]
        content = staff_client.get(reverse("folders:delete", args=[cardiology.id])).content.decode()
        assert "Its 2 sub-folders are deleted too." in content
        assert "1 order filed in these folders only leaves them" in content
        assert "<strong>not</strong> deleted" in content

    def test_delete_keeps_the_orders_and_goes_to_the_parent(self, staff_client, filed, march):
        year = march.ancestors[1]
        response = staff_client.post(reverse("folders:delete", args=[year.id]))
        assert response["Location"] == detail_url(march.ancestors[0].id)
        assert "Its orders are still in the order list" in messages_of(response)[0]
        assert list(Folder.objects.values_list("name", flat=True)) == ["Cardiology"]
        assert not FolderOrder.objects.exists()
        assert PatientOrder.objects.filter(uuid=filed.id, deleted_at__isnull=True).exists()
        assert staff_client.get(reverse("orders:detail", args=[filed.id])).status_code == 200
        event = AuditRecord.objects.get(action="folder.deleted")
        assert event.detail == {"sub_folders_deleted": 1, "orders_removed": 1}
        top = staff_client.post(reverse("folders:delete", args=[march.ancestors[0].id]))
        assert top["Location"] == reverse("folders:tree")

    @pytest.mark.parametrize("persona", ["admin_client", "colleague_client", "outsider_client", "limited_client"])
    def test_nobody_else_deletes_it(self, request, persona, march):
        client = request.getfixturevalue(persona)
        assert client.post(reverse("folders:delete", args=[march.id])).status_code == 404
        assert Folder.objects.filter(uuid=march.id).exists()

    def test_unknown_and_anonymous(self, staff_client, client, march):
        assert staff_client.post(reverse("folders:delete", args=[UNKNOWN])).status_code == 404
        response = client.post(reverse("folders:delete", args=[march.id]))
        assert response.status_code == 302
        assert Folder.objects.filter(uuid=march.id).exists()
