"""A patient's orders together: from an order, one link lists every order with the same
patient ID in its institution that the reader may see (the order list with a filter)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.types import OrderQuery
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(staff_user, admin_user, outsider, clinic, other_clinic, order):
    """``order`` (P-1001 in ``clinic``) and: another order of the same patient (ID in
    another case), one whose ID only begins like it, one of another patient, and one with the
    same ID in another institution."""
    return {
        "same": new_order(staff_user, clinic, patient_id="p-1001", modality="MR"),
        "longer": new_order(staff_user, clinic, patient_id="P-10010"),
        "other": new_order(staff_user, clinic, patient_name="Otro^Paciente", patient_id="P-2"),
        "elsewhere": new_order(outsider, other_clinic, patient_id="P-1001"),
    }


def _link(client, order):
    content = client.get(reverse("orders:detail", args=[order.id])).content.decode()
    found = re.search(r'href="([^"]*exact_id=on[^"]*)"', content)
    assert found, "the order page links to the patient's orders"
    return unescape(found.group(1))


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {o.id for o in response.context["table"].page.items}


def test_one_click_lists_the_patients_orders(staff_client, admin_client, order, family):
    expected = {order.id, family["same"].id}
    assert _listed(staff_client, _link(staff_client, order)) == expected
    # Administrators see every institution; the link keeps to the order's.
    assert _listed(admin_client, _link(admin_client, order)) == expected


def test_the_link_is_a_bookmarkable_search_that_can_be_widened(staff_client, order, family):
    url = _link(staff_client, order)
    assert url.startswith(reverse("orders:list") + "?")
    page = staff_client.get(url).content.decode()
    assert 'name="exact_id"' in page
    assert "checked" in page
    # Without "this patient ID only", the ID is a prefix again.
    widened = reverse("orders:list") + "?patient_id=P-1001"
    assert family["longer"].id in _listed(staff_client, widened)


def test_limited_users_see_only_what_they_may(limited_client, limited_user, staff_user, order, family):
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert _listed(limited_client, _link(limited_client, order)) == {order.id}


def test_outsiders_get_nothing(outsider_client, order, family, clinic):
    assert outsider_client.get(reverse("orders:detail", args=[order.id])).status_code == 404
    url = reverse("orders:list") + f"?patient_id=P-1001&exact_id=on&institution={clinic.uuid}"
    response = outsider_client.get(url)
    assert response.status_code == 200
    assert not response.context["table"].page or family["elsewhere"].id not in {
        o.id for o in response.context["table"].page.items
    }


def test_spanish(staff_client, order, family):
    content = staff_client.get(reverse("orders:detail", args=[order.id]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "todas las órdenes de este paciente" in content


def test_the_service_filter(staff_user, order, family):
    query = OrderQuery(patient_id="P-1001", exact_patient_id=True, institution_ids=(order.institution.id,))
    found = get_api().search_orders(actor=staff_user, query=query)
    assert {o.id for o in found.items} == {order.id, family["same"].id}
