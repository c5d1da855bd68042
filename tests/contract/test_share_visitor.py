"""Shares with outside people, the visitor's side, on every backend that offers it: the
link's first page, opening with the password, later requests, what the visitor did."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, get_api
from postdicom.errors import InvalidInput
from postdicom.local.models import AuditRecord, Institution, ShareMail
from postdicom.types import (
    SHARE_FAILURES_BEFORE_LOCK,
    Capability,
    ShareAccessKind,
    ShareAudience,
    ShareKind,
    ShareOptions,
    ShareRefusal,
)
from tests.contract.share_setup import IP, PASSWORD, link_share, token_of
from tests.missing import offered

TODAY = dt.date.today()


def test_a_links_first_page_tells_whether_it_works(api: PostDicomApi, staff_user: User, clinic: Institution) -> None:
    offered(api, Capability.SHARE_STATUS)
    made = link_share(staff_user, clinic, title="Resonancia", language="es")
    door = api.share_status(token=token_of(made))
    assert (door.refusal, door.needs_password, door.title, door.language) == (None, True, "Resonancia", "es")
    assert door.kind is ShareKind.LINK
    assert get_api().share_access_log(actor=staff_user, share_id=made.id) == ()
    assert api.share_status(token="x" * 43).refusal is ShareRefusal.WRONG_PASSWORD
    get_api().revoke_share(actor=staff_user, share_id=made.id)
    assert api.share_status(token=token_of(made)).refusal is ShareRefusal.REVOKED


def test_a_share_opens_with_its_password_and_locks_after_wrong_ones(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.OPEN_SHARE)
    made = link_share(staff_user, clinic, title="Para el Dr. Núñez")
    opening = api.open_share(token=token_of(made), password=PASSWORD, client_ip=IP)
    assert opening.opened is not None
    assert (opening.opened.share_id, opening.opened.actor, opening.opened.title) == (
        made.id,
        staff_user,
        "Para el Dr. Núñez",
    )
    assert opening.opened.order_ids == tuple(o.id for o in made.orders)
    unknown = api.open_share(token="x" * 43, password=PASSWORD, client_ip=IP)
    assert (unknown.opened, unknown.refusal) == (None, ShareRefusal.WRONG_PASSWORD)
    for _ in range(SHARE_FAILURES_BEFORE_LOCK - 1):
        assert api.open_share(token=token_of(made), password="nope", client_ip=IP).refusal is (
            ShareRefusal.WRONG_PASSWORD
        )
    locked = api.open_share(token=token_of(made), password="nope", client_ip=IP)
    assert (locked.refusal, locked.retry_after > 0) == (ShareRefusal.LOCKED, True)
    assert api.open_share(token=token_of(made), password=PASSWORD, client_ip=IP).refusal is ShareRefusal.LOCKED


def test_a_visitor_already_in_is_not_asked_again_until_revoked(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.REOPEN_SHARE)
    made = link_share(staff_user, clinic, open_limit=1)
    assert get_api().open_share(token=token_of(made), password=PASSWORD, client_ip=IP).ok
    again = api.reopen_share(token=token_of(made), client_ip=IP)
    assert again.opened is not None
    assert again.opened.share_id == made.id
    assert get_api().get_share(actor=staff_user, share_id=made.id).opens == 1
    assert api.reopen_share(token="x" * 43, client_ip=IP).refusal is ShareRefusal.WRONG_PASSWORD
    get_api().revoke_share(actor=staff_user, share_id=made.id)
    assert api.reopen_share(token=token_of(made), client_ip=IP).refusal is ShareRefusal.REVOKED


def test_what_a_visitor_viewed_and_downloaded_is_logged(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.LOG_SHARE_ACCESS)
    made = link_share(staff_user, clinic, downloadable=True)
    (order,) = made.orders
    api.log_share_access(token=token_of(made), client_ip=IP, kind=ShareAccessKind.VIEWED, order_id=order.id)
    api.log_share_access(token=token_of(made), client_ip=IP, kind=ShareAccessKind.DOWNLOADED, detail="zip")
    api.log_share_access(token="x" * 43, client_ip=IP, kind=ShareAccessKind.VIEWED)
    log = get_api().share_access_log(actor=staff_user, share_id=made.id)
    assert [(e.kind, e.client_ip) for e in log] == [(ShareAccessKind.DOWNLOADED, IP), (ShareAccessKind.VIEWED, IP)]
    events = AuditRecord.objects.filter(target_type="share", target_id=str(made.id)).values_list("action", flat=True)
    assert {"share.viewed", "share.downloaded"} <= set(events)
    with pytest.raises(InvalidInput):
        api.log_share_access(token=token_of(made), client_ip=IP, kind=ShareAccessKind.OPENED)


def test_an_upload_through_an_upload_only_folder_is_logged_and_mailed(
    api: PostDicomApi, staff_user: User, clinic: Institution
) -> None:
    offered(api, Capability.RECORD_SHARE_UPLOAD)
    folder = get_api().create_folder(actor=staff_user, name="Envíos de pacientes")
    (inbox,) = get_api().share_folder(
        actor=staff_user,
        folder_id=folder.id,
        audience=ShareAudience(link=True, upload_only=True),
        options=ShareOptions(),
    )
    api.record_share_upload(token=token_of(inbox), client_ip=IP, file_count=3, batch_id=uuid4())
    (entry,) = get_api().share_access_log(actor=staff_user, share_id=inbox.id)
    assert (entry.kind, entry.detail) == (ShareAccessKind.UPLOADED, "3")
    mails = ShareMail.objects.filter(share__uuid=inbox.id, kind="uploaded")
    assert [m.to for m in mails] == [staff_user.email]
    api.record_share_upload(token="x" * 43, client_ip=IP, file_count=1)
    with pytest.raises(InvalidInput):
        api.record_share_upload(token=token_of(link_share(staff_user, clinic)), client_ip=IP, file_count=1)
