"""The header reader: every encoding PostDICOM's clients use, and clear per-parameter errors."""

from __future__ import annotations

import datetime as dt
import json
from uuid import UUID, uuid4

import pytest
from django.test import RequestFactory

from postdicom.server.custom.params import BadParameters, Kind, Param, Spec, read

SPEC = Spec(
    "TryParameters",
    (
        Param("Name", required=True),
        Param("Id", Kind.UUID),
        Param("Ids", Kind.UUID_LIST),
        Param("Words", Kind.TEXT_LIST),
        Param("Flag", Kind.BOOL, default=False),
        Param("Day", Kind.DATE),
        Param("When", Kind.DATETIME),
        Param("Orders", Kind.ORDER_LIST),
        Param("Page", Kind.NUMBER, default=1),
    ),
)


def parse(raw: str | dict, spec: Spec = SPEC):
    text = raw if isinstance(raw, str) else json.dumps(raw)
    return read(RequestFactory().get("/", headers={spec.header: text}), spec)


def refused(raw: str | dict) -> dict[str, list[str]]:
    with pytest.raises(BadParameters) as caught:
        parse(raw)
    return caught.value.errors


def test_csharp_strings_become_typed_values():
    a, b = uuid4(), uuid4()
    got = parse(
        {
            "Name": "  Ana ",
            "Id": str(a),
            "Ids": json.dumps([str(a), str(b), str(a)]),
            "Words": '["CT", " MR", ""]',
            "Flag": "True",
            "Day": "2026-01-31",
            "When": "2026-02-01 09:30",
            "Page": "3",
        }
    ).values
    assert got["Name"] == "Ana"
    assert got["Id"] == a
    assert got["Ids"] == (a, b)  # duplicates once, in the order given
    assert got["Words"] == ("CT", "MR")
    assert got["Flag"] is True
    assert got["Day"] == dt.date(2026, 1, 31)
    assert got["When"] == dt.datetime(2026, 2, 1, 9, 30)
    assert got["Page"] == 3


@pytest.mark.parametrize(("text", "value"), [("True", True), ("true", True), ("False", False), ("false", False)])
def test_booleans_as_csharp_and_node_send_them(text, value):
    assert parse({"Name": "x", "Flag": text}).values["Flag"] is value


def test_plain_json_values_work_too():
    a = uuid4()
    got = parse({"Name": "x", "Flag": True, "Ids": [str(a)], "Words": ["CT"], "Page": 2}).values
    assert (got["Flag"], got["Ids"], got["Words"], got["Page"]) == (True, (a,), ("CT",), 2)


def test_blanks_mean_not_given():
    got = parse(
        {"Name": "x", "Id": "", "Ids": '[""]', "Words": "", "Flag": "", "Day": "", "When": "", "Page": ""}
    ).values
    assert got == {
        "Name": "x",
        "Id": None,
        "Ids": (),
        "Words": (),
        "Flag": False,
        "Day": None,
        "When": None,
        "Orders": (),
        "Page": 1,
    }


def test_the_all_zero_guid_is_none():
    assert parse({"Name": "x", "Id": "00000000-0000-0000-0000-000000000000"}).values["Id"] is None


def test_names_match_ignoring_case_and_unknown_names_are_reported():
    got = parse({"name": "x", "FLAG": "true", "UserUuid": "u"})
    assert got.values["Flag"] is True
    assert got.ignored == ("UserUuid",)


def test_order_info_list_triple_encoded_as_the_csharp_example_sends_it():
    a, b = uuid4(), uuid4()
    inner = [json.dumps({"PatientOrderUuid": str(a)}), json.dumps({"PatientOrderUuid": str(b)})]
    assert parse({"Name": "x", "Orders": json.dumps(inner)}).values["Orders"] == (a, b)
    # and the friendlier spellings
    assert parse({"Name": "x", "Orders": [{"PatientOrderUuid": str(a)}, str(b)]}).values["Orders"] == (a, b)


def test_comma_separated_lists_are_read():
    a, b = uuid4(), uuid4()
    assert parse({"Name": "x", "Ids": f"{a}, {b}"}).values["Ids"] == (a, b)


def test_every_wrong_parameter_is_named_at_once():
    errors = refused(
        {
            "Name": "",
            "Id": "nope",
            "Ids": '["x"',
            "Flag": "maybe",
            "Day": "31/01/2026",
            "When": "2026-02-30 10:00",
            "Orders": '[{"Uuid": "x"}]',
            "Page": "0",
        }
    )
    assert set(errors) == {"Name", "Id", "Ids", "Flag", "Day", "When", "Orders", "Page"}
    assert errors["Name"] == ["Name is required."]
    assert "“nope” is not a GUID." in errors["Id"]
    assert "not a real date as YYYY-MM-DD" in errors["Day"][0]
    assert "YYYY-MM-DD HH:MM" in errors["When"][0]
    assert errors["Flag"] == ["Give True or False."]


def test_a_missing_or_broken_header_is_refused_as_a_whole():
    with pytest.raises(BadParameters) as caught:
        read(RequestFactory().get("/"), SPEC)
    assert caught.value.errors == {"": ["Send the parameters as a JSON object in the TryParameters header."]}
    assert refused("{not json") == {"": ["The TryParameters header is not valid JSON."]}
    assert refused('["a"]') == {"": ["The TryParameters header must be a JSON object."]}


def test_a_utf8_header_reads_back_as_utf8():
    # WSGI hands header bytes over as Latin-1; a .NET client sends UTF-8.
    raw = json.dumps({"Name": "PEÑA^María"}, ensure_ascii=False).encode().decode("latin-1")
    assert parse(raw).values["Name"] == "PEÑA^María"
    assert parse({"Name": "PE\u00d1A"}).values["Name"] == "PEÑA"  # \\u escapes


def test_uuid_parse_keeps_the_value():
    a = UUID("3f2b8a1e-0c4d-4e5f-9a6b-7c8d9e0f1a2b")
    assert parse({"Name": "x", "Id": str(a).upper()}).values["Id"] == a
