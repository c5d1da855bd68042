"""``postdicom.get_api()``: the configured backend, strict about its configuration."""

import dataclasses
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from postdicom import get_api
from postdicom.contract import PostDicomApi
from postdicom.errors import Unsupported
from postdicom.types import AuditQuery, Capability, OrderFilter, OrderQuery, Page

HERE = __name__


class OnlyUsers(PostDicomApi):
    """A backend that can do one thing."""

    def list_users(self, *, actor, query=None):
        return Page(items=(), total=0)


class WithOptions(PostDicomApi):
    def __init__(self, *, base_url, timeout=10.0):
        self.base_url = base_url
        self.timeout = timeout


class NotAnApi:
    pass


def _refused(config, *words):
    with override_settings(POSTDICOM=config), pytest.raises(ImproperlyConfigured) as raised:
        get_api()
    for word in words:
        assert word in str(raised.value)


def test_the_default_is_the_embedded_backend_built_once():
    from postdicom.local.backend import LocalBackend

    assert type(get_api()) is LocalBackend
    assert get_api() is get_api()


def test_override_switches_the_backend_and_back():
    before = get_api()
    with override_settings(POSTDICOM={"BACKEND": f"{HERE}.OnlyUsers"}):
        assert type(get_api()) is OnlyUsers
        assert get_api() is get_api()
    after = get_api()
    assert type(after) is type(before)
    assert after is not before  # rebuilt: the cache was cleared when the override ended


def test_options_reach_the_backend(settings):
    settings.POSTDICOM = {"BACKEND": f"{HERE}.WithOptions", "OPTIONS": {"base_url": "https://pacs.example"}}
    api = get_api()
    assert isinstance(api, WithOptions)
    assert (api.base_url, api.timeout) == ("https://pacs.example", 10.0)


def test_capabilities_are_exactly_the_overridden_methods(settings):
    settings.POSTDICOM = {"BACKEND": f"{HERE}.OnlyUsers", "OPTIONS": {}}
    api = get_api()
    assert api.capabilities == frozenset({Capability.LIST_USERS})
    assert Capability.CREATE_ORDER not in api.capabilities
    assert all(type(capability) is Capability for capability in api.capabilities)
    with pytest.raises(Unsupported):
        api.audit_log(actor=get_user_model()(username="someone"), query=AuditQuery())


def test_the_embedded_backend_has_the_audit_capabilities():
    capabilities = get_api().capabilities
    assert {Capability.AUDIT_LOG, Capability.RECORD_AUTHENTICATION, Capability.LIST_USERS} <= capabilities
    assert all(type(capability) is Capability for capability in capabilities)


def test_every_contract_method_has_its_capability_and_nothing_else_does():
    methods = {name for name, member in vars(PostDicomApi).items() if callable(member) and not name.startswith("_")}
    assert {capability.value for capability in Capability} == methods, (
        "postdicom.types.Capability must name exactly the public methods of PostDicomApi"
    )
    assert {capability.name for capability in Capability} == {name.upper() for name in methods}


def test_every_order_query_filter_has_its_member_and_a_backend_applies_them_all_unless_it_says():
    """``OrderFilter`` names every field of ``OrderQuery`` but the page's; a backend that does
    not narrow ``order_filters`` applies them all."""
    fields = {f.name for f in dataclasses.fields(OrderQuery)} - {"page", "page_size"}
    assert {member.value for member in OrderFilter} == fields
    assert get_api().order_filters == frozenset(OrderFilter)


CAPABILITY_AS_TEXT = re.compile(r"""["'][a-z_]+["']\s+(not\s+)?in\s+[\w.()]*capabilities\b""")


def test_no_code_checks_a_capability_by_its_name_as_text():
    """``"folder_tre" in api.capabilities`` would be silently False; the enum cannot be misspelt."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for package in ("postdicom", "portal", "orders", "folders", "sharing")
        for path in (root / package).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if CAPABILITY_AS_TEXT.search(line)
    ]
    assert offenders == [], f"use postdicom.types.Capability members, not strings: {offenders}"


def test_unknown_keys_are_refused():
    _refused({"BACKEND": "postdicom.local.LocalBackend", "OPTONS": {}}, "unknown keys", "OPTONS")


@pytest.mark.parametrize(
    "path",
    ["postdicom.nothing_here.Backend", "postdicom.local.NoSuchBackend", "nodots", f"{HERE}.Missing"],
)
def test_a_backend_that_cannot_be_imported_is_refused(path):
    _refused({"BACKEND": path}, "cannot be imported", path)


@pytest.mark.parametrize("path", [f"{HERE}.NotAnApi", "postdicom.get_api", "postdicom.types.Page"])
def test_a_backend_that_is_not_a_postdicom_api_is_refused(path):
    _refused({"BACKEND": path}, "is not a PostDicomApi")


def test_a_backend_that_is_not_a_path_is_refused():
    _refused({"BACKEND": OnlyUsers}, "dotted path")


@pytest.mark.parametrize(
    ("backend", "options"),
    [
        ("postdicom.local.LocalBackend", {"colour": "blue"}),
        (f"{HERE}.WithOptions", {}),  # base_url is required
        (f"{HERE}.WithOptions", {"base_url": "x", "retries": 3}),
    ],
)
def test_options_the_backend_does_not_take_are_refused(backend, options):
    _refused({"BACKEND": backend, "OPTIONS": options}, "OPTIONS are not accepted")


def test_options_must_be_a_dict():
    _refused({"BACKEND": "postdicom.local.LocalBackend", "OPTIONS": ["base_url"]}, "OPTIONS must be a dict")


def test_the_setting_must_be_a_dict():
    _refused("postdicom.local.LocalBackend", "POSTDICOM must be a dict")


def test_a_refused_configuration_is_not_remembered(settings):
    _refused({"BACKEND": "postdicom.nothing_here.Backend"})
    settings.POSTDICOM = {"BACKEND": f"{HERE}.OnlyUsers"}
    assert type(get_api()) is OnlyUsers
