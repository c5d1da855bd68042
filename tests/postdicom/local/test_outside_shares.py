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
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.models import AuditRecord, Institution, OutsideShare, ShareMail
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
    ShareQuery,
    ShareRefusal,
)
from tests.conftest import make_user
from tests.postdicom.local.orders_setup import create, uid

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
        # The refused visits: the second (same reason, same address, just after) is not logged again.
        assert actions(revoked) == ["share.created", "share.revoked", "share.refused"]

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


class TestWhoMayShare:
    def test_limited_users_share_only_what_they_see(
        self, limited_user: User, staff_user: User, clinic: Institution, order: OrderSummary
    ) -> None:
        with pytest.raises(NotFound):
            share_link(limited_user, order)
        mine = create(limited_user, clinic, accession_number="LIM-1")
        share = share_link(limited_user, mine)
        opened = get_api().open_share(token=token_of(share), password="", client_ip=IP).opened
        assert opened is not None
        assert opened.order_ids == (mine.id,)
        assert opened.actor == limited_user

    def test_outsiders_and_hidden_orders_are_not_found(self, outsider: User, order: OrderSummary) -> None:
        with pytest.raises(NotFound):
            share_link(outsider, order)
        assert not OutsideShare.objects.exists()

    def test_colleagues_and_administrators_share_what_they_see(
        self, colleague: User, admin_user: User, order: OrderSummary
    ) -> None:
        assert share_link(colleague, order).shared_by is not None
        assert share_link(admin_user, order).kind is ShareKind.LINK

    def test_bad_audiences_and_options_are_refused_with_every_reason(
        self, staff_user: User, order: OrderSummary
    ) -> None:
        api = get_api()
        with pytest.raises(InvalidInput) as caught:
            api.share_orders(
                actor=staff_user,
                order_ids=[order.id],
                audience=ShareAudience(email="not-an-address", password_email="not@either"),
                options=ShareOptions(
                    expires=timezone.localdate() - dt.timedelta(days=1),
                    open_limit=0,
                    language="fr",
                    password="short",
                    title="x" * 201,
                ),
            )
        for field in ("email", "expires", "open_limit", "language", "password", "title"):
            field_error(caught, field)
        with pytest.raises(InvalidInput) as caught:
            api.share_orders(
                actor=staff_user,
                order_ids=[order.id],
                audience=ShareAudience(link=True, upload_only=True),
                options=ShareOptions(),
            )
        assert "folder" in field_error(caught, "audience")
        with pytest.raises(InvalidInput) as caught:
            api.share_orders(actor=staff_user, order_ids=[], audience=LINK, options=ShareOptions())
        field_error(caught, "order_ids")
        with pytest.raises(InvalidInput):
            api.share_orders(
                actor=staff_user,
                order_ids=[order.id],
                audience=ShareAudience(email="a@example.org", password_email="A@example.org"),
                options=ShareOptions(),
            )
        assert not OutsideShare.objects.exists()


@pytest.fixture
def folder(staff_user: User, order: OrderSummary) -> Any:
    api = get_api()
    made = api.create_folder(actor=staff_user, name="Cardiology/2026")
    parent = made.ancestors[0]
    api.add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[made.id])
    return api.get_folder(actor=staff_user, folder_id=parent.id)


