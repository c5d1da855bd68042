"""The folder choices of the order pages' pickers (``folders:options``), loaded by htmx when a
picker is first used, for every persona; and the pages themselves, which no longer carry
every folder twice."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.types import ShareAudience
from tests.folders.conftest import HTMX, UNKNOWN
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db

URL = reverse("folders:options")


def options(client, picker, **params):
    response = client.get(URL, {"picker": picker, **params}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def option_values(content: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', content)


def part(pattern: str, content: str) -> str:
    found = re.search(pattern, content, re.S)
    assert found, pattern
    return found.group(0)


def share(owner, folder_id, *recipients, **rights):
    audience = ShareAudience(user_ids=tuple(profile_of(u).uuid for u in recipients))
    return get_api().share_folder(actor=owner, folder_id=folder_id, audience=audience, **rights)


@pytest.fixture
def mine(staff_user, admin_user, limited_user, outsider, colleague):
    """One folder of each persona's own, by username."""
    api = get_api()
    return {
        user.username: api.create_folder(actor=user, name=f"Own of {user.username}")
        for user in (staff_user, admin_user, limited_user, outsider, colleague)
    }


class TestWhoSeesWhat:
    def test_anonymous_goes_to_login(self, client):
        response = client.get(URL, {"picker": "filter"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        # htmx gets the whole page sent to the sign-in form, not the form inside the select
        response = client.get(URL, {"picker": "bulk"}, **HTMX)
        assert response["HX-Redirect"].startswith(reverse("login"))

    @pytest.mark.parametrize("persona", ["staff_user", "admin_user", "limited_user", "outsider", "colleague"])
    @pytest.mark.parametrize("picker", ["filter", "bulk"])
    def test_everyone_gets_only_their_own_folders(self, request, persona, picker, mine):
        user = request.getfixturevalue(persona)
        client = Client()
        client.force_login(user)
        content = options(client, picker)
        own = str(mine[user.username].id)
        assert own in option_values(content)
        for name, folder in mine.items():
            if name != user.username:
                assert str(folder.id) not in content
                assert folder.name not in content

    def test_the_filter_offers_any_and_the_tree_indented(self, staff_client, march):
        content = options(staff_client, "filter")
        cardiology, year = march.ancestors
        assert option_values(content) == ["", str(cardiology.id), str(year.id), str(march.id)]
        assert content.startswith('<option value="">Any</option>')
        assert f'<option value="{march.id}">\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0March</option>' in content
        assert "selected" not in content

    def test_the_filter_keeps_its_choice(self, staff_client, march):
        content = options(staff_client, "filter", folder=str(march.id))
        assert f'<option value="{march.id}" selected>' in content
        assert content.count(" selected") == 1
        # an empty choice ("Any"), or a folder that is not theirs, selects nothing
        assert " selected" not in options(staff_client, "filter", folder="")
        assert " selected" not in options(staff_client, "filter", folder=str(UNKNOWN))

    def test_bulk_offers_own_folders_and_shared_ones_they_may_edit(
        self, staff_user, colleague, colleague_client, march, mine
    ):
        cardiology = march.ancestors[0]
        share(staff_user, cardiology.id, colleague, may_edit=True)
        viewing = get_api().create_folder(actor=staff_user, name="View only")
        share(staff_user, viewing.id, colleague)
        content = options(colleague_client, "bulk")
        assert '<optgroup label="My folders">' in content
        assert '<optgroup label="Shared with me (may edit)">' in content
        assert f'<option value="{cardiology.id}">Cardiology — ' in content
        assert str(mine["cole"].id) in content
        assert str(viewing.id) not in content  # shared to view only: nowhere to file
        assert str(march.id) not in content  # sub-folders of a shared one are reached from its page
        # the filter searches their own folders only
        filtered = option_values(options(colleague_client, "filter"))
        assert filtered == ["", str(mine["cole"].id)]

    def test_bulk_with_only_shared_folders(self, staff_user, limited_user, limited_client, march):
        share(staff_user, march.ancestors[0].id, limited_user, may_edit=True)
        content = options(limited_client, "bulk")
        assert option_values(content) == [str(march.ancestors[0].id)]
        assert "My folders" not in content

    def test_bulk_without_folders_says_so(self, staff_client):
        content = options(staff_client, "bulk")
        assert '<option value="" disabled>You have no folders to file orders in.</option>' in content
        assert option_values(options(staff_client, "filter")) == [""]

    def test_spanish(self, staff_client, admin_client, march):
        response = staff_client.get(URL, {"picker": "filter"}, HTTP_ACCEPT_LANGUAGE="es", **HTMX)
        assert response.content.decode().startswith('<option value="">Cualquiera</option>')
        empty = admin_client.get(URL, {"picker": "bulk"}, HTTP_ACCEPT_LANGUAGE="es", **HTMX).content.decode()
        assert "No tiene carpetas en las que archivar órdenes." in empty
        response = staff_client.get(URL, {"picker": "tree"}, HTTP_ACCEPT_LANGUAGE="es", **HTMX)
        assert response.content.decode() == "Lista de carpetas desconocida."


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [{}, {"picker": ""}, {"picker": "tree"}, {"picker": "filter", "folder": "junk"}, {"picker": "bulk" * 100}],
    )
    def test_bad_parameters_are_400(self, staff_client, march, params):
        response = staff_client.get(URL, params, **HTMX)
        assert response.status_code == 400
        assert response.content.decode() == "Unknown folder list."

    def test_only_get(self, staff_client):
        assert staff_client.post(URL, {"picker": "filter"}).status_code == 405


def _many_folders(user, count=50):
    api = get_api()
    return [api.create_folder(actor=user, name=f"Batch {i:02d}") for i in range(count)]


class TestPagesDoNotCarryTheChoices:
    def test_order_list(self, staff_client, staff_user, clinic):
        new_order(staff_user, clinic, accession_number="AN-1")
        folders = _many_folders(staff_user)
        content = staff_client.get(reverse("orders:list")).content.decode()
        for folder in folders:
            assert str(folder.id) not in content
        # the filter: "Any", and the rest loads when it is first used
        filter_select = part(r'<select name="folder" id="id_folder"[^>]*>(.*?)</select>', content)
        assert f'hx-get="{URL}?picker=filter"' in filter_select
        assert 'hx-trigger="mouseenter once, focus once, mousedown once"' in filter_select
        assert 'hx-target="this"' in filter_select
        assert 'hx-push-url="false"' in filter_select  # the select's own request is no search
        assert option_values(filter_select) == ["", ""]  # "Any", and "Loading folders…" (disabled)
        assert '<option value="" disabled data-lazy-status' in filter_select
        # "Add to folders" is offered, empty until it is opened
        picker = part(r'<details class="folder-picker".*?</details>', content)
        assert f'hx-get="{URL}?picker=bulk"' in picker
        assert 'hx-trigger="toggle once"' in picker
        assert option_values(picker) == [""]
        assert reverse("folders:bulk_add_orders") in picker
        assert 'name="order_ids"' in content

    def test_order_list_filtered_by_a_folder_shows_that_one(self, staff_client, staff_user, clinic):
        order = new_order(staff_user, clinic, accession_number="AN-1")
        folders = _many_folders(staff_user)
        chosen = folders[7]
        get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[chosen.id])
        response = staff_client.get(reverse("orders:list"), {"folder": str(chosen.id)})
        content = response.content.decode()
        assert [o.id for o in response.context["table"].page.items] == [order.id]
        assert f'<option value="{chosen.id}" selected>Batch 07</option>' in content
        for folder in folders:
            if folder != chosen:
                assert str(folder.id) not in content

    def test_folder_page(self, staff_client, staff_user, clinic):
        order = new_order(staff_user, clinic, accession_number="AN-1")
        folders = _many_folders(staff_user)
        get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[folders[0].id])
        for htmx in ({}, HTMX):
            content = staff_client.get(reverse("folders:detail", args=[folders[0].id]), **htmx).content.decode()
            assert '<option value="' + str(folders[1].id) not in content
            assert f'hx-get="{URL}?picker=bulk"' in content
            assert reverse("folders:remove_orders", args=[folders[0].id]) in content
            assert 'id="id_folder"' not in content  # the page is the filter

    def test_no_folders_no_pickers(self, staff_client, limited_client, staff_user, clinic):
        new_order(staff_user, clinic, accession_number="AN-1")
        content = staff_client.get(reverse("orders:list")).content.decode()
        assert 'id="id_folder"' not in content
        assert "folder-picker" not in content
        assert "Add to folders" not in content

    def test_a_shared_folder_one_may_edit_offers_the_picker(
        self, staff_user, limited_user, limited_client, clinic, march
    ):
        order = new_order(limited_user, clinic, accession_number="AN-9")
        share(staff_user, march.ancestors[0].id, limited_user, may_edit=True)
        content = limited_client.get(reverse("orders:list")).content.decode()
        assert f'hx-get="{URL}?picker=bulk"' in content
        assert 'id="id_folder"' not in content  # no folders of their own to filter by
        assert str(march.ancestors[0].id) not in content
        get_api().add_order_to_folders(actor=limited_user, order_id=order.id, folder_ids=[march.ancestors[0].id])
        page = limited_client.get(reverse("folders:detail", args=[march.ancestors[0].id])).content.decode()
        assert f'hx-get="{URL}?picker=bulk"' in page
