"""postdicom.nul: text with a NUL character (U+0000) is refused by the backend itself, with
``InvalidInput`` naming the field, at every entry point; never a database error (500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from postdicom import get_api
from postdicom.contract import PostDicomApi
from postdicom.errors import InvalidInput
from postdicom.local import LocalBackend
from postdicom.local.models import Folder, PatientOrder
from postdicom.nul import CONTRACT_METHODS, check_arguments
from postdicom.types import OrderDraft, OrderQuery, ShareAudience, ShareOptions
from tests.postdicom.server.custom.conftest import call

pytestmark = pytest.mark.django_db

REFUSED = "Null characters are not allowed."


def refused_field(call_service) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        call_service()
    return caught.value.field_errors


def draft(**changes) -> OrderDraft:
    values = {
        "patient_name": "GARCIA^MARIA",
        "patient_id": "P-1",
        "modality": "CT",
        "order_date": dt.date(2026, 11, 20),
    }
    return OrderDraft(**{**values, **changes})


class TestTheBackendRefuses:
    def test_a_text_argument_by_its_name(self, staff_user):
        api = get_api()
        assert refused_field(lambda: api.create_folder(actor=staff_user, name="Cardio\x00logy")) == {"name": [REFUSED]}
        assert refused_field(lambda: api.create_folder(actor=staff_user, name="Cardiology", description="a\x00")) == {
            "description": [REFUSED]
        }
        assert not Folder.objects.exists()

    def test_a_drafts_field_by_the_fields_name(self, staff_user, clinic):
        api = get_api()
        errors = refused_field(
            lambda: api.create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft(history="x\x00y"))
        )
        assert errors == {"history": [REFUSED]}
        assert not PatientOrder.objects.exists()

    def test_text_inside_a_list_by_the_field_holding_it(self, staff_user):
        query = OrderQuery(modalities=("CT", "M\x00R"))
        assert refused_field(lambda: get_api().search_orders(actor=staff_user, query=query)) == {
            "modalities": [REFUSED]
        }

    def test_share_options_and_addresses(self, staff_user, clinic):
        order = get_api().create_order(actor=staff_user, institution_id=clinic.uuid, draft=draft())
        options = ShareOptions(message="hola\x00")
        errors = refused_field(
            lambda: get_api().share_orders(
                actor=staff_user, order_ids=[order.id], audience=ShareAudience(link=True), options=options
            )
        )
        assert errors == {"message": [REFUSED]}

        by_mail = ShareAudience(email="ana@example.org\x00")
        errors = refused_field(
            lambda: get_api().share_orders(
                actor=staff_user, order_ids=[order.id], audience=by_mail, options=ShareOptions()
            )
        )
        assert errors == {"email": [REFUSED]}

    def test_a_public_token(self):
        assert refused_field(lambda: get_api().share_status(token="abc\x00")) == {"token": [REFUSED]}

    def test_everything_else_passes_untouched(self, staff_user):
        check_arguments({"name": "ok", "draft": draft(), "ids": [1, 2], "when": dt.date(2026, 1, 1), "map": {"a": "b"}})
        folder = get_api().create_folder(actor=staff_user, name="Ávila")
        assert folder.name == "Ávila"

    def test_mappings_are_looked_through(self):
        with pytest.raises(InvalidInput) as caught:
            check_arguments({"replacements": {"PatientName": "A\x00"}})
        assert caught.value.field_errors == {"replacements": [REFUSED]}


class TestTheGuardLeavesTheBackendAsItWas:
    def test_type_and_capabilities(self):
        api = get_api()
        assert type(api) is LocalBackend
        assert api.capabilities == LocalBackend().capabilities

    def test_every_implemented_contract_method_is_guarded_once(self):
        api = get_api()
        guarded = {name for name in CONTRACT_METHODS if name in vars(api)}
        implemented = {n for n in CONTRACT_METHODS if getattr(LocalBackend, n) is not getattr(PostDicomApi, n)}
        assert guarded == implemented
        assert "create_order" in guarded

    def test_a_method_replaced_on_the_class_is_reached(self, staff_user, monkeypatch):
        api = get_api()
        monkeypatch.setattr(LocalBackend, "search_folders", lambda self, **kwargs: ("replaced", self is api))
        assert api.search_folders(actor=staff_user, text="x") == ("replaced", True)
        assert refused_field(lambda: api.search_folders(actor=staff_user, text="x\x00")) == {"text": [REFUSED]}


class TestEntryPoints:
    def test_a_form_shows_the_error_next_to_its_field(self, client, staff_user):
        client.force_login(staff_user)
        response = client.post(reverse("folders:create"), {"name": "Cardio\x00logy", "description": ""})
        assert response.status_code in (200, 400)
        assert REFUSED in response.content.decode()
        assert not Folder.objects.exists()

    def test_the_api_names_the_parameter(self, staff_client):
        response = call(staff_client, "createfolder", "CreateFolderParameters", {"FolderName": "a\x00b"})
        assert response.status_code == 400
        assert response.json()["Errors"] == {"FolderName": [REFUSED]}
        assert not Folder.objects.exists()
