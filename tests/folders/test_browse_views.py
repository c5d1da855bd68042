"""The folders home, a folder's page and the branches of the side tree, for every persona."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from tests.folders.conftest import HTMX, UNKNOWN
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def detail_url(folder_id):
    return reverse("folders:detail", args=[folder_id])


class TestHome:
    def test_everyone_sees_only_their_own_folders(
        self, staff_client, admin_client, limited_client, outsider_client, colleague_client, march
    ):
        content = staff_client.get(reverse("folders:tree")).content.decode()
        assert ">Cardiology</a>" in content
        for other in (admin_client, limited_client, outsider_client, colleague_client):
            response = other.get(reverse("folders:tree"))
            assert response.status_code == 200
            assert len(response.context["tree"]) == 0
            assert ">Cardiology</a>" not in response.content.decode()
            assert "No folders yet" in response.content.decode()

    def test_anonymous_goes_to_login(self, client):
        response = client.get(reverse("folders:tree"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_top_level_with_counts_and_shared_sections(self, staff_client, filed):
        response = staff_client.get(reverse("folders:tree"))
        content = response.content.decode()
        assert [f.name for f in response.context["tree"].roots] == ["Cardiology"]
        assert response.context["tree"].roots[0].all_sub_order_count == 1
        assert "Shared with me" in content
        assert "Nothing is shared with you yet" in content
        assert "Shared with my groups" in content
        assert "Nothing is shared with your groups yet" in content
        assert 'aria-current="page">Folders' in content  # the main navigation shows the section

    def test_search_by_name_at_any_depth_htmx_gets_the_results(self, staff_client, march):
        response = staff_client.get(reverse("folders:tree"), {"q": "MAR"}, **HTMX)
        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content
        assert "Cardiology / 2026 / March" in content
        assert "HX-Request" in response["Vary"]
        nothing = staff_client.get(reverse("folders:tree"), {"q": "zzz"}).content.decode()
        assert "No folder has that in its name" in nothing

    def test_a_long_search_is_refused_quietly(self, staff_client, march):
        response = staff_client.get(reverse("folders:tree"), {"q": "x" * 500})
        assert response.status_code == 200
        assert response.context["found"] is None


class TestDetail:
    def test_owner_sees_tree_sub_folders_and_orders(self, staff_client, filed, march, staff_user):
        year = march.ancestors[1]
        response = staff_client.get(detail_url(year.id))
        assert response.status_code == 200
        content = response.content.decode()
        assert [f.name for f in response.context["sub_folders"]] == ["March"]
        assert response.context["folder"].all_sub_order_count == 1
        assert response.context["table"].page.total == 0  # the order is in March, not in 2026
        assert 'aria-current="page">2026</a>' in content  # the side tree has it open and marked
        assert f'href="{detail_url(march.ancestors[0].id)}">Cardiology</a>' in content  # breadcrumbs
        response = staff_client.get(detail_url(march.id))
        assert [o.id for o in response.context["table"].page.items] == [filed.id]
        content = response.content.decode()
        assert "García, María José" in content
        assert "Echo reports" in content
        assert "Remove from this folder" in content
        assert "Add to folders" in content

    @pytest.mark.parametrize("persona", ["admin_client", "colleague_client", "limited_client", "outsider_client"])
    def test_nobody_else_opens_it(self, request, persona, march):
        client = request.getfixturevalue(persona)
        for name in ("folders:detail", "folders:children", "folders:edit", "folders:move", "folders:delete"):
            assert client.get(reverse(name, args=[march.id])).status_code == 404, name

    def test_unknown_folder_is_404_and_anonymous_goes_to_login(self, staff_client, client, march):
        assert staff_client.get(detail_url(UNKNOWN)).status_code == 404
        response = client.get(detail_url(march.id))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_filters_of_the_order_list_work_in_a_folder(self, staff_client, staff_user, clinic, march, filed):
        other = new_order(staff_user, clinic, patient_name="Nakamura^Aiko", patient_id="P-2", modality="MR")
        get_api().add_order_to_folders(actor=staff_user, order_id=other.id, folder_ids=[march.id])
        response = staff_client.get(detail_url(march.id), {"modality": "MR"}, **HTMX)
        content = response.content.decode()
        assert "<html" not in content
        assert "Nakamura" in content
        assert "García" not in content
        assert response.context["table"].form["modality"].value() == ["MR"]
        page = staff_client.get(detail_url(march.id), {"sort": "patient_name"}).context["table"].page
        assert [o.patient_id for o in page.items] == ["P-1001", "P-2"]

    def test_bad_filters_are_explained(self, staff_client, march, filed):
        response = staff_client.get(detail_url(march.id), {"name": "ga", "date_from": "2026-13-40"})
        assert response.status_code == 200
        assert response.context["table"].page is None
        assert response.context["table"].form.errors
        response = staff_client.get(detail_url(march.id), {"sort": "nonsense", "page": "x"})
        assert response.status_code == 200

    def test_limited_users_folder_never_shows_an_order_they_may_not_see(
        self, limited_client, limited_user, staff_user, order
    ):
        api = get_api()
        folder = api.create_folder(actor=limited_user, name="My patients")
        api.assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        api.add_order_to_folders(actor=limited_user, order_id=order.id, folder_ids=[folder.id])
        content = limited_client.get(detail_url(folder.id)).content.decode()
        assert "García" in content
        assert 'name="order_ids"' in content  # limited users tick orders to file or remove them
        assert "Set flag" not in content  # but cannot manage them
        api.unassign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        response = limited_client.get(detail_url(folder.id))
        assert "García" not in response.content.decode()
        assert response.context["folder"].order_count == 0

    def test_empty_folder_says_how_to_fill_it(self, staff_client, march):
        content = staff_client.get(detail_url(march.id)).content.decode()
        assert "No orders in this folder yet" in content


class TestChildren:
    def test_htmx_gets_the_branch(self, staff_client, march):
        cardiology = march.ancestors[0]
        response = staff_client.get(reverse("folders:children", args=[cardiology.id]), **HTMX)
        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content
        assert ">2026</a>" in content
        assert reverse("folders:children", args=[march.ancestors[1].id]) in content  # 2026 opens lazily too

    def test_without_javascript_it_is_a_page(self, staff_client, march):
        response = staff_client.get(reverse("folders:children", args=[march.ancestors[0].id]))
        assert "<html" in response.content.decode()
        assert "Sub-folders of “Cardiology”" in response.content.decode()


def test_folder_names_are_escaped_everywhere(staff_client, staff_user, order):
    folder = get_api().create_folder(actor=staff_user, name='<b>Bold & "quoted"')
    get_api().create_folder(actor=staff_user, name="<i>child", parent_id=folder.id)
    options = reverse("folders:options")
    urls = (
        reverse("folders:tree"),
        detail_url(folder.id),
        f"{reverse('orders:list')}?folder={folder.id}",  # the filter shows the chosen folder
        f"{options}?picker=filter",
        f"{options}?picker=bulk",
    )
    for url in urls:
        content = staff_client.get(url).content.decode()
        assert "<b>" not in content, url
        assert "<i>" not in content, url
        assert "&lt;b&gt;Bold &amp; &quot;quoted&quot;" in content, url


FOLDER_URLS = ["folders:detail", "folders:children", "folders:edit", "folders:move", "folders:delete"]


@pytest.mark.parametrize("name", [*FOLDER_URLS, "folders:remove_orders"])
def test_anonymous_is_sent_to_login_everywhere(client, march, name):
    method = client.post if name == "folders:remove_orders" else client.get
    response = method(reverse(name, args=[march.id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", FOLDER_URLS)
def test_unknown_folders_are_404_everywhere(staff_client, name):
    assert staff_client.get(reverse(name, args=[UNKNOWN])).status_code == 404
