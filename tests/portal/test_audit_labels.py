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


def test_every_action_the_service_records_has_a_name():
    """A new event in a known family needs a name here (the page would show its code)."""
    families = "|".join(re.escape(f) for f, _, _ in ACTION_FAMILIES)
    pattern = re.compile(rf'"((?:{families})\.[a-z_]+)"')
    recorded = {
        match
        for path in (ROOT / "postdicom").rglob("*.py")
        if "migrations" not in path.parts
        for match in pattern.findall(path.read_text(encoding="utf-8"))
    }
    recorded |= {f"auth.{event}" for event in ("login", "logout", "login_failed", "locked_out")}
    assert len(recorded) > 30
    assert sorted(recorded - set(ACTION_LABELS)) == []


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
