"""Creating orders (CreateOrderWith…), checking drafts, and finding possible duplicates."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.dicom import modalities
from postdicom.errors import InvalidInput
from postdicom.local import convert
from postdicom.local.access import institutions_of
from postdicom.local.audit import record
from postdicom.local.models import DicomNodeRecord, Institution, PatientOrder
from postdicom.local.orders.names import normalize_name
from postdicom.local.orders.search import with_summary_data
from postdicom.local.orders.visibility import order_label, visible_orders
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_NAME_COMPONENT_MAX = 64
_MAX_DUPLICATES = 20
_EARLIEST_DATE = dt.date(1900, 1, 1)

# Free-text draft fields and whether they may span lines.
_TEXT_FIELDS: dict[str, bool] = {
    "patient_id": False,
    "other_patient_id": False,
    "accession_number": False,
    "study_description": False,
    "complaints": True,
    "history": True,
    "symptom": True,
    "requesting_physician": False,
    "requesting_department": False,
    "referring_physician": False,
    "procedure_id": False,
    "procedure_description": False,
    "note1": True,
    "note2": True,
}


class _Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _has_control(text: str, *, multiline: bool) -> bool:
    allowed = {"\n", "\t"} if multiline else set()
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text.replace("\r\n", "\n"))


def clean_patient_name(value: str, errors: _Errors) -> str:
    """``LAST^FIRST^MIDDLE…``: components trimmed, inner spaces collapsed, trailing empty
    components dropped; at least one component, none over 64 characters, no ``\\``."""
    parts = [" ".join(p.split()) for p in (value or "").split("^")]
    while parts and not parts[-1]:
        parts.pop()
    name = "^".join(parts)
    if not name:
        errors.add("patient_name", _("Enter the patient's name."))
    elif len(parts) > 5:
        errors.add("patient_name", _("A name has at most five parts separated by ^."))
    elif any(len(p) > _NAME_COMPONENT_MAX for p in parts):
        errors.add("patient_name", _("Each part of the name may have at most %(n)d characters.") % {"n": 64})
    elif "\\" in name or _has_control(name, multiline=False):
        errors.add("patient_name", _("The name may not contain a backslash or control characters."))
    return name


def _clean_texts(draft: t.OrderDraft, errors: _Errors) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, multiline in _TEXT_FIELDS.items():
        raw: str = getattr(draft, name) or ""
        value = raw.strip() if multiline else " ".join(raw.split())
        limit = t.ORDER_TEXT_LIMITS[name]
        if len(value) > limit:
            errors.add(name, _("Use at most %(n)d characters.") % {"n": limit})
        elif _has_control(value, multiline=multiline) or (not multiline and "\\" in value):
            errors.add(name, _("Remove the backslash or control characters."))
        values[name] = value
    if not values["patient_id"]:
        errors.add("patient_id", _("Enter the patient ID."))
    return values


def _clean_codes(draft: t.OrderDraft, errors: _Errors) -> dict[str, str]:
    modality = modalities.normalize(draft.modality)
    if not modality:
        errors.add("modality", _("Choose the modality."))
    elif problem := modalities.modality_problem(modality):
        errors.add("modality", problem)
    sex = (draft.sex or "").strip().upper()
    if sex not in ("", *t.PATIENT_SEXES):
        errors.add("sex", _("Choose M, F, O or leave it empty."))
    priority = (draft.priority or "").strip().upper()
    if priority not in ("", *t.ORDER_PRIORITIES):
        errors.add("priority", _("Choose one of: %(choices)s.") % {"choices": ", ".join(t.ORDER_PRIORITIES)})
    return {"modality": modality, "sex": sex, "priority": priority}


def _clean_dates(draft: t.OrderDraft, errors: _Errors) -> dict[str, Any]:
    today = timezone.localdate()
    if not isinstance(draft.order_date, dt.date) or isinstance(draft.order_date, dt.datetime):
        errors.add("order_date", _("Enter a real date as YYYY-MM-DD."))
    elif draft.order_date < _EARLIEST_DATE:
        errors.add("order_date", _("Enter a date after 1900."))
    birth = draft.birth_date
    if birth is not None:
        if not isinstance(birth, dt.date) or isinstance(birth, dt.datetime):
            errors.add("birth_date", _("Enter a real date as YYYY-MM-DD."))
        elif birth > today:
            errors.add("birth_date", _("The birth date cannot be in the future."))
        elif birth < _EARLIEST_DATE:
            errors.add("birth_date", _("Enter a date after 1900."))
    time = draft.order_time
    if time is not None and (not isinstance(time, dt.time) or time.second or time.microsecond):
        errors.add("order_time", _("Enter a time as HH:MM (00:00 to 23:59)."))
    performed = draft.performed_at
    if performed is not None and not isinstance(performed, dt.datetime):
        errors.add("performed_at", _("Enter a real date and time as YYYY-MM-DD HH:MM."))
    elif performed is not None and timezone.is_naive(performed):
        performed = timezone.make_aware(performed)
    return {"order_date": draft.order_date, "order_time": time, "birth_date": birth, "performed_at": performed}


def usable_institution(actor: User, institution_id: UUID, errors: _Errors) -> Institution | None:
    """One of the actor's active institutions, else an error on ``institution_id``."""
    institution = institutions_of(actor).filter(uuid=institution_id).first()
    if institution is None:
        errors.add("institution_id", _("Choose one of your institutions."))
    elif not institution.is_active:
        errors.add("institution_id", _("This institution is inactive and takes no new orders."))
    return institution


