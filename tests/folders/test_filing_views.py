"""Filing orders in folders from the order list (bulk), from the order page, removing them,
and the order list's folder filter: every persona, bad input, the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, FolderOrder, PatientOrder
from tests.folders.conftest import HTMX, UNKNOWN, messages_of
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def filed_in(folder_id) -> set:
    return set(FolderOrder.objects.filter(folder__uuid=folder_id).values_list("order__uuid", flat=True))


@pytest.fixture
def second(staff_user, clinic):
    return new_order(staff_user, clinic, patient_name="Nakamura^Aiko", patient_id="P-2", accession_number="AN-2")


class TestBulkAdd:
    def test_ticked_orders_go_to_the_chosen_folders(self, staff_client, staff_user, order, second, march):
        urgent = get_api().create_folder(actor=staff_user, name="Urgent")
        data = {
            "order_ids": [str(order.id), str(second.id)],
            "folder_ids": [str(march.id), str(urgent.id)],
            "next": reverse("orders:list") + "?name=garcia",
        }
        response = staff_client.post(reverse("folders:bulk_add_orders"), data)
        assert response["Location"] == reverse("orders:list") + "?name=garcia"
        assert filed_in(march.id) == filed_in(urgent.id) == {order.id, second.id}
        assert messages_of(response) == ["2 orders are now in the chosen folders."]
        assert AuditRecord.objects.filter(action="folder.order_added").count() == 4

    def test_the_order_list_offers_it(self, staff_client, limited_client, order, march):
        content = staff_client.get(reverse("orders:list")).content.decode()
        assert reverse("folders:bulk_add_orders") in content
        # the folders load when "Add to folders" is opened (tests/folders/test_options_views.py)
        assert f'hx-get="{reverse("folders:options")}?picker=bulk"' in content
        assert str(march.id) not in content
        assert "No folders" not in content
        # a limited user without folders gets no tick boxes at all
        assert 'name="order_ids"' not in limited_client.get(reverse("orders:list")).content.decode()

    def test_bad_input_is_explained(self, staff_client, colleague, order, march):
        response = staff_client.post(reverse("folders:bulk_add_orders"), {"order_ids": [str(order.id)]})
        assert messages_of(response) == ["Choose at least one folder."]
        response = staff_client.post(reverse("folders:bulk_add_orders"), {"folder_ids": [str(march.id)]})
        assert messages_of(response)[-1] == "Tick at least one order first."  # messages pile up unshown
        response = staff_client.post(
            reverse("folders:bulk_add_orders"), {"order_ids": ["junk"], "folder_ids": [str(march.id)]}
        )
        assert response.status_code == 302
        theirs = get_api().create_folder(actor=colleague, name="Theirs")
        response = staff_client.post(
            reverse("folders:bulk_add_orders"), {"order_ids": [str(order.id)], "folder_ids": [str(theirs.id)]}
        )
        assert messages_of(response)[-1] == "No such folder."
        assert not FolderOrder.objects.exists()

    def test_hidden_orders_are_never_filed(self, outsider_client, outsider, order):
        folder = get_api().create_folder(actor=outsider, name="Mine")
        response = outsider_client.post(
            reverse("folders:bulk_add_orders"), {"order_ids": [str(order.id)], "folder_ids": [str(folder.id)]}
        )
        assert messages_of(response) == ["No such order."]
        assert not FolderOrder.objects.exists()

    def test_post_only_and_login(self, staff_client, client):
        assert staff_client.get(reverse("folders:bulk_add_orders")).status_code == 405
        assert client.post(reverse("folders:bulk_add_orders"))["Location"].startswith(reverse("login"))


class TestFileOneOrder:
    def test_page_and_htmx_form(self, staff_client, filed, march, staff_user):
        other = get_api().create_folder(actor=staff_user, name="Urgent")
        response = staff_client.get(reverse("folders:file_order", args=[filed.id]))
        content = response.content.decode()
        assert response.status_code == 200
        assert "already here" in content  # March holds it already
        assert f'name="folder_ids" value="{other.id}"' in content
        fragment = staff_client.get(reverse("folders:file_order", args=[filed.id]), **HTMX).content.decode()
        assert "<html" not in fragment
        assert "folder-chooser" in fragment

    def test_add_and_go_back_to_the_order(self, staff_client, order, march):
        response = staff_client.post(reverse("folders:file_order", args=[order.id]), {"folder_ids": [str(march.id)]})
        assert response["Location"] == reverse("orders:detail", args=[order.id])
        assert filed_in(march.id) == {order.id}
        assert messages_of(response) == ["Filed in 1 more folder."]
        again = staff_client.post(reverse("folders:file_order", args=[order.id]), {"folder_ids": [str(march.id)]})
        assert messages_of(again)[-1] == "The order was already in those folders."

    def test_bad_choices_are_explained(self, staff_client, colleague, order):
        response = staff_client.post(reverse("folders:file_order", args=[order.id]), {})
        assert response.status_code == 200
        assert response.context["form"].errors["folder_ids"] == ["Choose at least one folder."]
        theirs = get_api().create_folder(actor=colleague, name="Theirs")
        for value in (str(theirs.id), str(UNKNOWN)):
            response = staff_client.post(reverse("folders:file_order", args=[order.id]), {"folder_ids": [value]})
            assert response.status_code == 200
            assert "no longer exists" in response.context["form"].errors["folder_ids"][0]
        response = staff_client.post(reverse("folders:file_order", args=[order.id]), {"folder_ids": ["junk"]})
        assert response.status_code == 200
        assert not FolderOrder.objects.exists()

    def test_orders_one_cannot_see_are_404(self, outsider_client, limited_client, client, order):
        for persona in (outsider_client, limited_client):
            assert persona.get(reverse("folders:file_order", args=[order.id])).status_code == 404
            assert persona.post(reverse("folders:file_order", args=[order.id]), {}).status_code == 404
        assert staff_get_login(client, reverse("folders:file_order", args=[order.id]))

    def test_the_order_page_lists_its_folders_with_links(self, staff_client, colleague_client, filed, march):
        content = staff_client.get(reverse("orders:detail", args=[filed.id])).content.decode()
        assert f'href="{reverse("folders:detail", args=[march.id])}">Cardiology / 2026 / March</a>' in content
        assert reverse("folders:remove_orders", args=[march.id]) in content
        assert reverse("folders:file_order", args=[filed.id]) in content
        colleague_page = colleague_client.get(reverse("orders:detail", args=[filed.id])).content.decode()
        assert "Cardiology / 2026 / March" not in colleague_page
        assert "Not in any of your folders." in colleague_page


def staff_get_login(client, url) -> bool:
    response = client.get(url)
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


class TestRemove:
    def test_from_the_folder_page_one_or_many(self, staff_client, staff_user, filed, second, march):
        get_api().add_order_to_folders(actor=staff_user, order_id=second.id, folder_ids=[march.id])
        url = reverse("folders:remove_orders", args=[march.id])
        response = staff_client.post(url, {"order_ids": [str(filed.id), str(second.id)]})
        assert response["Location"] == reverse("folders:detail", args=[march.id])
        assert messages_of(response) == ["2 orders left the folder. They are still in the order list."]
        assert filed_in(march.id) == set()
        assert PatientOrder.objects.filter(deleted_at__isnull=True).count() == 2
        assert AuditRecord.objects.filter(action="folder.order_removed", target_id=str(march.id)).count() == 2

    def test_from_the_order_page_goes_back_there(self, staff_client, filed, march):
        order_url = reverse("orders:detail", args=[filed.id])
        response = staff_client.post(
            reverse("folders:remove_orders", args=[march.id]), {"order_ids": [str(filed.id)], "next": order_url}
        )
        assert response["Location"] == order_url
        assert "Not in any of your folders." in staff_client.get(order_url).content.decode()

    def test_bad_input_and_other_people(self, staff_client, colleague_client, admin_client, outsider, filed, march):
        url = reverse("folders:remove_orders", args=[march.id])
        assert messages_of(staff_client.post(url, {})) == ["Tick at least one order first."]
        hidden = new_order(outsider, outsider.profile.institutions.get(), patient_id="N-1")
        response = staff_client.post(url, {"order_ids": [str(filed.id), str(hidden.id)]})
        assert "Nothing was removed" in messages_of(response)[-1]
        for client in (colleague_client, admin_client):
            assert client.post(url, {"order_ids": [str(filed.id)]}).status_code == 404
        assert (
            staff_client.post(
                reverse("folders:remove_orders", args=[UNKNOWN]), {"order_ids": [str(filed.id)]}
            ).status_code
            == 404
        )
        assert staff_client.get(url).status_code == 405
        assert filed_in(march.id) == {filed.id}


class TestOrderListFolderFilter:
    def test_a_folder_includes_its_sub_folders_unless_unticked(self, staff_client, staff_user, filed, second, march):
        year = march.ancestors[-1]  # Cardiology / 2026
        get_api().add_order_to_folders(actor=staff_user, order_id=second.id, folder_ids=[year.id])
        url = reverse("orders:list")

        def listed(params) -> set:
            return {o.id for o in staff_client.get(url, params).context["table"].page.items}

        assert listed({"folder": str(year.id)}) == {filed.id, second.id}  # on by default (a bookmark)
        assert listed({"folder": str(year.id), "sub_folders": ["false", "true"]}) == {filed.id, second.id}
        assert listed({"folder": str(year.id), "sub_folders": "false"}) == {second.id}  # unticked
        assert listed({"folder": str(march.id), "sub_folders": "false"}) == {filed.id}
        content = staff_client.get(url, {"folder": str(year.id), "sub_folders": "false"}).content.decode()
        assert '<input type="checkbox" name="sub_folders" value="true">' in content
        assert "Include sub-folders" in content
        assert 'name="sub_folders" value="true" checked' in staff_client.get(url).content.decode()

    def test_filter_by_folder(self, staff_client, filed, second, march):
        response = staff_client.get(reverse("orders:list"), {"folder": str(march.id)})
        assert [o.id for o in response.context["table"].page.items] == [filed.id]
        assert f'<option value="{march.id}" selected>' in response.content.decode()
        fragment = staff_client.get(reverse("orders:list"), {"folder": str(march.id)}, **HTMX).content.decode()
        assert "García" in fragment
        assert "Nakamura" not in fragment

    def test_bad_or_foreign_folders_are_explained(self, staff_client, colleague, filed):
        theirs = get_api().create_folder(actor=colleague, name="Theirs")
        for value in ("junk", str(theirs.id)):
            response = staff_client.get(reverse("orders:list"), {"folder": value})
            assert response.status_code == 200
            assert response.context["table"].page is None
            assert response.context["table"].form.non_field_errors()

    def test_limited_users_can_file_what_they_see(self, limited_client, limited_user, staff_user, order):
        api = get_api()
        folder = api.create_folder(actor=limited_user, name="Referrals")
        api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        content = limited_client.get(reverse("orders:list")).content.decode()
        assert 'name="order_ids"' in content
        assert "Add to folders" in content
        assert "Set flag" not in content
        limited_client.post(
            reverse("folders:bulk_add_orders"), {"order_ids": [str(order.id)], "folder_ids": [str(folder.id)]}
        )
        assert filed_in(folder.id) == {order.id}
