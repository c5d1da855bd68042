"""Shares with outside people (e-mail, link, upload-only): making them per role and audience,
opening them (password, lock, expiry, revocation, open limit), what they cover at each open,
the owner's side (list, change, revoke, resend, access log, contacts), and the audit trail.
E-mail delivery through a real worker and SMTP server is in tests/sharing/test_share_mail.py."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from postdicom import get_api
from postdicom.errors import InvalidInput
from postdicom.local.models import AuditRecord, Institution, OutsideShare
from postdicom.types import (
    SHARE_FAILURES_BEFORE_LOCK,
    SHARE_LOCK_SECONDS,
    OrderSummary,
    Role,
    Share,
    ShareAccessKind,
    ShareAudience,
    ShareKind,
    ShareOptions,
    ShareRefusal,
)
from tests.conftest import make_user
from tests.postdicom.local.orders_setup import create

pytestmark = pytest.mark.django_db

LINK = ShareAudience(link=True)
IP = "203.0.113.7"


def token_of(share: Share) -> str:
    path = urlsplit(share.url).path
    assert path.startswith("/s/"), share.url
    assert path.endswith("/"), share.url
    return path[3:-1]


def actions(share: Share) -> list[str]:
    rows = AuditRecord.objects.filter(target_type="share", target_id=str(share.id)).order_by("at", "id")
    return list(rows.values_list("action", flat=True))


def field_error(caught: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    assert field in caught.value.field_errors, caught.value.field_errors
    return caught.value.field_errors[field][0]


@pytest.fixture
def order(staff_user: User, clinic: Institution) -> OrderSummary:
    return create(staff_user, clinic, accession_number="ACC-1")


@pytest.fixture
def second_order(staff_user: User, clinic: Institution) -> OrderSummary:
    return create(staff_user, clinic, accession_number="ACC-2", patient_id="P-0002", patient_name="ROE^Ann")


@pytest.fixture
def colleague(clinic: Institution) -> User:
    return make_user("cora", Role.STAFF, [clinic], first_name="Cora", last_name="Colleague", email="cora@clinic.test")


def share_link(actor: User, *orders: OrderSummary, **options: Any) -> Share:
    return get_api().share_orders(
        actor=actor, order_ids=[o.id for o in orders], audience=LINK, options=ShareOptions(**options)
    )


class TestShareOrders:
    def test_a_link_share_opens_with_its_password_and_covers_its_orders(
        self, staff_user: User, order: OrderSummary, second_order: OrderSummary
    ) -> None:
        share = share_link(staff_user, order, second_order, password="correct horse", title="For Dr. Who")
        assert share.kind is ShareKind.LINK
        assert share.has_password
        assert share.new_password == ""
        assert {o.id for o in share.orders} == {order.id, second_order.id}
        token = token_of(share)
        stored = OutsideShare.objects.get(uuid=share.id)
        assert token not in stored.token_hash
        assert len(stored.token_hash) == 64
        assert "correct horse" not in stored.password_hash
        opening = get_api().open_share(token=token, password="correct horse", client_ip=IP)
        assert opening.ok
        assert opening.opened is not None
        assert opening.opened.actor == staff_user
        assert set(opening.opened.order_ids) == {order.id, second_order.id}
        assert opening.opened.title == "For Dr. Who"
        assert not opening.opened.upload_only
        assert actions(share) == ["share.created", "share.opened"]
        assert get_api().get_share(actor=staff_user, share_id=share.id).opens == 1

    def test_a_generated_password_is_told_once(self, staff_user: User, order: OrderSummary) -> None:
        share = share_link(staff_user, order, generate_password=True)
        assert len(share.new_password) == 12
        assert get_api().get_share(actor=staff_user, share_id=share.id).new_password == ""
        assert get_api().open_share(token=token_of(share), password=share.new_password, client_ip=IP).ok

    def test_unknown_link_and_wrong_password_are_refused_alike(self, staff_user: User, order: OrderSummary) -> None:
        share = share_link(staff_user, order, password="correct horse")
        wrong = get_api().open_share(token=token_of(share), password="nope nope", client_ip=IP)
        unknown = get_api().open_share(token="x" * 43, password="correct horse", client_ip=IP)
        garbage = get_api().open_share(token="../../etc", password="", client_ip=IP)
        assert wrong.refusal is unknown.refusal is garbage.refusal is ShareRefusal.WRONG_PASSWORD
        assert actions(share) == ["share.created", "share.password_failed"]
        log = get_api().share_access_log(actor=staff_user, share_id=share.id)
        assert [(e.kind, e.client_ip) for e in log] == [(ShareAccessKind.FAILED_PASSWORD, IP)]

    def test_wrong_passwords_lock_the_share_even_for_the_right_one(self, staff_user: User, order: OrderSummary) -> None:
        share = share_link(staff_user, order, password="correct horse")
        token = token_of(share)
        for _ in range(SHARE_FAILURES_BEFORE_LOCK - 1):
            assert (
                get_api().open_share(token=token, password="bad", client_ip=IP).refusal is ShareRefusal.WRONG_PASSWORD
            )
        locked = get_api().open_share(token=token, password="bad", client_ip=IP)
        assert locked.refusal is ShareRefusal.LOCKED
        assert locked.retry_after == SHARE_LOCK_SECONDS
        right = get_api().open_share(token=token, password="correct horse", client_ip=IP)
        assert right.refusal is ShareRefusal.LOCKED
        assert 0 < right.retry_after <= SHARE_LOCK_SECONDS
        assert "share.locked" in actions(share)
        OutsideShare.objects.filter(uuid=share.id).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
        assert get_api().open_share(token=token, password="correct horse", client_ip=IP).ok

    def test_a_right_password_resets_the_count_of_wrong_ones(self, staff_user: User, order: OrderSummary) -> None:
        share = share_link(staff_user, order, password="correct horse")
        token = token_of(share)
        for _ in range(SHARE_FAILURES_BEFORE_LOCK - 1):
            get_api().open_share(token=token, password="bad", client_ip=IP)
        assert get_api().open_share(token=token, password="correct horse", client_ip=IP).ok
        assert get_api().open_share(token=token, password="bad", client_ip=IP).refusal is ShareRefusal.WRONG_PASSWORD

    def test_expired_revoked_and_used_up(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        limited_share = share_link(staff_user, order, open_limit=1)
        token = token_of(limited_share)
        assert api.open_share(token=token, password="", client_ip=IP).ok
        assert api.open_share(token=token, password="", client_ip=IP).refusal is ShareRefusal.USED_UP
        assert api.reopen_share(token=token, client_ip=IP).ok  # the visitor already in keeps it
        assert api.share_status(token=token).refusal is ShareRefusal.USED_UP

        expiring = share_link(staff_user, order, expires=timezone.localdate())
        assert api.open_share(token=token_of(expiring), password="", client_ip=IP).ok
        OutsideShare.objects.filter(uuid=expiring.id).update(expires=timezone.localdate() - dt.timedelta(days=1))
        assert api.open_share(token=token_of(expiring), password="", client_ip=IP).refusal is ShareRefusal.EXPIRED
        assert api.reopen_share(token=token_of(expiring), client_ip=IP).refusal is ShareRefusal.EXPIRED

        revoked = share_link(staff_user, order)
        assert api.reopen_share(token=token_of(revoked), client_ip=IP).ok
        api.revoke_share(actor=staff_user, share_id=revoked.id)
        assert api.reopen_share(token=token_of(revoked), client_ip=IP).refusal is ShareRefusal.REVOKED
        assert api.open_share(token=token_of(revoked), password="", client_ip=IP).refusal is ShareRefusal.REVOKED
        api.revoke_share(actor=staff_user, share_id=revoked.id)  # twice: nothing more
        assert actions(revoked) == ["share.created", "share.revoked"]

    def test_an_order_the_owner_no_longer_sees_leaves_the_share(
        self, staff_user: User, order: OrderSummary, second_order: OrderSummary
    ) -> None:
        share = share_link(staff_user, order, second_order)
        get_api().delete_order(actor=staff_user, order_id=second_order.id)
        opened = get_api().open_share(token=token_of(share), password="", client_ip=IP).opened
        assert opened is not None
        assert opened.order_ids == (order.id,)

    def test_a_deactivated_owner_ends_the_share(self, staff_user: User, order: OrderSummary) -> None:
        share = share_link(staff_user, order)
        User.objects.filter(pk=staff_user.pk).update(is_active=False)
        assert get_api().open_share(token=token_of(share), password="", client_ip=IP).refusal is ShareRefusal.REVOKED