def accession_taken(institution: Institution, accession: str, *, exclude_pk: int | None = None) -> bool:
    """Whether another order of ``institution`` (recycle bin included) uses ``accession``,
    ignoring case."""
    if not accession:
        return False
    clash = PatientOrder.objects.annotate(acc=Upper("accession_number")).filter(
        institution=institution, acc=accession.upper()
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def check_draft(actor: User, institution_id: UUID, draft: t.OrderDraft) -> tuple[Institution, dict[str, Any]]:
    """Validate a draft for ``institution_id``: the institution and the model field values.
    Collects every problem into one ``InvalidInput``."""
    errors = _Errors()
    institution = usable_institution(actor, institution_id, errors)
    values = check_values(draft, institution, errors)
    assert institution is not None
    return institution, values


def check_values(
    draft: t.OrderDraft,
    institution: Institution | None,
    errors: _Errors | None = None,
    *,
    exclude_pk: int | None = None,
) -> dict[str, Any]:
    """The model field values of a draft for an order of ``institution`` (``exclude_pk``: the
    order being edited, whose own accession number is no clash). Raises one ``InvalidInput``
    with every problem, those already in ``errors`` included."""
    errors = _Errors() if errors is None else errors
    values: dict[str, Any] = {"patient_name": clean_patient_name(draft.patient_name, errors)}
    values |= _clean_texts(draft, errors)
    values |= _clean_codes(draft, errors)
    values |= _clean_dates(draft, errors)
    node = None
    if draft.scheduled_equipment_id is not None:
        node = DicomNodeRecord.objects.filter(uuid=draft.scheduled_equipment_id).first()
        if node is None or institution is None or node.institution_id != institution.pk:
            errors.add("scheduled_equipment_id", _("Choose a DICOM node of the order's institution."))
    values["scheduled_equipment"] = node
    taken = institution is not None and accession_taken(institution, values["accession_number"], exclude_pk=exclude_pk)
    if taken and "accession_number" not in errors:
        errors.add("accession_number", _("Another order of this institution already has this accession number."))
    if errors:
        raise InvalidInput(errors)
    return values


class CreateOrdersMixin:
    def create_order(self, *, actor: User, institution_id: UUID, draft: t.OrderDraft) -> t.OrderSummary:
        institution, values = check_draft(actor, institution_id, draft)
        try:
            with transaction.atomic():
                order = PatientOrder.objects.create(
                    institution=institution,
                    status=t.OrderStatus.SCHEDULED.value,
                    created_by=actor,
                    **values,
                )
                record(
                    actor,
                    AuditAction.ORDER_CREATED,
                    target_type="order",
                    target_id=order.uuid,
                    target_label=order_label(order),
                    institution=institution.name,
                    modality=order.modality,
                    accession_number=order.accession_number,
                    order_date=order.order_date.isoformat(),
                )
        except IntegrityError:
            # Two people saved the same accession number at the same moment.
            raise InvalidInput(
                {"accession_number": _("Another order of this institution already has this accession number.")}
            ) from None
        return convert.order_summary(with_summary_data(PatientOrder.objects.filter(pk=order.pk)).get())

    def possible_duplicates(
        self, *, actor: User, institution_id: UUID, draft: t.OrderDraft
    ) -> tuple[t.OrderSummary, ...]:
        rows = _duplicates(actor, institution_id, draft)
        if rows is None:
            return ()
        return tuple(convert.order_summary(o) for o in with_summary_data(rows)[:_MAX_DUPLICATES])


def _duplicates(actor: User, institution_id: UUID, draft: t.OrderDraft) -> QuerySet[PatientOrder] | None:
    same = Q()
    patient_id = " ".join((draft.patient_id or "").split())
    if patient_id:
        same |= Q(institution__uuid=institution_id, patient_id__iexact=patient_id)
    name = normalize_name(draft.patient_name or "")
    if name and isinstance(draft.birth_date, dt.date):
        same |= Q(patient_name_search=name, birth_date=draft.birth_date)
    if not same:
        return None
    return visible_orders(actor).filter(same).order_by("-order_date", "-id")
