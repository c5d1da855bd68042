"""Linking from the pages: the order page's picker, the list's "Add to existing link", and
the step that asks before linking orders of different patients."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import PatientOrder
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def _group(order):
    return PatientOrder.objects.get(uuid=order.id).group_id


def _linked(actor, order):
    return {o.id for o in get_api().order_properties(actor=actor, order_id=order.id).linked_orders}


@pytest.fixture
def earlier(staff_user, clinic):
    """An earlier order of the same patient as ``order``."""
    return new_order(staff_user, clinic, modality="CR", accession_number="AN-0")


@pytest.fixture
def stranger(staff_user, clinic):
    return new_order(staff_user, clinic, patient_name="Otro^Paciente", patient_id="P-9", accession_number="AN-9")


class TestPicker:
    def test_roles(self, client, outsider_client, limited_client, limited_user, staff_user, admin_client, order):
        get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        url = reverse("orders:link", args=[order.id])
        assert client.get(url).status_code == 302
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"order_ids": [str(order.id)]}).status_code == 404
        assert limited_client.get(url).status_code == 403
        assert limited_client.post(url, {"order_ids": [str(order.id)]}).status_code == 403
        assert admin_client.get(url).status_code == 200

    def test_offers_the_same_patients_orders_and_links_them(self, staff_client, staff_user, order, earlier, stranger):
        detail = staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()
        url = reverse("orders:link", args=[order.id])
        assert f'href="{url}"' in detail
        page = staff_client.get(url)
        assert [o.id for o in page.context["candidates"]] == [earlier.id]
        response = staff_client.post(url, {"order_ids": [str(earlier.id)]})
        assert response.status_code == 302
        assert _linked(staff_user, order) == {earlier.id}
        # Linked now: the same page adds to the link.
        assert "Add orders to this link" in staff_client.get(url).content.decode()

    def test_another_patient_is_found_and_asked_about(self, staff_client, staff_user, order, earlier, stranger):
        url = reverse("orders:link", args=[order.id])
        get_api().link_orders(actor=staff_user, order_ids=[order.id, earlier.id])
        page = staff_client.get(url, {"find": "AN-9"})
        assert [o.id for o in page.context["candidates"]] == [stranger.id]
        asked = staff_client.post(url, {"order_ids": [str(stranger.id)]})
        assert asked.status_code == 200
        content = asked.content.decode()
        assert "Link orders of different patients?" in content
        assert "Otro, Paciente (P-9)" in content
        assert 'name="confirm_different_patients"' in content
        assert _group(stranger) is None
        done = staff_client.post(url, {"order_ids": [str(stranger.id)], "confirm_different_patients": "on"})
        assert done.status_code == 302
        assert _linked(staff_user, order) == {earlier.id, stranger.id}

    def test_nothing_ticked_is_explained(self, staff_client, order, earlier):
        response = staff_client.post(reverse("orders:link", args=[order.id]), {})
        assert response.status_code == 200
        assert "Tick the orders to link first." in response.content.decode()

    def test_spanish(self, staff_client, order, earlier, stranger):
        url = reverse("orders:link", args=[order.id])
        page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert "Vincular otras órdenes con esta" in page
        asked = staff_client.post(url, {"order_ids": [str(stranger.id)]}, HTTP_ACCEPT_LANGUAGE="es")
        assert "¿Vincular órdenes de pacientes distintos?" in asked.content.decode()


class TestList:
    def test_link_asks_before_linking_different_patients(self, staff_client, staff_user, order, stranger):
        ids = [str(order.id), str(stranger.id)]
        back = reverse("orders:list") + "?name=garc"
        asked = staff_client.post(reverse("orders:bulk_link"), {"order_ids": ids, "next": back})
        assert asked.status_code == 200
        content = asked.content.decode()
        assert f'action="{reverse("orders:bulk_link")}"' in content
        assert f'href="{back}"' in content
        assert _group(order) is None
        done = staff_client.post(
            reverse("orders:bulk_link"), {"order_ids": ids, "confirm_different_patients": "on", "next": back}
        )
        assert done["Location"] == back
        assert _linked(staff_user, order) == {stranger.id}

    def test_same_patient_links_without_a_question(self, staff_client, staff_user, order, earlier):
        ids = [str(order.id), str(earlier.id)]
        assert staff_client.post(reverse("orders:bulk_link"), {"order_ids": ids}).status_code == 302
        assert _linked(staff_user, order) == {earlier.id}

    def test_add_to_existing_link(self, staff_client, staff_user, clinic, order, earlier, stranger):
        get_api().link_orders(actor=staff_user, order_ids=[order.id, earlier.id])
        third = new_order(staff_user, clinic, modality="US", accession_number="AN-3")
        url = reverse("orders:bulk_add_to_link")
        assert 'formaction="' + url in staff_client.get(reverse("orders:list")).content.decode()
        response = staff_client.post(url, {"order_ids": [str(third.id), str(order.id)]})
        assert response.status_code == 302
        assert _linked(staff_user, order) == {earlier.id, third.id}
        messages = [str(m) for m in staff_client.get(reverse("orders:list")).context["messages"]]
        assert "1 order added to the link of García, María José · AN-1." in messages
        # Another patient: asked first.
        asked = staff_client.post(url, {"order_ids": [str(stranger.id), str(earlier.id)]})
        assert asked.status_code == 200
        assert "Otro, Paciente (P-9)" in asked.content.decode()
        staff_client.post(url, {"order_ids": [str(stranger.id), str(earlier.id)], "confirm_different_patients": "on"})
        assert stranger.id in _linked(staff_user, order)

    def test_add_to_link_needs_exactly_one_link(self, staff_client, staff_user, clinic, order, earlier, stranger):
        url = reverse("orders:bulk_add_to_link")
        staff_client.post(url, {"order_ids": [str(order.id), str(earlier.id)]})
        messages = [str(m) for m in staff_client.get(reverse("orders:list")).context["messages"]]
        assert messages == ["Tick one order that is already linked (🔗) and the orders to add to its link."]
        get_api().link_orders(actor=staff_user, order_ids=[order.id, earlier.id])
        staff_client.post(url, {"order_ids": [str(order.id)]})
        messages = [str(m) for m in staff_client.get(reverse("orders:list")).context["messages"]]
        assert messages == ["Tick the orders to add as well as the linked one."]

    def test_roles(self, client, limited_client, limited_user, outsider_client, staff_user, clinic, order, earlier):
        api = get_api()
        api.link_orders(actor=staff_user, order_ids=[order.id, earlier.id])
        third = new_order(staff_user, clinic, accession_number="AN-3")
        for each in (order, third):
            api.assign_order(actor=staff_user, order_id=each.id, user_id=profile_of(limited_user).uuid)
        ids = {"order_ids": [str(order.id), str(third.id)], "confirm_different_patients": "on"}
        url = reverse("orders:bulk_add_to_link")
        assert client.post(url, ids).status_code == 302
        assert limited_client.post(url, ids).status_code == 403
        assert outsider_client.post(url, ids).status_code == 404
        assert limited_client.post(reverse("orders:bulk_link"), ids).status_code == 403
        assert outsider_client.post(reverse("orders:bulk_link"), ids).status_code == 404
        assert _group(third) is None
