"""Order pages: list, create, detail and actions, for every persona."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import NotFound
from postdicom.local.access import profile_of
from postdicom.local.models import FlagGroupRecord, FlagRecord, UserGroup
from tests.folders.conftest import messages_of
from tests.orders.conftest import new_order

pytestmark = pytest.mark.django_db


def _detail(order):
    return reverse("orders:detail", args=[order.id])


class TestList:
    def test_staff_see_their_institutions_orders(self, staff_client, order, other_order):
        response = staff_client.get(reverse("orders:list"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "García, María José" in content
        assert "Nord" not in content

    def test_outsider_sees_only_their_own(self, outsider_client, order, other_order):
        content = outsider_client.get(reverse("orders:list")).content.decode()
        assert "Nord, Nils" in content
        assert "García" not in content

    def test_limited_user_sees_nothing_until_assigned(self, limited_client, limited_user, staff_user, order):
        assert "García" not in limited_client.get(reverse("orders:list")).content.decode()
        get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        assert "García" in limited_client.get(reverse("orders:list")).content.decode()
        get_api().unassign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        assert "García" not in limited_client.get(reverse("orders:list")).content.decode()

    def test_name_search_is_accent_insensitive_and_htmx_returns_fragment(self, staff_client, order):
        response = staff_client.get(reverse("orders:list"), {"name": "garcia"}, HTTP_HX_REQUEST="true")
        content = response.content.decode()
        assert response.status_code == 200
        assert "García, María José" in content
        assert "<html" not in content
        assert "HX-Request" in response["Vary"]

    def test_too_short_name_explains_instead_of_failing(self, staff_client, order):
        response = staff_client.get(reverse("orders:list"), {"name": "ga"})
        assert response.status_code == 200
        assert response.context["table"].page is None
        assert response.context["table"].form.errors

    def test_bad_dates_are_explained(self, staff_client, order):
        response = staff_client.get(reverse("orders:list"), {"date_from": "2026-13-40", "date_to": "x"})
        assert response.status_code == 200
        assert "date_from" in response.context["table"].form.errors

    def test_anonymous_goes_to_login(self, client):
        response = client.get(reverse("orders:list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_home_sends_staff_to_orders(self, staff_client):
        response = staff_client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("orders:list")

    def test_a_name_typed_as_the_list_shows_it_finds_the_order(self, staff_client, order):
        for typed in ("García, María José", "garcia, maria", "GARCÍA^MARÍA"):
            page = staff_client.get(reverse("orders:list"), {"name": typed}).context["table"].page
            assert [o.id for o in page.items] == [order.id], typed

    def test_modalities_and_statuses_are_tick_boxes_kept_in_the_url(self, staff_client, order):
        response = staff_client.get(reverse("orders:list"), {"modality": ["CT", "MR"], "status": "scheduled"})
        content = response.content.decode()
        assert '<input type="checkbox" name="modality" value="MR"' in content
        assert 'name="modality" value="MR" id="id_modality_7" checked' in content
        assert 'name="modality" value="CT" id="id_modality_1" checked' in content
        assert 'name="status" value="scheduled" id="id_status_0" checked' in content
        assert '<select name="modality"' not in content
        assert '<select name="status"' not in content
        assert [o.id for o in response.context["table"].page.items] == [order.id]
        assert response.context["table"].page.total == 1
        assert staff_client.get(reverse("orders:list"), {"modality": "MR"}).context["table"].page.total == 0

    @pytest.mark.parametrize(
        ("language", "presets", "more"),
        [
            ("en", ("Flagged", "Assigned to me"), "More filters"),
            ("es", ("Con bandera", "Asignadas a mí"), "Más filtros"),
        ],
    )
    def test_the_local_backend_offers_every_filter_preset_and_sort(self, staff_client, order, language, presets, more):
        """It applies every ``OrderFilter``: every preset, field and sortable heading is
        offered, nothing is said to be unavailable, and a flag or assignment filter is applied
        without a "not applied" notice (its cloud counterpart: tests/contract/test_pages.py)."""
        listing = staff_client.get(reverse("orders:list"), HTTP_ACCEPT_LANGUAGE=language)
        html = listing.content.decode()
        table = listing.context["table"]
        assert table.sortable
        assert table.form.withheld == []
        assert table.not_applied == []
        assert len(table.presets) == 4
        chips = html.split('<nav class="presets"', 1)[1].split("</nav>", 1)[0]
        assert all(label in chips for label in presets)
        for name in ("name", "patient_id", "accession", "date_from", "modality", "status", "flag", "mine"):
            assert f'name="{name}"' in html, name
        assert more in html
        assert "?sort=patient_name" in html
        assert "Not available with this image server" not in html
        asked = staff_client.get(reverse("orders:list"), {"flag": "any", "mine": "on", "sort": "patient_name"})
        assert asked.context["table"].page.total == 0  # applied: the order has no flag
        assert "Not applied" not in asked.content.decode()


class TestCreate:
    def _post(self, client, clinic, **overrides):
        data = {
            "institution_id": str(clinic.uuid),
            "last_name": "Papadopoulos",
            "first_name": "Γιώργος",
            "middle_name": "",
            "patient_id": "GR-77",
            "modality": "mr",
            "study_description": "Brain",
            "order_date": "2026-11-29",
            "order_time": "09:30",
        }
        data.update(overrides)
        return client.post(reverse("orders:create"), data)

    def test_create_order(self, staff_client, clinic):
        response = self._post(staff_client, clinic)
        assert response.status_code == 302
        detail = staff_client.get(response["Location"])
        assert "Papadopoulos, Γιώργος" in detail.content.decode()

    def test_errors_next_to_fields_and_values_kept(self, staff_client, clinic):
        response = self._post(
            staff_client, clinic, order_date="2026-02-30", order_time="25:00", accession_number="X" * 17
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert {"order_date", "order_time", "accession_number"} <= set(errors)
        assert 'value="Papadopoulos"' in response.content.decode()

    def test_a_too_long_accession_number_is_explained_not_cut(self, staff_client, clinic):
        form_page = staff_client.get(reverse("orders:create")).content.decode()
        assert "maxlength" not in form_page  # a browser would cut the 17th character silently
        response = self._post(staff_client, clinic, accession_number="ACC-123456789-XYZ")
        assert response.status_code == 200
        errors = response.context["form"].errors["accession_number"]
        assert errors == ["Use at most 16 characters (this has 17)."]
        assert "Use at most 16 characters (this has 17)." in response.content.decode()

    def test_every_mistake_is_reported_at_once(self, staff_client, clinic):
        response = self._post(
            staff_client, clinic, last_name="", modality="XYZ123", birth_date="2999-01-01", order_time="25:00"
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"last_name", "modality", "birth_date", "order_time"}
        assert errors["birth_date"] == ["The birth date cannot be in the future."]
        assert errors["modality"] == [
            "“XYZ123” is not a DICOM modality. Use one of DICOM's codes, like CT, MR, US, CR or DX."
        ]

    def test_modality_is_one_of_dicoms_defined_terms_in_both_languages(self, staff_client, clinic):
        assert self._post(staff_client, clinic, modality=" rtplan ").status_code == 302
        data = {"institution_id": str(clinic.uuid), "last_name": "Pérez", "patient_id": "ES-1", "modality": "XYZ123"}
        response = staff_client.post(
            reverse("orders:create"), data | {"order_date": "2026-11-29"}, HTTP_ACCEPT_LANGUAGE="es"
        )
        assert response.context["form"].errors["modality"] == [
            "«XYZ123» no es una modalidad DICOM. Use uno de los códigos de DICOM, como CT, MR, US, CR o DX."
        ]

    def test_the_local_backend_takes_an_order_without_a_birth_date(self, staff_client, clinic):
        """Only what the backend requires (``required_order_fields``) is marked: not the birth
        date here (the cloud backend's server requires it: tests/contract)."""
        assert not staff_client.get(reverse("orders:create")).context["form"].fields["birth_date"].required
        assert self._post(staff_client, clinic, birth_date="").status_code == 302

    def test_birth_date_and_sex_are_shown_without_opening_more_details(self, staff_client):
        page = staff_client.get(reverse("orders:create")).content.decode()
        before_details = page.split('<details class="details-group"')[0]
        assert 'name="birth_date"' in before_details
        assert 'name="sex"' in before_details

    def test_service_errors_are_mapped(self, staff_client, clinic, staff_user):
        """The local backend refuses a second order with an accession number, as the form's
        help says (``accession_numbers_unique``; not said on the cloud: tests/contract)."""
        help_text = staff_client.get(reverse("orders:create")).context["form"].fields["accession_number"].help_text
        assert help_text == "1 to 16 characters, unique in the institution."
        new_order(staff_user, clinic, accession_number="DUP-1", patient_id="OTHER")
        response = self._post(staff_client, clinic, accession_number="DUP-1")
        assert response.status_code == 200
        assert "accession_number" in response.context["form"].errors

    def test_possible_duplicates_shown_before_saving(self, staff_client, clinic, order):
        response = self._post(staff_client, clinic, patient_id="P-1001")
        assert response.status_code == 200
        assert response.context["duplicates"]
        assert 'name="confirm_duplicates"' in response.content.decode()
        confirmed = self._post(staff_client, clinic, patient_id="P-1001", confirm_duplicates="on")
        assert confirmed.status_code == 302

    def test_institution_must_be_the_users(self, staff_client, other_clinic):
        response = self._post(staff_client, other_clinic)
        assert response.status_code == 200
        assert "institution_id" in response.context["form"].errors


class TestDetailAndActions:
    def test_roles_on_detail(self, admin_client, staff_client, limited_client, outsider_client, client, order):
        url = _detail(order)
        assert admin_client.get(url).status_code == 200
        assert staff_client.get(url).status_code == 200
        assert limited_client.get(url).status_code == 404
        assert outsider_client.get(url).status_code == 404
        assert client.get(url).status_code == 302

    def test_unknown_order_is_404(self, staff_client):
        assert (
            staff_client.get(reverse("orders:detail", args=["00000000-0000-4000-8000-000000000000"])).status_code == 404
        )

    def test_flag_assign_unlink_move_delete_restore(self, staff_client, order, limited_user, clinic, staff_user):
        group = FlagGroupRecord.objects.create(name="Urgency")
        flag = FlagRecord.objects.create(group=group, name="Urgent", color="#d00000")
        response = staff_client.post(
            reverse("orders:flag", args=[order.id]), {"group_id": str(group.uuid), "flag_id": str(flag.uuid)}
        )
        assert response.status_code == 302
        assert "Urgent" in staff_client.get(_detail(order)).content.decode()

        response = staff_client.post(
            reverse("orders:assign", args=[order.id]), {"assignee": f"user:{profile_of(limited_user).uuid}"}
        )
        assert response.status_code == 302
        assert get_api().order_properties(actor=limited_user, order_id=order.id)

        bad = staff_client.post(reverse("orders:assign", args=[order.id]), {"assignee": "nonsense"}, follow=True)
        assert bad.status_code == 200
        assert "Choose a user or a user group" in bad.content.decode()

        staff_client.post(reverse("orders:unassign", args=[order.id]), {"user_id": str(profile_of(limited_user).uuid)})
        with pytest.raises(NotFound):
            get_api().order_properties(actor=limited_user, order_id=order.id)

        assert staff_client.post(reverse("orders:delete", args=[order.id])).status_code == 302
        assert "García" not in staff_client.get(reverse("orders:list")).content.decode()
        assert "García" in staff_client.get(reverse("orders:recycle_bin")).content.decode()
        assert staff_client.post(reverse("orders:restore", args=[order.id])).status_code == 302
        assert "Urgent" in staff_client.get(_detail(order)).content.decode()

    def test_limited_user_cannot_manage(self, limited_client, limited_user, staff_user, order):
        get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
        assert limited_client.get(_detail(order)).status_code == 200
        assert limited_client.post(reverse("orders:delete", args=[order.id])).status_code == 403
        assert limited_client.get(reverse("orders:recycle_bin")).status_code == 403

    def test_outsider_cannot_touch(self, outsider_client, order):
        for name in ("delete", "restore", "unlink"):
            assert outsider_client.post(reverse(f"orders:{name}", args=[order.id])).status_code == 404

    def test_get_on_action_is_405(self, staff_client, order):
        assert staff_client.get(reverse("orders:delete", args=[order.id])).status_code == 405

    def test_an_empty_order_lists_only_what_is_filled(self, staff_client, staff_user, clinic):
        bare = new_order(staff_user, clinic)
        content = staff_client.get(_detail(bare)).content.decode()
        head = content.split('<div class="page-head">')[1].split("</p>")[0]
        assert not head.rstrip().endswith("·")
        card = content.split('<dl class="facts">')[1].split("</dl>")[0]
        assert card.count("<dt>") == 3  # modality, order date, created
        assert "—" not in card
        assert "No other details were given" in content

    def test_a_filled_order_lists_its_details(self, staff_client, order):
        content = staff_client.get(_detail(order)).content.decode()
        card = content.split('<dl class="facts">')[1].split("</dl>")[0]
        assert "Chest" in card
        assert "AN-1" in card
        assert "No other details were given" not in content


class TestBulk:
    def test_bulk_flag_assign_link_delete(self, staff_client, staff_user, clinic, order):
        second = new_order(staff_user, clinic, patient_id="P-2", patient_name="Pérez^Ana")
        ids = [str(order.id), str(second.id)]
        group = FlagGroupRecord.objects.create(name="Review")
        flag = FlagRecord.objects.create(group=group, name="To review", color="#0057b7")
        team = UserGroup.objects.create(name="Referrers")
        next_url = reverse("orders:list") + "?name=garc"
        r = staff_client.post(
            reverse("orders:bulk_flag"), {"order_ids": ids, "flag": f"{group.uuid}:{flag.uuid}", "next": next_url}
        )
        assert r.status_code == 302
        assert r["Location"] == next_url
        assert (
            staff_client.post(
                reverse("orders:bulk_assign"), {"order_ids": ids, "assignee": f"group:{team.uuid}"}
            ).status_code
            == 302
        )
        assert (
            staff_client.post(
                reverse("orders:bulk_link"), {"order_ids": ids, "confirm_different_patients": "on"}
            ).status_code
            == 302
        )
        detail = get_api().order_properties(actor=staff_user, order_id=order.id)
        assert [o.id for o in detail.linked_orders] == [second.id]
        assert [f.name for f in detail.summary.flags] == ["To review"]
        assert [g.name for g in detail.assigned_groups] == ["Referrers"]
        assert staff_client.post(reverse("orders:bulk_delete"), {"order_ids": ids}).status_code == 302
        assert get_api().recycle_bin(actor=staff_user).total == 2

    def test_bulk_without_ticks_explains(self, staff_client):
        response = staff_client.post(reverse("orders:bulk_delete"), {}, follow=True)
        assert "Tick at least one order first" in response.content.decode()

    def test_bulk_never_touches_hidden_orders(self, outsider_client, order, staff_user):
        response = outsider_client.post(reverse("orders:bulk_delete"), {"order_ids": [str(order.id)]})
        assert response.status_code == 302
        assert response["Location"] == reverse("orders:list")
        assert messages_of(response) == ["No such order.", "0 orders moved to the recycle bin."]
        assert get_api().order_properties(actor=staff_user, order_id=order.id).summary.id == order.id
        assert get_api().recycle_bin(actor=staff_user).total == 0

    def test_limited_bulk_is_refused(self, limited_client, order, staff_user):
        response = limited_client.post(reverse("orders:bulk_delete"), {"order_ids": [str(order.id)]})
        assert response.status_code == 302
        assert messages_of(response) == ["No such order.", "0 orders moved to the recycle bin."]
        assert get_api().recycle_bin(actor=staff_user).total == 0


def test_back_button_history_restore_gets_the_whole_page(staff_client, order):
    response = staff_client.get(
        reverse("orders:list"), {"name": "garcia"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_move_to_another_institution(admin_client, admin_user, order, other_clinic, staff_client, outsider_client):
    url = reverse("orders:move", args=[order.id])
    refused = staff_client.post(url, {"institution_id": str(other_clinic.uuid)}, follow=True)
    assert "institution" in refused.content.decode().lower()  # not one of the staff user's institutions
    assert get_api().order_properties(actor=admin_user, order_id=order.id).summary.institution.name == "Clínica Central"
    missing = admin_client.post(url, {}, follow=True)
    assert "Choose an institution." in missing.content.decode()
    assert admin_client.post(url, {"institution_id": str(other_clinic.uuid)}).status_code == 302
    assert get_api().order_properties(actor=admin_user, order_id=order.id).summary.institution.name == "North Imaging"
    assert outsider_client.get(_detail(order)).status_code == 200  # now in the outsider's institution
    assert staff_client.get(_detail(order)).status_code == 404


def test_without_any_institution_the_pages_say_what_to_do(admin_client):
    for name in ("orders:create", "orders:upload"):
        response = admin_client.get(reverse(name))
        assert response.status_code == 200
        assert "There is no institution" in response.content.decode()


def test_date_fields_keep_iso_values_in_spanish(staff_client, clinic):
    """HTML date inputs only understand YYYY-MM-DD, whatever the page's language."""
    response = staff_client.get(reverse("orders:create"), HTTP_ACCEPT_LANGUAGE="es")
    content = response.content.decode()
    assert 'lang="es"' in content
    assert f'name="order_date" value="{timezone.localdate().isoformat()}"' in content
    listing = staff_client.get(reverse("orders:list"), {"date_from": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="es")
    assert 'value="2026-11-01"' in listing.content.decode()
