"""Order endpoints, called with PostDICOM's exact header encodings, as each persona."""

from __future__ import annotations

import datetime as dt
import json
from uuid import uuid4

import pytest
from django.utils import timezone

from postdicom import get_api
from postdicom.local.access import profile_of
from postdicom.local.models import AuditRecord, PatientOrder
from postdicom.types import OrderQuery
from tests.postdicom.server.custom.conftest import call, new_order

pytestmark = pytest.mark.django_db

H_CREATE = "CreatePatientOrderParameters"


def _create_values(clinic, **changes):
    values = {
        "InstitutionUuid": clinic.uuid,
        "PatientName": "PEREZ^JUAN^CARLOS",
        "PatientId": "P-77",
        "OtherPatientId": "",
        "PatientSex": "M",
        "PatientBirthdate": "1975-03-09",
        "Modality": "MR",
        "StudyDescription": "MR knee",
        "AccessionNumber": "AN-77",
        "PatientComplaints": "pain",
        "OrderScheduledDatetime": "2026-12-01 08:30",
        "RequestedProcedureId": "RP1",
        "RequestedProcedureDescription": "Knee MR",
        "RequestingPhysician": "Dr House",
        "ReferringPhysiciansName": "Dr Who",
        "ScheduledEquipmentUuid": "",
    }
    values.update(changes)
    return values


def test_create_patient_order_as_the_csharp_example_sends_it(staff_client, staff_user, clinic):
    response = call(staff_client, "createpatientorder", H_CREATE, _create_values(clinic))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["Success"] is True
    row = PatientOrder.objects.get(uuid=body["PatientOrderUuid"])
    assert (row.patient_name, row.patient_id, row.modality, row.sex) == ("PEREZ^JUAN^CARLOS", "P-77", "MR", "M")
    assert (row.order_date, row.order_time) == (dt.date(2026, 12, 1), dt.time(8, 30))
    assert row.birth_date == dt.date(1975, 3, 9)
    assert (row.procedure_id, row.referring_physician, row.complaints) == ("RP1", "Dr Who", "pain")
    assert row.institution == clinic
    assert row.created_by == staff_user
    assert body["PatientOrderInstitutionUuid"] == str(clinic.uuid)
    assert body["PatientOrder"]["OrderScheduledDatetime"] == "2026-12-01 08:30"
    assert body["PatientOrder"]["OrderStatus"] == "scheduled"


def test_create_without_a_schedule_is_for_today(staff_client, clinic):
    values = _create_values(clinic, OrderScheduledDatetime="", PatientSex="f")
    response = call(staff_client, "createpatientorder", H_CREATE, values)
    assert response.status_code == 200
    row = PatientOrder.objects.get(uuid=response.json()["PatientOrderUuid"])
    assert row.order_date == timezone.localdate()
    assert row.order_time is None
    assert row.sex == "F"


def test_create_names_each_missing_or_malformed_parameter(staff_client, clinic):
    values = _create_values(clinic, PatientName="", PatientBirthdate="09/03/1975", InstitutionUuid="clinic")
    response = call(staff_client, "createpatientorder", H_CREATE, values)
    assert response.status_code == 400
    body = response.json()
    assert body["Success"] is False
    assert set(body["Errors"]) == {"PatientName", "PatientBirthdate", "InstitutionUuid"}
    assert response["X-Error-Reason"] == body["Message"].replace("“", '"').replace("”", '"')
    assert body["Message"].startswith(("InstitutionUuid: ", "PatientName: ", "PatientBirthdate: "))
    assert not PatientOrder.objects.exists()


def test_a_service_refusal_names_the_postdicom_parameter(staff_client, staff_user, clinic):
    new_order(staff_user, clinic, accession_number="AN-77")
    values = _create_values(clinic, PatientSex="X", Modality="mr!")
    response = call(staff_client, "createpatientorder", H_CREATE, values)
    assert response.status_code == 400
    errors = response.json()["Errors"]
    assert {"AccessionNumber", "PatientSex", "Modality"} <= set(errors)  # not accession_number, sex, modality
    assert "accession_number" not in errors


