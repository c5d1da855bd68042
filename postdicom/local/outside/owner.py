"""The owner's side of outside shares: listing (with the account folder shares, so that "My
shares" lists everything one shared), changing, revoking, e-mailing again, the access log,
and the contacts the share dialog suggests.

A share's creator manages it; administrators manage every share of the account; anyone else
is told it does not exist (``NotFound``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import profile_of, require_active
from postdicom.local.audit import record
from postdicom.local.folders.reach import today
from postdicom.local.models import FolderShare, MailKind, OutsideShare, ShareAccess
from postdicom.local.outside import mail, rows
from postdicom.local.outside.making import check_options
from postdicom.local.outside.secrets import hash_password, new_seed, token_from_seed, token_hash
from postdicom.local.users import visible_users
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_FOLDER_SHARE_RELATED = ("folder", "user__profile", "group", "shared_by__profile")


def _managed(actor: User, share_id: UUID, *, for_update: bool = False) -> OutsideShare:
    """An outside share the actor manages: theirs, or any for administrators."""
    role = require_active(actor)
    found = OutsideShare.objects.select_related(*rows.RELATED).filter(uuid=share_id)
    if role is not t.Role.ADMINISTRATOR:
        found = found.filter(created_by=actor)
    if for_update:
        found = found.select_for_update(of=("self",))
    row = found.first()
    if row is None:
        raise NotFound(_("No such share."))
    return row


def _folder_shares_of(actor: User, *, everyone: bool) -> Any:
    found = FolderShare.objects.select_related(*_FOLDER_SHARE_RELATED)
    return found if everyone else found.filter(shared_by=actor)


def _account_share(row: FolderShare, *, actor: User, day: dt.date) -> t.Share:
    share = convert.folder_share(row, today=day)
    kind = t.ShareKind.USER if row.user_id is not None else t.ShareKind.GROUP
    return replace(
        share,
        kind=kind,
        revoked_at=row.revoked_at,
        can_manage=row.revoked_at is None and (row.shared_by_id == actor.pk or row.folder.owner_id == actor.pk),
        subject_label=row.folder.name,
    )


def _audit(actor: User, action: AuditAction, row: OutsideShare, **detail: Any) -> None:
    record(
        actor,
        action,
        target_type="share",
        target_id=row.uuid,
        target_label=row.subject_label,
        audience=row.audience,
        **detail,
    )


class ManageOutsideSharesMixin:
    def list_shares(self, *, actor: User, query: t.ShareQuery | None = None) -> t.Page[t.Share]:
        query = query or t.ShareQuery()
        role = require_active(actor)
        if query.everyone and role is not t.Role.ADMINISTRATOR:
            raise Forbidden(_("Only administrators see every share."))
        day = today()
        outside = OutsideShare.objects.select_related(*rows.RELATED).prefetch_related("orders")
        accounts = _folder_shares_of(actor, everyone=query.everyone)
        if not query.everyone:
            outside = outside.filter(created_by=actor)
        if query.active_only:
            outside = outside.filter(revoked_at__isnull=True).filter(Q(expires__isnull=True) | Q(expires__gte=day))
            accounts = accounts.filter(revoked_at__isnull=True).filter(Q(expires__isnull=True) | Q(expires__gte=day))
        # Two tables, newest first: each is cut at the page's end, then merged.
        size = max(1, min(query.page_size, 200))
        number = max(1, min(query.page, t.PAGE_NUMBER_MAX))
        end = number * size
        total = outside.count() + accounts.count()
        merged: list[tuple[dt.datetime, t.Share]] = [
            (r.created_at, rows.share(r, actor=actor, day=day)) for r in outside.order_by("-created_at", "-pk")[:end]
        ]
        merged += [
            (r.created_at, _account_share(r, actor=actor, day=day))
            for r in accounts.order_by("-created_at", "-pk")[:end]
        ]
        merged.sort(key=lambda pair: pair[0], reverse=True)
        items = tuple(s for _at, s in merged[end - size : end])
        return t.Page(items=items, total=total, number=number, size=size)

    def get_share(self, *, actor: User, share_id: UUID) -> t.Share:
        role = require_active(actor)
        row = OutsideShare.objects.select_related(*rows.RELATED).filter(uuid=share_id).first()
        if row is not None and (role is t.Role.ADMINISTRATOR or row.created_by_id == actor.pk):
            return rows.share(row, actor=actor)
        account = _folder_shares_of(actor, everyone=role is t.Role.ADMINISTRATOR).filter(uuid=share_id).first()
        if account is None:
            raise NotFound(_("No such share."))
        return _account_share(account, actor=actor, day=today())

    def update_share(
        self,
        *,
        actor: User,
        share_id: UUID,
        expires: dt.date | None,
        downloadable: bool,
        open_limit: int | None,
        new_password: str = "",
        generate_password: bool = False,
    ) -> t.Share:
        with transaction.atomic():
            try:
                row = _managed(actor, share_id, for_update=True)
            except NotFound:
                if FolderShare.objects.filter(uuid=share_id).exists():
                    self.get_share(actor=actor, share_id=share_id)  # NotFound for strangers
                    raise Forbidden(_("Change a share with colleagues on its folder's page.")) from None
                raise
            if row.revoked_at is not None:
                raise Forbidden(_("This share was revoked; make a new one."))
            checked = check_options(
                t.ShareOptions(
                    expires=expires,
                    open_limit=open_limit,
                    password=new_password,
                    generate_password=generate_password,
                    language=row.language,
                )
            )
            before = {"expires": row.expires, "downloadable": row.downloadable, "open_limit": row.open_limit}
            row.expires = expires
            row.downloadable = downloadable and row.audience not in rows.UPLOAD_AUDIENCES
            row.open_limit = open_limit
            fields = ["expires", "downloadable", "open_limit"]
            changes: dict[str, list[Any]] = {
                key: [_plain(before[key]), _plain(getattr(row, key))]
                for key in before
                if before[key] != getattr(row, key)
            }
            if checked.password:
                row.password_hash = hash_password(checked.password)
                row.failed_attempts = 0
                row.locked_until = None
                fields += ["password_hash", "failed_attempts", "locked_until"]
                changes["password"] = ["", _("new")]
                to = row.password_email or row.email
                if to:
                    mail.queue(row, MailKind.PASSWORD, to, secrets={"password": checked.password})
            row.save(update_fields=fields)
            if changes:
                _audit(actor, AuditAction.SHARE_CHANGED, row, changes=changes)
            told = checked.password if checked.generated else ""
            return rows.share(row, actor=actor, new_password=told)

    def revoke_share(self, *, actor: User, share_id: UUID) -> None:
        with transaction.atomic():
            try:
                row = _managed(actor, share_id, for_update=True)
            except NotFound:
                account = FolderShare.objects.filter(uuid=share_id).first()
                if account is None:
                    raise
                self.revoke_folder_share(actor=actor, share_id=share_id)  # type: ignore[attr-defined]
                return
            if row.revoked_at is not None:
                return
            row.revoked_at = timezone.now()
            row.revoked_by = actor
            row.save(update_fields=["revoked_at", "revoked_by"])
            _audit(actor, AuditAction.SHARE_REVOKED, row)

    def resend_share_email(self, *, actor: User, share_id: UUID) -> t.Share:
        with transaction.atomic():
            row = _managed(actor, share_id, for_update=True)
            if not row.email:
                raise InvalidInput(
                    {"email": _("This share has no e-mail address; its link was shown when it was made.")}
                )
            refused = rows.refusal(row)
            if refused is not None or (row.open_limit is not None and row.opens >= row.open_limit):
                raise Forbidden(_("This share no longer works, so there is nothing to send. Make a new one."))
            queue_invitation_again(row, _link_token(row))
            _audit(actor, AuditAction.SHARE_EMAIL_RESENT, row, email=row.email)
            return rows.share(row, actor=actor)

    def share_access_log(self, *, actor: User, share_id: UUID, limit: int = 200) -> tuple[t.ShareAccessEntry, ...]:
        row = _managed(actor, share_id)
        found = ShareAccess.objects.filter(share=row).order_by("-at", "-pk")[: max(1, min(limit, 1000))]
        return tuple(
            t.ShareAccessEntry(at=a.at, kind=t.ShareAccessKind(a.kind), client_ip=a.ip or "", detail=a.detail)
            for a in found
        )

    def list_contacts(self, *, actor: User) -> tuple[t.Contact, ...]:
        """The account's users the actor may see, with an address, then the addresses the
        actor has sent shares to before (newest first), each address once."""
        users = visible_users(actor).filter(is_active=True).exclude(email="").order_by("last_name", "first_name")
        contacts = [
            t.Contact(name=u.get_full_name() or u.username, email=u.email, user_id=profile_of(u).uuid) for u in users
        ]
        seen = {c.email.lower() for c in contacts}
        earlier = (
            OutsideShare.objects.filter(created_by=actor)
            .order_by("-created_at")
            .values_list("email", "password_email")[:500]
        )
        for pair in earlier:
            for address in pair:
                if address and address.lower() not in seen:
                    seen.add(address.lower())
                    contacts.append(t.Contact(name="", email=address))
        return tuple(contacts)


def _link_token(row: OutsideShare) -> str:
    """The token of the link the recipient already has, rebuilt from the share's seed. A share
    made before seeds were kept, or whose seed no longer gives its link (``SECRET_KEY`` was
    changed), gets a new seed and so a new link: the only one that can still be sent."""
    token = token_from_seed(row.token_seed) if row.token_seed else ""
    if not token or token_hash(token) != row.token_hash:
        row.token_seed = new_seed()
        token = token_from_seed(row.token_seed)
        row.token_hash = token_hash(token)
        row.save(update_fields=["token_seed", "token_hash"])
    return token


def queue_invitation_again(row: OutsideShare, token: str) -> None:
    """The link alone: the recipient keeps the password they were given."""
    mail.queue(row, MailKind.LINK, row.email, secrets={"token": token}, resent=True)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value
