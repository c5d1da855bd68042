"""The audit log (administrators read it, newest first) and the sign-in events recorded in it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput
from postdicom.types import AuditAction, AuditQuery, Capability, InstitutionDraft
from tests.contract.conftest import offers
from tests.postdicom.local.orders_setup import uid

#: Nothing here waits for a commit: the local cases are rolled back, not flushed.
pytestmark = pytest.mark.rolled_back


@offers(Capability.AUDIT_LOG)
def test_the_audit_log_shows_administrators_what_was_done_newest_first(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    for name in ("Sede Norte", "Sede Sur"):
        get_api().create_institution(actor=admin_user, draft=InstitutionDraft(name=name))
    family = api.audit_log(actor=admin_user, query=AuditQuery(action="institution"))
    assert [(e.action, e.target_label, e.actor_name) for e in family.items] == [
        (AuditAction.INSTITUTION_CREATED.value, "Sede Sur", "ada"),
        (AuditAction.INSTITUTION_CREATED.value, "Sede Norte", "ada"),
    ]
    assert family.total == 2
    by_text = api.audit_log(actor=admin_user, query=AuditQuery(text="Norte", action="institution.created"))
    assert [e.target_label for e in by_text.items] == ["Sede Norte"]
    assert api.audit_log(actor=admin_user, query=AuditQuery(actor_id=uid(staff_user))).items == ()
    with pytest.raises(Forbidden):
        api.audit_log(actor=staff_user, query=AuditQuery())


@offers(Capability.AUDIT_LOG)
def test_reading_the_first_page_of_an_export_records_the_export(api: PostDicomApi, admin_user: User) -> None:
    get_api().create_institution(actor=admin_user, draft=InstitutionDraft(name="Sede Norte"))
    page = api.audit_log(actor=admin_user, query=AuditQuery(action="institution", page_size=1), export=True)
    assert [e.target_label for e in page.items] == ["Sede Norte"]
    assert not page.has_next
    exported = get_api().audit_log(actor=admin_user, query=AuditQuery(action=AuditAction.AUDIT_EXPORTED.value))
    assert [e.detail.get("filters") for e in exported.items] == [{"action": "institution"}]


@offers(Capability.RECORD_AUTHENTICATION)
def test_sign_in_events_are_recorded_for_known_and_unknown_names(
    api: PostDicomApi, admin_user: User, staff_user: User
) -> None:
    api.record_authentication(username="sam", user=staff_user, event="login")
    api.record_authentication(username="nadie@ejemplo.pe", user=None, event="login_failed")
    events = get_api().audit_log(actor=admin_user, query=AuditQuery(action="auth")).items
    assert [(e.action, e.actor_name, e.target_id) for e in events] == [
        (AuditAction.AUTH_LOGIN_FAILED.value, "nadie@ejemplo.pe", ""),
        (AuditAction.AUTH_LOGIN.value, "sam", str(uid(staff_user))),
    ]
    with pytest.raises(InvalidInput) as refused:
        api.record_authentication(username="sam", user=staff_user, event="hacked")
    assert set(refused.value.field_errors) == {"event"}
