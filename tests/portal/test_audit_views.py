"""The audit log page and its CSV export: every URL, every persona, filters, paging, export."""

import csv
import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.views import audit as audit_views
from postdicom import get_api
from postdicom.context import calling_from
from postdicom.local.access import profile_of
from postdicom.local.audit import record
from postdicom.local.models import AuditRecord
from postdicom.types import AuditAction

pytestmark = pytest.mark.django_db

LOG = reverse("portal:audit_log")
EXPORT = reverse("portal:audit_export")


def _at(day: str, hour: int = 12, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute))


def event(action, *, at=None, actor=None, ip="198.51.100.4", target_type="user", label="someone", **detail):
    """Record an event through the real writer, at a chosen time."""
    with calling_from(ip), mock.patch("django.utils.timezone.now", return_value=at or timezone.now()):
        if action in {a.value for a in AuditAction}:
            record(actor, action, target_type=target_type, target_id="x", target_label=label, **detail)
        else:  # a row written by a newer version (or a test's made-up family)
            AuditRecord.objects.create(
                actor=actor,
                actor_name=actor.username if actor else "system",
                action=action,
                target_type=target_type,
                target_id="x",
                target_label=label,
                ip=ip,
                detail=detail,
            )
    return AuditRecord.objects.order_by("-id").first()


def _csv(response):
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- Who may open the pages ---------------------------------------------------------------------


def test_admin_opens_both_pages(admin_client):
    assert admin_client.get(LOG).status_code == 200
    assert admin_client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("persona", ["staff_client", "limited_client", "outsider_client"])
def test_non_admins_get_403(request, persona):
    client = request.getfixturevalue(persona)
    assert client.get(LOG).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    for url in (LOG, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_no_url_changes_events(admin_client, admin_user):
    row = event("user.created", actor=admin_user)
    before = AuditRecord.objects.count()
    for url in (LOG, EXPORT):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(admin_client, method)(url).status_code == 405, (method, url)
    assert AuditRecord.objects.get(pk=row.pk).action == "user.created"
    assert AuditRecord.objects.count() == before


# --- The list ----------------------------------------------------------------------------------


def test_newest_first_with_every_column(admin_client, admin_user):
    event("auth.login", at=_at("2025-03-01", 9), actor=admin_user, label="ada", ip="203.0.113.9")
    event(
        "group.member_added",
        at=_at("2025-03-02", 9),
        actor=admin_user,
        target_type="group",
        label="Radiology",
        user="sam",
    )
    response = admin_client.get(LOG)
    content = response.content.decode()
    assert [e.action for e in response.context["page"].items if e.ip] == ["group.member_added", "auth.login"]
    table = content[content.index("<tbody>") :]
    assert (
        table.index("<span>2025-03-02</span> <span>09:00:00</span>")
        < table.index("Member added to group")
        < table.index("<span>2025-03-01</span> <span>09:00:00</span>")
    )
    assert table.index("<span>2025-03-01</span>") < table.rindex("Signed in")
    assert "203.0.113.9" in content
    assert "User group</span> Radiology" in content
    assert '<span class="muted">user:</span> sam' in content
    for heading in ("When", "Who", "Action", "Target", "IP address", "Details"):
        assert f"<th>{heading}</th>" in content


def test_a_real_change_reads_as_words(admin_client, staff_user):
    """Changing a user's role through the users page shows up as "role: staff → limited"."""
    uid = profile_of(staff_user).uuid
    form = admin_client.get(reverse("portal:user_edit", args=[uid])).context["form"]
    data = {**form.initial, "role": "limited", "institution_ids": form.initial["institution_ids"]}
    assert admin_client.post(reverse("portal:user_edit", args=[uid]), data).status_code == 302
    content = admin_client.get(LOG, {"action": "user.updated"}).content.decode()
    assert "User changed" in content
    assert '<span class="muted">role:</span> staff → limited' in content


def test_unknown_action_shows_as_recorded(admin_client):
    event("share.something_new")
    assert "share.something_new" in admin_client.get(LOG).content.decode()


def test_failed_sign_ins_stand_out(admin_client):
    event("auth.login_failed", label="ada")
    assert 'class="audit-warning"' in admin_client.get(LOG).content.decode()


def test_empty_log_says_so(admin_client):
    content = admin_client.get(LOG, {"q": "nothing-like-this"}).content.decode()
    assert "No events match" in content


# --- Filters -----------------------------------------------------------------------------------


def _actions(response):
    # The personas' own sign-ins (force_login: no IP address) are not part of these scenes.
    return sorted(e.action for e in response.context["page"].items if e.ip)


def test_free_text_matches_actor_target_and_ip(admin_client, admin_user, staff_user):
    event("user.created", actor=admin_user, label="nuria", ip="10.1.2.3")
    event("group.created", actor=staff_user, target_type="group", label="Cardiology", ip="192.0.2.50")
    assert _actions(admin_client.get(LOG, {"q": "nuria"})) == ["user.created"]
    assert _actions(admin_client.get(LOG, {"q": "sam"})) == ["group.created"]
    assert _actions(admin_client.get(LOG, {"q": "192.0.2"})) == ["group.created"]
    assert _actions(admin_client.get(LOG, {"q": "ada nuria"})) == ["user.created"]


def test_action_family_and_single_action(admin_client):
    for action in ("auth.login", "auth.login_failed", "user.created", "flag.created", "flag_group.created"):
        event(action)
    assert _actions(admin_client.get(LOG, {"action": "auth"})) == ["auth.login", "auth.login_failed"]
    assert _actions(admin_client.get(LOG, {"action": "auth.login_failed"})) == ["auth.login_failed"]
    assert _actions(admin_client.get(LOG, {"action": "flag"})) == ["flag.created"]
    assert _actions(admin_client.get(LOG, {"action": "flag_group"})) == ["flag_group.created"]


def test_action_select_lists_families_with_readable_names(admin_client):
    content = admin_client.get(LOG).content.decode()
    for family in ("auth", "user", "group", "institution", "node", "flag_group", "flag"):
        assert f'<option value="{family}">' in content, family
    assert '<option value="auth.login_failed">Failed sign-in</option>' in content
    assert '<option value="user.created">User created</option>' in content


def test_date_range_is_inclusive(admin_client):
    event("user.created", at=_at("2025-02-28", 23, 59))
    event("user.updated", at=_at("2025-03-01", 0, 0))
    event("user.activated", at=_at("2025-03-02", 23, 59))
    event("user.deactivated", at=_at("2025-03-03", 0, 0))
    response = admin_client.get(LOG, {"date_from": "2025-03-01", "date_to": "2025-03-02"})
    assert _actions(response) == ["user.activated", "user.updated"]
    assert _actions(admin_client.get(LOG, {"date_from": "2025-03-03"})) == ["user.deactivated"]
    assert _actions(admin_client.get(LOG, {"date_to": "2025-02-28"})) == ["user.created"]


def test_filters_stay_in_the_form(admin_client):
    content = admin_client.get(LOG, {"q": "ada", "action": "auth", "date_from": "2025-03-01"}).content.decode()
    assert 'value="ada"' in content
    assert '<option value="auth" selected>' in content
    assert 'value="2025-03-01"' in content


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2025-03-05", "date_to": "2025-03-01"}, "date_to", "must be the same day"),
        ({"date_from": "2025-02-30"}, "date_from", "Enter a valid date"),
        ({"date_to": "yesterday"}, "date_to", "Enter a valid date"),
        ({"date_from": "0001-01-01"}, "date_from", "Enter a date between"),
        ({"date_to": "9999-12-31"}, "date_to", "Enter a date between"),
        ({"action": "user.exploded"}, "action", "Select a valid choice"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
    ],
)
def test_bad_filters_get_a_message_not_a_500(admin_client, params, field, message):
    event("user.created")
    response = admin_client.get(LOG, params)
    assert response.status_code == 200
    assert message in " ".join(response.context["filters"].errors[field])
    content = response.content.decode()
    assert f'id="id_{field}_error"' in content
    assert message in content


