"""The order edit page: per role, the creation form's checks, and the history it leaves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.local.access import profile_of
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def _url(order):
    return reverse("orders:edit", args=[order.id])


def _form(**overrides):
    data = {
        "last_name": "García",
        "first_name": "Maria",  # the typo being fixed: María
        "middle_name": "José",
        "patient_id": "P-1001",
        "modality": "CT",
        "order_date": "2026-11-20",
        "accession_number": "AN-1",
        "study_description": "Chest",
    }
    data.update(overrides)
    return data


def test_roles(admin_client, staff_client, limited_client, limited_user, staff_user, outsider_client, client, order):
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert client.get(_url(order)).status_code == 302
    assert outsider_client.get(_url(order)).status_code == 404
    assert outsider_client.post(_url(order), _form()).status_code == 404
    assert limited_client.get(_url(order)).status_code == 403
    assert limited_client.post(_url(order), _form()).status_code == 403
    assert "Edit</a>" not in limited_client.get(reverse("orders:detail", args=[order.id])).content.decode()
    assert admin_client.get(_url(order)).status_code == 200
    page = staff_client.get(_url(order))
    assert page.status_code == 200
    content = page.content.decode()
    for value in ("García", "María", "AN-1"):
        assert f'value="{value}"' in content
    assert "written in their files" in content
    assert f'href="{_url(order)}"' in staff_client.get(reverse("orders:detail", args=[order.id])).content.decode()


def test_fix_a_typo_and_read_it_in_the_history(staff_client, order):
    response = staff_client.post(_url(order), _form(first_name="Mariana", patient_id="P-1002"))
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.id])
    content = staff_client.get(response["Location"]).content.decode()
    assert "García, Mariana José" in content
    assert "Order changed" in content
    assert "patient ID: P-1001 → P-1002" in content
    spanish = staff_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Orden modificada" in spanish
    assert "ID del paciente: P-1001 → P-1002" in spanish


def test_errors_are_shown_with_the_values_kept(staff_client, staff_user, clinic, order):
    new_order(staff_user, clinic, patient_id="OTHER", accession_number="AN-2")
    response = staff_client.post(
        _url(order), _form(last_name="", order_date="2026-02-30", accession_number="AN-2", first_name="Mariana")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"last_name", "order_date"} <= set(errors)
    assert 'value="Mariana"' in response.content.decode()
    # The service's own checks (a taken accession number) land next to their field.
    response = staff_client.post(_url(order), _form(accession_number="AN-2"))
    assert response.status_code == 200
    assert "accession_number" in response.context["form"].errors


def test_the_institution_cannot_be_changed_here(staff_client, order, other_clinic):
    response = staff_client.post(_url(order), _form(institution_id=str(other_clinic.uuid), patient_id="P-7"))
    assert response.status_code == 302
    detail = staff_client.get(reverse("orders:detail", args=[order.id]))
    assert detail.context["order"].institution.name != other_clinic.name


def test_spanish_page(staff_client, order):
    content = staff_client.get(_url(order), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Modificar orden" in content
    assert "Guardar cambios" in content
