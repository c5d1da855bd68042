"""The audit trail: append-only rows, the ``audit_log`` reader and ``record_authentication``."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from postdicom.context import calling_from
from postdicom.errors import Forbidden
from postdicom.local.access import profile_of
from postdicom.local.audit import record
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction, AuditQuery

pytestmark = pytest.mark.django_db


def _event(action, *, at, actor=None, label="", ip=None, **detail):
    with calling_from(ip), mock.patch("django.utils.timezone.now", return_value=at):
        if action in {a.value for a in AuditAction}:
            record(actor, action, target_type="user", target_id="t", target_label=label, **detail)
        else:  # a row written by a newer version (or a test's made-up family)
            AuditRecord.objects.create(
                actor=actor,
                actor_name=actor.username if actor else "system",
                action=action,
                target_type="user",
                target_id="t",
                target_label=label,
                ip=ip,
                detail=detail,
            )
    return AuditRecord.objects.order_by("-id").first()


def _at(day, hour=12):
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour))


def _actions(page):
    return [e.action for e in page.items]


# --- Append-only ----------------------------------------------------------------------------------


def test_a_recorded_event_cannot_be_changed(admin_user):
    row = _event("user.created", at=_at("2025-01-01"), actor=admin_user)
    row.action = "user.deleted"
    with pytest.raises(PermissionError):
        row.save()
    assert AuditRecord.objects.get(pk=row.pk).action == "user.created"


def test_a_recorded_event_cannot_be_deleted(admin_user):
    row = _event("user.created", at=_at("2025-01-01"), actor=admin_user)
    with pytest.raises(PermissionError):
        row.delete()
    assert AuditRecord.objects.filter(pk=row.pk).exists()


def test_querysets_cannot_update_or_delete(admin_user):
    _event("user.created", at=_at("2025-01-01"), actor=admin_user)
    with pytest.raises(PermissionError):
        AuditRecord.objects.all().update(action="user.deleted")
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(action="user.created").delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.filter(action="user.created").count() == 1


def test_deleting_a_user_keeps_their_events(staff_user):
    row = _event("user.updated", at=_at("2025-01-01"), actor=staff_user)
    get_user_model().objects.filter(pk=staff_user.pk).delete()
    kept = AuditRecord.objects.get(pk=row.pk)
    assert kept.actor is None
    assert kept.actor_name == "sam"


# --- Reading ----------------------------------------------------------------------------------------


def test_only_administrators_read_the_log(api, staff_user, limited_user):
    for user in (staff_user, limited_user):
        with pytest.raises(Forbidden):
            api.audit_log(actor=user, query=AuditQuery())


def test_newest_first_and_paged(api, admin_user):
    actions = ["user.created", "user.updated", "user.activated", "user.deactivated", "user.password_set"]
    for n, action in enumerate(actions):
        _event(action, at=_at("2025-01-01", 8 + n))
    page = api.audit_log(actor=admin_user, query=AuditQuery(action="user", page=2, page_size=2))
    assert _actions(page) == ["user.activated", "user.updated"]
    assert (page.total, page.number, page.pages) == (5, 2, 3)


def test_text_matches_actor_target_action_and_ip_prefix(api, admin_user, staff_user):
    _event("user.created", at=_at("2025-01-01"), actor=staff_user, label="nuria", ip="10.20.30.40")
    _event("flag.deleted", at=_at("2025-01-02"), label="Urgent", ip="2001:db8::1")
    query = AuditQuery

    def found(text):
        return _actions(api.audit_log(actor=admin_user, query=query(text=text, date_to=dt.date(2025, 12, 31))))

    assert found("sam") == ["user.created"]
    assert found("NURIA") == ["user.created"]
    assert found("flag.del") == ["flag.deleted"]
    assert found("10.20") == ["user.created"]
    assert found("2001:db8") == ["flag.deleted"]
    assert found("0.20") == []  # an address matches from its start only
    assert found("sam urgent") == []  # every word must match


def test_action_is_exact_or_a_family(api, admin_user):
    for action in ("flag.created", "flag_group.created", "flag.deleted"):
        _event(action, at=_at("2025-01-01"))
    assert sorted(_actions(api.audit_log(actor=admin_user, query=AuditQuery(action="flag")))) == [
        "flag.created",
        "flag.deleted",
    ]
    assert _actions(api.audit_log(actor=admin_user, query=AuditQuery(action="flag.deleted"))) == ["flag.deleted"]


def test_a_long_list_is_counted_only_so_far_but_an_export_reaches_every_page(api, admin_user, monkeypatch):
    monkeypatch.setattr("postdicom.local.auditlog.COUNT_LIMIT", 5)
    created = {_event("user.created", at=_at("2025-01-01", 8 + n)).pk for n in range(8)}
    page = api.audit_log(actor=admin_user, query=AuditQuery(page_size=2))
    assert (page.total, page.total_is_lower_bound, page.pages) == (5, True, 3)
    exported, number = [], 1
    while True:
        chunk = api.audit_log(actor=admin_user, query=AuditQuery(page_size=2, page=number), export=True)
        exported += [e.id for e in chunk.items]
        if not chunk.has_next:
            break
        number += 1
    # the export's own event (recorded once page 1 is read, so it is the newest) pushes the
    # others one place down: five pages, one event seen twice (the view skips it)
    assert number == 5
    assert set(exported) == created
    few = api.audit_log(actor=admin_user, query=AuditQuery(page_size=2, text="nobody-matches"))
    assert (few.total, few.total_is_lower_bound) == (0, False)


def test_actor_filter(api, admin_user, staff_user):
    _event("user.created", at=_at("2025-01-01"), actor=staff_user)
    _event("user.updated", at=_at("2025-01-01"), actor=admin_user)
    query = AuditQuery(actor_id=profile_of(staff_user).uuid)
    assert _actions(api.audit_log(actor=admin_user, query=query)) == ["user.created"]


def test_dates_are_whole_days_in_the_portal_time_zone(api, admin_user, settings):
    settings.TIME_ZONE = "America/Argentina/Buenos_Aires"  # UTC-3
    local = timezone.get_fixed_timezone(-180)
    _event("user.a", at=dt.datetime(2025, 3, 1, 0, 30, tzinfo=local))  # 03:30 UTC
    _event("user.b", at=dt.datetime(2025, 3, 1, 23, 30, tzinfo=local))  # 02:30 UTC on the 2nd
    _event("user.c", at=dt.datetime(2025, 2, 28, 23, 30, tzinfo=local))
    query = AuditQuery(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 1))
    assert _actions(api.audit_log(actor=admin_user, query=query)) == ["user.b", "user.a"]


def test_the_last_possible_day_is_not_an_error(api, admin_user):
    _event("user.created", at=_at("2025-01-01"))
    query = AuditQuery(action="user", date_to=dt.date.max)
    assert _actions(api.audit_log(actor=admin_user, query=query)) == ["user.created"]


# --- Recording sign-ins -------------------------------------------------------------------------------


def test_record_authentication_of_a_known_user(api, staff_user):
    with calling_from("192.0.2.10"):
        api.record_authentication(username="sam", user=staff_user, event="login_failed")
    row = AuditRecord.objects.get(action="auth.login_failed")
    assert row.actor == staff_user
    assert row.actor_name == "sam"
    assert row.target_type == "user"
    assert row.target_id == str(profile_of(staff_user).uuid)
    assert row.ip == "192.0.2.10"


def test_record_authentication_of_an_unknown_name(api):
    with calling_from("192.0.2.11"):
        api.record_authentication(username="mallory" + "x" * 200, user=None, event="locked_out")
    row = AuditRecord.objects.get(action="auth.locked_out")
    assert row.actor is None
    assert row.actor_name.startswith("mallory")
    assert len(row.actor_name) == 150
    assert row.target_id == ""
    assert row.ip == "192.0.2.11"


def test_record_authentication_without_a_name(api):
    api.record_authentication(username="", user=None, event="locked_out")
    assert AuditRecord.objects.get(action="auth.locked_out").actor_name == "?"


def test_older_than_continues_after_an_event_in_the_logs_order(api, admin_user):
    same_time = _at("2025-01-02")
    rows = [_event("user.created", at=_at("2025-01-01")), _event("user.updated", at=same_time)]
    rows += [_event("user.activated", at=same_time), _event("user.deactivated", at=_at("2025-01-03"))]
    seen, query = [], AuditQuery(page_size=1)
    while True:
        page = api.audit_log(actor=admin_user, query=query, export=True)
        seen += [e.id for e in page.items]
        if not page.has_next:
            break
        query = AuditQuery(page_size=1, older_than=(page.items[-1].at, page.items[-1].id))
    assert seen == [r.pk for r in reversed(rows)]  # same time: the higher id first
    assert AuditRecord.objects.filter(action="audit.exported").count() == 1  # recorded once
