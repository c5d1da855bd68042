"""The words of the audit log: action names, target kinds, readable details."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from portal.audit_labels import (
    ACTION_FAMILIES,
    ACTION_LABELS,
    action_choices,
    action_label,
    describe_detail,
    target_label,
)
from postdicom.local.audit import record
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_action_and_target_names():
    assert action_label("auth.login") == "Signed in"
    assert action_label("auth.login_failed") == "Failed sign-in"
    assert action_label("user.created") == "User created"
    assert action_label("group.member_added") == "Member added to group"
    assert action_label("brand.new_thing") == "brand.new_thing"
    assert target_label("group") == "User group"
    assert target_label("gadget") == "gadget"


def test_every_audit_action_has_a_name_and_a_family():
    """A new ``AuditAction`` needs words here (the page would show its code)."""
    assert sorted(set(AuditAction) - set(ACTION_LABELS)) == []
    assert {a.family for a in AuditAction} <= {f for f, _, _ in ACTION_FAMILIES}


def test_the_service_records_actions_by_enum_not_by_string():
    """``record(actor, "order.creatd", …)`` cannot slip in: no call passes a string literal,
    and ``record`` refuses a string that is not an ``AuditAction`` value."""
    literal = re.compile(r'record(?:_folder)?\(\s*[\w.]+,\s*f?"')
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "postdicom").rglob("*.py")
        if "migrations" not in path.parts and literal.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
def test_record_refuses_an_unknown_action():
    with pytest.raises(ValueError, match=r"order\.creatd"):
        record(None, "order.creatd")  # type: ignore[arg-type]
    record(None, "order.created")  # type: ignore[arg-type]  # a known value as a string still reads
    assert AuditRecord.objects.get().action == AuditAction.ORDER_CREATED


def test_every_named_action_belongs_to_a_family():
    families = {f for f, _, _ in ACTION_FAMILIES}
    assert {a.split(".", 1)[0] for a in ACTION_LABELS} <= families


def test_choices_group_each_family_with_its_actions():
    choices = action_choices()
    assert choices[0] == ("", "All actions")
    groups = {str(heading): [value for value, _ in options] for heading, options in choices[1:]}
    assert groups["Sign-in"] == [
        "auth",
        "auth.login",
        "auth.logout",
        "auth.login_failed",
        "auth.locked_out",
        "auth.password_changed",
        "auth.password_reset",
    ]
    assert groups["Flags"][0] == "flag"
    assert "flag_group.created" not in groups["Flags"]
    assert [heading for heading, _ in choices[1:]][:7] == [
        "Sign-in", "Users", "User groups", "Institutions", "DICOM nodes", "Flag groups", "Flags",
    ]  # fmt: skip


def test_changes_read_as_old_to_new():
    detail = {"changes": {"role": ["staff", "limited"], "email": ["", "sam@clinic.test"]}}
    assert describe_detail(detail) == [("role", "staff → limited"), ("e-mail", "— → sam@clinic.test")]


def test_other_details():
    detail = {
        "renamed_from": "Old name",
        "members": ["ana", "ben"],
        "active": False,
        "before": {"name": "Norte", "active": True},
        "replaced": "",
        "flags": [],
        "images": 12,
    }
    assert describe_detail(detail) == [
        ("renamed from", "Old name"),
        ("members", "ana, ben"),
        ("active", "no"),
        ("before", "name: Norte; active: yes"),
        ("images", "12"),
    ]


def test_no_detail_no_lines():
    assert describe_detail({}) == []
