"""create_order, OrderDraft.from_text and possible_duplicates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.errors import Forbidden, InvalidInput
from postdicom.local.models import AuditRecord, DicomNodeRecord, Institution
from postdicom.types import OrderDraft, OrderQuery, OrderStatus
from tests.postdicom.local.orders_setup import ORDER_DAY, actions, create, draft, limited, row


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _errors(actor: User, institution: Institution, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        create(actor, institution, **changes)
    return caught.value.field_errors


def _node(institution: Institution, ae: str = "CT1") -> DicomNodeRecord:
    return DicomNodeRecord.objects.create(
        institution=institution, name=f"Scanner {ae}", ae_title=ae, host="ct.local", port=104
    )


# --- Creating ----------------------------------------------------------------------------------


def test_staff_creates_a_scheduled_order_with_every_field(staff_user: User, clinic: Institution) -> None:
    node = _node(clinic)
    full = draft(
        other_patient_id="OTHER-9",
        accession_number="AN-12345",
        complaints="Cough\nfor two weeks",
        history="Smoker",
        symptom="Fever",
        priority="stat",
        requesting_physician="GARCÍA^Luis",
        requesting_department="Neumología",
        referring_physician="LÓPEZ^Ana",
        procedure_id="PROC-1",
        procedure_description="CT thorax",
        scheduled_equipment_id=node.uuid,
        performed_at=dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC),
        note1="First note",
        note2="Second note",
        modality="ct",
    )
    summary = get_api().create_order(actor=staff_user, institution_id=clinic.uuid, draft=full)
    assert summary.status is OrderStatus.SCHEDULED
    assert summary.institution.id == clinic.uuid
    assert summary.modality == "CT"
    detail = get_api().order_properties(actor=staff_user, order_id=summary.id)
    assert detail.draft == OrderDraft(**{**full.__dict__, "modality": "CT", "priority": "STAT"})
    assert detail.scheduled_equipment is not None
    assert detail.scheduled_equipment.id == node.uuid
    assert detail.created_by == "Sam Staff"
    saved = row(summary.id)
    assert saved.created_by == staff_user
    assert saved.patient_name_search == "pena maria jose"


def test_creation_is_audited(staff_user: User, clinic: Institution) -> None:
    summary = create(staff_user, clinic, accession_number="AN-1")
    event = AuditRecord.objects.get(target_type="order", target_id=str(summary.id))
    assert event.action == "order.created"
    assert event.actor == staff_user
    assert event.target_label == "PEÑA, María José · AN-1"
    assert event.detail["institution"] == "Clínica Central"
    assert event.detail["modality"] == "CT"


def test_patient_name_components_are_cleaned(staff_user: User, clinic: Institution) -> None:
    summary = create(staff_user, clinic, patient_name="  de la  Fuente ^ Ana ^^")
    assert summary.patient_name == "de la Fuente^Ana"
    assert summary.patient_display_name == "de la Fuente, Ana"


@pytest.mark.parametrize(
    ("name", "found_by"),
    [
        ("PEÑA^José", "pena"),
        ("Ωμέγα^Αλέξης", "ΩΜΕΓΑ"),
        ("山田^太郎", "太郎"),
        ("الحسن^محمد", "محمد"),
        ("Müller-Lüdenscheidt^Jürgen", "lUdEnsch"),
    ],
)
def test_non_latin_names_round_trip_and_are_found(
    staff_user: User, clinic: Institution, name: str, found_by: str
) -> None:
    summary = create(staff_user, clinic, patient_name=name)
    assert get_api().order_properties(actor=staff_user, order_id=summary.id).summary.patient_name == name
    page = get_api().search_orders(actor=staff_user, query=OrderQuery(patient_name=found_by))
    assert [o.id for o in page.items] == [summary.id]


def test_limited_user_may_create_in_their_institution(limited_user: User, clinic: Institution) -> None:
    summary = create(limited_user, clinic)
    assert get_api().order_properties(actor=limited_user, order_id=summary.id).summary.id == summary.id


def test_administrator_may_create_in_any_institution(admin_user: User, other_clinic: Institution) -> None:
    assert create(admin_user, other_clinic).institution.id == other_clinic.uuid


def test_inactive_actor_is_refused(staff_user: User, clinic: Institution) -> None:
    staff_user.is_active = False
    staff_user.save()
    with pytest.raises(Forbidden):
        create(staff_user, clinic)


# --- Validation ---------------------------------------------------------------------------------


def test_institution_must_be_the_actors(staff_user: User, other_clinic: Institution) -> None:
    assert "institution_id" in _errors(staff_user, other_clinic)


def test_institution_must_be_active(staff_user: User, clinic: Institution) -> None:
    clinic.is_active = False
    clinic.save()
    assert "inactive" in _errors(staff_user, clinic)["institution_id"][0]


def test_every_error_is_reported_at_once(staff_user: User, clinic: Institution, other_clinic: Institution) -> None:
    errors = _errors(
        staff_user,
        clinic,
        patient_name=" ^ ^ ",
        patient_id="  ",
        modality="",
        sex="X",
        priority="whenever",
        accession_number="A" * 17,
        order_time=dt.time(10, 30, 15),
        birth_date=dt.date.today() + dt.timedelta(days=2),
        scheduled_equipment_id=_node(other_clinic).uuid,
        study_description="x" * 65,
        complaints="y" * 1025,
    )
    assert set(errors) == {
        "patient_name",
        "patient_id",
        "modality",
        "sex",
        "priority",
        "accession_number",
        "order_time",
        "birth_date",
        "scheduled_equipment_id",
        "study_description",
        "complaints",
    }
    assert set(errors) <= set(OrderDraft.__dataclass_fields__) | {"institution_id"}


@pytest.mark.parametrize("modality", ["C T", "CT-1", "ÇT", "A" * 17, "XYZ123", "SC", "MS"])
def test_modality_must_be_a_dicom_code(staff_user: User, clinic: Institution, modality: str) -> None:
    assert "modality" in _errors(staff_user, clinic, modality=modality)


@pytest.mark.parametrize("modality", ["CT", "mr", " us ", "RTPLAN", "IVOCT", "XC"])
def test_dicoms_defined_terms_are_accepted(staff_user: User, clinic: Institution, modality: str) -> None:
    assert create(staff_user, clinic, modality=modality).modality == modality.strip().upper()


@pytest.mark.parametrize("accession", ["A", "A" * 16])
def test_accession_of_1_to_16_characters_is_accepted(staff_user: User, clinic: Institution, accession: str) -> None:
    assert create(staff_user, clinic, accession_number=accession).accession_number == accession


def test_accession_must_be_unique_within_the_institution(
    staff_user: User, admin_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    create(staff_user, clinic, accession_number="AN-7")
    assert "accession_number" in _errors(staff_user, clinic, accession_number="an-7")
    assert create(admin_user, other_clinic, accession_number="AN-7").accession_number == "AN-7"
    # Orders without an accession number never clash.
    create(staff_user, clinic)
    create(staff_user, clinic)


def test_accession_in_the_recycle_bin_is_still_taken(staff_user: User, clinic: Institution) -> None:
    first = create(staff_user, clinic, accession_number="AN-8")
    get_api().delete_order(actor=staff_user, order_id=first.id)
    assert "accession_number" in _errors(staff_user, clinic, accession_number="AN-8")


def test_scheduled_equipment_must_belong_to_the_institution(
    staff_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    assert "scheduled_equipment_id" in _errors(staff_user, clinic, scheduled_equipment_id=_node(other_clinic).uuid)
    assert create(staff_user, clinic, scheduled_equipment_id=_node(clinic).uuid).id


@pytest.mark.parametrize("sex", ["M", "F", "O", "", "m"])
def test_sex_values(staff_user: User, clinic: Institution, sex: str) -> None:
    assert row(create(staff_user, clinic, sex=sex).id).sex == sex.upper()


def test_name_parts_are_limited(staff_user: User, clinic: Institution) -> None:
    assert "patient_name" in _errors(staff_user, clinic, patient_name="A" * 65 + "^B")
    assert "patient_name" in _errors(staff_user, clinic, patient_name="A\\B")
    assert "patient_name" in _errors(staff_user, clinic, patient_name="A^B^C^D^E^F")


def test_one_line_fields_refuse_control_characters(staff_user: User, clinic: Institution) -> None:
    assert "patient_id" in _errors(staff_user, clinic, patient_id="P\x001")
    assert create(staff_user, clinic, history="line one\nline two").id


# --- Wire strings (OrderDraft.from_text) -----------------------------------------------------------


def _text(**changes: str) -> dict[str, str]:
    return {"patient_name": "DOE^John", "patient_id": "P1", "modality": "MR", "order_date": "2026-03-14", **changes}


def test_from_text_parses_every_kind_of_value() -> None:
    parsed = OrderDraft.from_text(
        _text(
            order_time="16:05",
            birth_date="2000-01-01",
            performed_at="2026-03-14 16:00",
            scheduled_equipment_id="6f1c3b8e-8e0c-4b7e-9d7a-0c1d2e3f4a5b",
            sex="O",
        )
    )
    assert parsed.order_date == ORDER_DAY
    assert parsed.order_time == dt.time(16, 5)
    assert parsed.birth_date == dt.date(2000, 1, 1)
    assert parsed.performed_at == dt.datetime(2026, 3, 14, 16, 0)
    assert str(parsed.scheduled_equipment_id) == "6f1c3b8e-8e0c-4b7e-9d7a-0c1d2e3f4a5b"
    assert OrderDraft.from_text(_text(order_time="", birth_date="")).order_time is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("order_date", "2026-02-30"),
        ("order_date", "2026-13-01"),
        ("order_date", "14/03/2026"),
        ("order_date", ""),
        ("birth_date", "2023-02-29"),
        ("order_time", "25:00"),
        ("order_time", "12:60"),
        ("order_time", "9h30"),
        ("performed_at", "2026-03-14T16:00:99"),
        ("scheduled_equipment_id", "not-a-uuid"),
        ("favourite_colour", "blue"),
    ],
)
def test_from_text_refuses_bad_values(field: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        OrderDraft.from_text(_text(**{field: value}))
    assert field in caught.value.field_errors


def test_from_text_reports_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        OrderDraft.from_text(_text(order_date="2026-02-30", order_time="25:00", birth_date="1999-02-29"))
    assert set(caught.value.field_errors) == {"order_date", "order_time", "birth_date"}


def test_from_text_draft_goes_through_create(staff_user: User, clinic: Institution) -> None:
    parsed = OrderDraft.from_text(_text(patient_name="YAMADA^Tarou", accession_number="JP-1"))
    summary = get_api().create_order(actor=staff_user, institution_id=clinic.uuid, draft=parsed)
    assert actions(summary.id) == ["order.created"]


# --- Possible duplicates ---------------------------------------------------------------------------


def test_duplicates_by_patient_id_in_the_same_institution(
    staff_user: User, admin_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    same = create(staff_user, clinic, patient_name="OTHER^Name", birth_date=None)
    create(admin_user, other_clinic, patient_name="THIRD^Name", birth_date=None)  # same ID, elsewhere
    found = get_api().possible_duplicates(actor=staff_user, institution_id=clinic.uuid, draft=draft())
    assert [o.id for o in found] == [same.id]


def test_duplicates_by_name_and_birth_date_ignore_case_and_accents(
    admin_user: User, clinic: Institution, other_clinic: Institution
) -> None:
    same = create(admin_user, other_clinic, patient_id="ELSEWHERE", patient_name="pena^maria^jose")
    create(admin_user, other_clinic, patient_id="X2", birth_date=dt.date(1990, 1, 1))  # other birth date
    found = get_api().possible_duplicates(actor=admin_user, institution_id=clinic.uuid, draft=draft(patient_id="NEW"))
    assert [o.id for o in found] == [same.id]


def test_duplicates_skip_deleted_and_invisible_orders(
    staff_user: User, outsider: User, clinic: Institution, other_clinic: Institution
) -> None:
    gone = create(staff_user, clinic)
    get_api().delete_order(actor=staff_user, order_id=gone.id)
    create(outsider, other_clinic, patient_id="ELSE")  # same name and birth date, but not visible
    assert get_api().possible_duplicates(actor=staff_user, institution_id=clinic.uuid, draft=draft()) == ()
    assert len(get_api().possible_duplicates(actor=outsider, institution_id=clinic.uuid, draft=draft())) == 1


def test_duplicates_of_an_incomplete_draft(staff_user: User, clinic: Institution) -> None:
    create(staff_user, clinic)
    empty = draft(patient_id="", patient_name="", birth_date=None)
    assert get_api().possible_duplicates(actor=staff_user, institution_id=clinic.uuid, draft=empty) == ()


def test_limited_user_sees_only_their_duplicates(staff_user: User, clinic: Institution) -> None:
    create(staff_user, clinic)
    lena = limited("lena", clinic)
    assert get_api().possible_duplicates(actor=lena, institution_id=clinic.uuid, draft=draft()) == ()
