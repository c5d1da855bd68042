"""Shares with outside people, the owner's side, on every backend that offers it: listing,
reading, changing, revoking, e-mailing again, the access log. E-mails are checked as the
``ShareMail`` rows the worker sends (no SMTP server here)."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import Institution, ShareMail
from postdicom.types import Capability, ShareAccessKind, ShareAudience, ShareOptions, ShareQuery, ShareRefusal
from tests.contract.share_setup import IP, PASSWORD, link_share, token_of
from tests.missing import offered
from tests.postdicom.local.orders_setup import create

NEXT_MONTH = dt.date.today() + dt.timedelta(days=30)


def test_the_shares_one_made_newest_first(
    api: PostDicomApi,
    staff_user: User,
    outsider: User,
    admin_user: User,
    clinic: Institution,
    other_clinic: Institution,
) -> None:
    offered(api, Capability.LIST_SHARES)
    older, newer = link_share(staff_user, clinic), link_share(staff_user, clinic, title="Segunda opinión")
    theirs = link_share(outsider, other_clinic)
    page = api.list_shares(actor=staff_user)
    assert ([s.id for s in page.items], page.total) == ([newer.id, older.id], 2)
    assert page.items[0].title == "Segunda opinión"
    assert all(s.url == "" for s in page.items)
    everyone = api.list_shares(actor=admin_user, query=ShareQuery(everyone=True))
    assert {s.id for s in everyone.items} == {older.id, newer.id, theirs.id}
    with pytest.raises(Forbidden):
        api.list_shares(actor=staff_user, query=ShareQuery(everyone=True))


def test_one_share_for_its_maker_only(
    api: PostDicomApi, staff_user: User, outsider: User, admin_user: User, clinic: Institution
) -> None:
    offered(api, Capability.GET_SHARE)
    made = link_share(staff_user, clinic, title="Для доктора", downloadable=True)
    found = api.get_share(actor=staff_user, share_id=made.id)
    assert (found.id, found.title, found.downloadable, found.has_password) == (made.id, "Для доктора", True, True)
    assert (found.url, found.new_password, found.can_manage) == ("", "", True)
    assert api.get_share(actor=admin_user, share_id=made.id).id == made.id
    with pytest.raises(NotFound):
        api.get_share(actor=outsider, share_id=made.id)
    with pytest.raises(NotFound):
        api.get_share(actor=staff_user, share_id=uuid4())


def test_a_share_is_changed_and_given_a_new_password(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.UPDATE_SHARE)
    made = link_share(staff_user, clinic)
    changed = api.update_share(
        actor=staff_user,
        share_id=made.id,
        expires=NEXT_MONTH,
        downloadable=True,
        open_limit=3,
        generate_password=True,
    )
    assert (changed.expires, changed.downloadable, changed.open_limit) == (NEXT_MONTH, True, 3)
    assert changed.new_password
    assert not get_api().open_share(token=token_of(made), password=PASSWORD, client_ip=IP).ok
    assert get_api().open_share(token=token_of(made), password=changed.new_password, client_ip=IP).ok
    with pytest.raises(InvalidInput) as refused:
        api.update_share(
            actor=staff_user, share_id=made.id, expires=dt.date(2020, 1, 1), downloadable=False, open_limit=None
        )
    assert "expires" in refused.value.field_errors
    with pytest.raises(NotFound):
        api.update_share(actor=outsider, share_id=made.id, expires=None, downloadable=False, open_limit=None)
    get_api().revoke_share(actor=staff_user, share_id=made.id)
    with pytest.raises(Forbidden):
        api.update_share(actor=staff_user, share_id=made.id, expires=None, downloadable=False, open_limit=None)


def test_a_revoked_share_stops_opening_at_once(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.REVOKE_SHARE)
    made = link_share(staff_user, clinic)
    with pytest.raises(NotFound):
        api.revoke_share(actor=outsider, share_id=made.id)
    assert get_api().open_share(token=token_of(made), password=PASSWORD, client_ip=IP).ok
    api.revoke_share(actor=staff_user, share_id=made.id)
    api.revoke_share(actor=staff_user, share_id=made.id)
    assert get_api().get_share(actor=staff_user, share_id=made.id).revoked
    assert get_api().reopen_share(token=token_of(made), client_ip=IP).refusal is ShareRefusal.REVOKED


def test_an_email_share_is_mailed_again_with_the_same_link(
    api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution
) -> None:
    offered(api, Capability.RESEND_SHARE_EMAIL)
    order = create(staff_user, clinic, patient_name="ŞAHİN^Ayşe")
    made = get_api().share_orders(
        actor=staff_user,
        order_ids=[order.id],
        audience=ShareAudience(email="dra.sahin@example.org"),
        options=ShareOptions(password=PASSWORD),
    )
    again = api.resend_share_email(actor=staff_user, share_id=made.id)
    assert (again.id, again.email) == (made.id, "dra.sahin@example.org")
    links = ShareMail.objects.filter(share__uuid=made.id, kind="link").order_by("number")
    assert [(m.number, m.to) for m in links] == [(1, "dra.sahin@example.org"), (2, "dra.sahin@example.org")]
    assert [m.secrets["token"] for m in links] == [token_of(made)] * 2
    assert get_api().open_share(token=token_of(made), password=PASSWORD, client_ip=IP).ok
    with pytest.raises(InvalidInput):
        api.resend_share_email(actor=staff_user, share_id=link_share(staff_user, clinic).id)
    with pytest.raises(NotFound):
        api.resend_share_email(actor=outsider, share_id=made.id)
    get_api().revoke_share(actor=staff_user, share_id=made.id)
    with pytest.raises(Forbidden):
        api.resend_share_email(actor=staff_user, share_id=made.id)


def test_the_access_log_newest_first(api: PostDicomApi, staff_user: User, outsider: User, clinic: Institution) -> None:
    offered(api, Capability.SHARE_ACCESS_LOG)
    made = link_share(staff_user, clinic)
    get_api().open_share(token=token_of(made), password="wrong", client_ip="192.0.2.1")
    get_api().open_share(token=token_of(made), password=PASSWORD, client_ip=IP)
    log = api.share_access_log(actor=staff_user, share_id=made.id)
    assert [(e.kind, e.client_ip) for e in log] == [
        (ShareAccessKind.OPENED, IP),
        (ShareAccessKind.FAILED_PASSWORD, "192.0.2.1"),
    ]
    assert api.share_access_log(actor=staff_user, share_id=made.id, limit=1) == log[:1]
    with pytest.raises(NotFound):
        api.share_access_log(actor=outsider, share_id=made.id)