def test_valid_filters_still_apply_beside_a_bad_one(admin_client):
    event("auth.login")
    event("user.created")
    response = admin_client.get(LOG, {"action": "auth", "date_from": "not-a-date"})
    assert _actions(response) == ["auth.login"]


def test_bad_page_numbers_do_not_break(admin_client):
    event("user.created")
    assert admin_client.get(LOG, {"page": "abc"}).status_code == 200
    response = admin_client.get(LOG, {"page": "999"})
    assert response.status_code == 200
    assert response.context["page"].number == 1


# --- htmx and paging -----------------------------------------------------------------------------


def test_htmx_gets_only_the_results(admin_client):
    event("auth.login")
    response = admin_client.get(LOG, {"action": "auth"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "Signed in" in content
    assert 'role="search"' not in content
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]
    # The filter messages travel with the results (out of band), empty when all is well.
    assert 'id="id_date_from_errors" hx-swap-oob="true"' in content


def test_htmx_with_bad_dates_updates_the_messages(admin_client):
    response = admin_client.get(LOG, {"date_from": "2025-03-05", "date_to": "2025-03-01"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    start = content.index('id="id_date_to_errors" hx-swap-oob="true"')
    assert "must be the same day" in content[start : content.index("</div>", start)]


def test_full_page_has_no_out_of_band_copies(admin_client):
    content = admin_client.get(LOG).content.decode()
    assert "hx-swap-oob" not in content
    assert 'hx-get="/administration/audit/"' in content
    assert 'hx-push-url="true"' in content


def test_pages_of_fifty_and_the_pager_keeps_filters(admin_client):
    for _ in range(60):
        event("user.created")
    event("group.created")
    first = admin_client.get(LOG, {"action": "user"})
    assert len(first.context["page"].items) == 50
    assert first.context["page"].total == 60
    content = first.content.decode()
    assert 'href="?action=user&amp;page=2"' in content
    second = admin_client.get(LOG, {"action": "user", "page": "2"})
    assert len(second.context["page"].items) == 10
    assert {e.action for e in second.context["page"].items} == {"user.created"}


def test_export_link_carries_the_filters(admin_client):
    event("auth.login")
    content = admin_client.get(LOG, {"action": "auth", "q": "ada", "page": "1"}).content.decode()
    assert f'href="{EXPORT}?action=auth&amp;q=ada"' in content


# --- CSV export ----------------------------------------------------------------------------------


def test_export_streams_every_matching_row_page_by_page(admin_client, monkeypatch):
    for n in range(7):
        event("user.updated", at=_at("2025-03-01", 8, n), label=f"user{n}")
    event("user.created", at=_at("2025-03-01", 9))
    monkeypatch.setattr(audit_views, "EXPORT_PAGE_SIZE", 3)
    api = get_api()
    calls = []
    original = api.audit_log

    def spy(*, actor, query, export=False):
        assert export
        calls.append(query)
        return original(actor=actor, query=query, export=export)

    monkeypatch.setattr(api, "audit_log", spy)
    response = admin_client.get(EXPORT, {"action": "user.updated"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert [q.older_than for q in calls] == [None]  # the rest is read while the body streams
    rows = _csv(response)
    assert rows[0] == ["time", "actor", "action", "target_type", "target", "ip", "details"]
    assert [r[4] for r in rows[1:]] == [f"user{n}" for n in range(6, -1, -1)]
    # each next page starts after the last event read (not at an offset)
    assert [q.page for q in calls] == [1, 1, 1]
    assert [q.older_than is None for q in calls] == [True, False, False]
    assert {q.page_size for q in calls} == {3}
    assert {q.action for q in calls} == {"user.updated"}


def test_export_columns(admin_client, admin_user):
    at = timezone.make_aware(dt.datetime(2025, 3, 1, 9, 30, 15), dt.timezone(dt.timedelta(hours=-3)))
    event(
        "user.updated", at=at, actor=admin_user, label="sam", ip="203.0.113.7", changes={"role": ["staff", "limited"]}
    )
    rows = _csv(admin_client.get(EXPORT, {"action": "user.updated"}))
    assert len(rows) == 2
    assert rows[1][:6] == ["2025-03-01T12:30:15Z", "ada", "user.updated", "user", "sam", "203.0.113.7"]
    assert json.loads(rows[1][6]) == {"changes": {"role": ["staff", "limited"]}}


def test_export_guards_against_formula_injection(admin_client):
    event("user.created", label='=HYPERLINK("http://evil")', ip=None)
    event("user.created", label="+1", ip=None)
    event("user.created", label="-2", ip=None)
    event("user.created", label="@SUM(A1)", ip=None)
    event("user.created", label="plain", ip=None)
    labels = {r[4] for r in _csv(admin_client.get(EXPORT, {"action": "user.created"}))[1:]}
    assert labels == {'\'=HYPERLINK("http://evil")', "'+1", "'-2", "'@SUM(A1)", "plain"}


def test_export_does_not_repeat_or_add_events_recorded_meanwhile(admin_client, monkeypatch):
    for n in range(5):
        event("user.created", at=_at("2025-03-01", 8, n), label=f"old{n}")
    monkeypatch.setattr(audit_views, "EXPORT_PAGE_SIZE", 2)
    api = get_api()
    original = api.audit_log
    added: list[bool] = []

    def busy(*, actor, query, export=False):
        if query.older_than is not None and not added:  # two new events while the export runs
            added.append(True)
            event("user.created", label="new1")
            event("user.created", label="new2")
        return original(actor=actor, query=query, export=export)

    monkeypatch.setattr(api, "audit_log", busy)
    labels = [r[4] for r in _csv(admin_client.get(EXPORT, {"action": "user.created"}))[1:]]
    assert labels == ["old4", "old3", "old2", "old1", "old0"]


def test_export_with_bad_filters_goes_back_to_the_list(admin_client):
    response = admin_client.get(EXPORT, {"date_from": "2025-03-05", "date_to": "2025-03-01"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOG}?date_from=2025-03-05&date_to=2025-03-01"


def test_export_ignores_the_page_number(admin_client):
    event("user.created", label="one")
    response = admin_client.get(EXPORT, {"action": "user.created", "page": "0"})
    assert [r[4] for r in _csv(response)[1:]] == ["one"]


def test_export_of_nothing_is_just_the_header(admin_client):
    rows = _csv(admin_client.get(EXPORT, {"q": "nobody"}))
    assert rows == [["time", "actor", "action", "target_type", "target", "ip", "details"]]