def test_create_in_another_institution_is_refused(outsider_client, clinic):
    response = call(outsider_client, "createpatientorder", H_CREATE, _create_values(clinic))
    assert response.status_code == 400
    assert "InstitutionUuid" in response.json()["Errors"]
    assert not PatientOrder.objects.exists()


def test_limited_users_may_create_orders_in_their_institution(limited_client, clinic):
    response = call(limited_client, "createpatientorder", H_CREATE, _create_values(clinic))
    assert response.status_code == 200


H_LIST = "GetPatientOrderListParameters"


def _list_values(**changes):
    values = {
        "InstitutionUuidList": [""],  # what splitting an empty input gives
        "PatientName": "",
        "PatientId": "",
        "OtherPatientId": "",
        "AccessionNumber": "",
        "ModalityList": [""],
        "StudyDateFrom": "",
        "StudyDateTo": "",
        "PatientBirthdateFrom": "",
        "PatientBirthdateTo": "",
    }
    values.update(changes)
    return values


def test_order_list_with_blank_filters_lists_what_the_caller_sees(staff_client, outsider_client, staff_user, clinic):
    mine = new_order(staff_user, clinic, accession_number="AN-1")
    body = call(staff_client, "getpatientorderlist", H_LIST, _list_values()).json()
    assert body["Success"] is True
    assert body["TotalCount"] == 1
    (item,) = body["SearchResultList"]
    assert item["PatientOrderUuid"] == str(mine.id)
    assert item["PatientOrderInstitutionUuid"] == str(clinic.uuid)
    assert (item["PatientName"], item["OrderModality"], item["AccessionNumber"]) == ("GARCIA^MARIA", "CT", "AN-1")
    assert call(outsider_client, "getpatientorderlist", H_LIST, _list_values()).json()["SearchResultList"] == []


def test_order_list_filters(staff_client, staff_user, clinic):
    ct = new_order(staff_user, clinic, modality="CT", order_date=dt.date(2026, 1, 10), birth_date=dt.date(1990, 1, 1))
    mr = new_order(staff_user, clinic, modality="MR", order_date=dt.date(2026, 2, 10), patient_id="Q-9")

    def ids(**changes):
        response = call(staff_client, "getpatientorderlist", H_LIST, _list_values(**changes))
        assert response.status_code == 200, response.content
        return {item["PatientOrderUuid"] for item in response.json()["SearchResultList"]}

    assert ids(ModalityList=["MR"]) == {str(mr.id)}
    assert ids(ModalityList=["CT", "MR"]) == {str(ct.id), str(mr.id)}
    assert ids(StudyDateFrom="2026-02-01") == {str(mr.id)}
    assert ids(StudyDateTo="2026-01-31") == {str(ct.id)}
    assert ids(PatientBirthdateFrom="1989-01-01", PatientBirthdateTo="1991-01-01") == {str(ct.id)}
    assert ids(PatientId="Q-") == {str(mr.id)}
    assert ids(PatientName="garcia") == {str(ct.id), str(mr.id)}
    assert ids(InstitutionUuidList=[str(clinic.uuid)]) == {str(ct.id), str(mr.id)}
    assert ids(InstitutionUuidList=[str(uuid4())]) == set()


def test_order_list_refusals_name_the_parameter(staff_client):
    response = call(staff_client, "getpatientorderlist", H_LIST, _list_values(PatientName="ab"))
    assert response.status_code == 400
    assert list(response.json()["Errors"]) == ["PatientName"]
    response = call(
        staff_client, "getpatientorderlist", H_LIST, _list_values(StudyDateFrom="2026-02-01", StudyDateTo="2026-01-01")
    )
    assert list(response.json()["Errors"]) == ["StudyDateTo"]