class TestShareFolder:
    def test_a_folder_share_is_live(
        self, staff_user: User, folder: Any, order: OrderSummary, second_order: OrderSummary
    ) -> None:
        api = get_api()
        (share,) = api.share_folder(
            actor=staff_user,
            folder_id=folder.id,
            audience=ShareAudience(email="dr@example.org"),
            options=ShareOptions(password="correct horse", downloadable=True),
        )
        assert share.kind is ShareKind.EMAIL
        assert share.folder is not None
        assert share.folder.id == folder.id
        token = token_of(share)
        opened = api.open_share(token=token, password="correct horse", client_ip=IP).opened
        assert opened is not None
        assert opened.order_ids == (order.id,)  # filed in the sub-folder
        assert opened.folder_id == folder.id
        assert opened.downloadable
        api.add_order_to_folders(actor=staff_user, order_id=second_order.id, folder_ids=[folder.id])
        again = api.reopen_share(token=token, client_ip=IP).opened
        assert again is not None
        assert set(again.order_ids) == {order.id, second_order.id}
        api.delete_folder(actor=staff_user, folder_id=folder.id)
        assert api.reopen_share(token=token, client_ip=IP).refusal is ShareRefusal.REVOKED

    def test_upload_only_shows_nothing_and_tells_the_owner(self, staff_user: User, folder: Any) -> None:
        api = get_api()
        (share,) = api.share_folder(
            actor=staff_user,
            folder_id=folder.id,
            audience=ShareAudience(link=True, upload_only=True),
            options=ShareOptions(downloadable=True),
        )
        assert share.kind is ShareKind.UPLOAD_LINK
        assert not share.downloadable
        opened = api.open_share(token=token_of(share), password="", client_ip=IP).opened
        assert opened is not None
        assert opened.upload_only
        assert opened.order_ids == ()
        assert opened.folder_id == folder.id
        api.record_share_upload(token=token_of(share), client_ip=IP, file_count=4)
        log = api.share_access_log(actor=staff_user, share_id=share.id)
        assert [e.kind for e in log] == [ShareAccessKind.UPLOADED, ShareAccessKind.OPENED]
        assert log[0].detail == "4"
        assert ShareMail.objects.filter(share__uuid=share.id, kind="uploaded", to=staff_user.email).count() == 1
        assert "share.uploaded" in actions(share)

    def test_a_viewing_share_takes_no_upload(self, staff_user: User, folder: Any) -> None:
        (share,) = get_api().share_folder(actor=staff_user, folder_id=folder.id, audience=LINK, options=ShareOptions())
        with pytest.raises(InvalidInput):
            get_api().record_share_upload(token=token_of(share), client_ip=IP, file_count=1)

    def test_only_the_owner_shares_a_folder_outside(
        self, staff_user: User, colleague: User, outsider: User, admin_user: User, folder: Any
    ) -> None:
        api = get_api()
        api.share_folder(
            actor=staff_user,
            folder_id=folder.id,
            audience=ShareAudience(user_ids=(uid(colleague),)),
            may_reshare=True,
        )
        with pytest.raises(Forbidden):
            api.share_folder(actor=colleague, folder_id=folder.id, audience=LINK, options=ShareOptions())
        for stranger in (outsider, admin_user):
            with pytest.raises(NotFound):
                api.share_folder(actor=stranger, folder_id=folder.id, audience=LINK, options=ShareOptions())
        assert not OutsideShare.objects.exists()

    def test_e_mail_shares_queue_the_link_and_the_password_apart(self, staff_user: User, folder: Any) -> None:
        api = get_api()
        (share,) = api.share_folder(
            actor=staff_user,
            folder_id=folder.id,
            audience=ShareAudience(email="dr@example.org", password_email="nurse@example.org", upload_only=True),
            options=ShareOptions(generate_password=True),
        )
        mails = {m.kind: m for m in ShareMail.objects.filter(share__uuid=share.id)}
        assert set(mails) == {"link", "password"}
        assert mails["link"].to == "dr@example.org"
        assert "password" not in mails["link"].secrets
        assert mails["password"].secrets == {"password": share.new_password}
        assert mails["password"].to == "nurse@example.org"


class TestOwnerSide:
    def test_list_shares_mine_and_everyone(
        self, staff_user: User, colleague: User, admin_user: User, order: OrderSummary, folder: Any
    ) -> None:
        api = get_api()
        mine = share_link(staff_user, order, title="Mine")
        theirs = share_link(colleague, order, title="Theirs")
        (account,) = api.share_folder(
            actor=staff_user, folder_id=folder.id, audience=ShareAudience(user_ids=(uid(colleague),))
        )
        listed = api.list_shares(actor=staff_user).items
        assert [s.id for s in listed] == [account.id, mine.id]
        assert listed[0].kind is ShareKind.USER
        with pytest.raises(Forbidden):
            api.list_shares(actor=staff_user, query=ShareQuery(everyone=True))
        every = api.list_shares(actor=admin_user, query=ShareQuery(everyone=True))
        assert {s.id for s in every.items} == {mine.id, theirs.id, account.id}
        assert every.total == 3
        assert api.list_shares(actor=admin_user).items == ()
        api.revoke_share(actor=staff_user, share_id=mine.id)
        active = api.list_shares(actor=staff_user, query=ShareQuery(active_only=True)).items
        assert [s.id for s in active] == [account.id]

    def test_paging_merges_both_kinds_newest_first(self, staff_user: User, order: OrderSummary) -> None:
        made = [share_link(staff_user, order, title=str(n)) for n in range(5)]
        api = get_api()
        first = api.list_shares(actor=staff_user, query=ShareQuery(page=1, page_size=2))
        second = api.list_shares(actor=staff_user, query=ShareQuery(page=2, page_size=2))
        third = api.list_shares(actor=staff_user, query=ShareQuery(page=3, page_size=2))
        assert [s.id for s in (*first.items, *second.items, *third.items)] == [s.id for s in reversed(made)]
        assert first.total == 5

    def test_strangers_get_not_found_and_administrators_manage(
        self,
        staff_user: User,
        colleague: User,
        outsider: User,
        limited_user: User,
        admin_user: User,
        order: OrderSummary,
    ) -> None:
        api = get_api()
        share = share_link(staff_user, order)
        for stranger in (colleague, outsider, limited_user):
            with pytest.raises(NotFound):
                api.get_share(actor=stranger, share_id=share.id)
            with pytest.raises(NotFound):
                api.revoke_share(actor=stranger, share_id=share.id)
            with pytest.raises(NotFound):
                api.share_access_log(actor=stranger, share_id=share.id)
            with pytest.raises(NotFound):
                api.update_share(actor=stranger, share_id=share.id, expires=None, downloadable=True, open_limit=None)
            with pytest.raises(NotFound):
                api.resend_share_email(actor=stranger, share_id=share.id)
        assert api.get_share(actor=admin_user, share_id=share.id).can_manage
        api.revoke_share(actor=admin_user, share_id=share.id)
        assert api.get_share(actor=staff_user, share_id=share.id).revoked
        assert actions(share) == ["share.created", "share.revoked"]

    def test_update_share_changes_what_the_visitor_gets_next(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        share = share_link(staff_user, order, password="correct horse")
        token = token_of(share)
        changed = api.update_share(
            actor=staff_user,
            share_id=share.id,
            expires=timezone.localdate(),
            downloadable=True,
            open_limit=2,
            generate_password=True,
        )
        assert changed.downloadable
        assert changed.open_limit == 2
        assert len(changed.new_password) == 12
        assert api.open_share(token=token, password="correct horse", client_ip=IP).refusal is (
            ShareRefusal.WRONG_PASSWORD
        )
        opened = api.open_share(token=token, password=changed.new_password, client_ip=IP).opened
        assert opened is not None
        assert opened.downloadable
        event = AuditRecord.objects.filter(action="share.changed").get()
        assert set(event.detail["changes"]) == {"expires", "downloadable", "open_limit", "password"}
        with pytest.raises(InvalidInput):
            api.update_share(actor=staff_user, share_id=share.id, expires=None, downloadable=False, open_limit=0)
        api.revoke_share(actor=staff_user, share_id=share.id)
        with pytest.raises(Forbidden):
            api.update_share(actor=staff_user, share_id=share.id, expires=None, downloadable=False, open_limit=None)

    def test_a_new_password_of_an_e_mail_share_is_e_mailed(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        share = api.share_orders(
            actor=staff_user,
            order_ids=[order.id],
            audience=ShareAudience(email="dr@example.org", password_email="nurse@example.org"),
            options=ShareOptions(password="correct horse"),
        )
        api.update_share(
            actor=staff_user,
            share_id=share.id,
            expires=None,
            downloadable=False,
            open_limit=None,
            new_password="battery staple",
        )
        last = ShareMail.objects.filter(share__uuid=share.id, kind="password").order_by("-number").first()
        assert last is not None
        assert (last.number, last.to, last.secrets) == (2, "nurse@example.org", {"password": "battery staple"})

    def test_resend_sends_the_same_link(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        share = api.share_orders(
            actor=staff_user,
            order_ids=[order.id],
            audience=ShareAudience(email="dr@example.org"),
            options=ShareOptions(password="correct horse"),
        )
        token = token_of(share)
        row = OutsideShare.objects.get(uuid=share.id)
        assert row.token_seed
        assert token not in (row.token_seed, row.token_hash)  # the key is needed too
        api.resend_share_email(actor=staff_user, share_id=share.id)
        api.resend_share_email(actor=staff_user, share_id=share.id)
        links = ShareMail.objects.filter(share__uuid=share.id, kind="link").order_by("number")
        assert [(m.number, m.secrets["token"]) for m in links] == [(n, token) for n in (1, 2, 3)]
        assert [m.secrets.get("password") for m in links] == ["correct horse", None, None]  # not sent again
        assert api.open_share(token=token, password="correct horse", client_ip=IP).ok
        assert actions(share)[:3] == ["share.created", "share.email_resent", "share.email_resent"]
        with pytest.raises(InvalidInput):
            api.resend_share_email(actor=staff_user, share_id=share_link(staff_user, order).id)  # no address
        api.revoke_share(actor=staff_user, share_id=share.id)
        with pytest.raises(Forbidden):
            api.resend_share_email(actor=staff_user, share_id=share.id)

    def test_resend_makes_a_new_link_only_when_the_old_cannot_be_rebuilt(
        self, staff_user: User, order: OrderSummary, settings: Any
    ) -> None:
        api = get_api()
        share = api.share_orders(
            actor=staff_user,
            order_ids=[order.id],
            audience=ShareAudience(email="dr@example.org"),
            options=ShareOptions(),
        )
        first = token_of(share)
        OutsideShare.objects.filter(uuid=share.id).update(token_seed="")  # made before seeds were kept
        api.resend_share_email(actor=staff_user, share_id=share.id)
        second = ShareMail.objects.get(share__uuid=share.id, kind="link", number=2).secrets["token"]
        assert second != first
        assert api.open_share(token=first, password="", client_ip=IP).refusal is ShareRefusal.WRONG_PASSWORD
        api.resend_share_email(actor=staff_user, share_id=share.id)  # from now on, the same again
        assert ShareMail.objects.get(share__uuid=share.id, kind="link", number=3).secrets["token"] == second
        settings.SECRET_KEY = "another key that no longer derives the seed's link " * 2
        api.resend_share_email(actor=staff_user, share_id=share.id)
        fourth = ShareMail.objects.get(share__uuid=share.id, kind="link", number=4).secrets["token"]
        assert fourth not in (first, second)
        assert api.open_share(token=fourth, password="", client_ip=IP).ok

    def test_revoke_share_also_ends_an_account_folder_share(
        self, staff_user: User, colleague: User, folder: Any
    ) -> None:
        api = get_api()
        (account,) = api.share_folder(
            actor=staff_user, folder_id=folder.id, audience=ShareAudience(user_ids=(uid(colleague),))
        )
        with pytest.raises(Forbidden):
            api.update_share(actor=staff_user, share_id=account.id, expires=None, downloadable=False, open_limit=None)
        api.revoke_share(actor=staff_user, share_id=account.id)
        assert api.get_share(actor=staff_user, share_id=account.id).revoked
        assert api.shared_folders(actor=colleague).with_me == ()

    def test_contacts_are_colleagues_then_earlier_recipients(
        self, staff_user: User, colleague: User, outsider: User, order: OrderSummary
    ) -> None:
        api = get_api()
        api.share_orders(
            actor=staff_user,
            order_ids=[order.id],
            audience=ShareAudience(email="dr@example.org", password_email="nurse@example.org"),
            options=ShareOptions(),
        )
        contacts = api.list_contacts(actor=staff_user)
        addresses = [c.email for c in contacts]
        assert "cora@clinic.test" in addresses
        assert addresses[-2:] == ["dr@example.org", "nurse@example.org"]
        assert outsider.email not in addresses  # another institution's staff
        assert all(c.email not in ("dr@example.org",) for c in api.list_contacts(actor=colleague))


class TestVisitorLog:
    def test_views_and_downloads_are_logged_and_audited(
        self, staff_user: User, order: OrderSummary, second_order: OrderSummary
    ) -> None:
        api = get_api()
        share = share_link(staff_user, order, downloadable=True)
        token = token_of(share)
        api.log_share_access(token=token, client_ip=IP, kind=ShareAccessKind.VIEWED, order_id=order.id)
        api.log_share_access(token=token, client_ip=IP, kind=ShareAccessKind.DOWNLOADED, order_id=second_order.id)
        log = api.share_access_log(actor=staff_user, share_id=share.id)
        assert [(e.kind, e.client_ip) for e in log] == [
            (ShareAccessKind.DOWNLOADED, IP),
            (ShareAccessKind.VIEWED, IP),
        ]
        assert "ACC-1" in log[1].detail
        assert log[0].detail == ""  # an order the share does not cover is not named
        assert actions(share) == ["share.created", "share.viewed", "share.downloaded"]
        event = AuditRecord.objects.get(action="share.viewed")
        assert (event.actor_name, event.ip) == ("visitor", IP)
        with pytest.raises(InvalidInput):
            api.log_share_access(token=token, client_ip=IP, kind=ShareAccessKind.OPENED)
        api.log_share_access(token="y" * 43, client_ip=IP, kind=ShareAccessKind.VIEWED)  # unknown: nothing

    def test_refused_visits_are_logged_and_audited(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        share = share_link(staff_user, order, open_limit=1)
        token = token_of(share)
        assert api.open_share(token=token, password="", client_ip=IP).ok
        assert api.open_share(token=token, password="", client_ip=IP).refusal is ShareRefusal.USED_UP
        assert api.share_status(token=token).refusal is ShareRefusal.USED_UP  # no address: not a visit
        assert api.share_status(token=token, client_ip="198.51.100.9").refusal is ShareRefusal.USED_UP
        OutsideShare.objects.filter(uuid=share.id).update(expires=timezone.localdate() - dt.timedelta(days=1))
        assert api.reopen_share(token=token, client_ip=IP).refusal is ShareRefusal.EXPIRED
        assert api.reopen_share(token=token, client_ip=IP).refusal is ShareRefusal.EXPIRED  # a page's images: once
        log = api.share_access_log(actor=staff_user, share_id=share.id)
        assert [(e.kind, e.detail, e.client_ip) for e in log] == [
            (ShareAccessKind.REFUSED, "expired", IP),
            (ShareAccessKind.REFUSED, "used_up", "198.51.100.9"),
            (ShareAccessKind.REFUSED, "used_up", IP),
            (ShareAccessKind.OPENED, "", IP),
        ]
        assert actions(share) == ["share.created", "share.opened", *["share.refused"] * 3]
        event = AuditRecord.objects.filter(action="share.refused").order_by("-at", "-id").first()
        assert event is not None
        assert (event.actor_name, event.ip, event.detail["reason"]) == ("visitor", IP, "expired")

    def test_share_status_tells_the_first_page_what_it_needs(self, staff_user: User, order: OrderSummary) -> None:
        api = get_api()
        share = share_link(staff_user, order, password="correct horse", title="For you", language="es")
        door = api.share_status(token=token_of(share))
        assert door.refusal is None
        assert door.needs_password
        assert (door.title, door.language, door.kind) == ("For you", "es", ShareKind.LINK)
        assert api.share_status(token="z" * 43).refusal is ShareRefusal.WRONG_PASSWORD
        assert api.get_share(actor=staff_user, share_id=share.id).opens == 0