def test_a_limited_user_lists_only_what_is_assigned_to_them(limited_client, limited_user, staff_user, clinic):
    new_order(staff_user, clinic)
    given = new_order(staff_user, clinic, patient_id="P-2")
    get_api().assign_order(actor=staff_user, order_id=given.id, user_id=profile_of(limited_user).uuid)
    body = call(limited_client, "getpatientorderlist", H_LIST, _list_values()).json()
    assert [item["PatientOrderUuid"] for item in body["SearchResultList"]] == [str(given.id)]


H_PROPS = "GetPatientOrderPropertiesParameters"


def test_order_properties(staff_client, staff_user, clinic, order):
    values = {"PatientOrderInstitutionUuid": clinic.uuid, "PatientOrderUuid": order.id}
    response = call(staff_client, "getpatientorderproperties", H_PROPS, values)
    assert response.status_code == 200
    props = response.json()["PatientOrder"]
    assert props["PatientOrderUuid"] == str(order.id)
    assert props["PatientBirthdate"] == "1980-05-01"
    assert props["CreatedBy"]
    assert props["StudyList"] == []
    assert props["DocumentList"] == []


def test_properties_of_an_order_of_another_institution_are_404(outsider_client, outsider, clinic, order):
    values = {"PatientOrderInstitutionUuid": clinic.uuid, "PatientOrderUuid": order.id}
    response = call(outsider_client, "getpatientorderproperties", H_PROPS, values)
    assert response.status_code == 404
    assert response.json()["Success"] is False
    assert response["X-Error-Reason"]
    # What was not found, under the parameter that named it (was "Errors": {}).
    assert response.json()["Errors"] == {"PatientOrderUuid": [response.json()["Message"]]}


def test_properties_with_the_wrong_institution_are_404(staff_client, other_clinic, order):
    values = {"PatientOrderInstitutionUuid": other_clinic.uuid, "PatientOrderUuid": order.id}
    response = call(staff_client, "getpatientorderproperties", H_PROPS, values)
    assert response.status_code == 404
    assert "PatientOrderInstitutionUuid" in response.json()["Message"]
    assert list(response.json()["Errors"]) == ["PatientOrderUuid"]


def test_properties_by_the_order_id_alone(staff_client, order):
    """PostDICOM needs the pair; a Rayport also takes the id alone (the cloud backend's way
    when it has not seen the order's institution)."""
    response = call(staff_client, "getpatientorderproperties", H_PROPS, {"PatientOrderUuid": order.id})
    assert response.status_code == 200
    assert response.json()["PatientOrder"]["PatientOrderUuid"] == str(order.id)


def test_properties_need_the_order_id(staff_client, order):
    response = call(staff_client, "getpatientorderproperties", H_PROPS, {"PatientOrderInstitutionUuid": ""})
    assert response.status_code == 400
    assert response.json()["Errors"] == {"PatientOrderUuid": ["PatientOrderUuid is required."]}


H_DELETE = "DeleteOrderParameters"


def test_delete_order_moves_it_to_the_recycle_bin(staff_client, clinic, order):
    values = {"PatientOrderInstitutionUuid": clinic.uuid, "PatientOrderUuid": order.id}
    response = call(staff_client, "deleteorder", H_DELETE, values)
    assert response.status_code == 200, response.content
    assert PatientOrder.objects.get(uuid=order.id).deleted_at is not None
    # a second time: it is gone
    assert call(staff_client, "deleteorder", H_DELETE, values).status_code == 404
    assert AuditRecord.objects.filter(action="order.deleted", target_id=str(order.id)).count() == 1


def test_delete_refusals(
    limited_client, limited_user, outsider_client, staff_client, staff_user, other_clinic, clinic, order
):
    values = {"PatientOrderInstitutionUuid": clinic.uuid, "PatientOrderUuid": order.id}
    assert call(outsider_client, "deleteorder", H_DELETE, values).status_code == 404
    assert call(limited_client, "deleteorder", H_DELETE, values).status_code == 404  # not given to them
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    assert call(limited_client, "deleteorder", H_DELETE, values).status_code == 403  # sees it, may not delete
    wrong = {"PatientOrderInstitutionUuid": other_clinic.uuid, "PatientOrderUuid": order.id}
    assert call(staff_client, "deleteorder", H_DELETE, wrong).status_code == 404
    assert PatientOrder.objects.get(uuid=order.id).deleted_at is None


def test_assign_to_a_user_and_a_group(staff_client, staff_user, admin_user, limited_user, clinic, order):
    response = call(
        staff_client,
        "assignordertouser",
        "AssignOrderToUserParameters",
        {"PatientOrderUuid": order.id, "AssignedUserUuid": profile_of(limited_user).uuid},
    )
    assert response.status_code == 200, response.content
    found = get_api().search_orders(actor=limited_user, query=OrderQuery())
    assert [o.id for o in found.items] == [order.id]
    group = get_api().create_user_group(actor=admin_user, name="Echo")
    response = call(
        staff_client,
        "assignordertousergroup",
        "AssignOrderToUserGroupParameters",
        {"PatientOrderUuid": order.id, "AssignedUserGroupUuid": group.id},
    )
    assert response.status_code == 200, response.content
    detail = get_api().order_properties(actor=staff_user, order_id=order.id)
    assert [g.id for g in detail.assigned_groups] == [group.id]


def test_assign_refusals(limited_client, outsider_client, staff_client, limited_user, staff_user, order):
    values = {"PatientOrderUuid": order.id, "AssignedUserUuid": profile_of(limited_user).uuid}
    assert call(outsider_client, "assignordertouser", "AssignOrderToUserParameters", values).status_code == 404
    get_api().assign_order(actor=staff_user, order_id=order.id, user_id=profile_of(limited_user).uuid)
    response = call(limited_client, "assignordertouser", "AssignOrderToUserParameters", values)
    assert response.status_code == 403
    response = call(
        staff_client, "assignordertouser", "AssignOrderToUserParameters", {**values, "AssignedUserUuid": uuid4()}
    )
    assert response.status_code == 400
    assert list(response.json()["Errors"]) == ["AssignedUserUuid"]
    response = call(
        staff_client, "assignordertousergroup", "AssignOrderToUserGroupParameters", {"PatientOrderUuid": order.id}
    )
    assert response.json()["Errors"] == {"AssignedUserGroupUuid": ["AssignedUserGroupUuid is required."]}


def test_signed_out_is_401_json_and_post_is_405(client, staff_client, clinic):
    response = call(client, "getpatientorderlist", H_LIST, _list_values())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"] == response["X-Error-Reason"]
    response = staff_client.post("/dicomweb/getpatientorderlist", headers={H_LIST: json.dumps(_list_values())})
    assert response.status_code == 405


def test_a_missing_header_is_400_saying_which(staff_client):
    response = staff_client.get("/dicomweb/getpatientorderlist")
    assert response.status_code == 400
    assert "GetPatientOrderListParameters" in response["X-Error-Reason"]


def test_unknown_parameters_are_ignored_with_a_warning(staff_client):
    response = call(staff_client, "getpatientorderlist", H_LIST, _list_values(UserUuid="x"))
    assert response.status_code == 200
    assert "UserUuid" in response["Warning"]


def test_an_unavailable_service_is_503_with_retry_after(staff_client, monkeypatch):
    from postdicom.errors import Unavailable
    from postdicom.local.backend import LocalBackend

    def down(self, **kwargs):
        raise Unavailable("The database is busy.")

    monkeypatch.setattr(LocalBackend, "search_orders", down)
    response = call(staff_client, "getpatientorderlist", H_LIST, _list_values())
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["X-Error-Reason"] == "The database is busy."


def test_refusals_speak_the_callers_language(staff_client, clinic):
    values = _create_values(clinic, PatientBirthdate="09/03/1975")
    response = call(staff_client, "createpatientorder", H_CREATE, values, **{"Accept-Language": "es"})
    assert response.status_code == 400
    message = "«09/03/1975» no es una fecha válida con el formato AAAA-MM-DD."
    assert response.json()["Errors"] == {"PatientBirthdate": [message]}
    assert response["X-Error-Reason"] == f"PatientBirthdate: {message}"  # Latin-1 travels as it is
