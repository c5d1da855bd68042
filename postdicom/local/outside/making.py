"""Making outside shares: of orders (SharePatientOrder, CreateQuickShareLink) and of folders
(ShareFolderWithEmail / WithURL / ToUploadWithEmail / ToUploadWithUrl).

Who may share what: any active user the orders they see, and the owner the folders they own
(a recipient of a shared folder may not pass it outside the account: the link acts as the
folder's owner, who may see more than the recipient). Nothing is widened: each open shows
only what the share's owner sees at that moment (``rows.covered_orders``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from postdicom import types as t
from postdicom.errors import Forbidden, InvalidInput, NotFound
from postdicom.local.access import require_active
from postdicom.local.audit import record
from postdicom.local.folders.access import ancestor_refs, folder_row, label
from postdicom.local.folders.reach import access_to, today
from postdicom.local.models import Folder, MailKind, OutsideShare, OutsideShareOrder, PatientOrder
from postdicom.local.orders.visibility import order_label, visible_orders
from postdicom.local.outside import mail, rows
from postdicom.local.outside.secrets import generated_password, hash_password, new_seed, token_from_seed, token_hash
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: The shortest password a person may type for a share.
PASSWORD_MIN = 8


@dataclass(frozen=True)
class Checked:
    """Options after checking: the password to store (and to tell once, when generated)."""

    options: t.ShareOptions
    password: str
    generated: bool


def check_options(options: t.ShareOptions, *, errors: dict[str, str] | None = None) -> Checked:
    """``InvalidInput`` with every problem of ``options`` at once (plus ``errors``)."""
    errors = dict(errors or {})
    if options.expires is not None and options.expires < today():
        errors["expires"] = _("Choose today or a later day.")
    if options.open_limit is not None and not 1 <= options.open_limit <= t.SHARE_OPEN_LIMIT_MAX:
        errors["open_limit"] = _("Choose a number from 1 to %(max)d.") % {"max": t.SHARE_OPEN_LIMIT_MAX}
    if options.language not in t.SHARE_LANGUAGES:
        errors["language"] = _("Choose English or Spanish.")
    if len(options.title) > t.SHARE_TITLE_MAX:
        errors["title"] = _("Use at most %(max)d characters.") % {"max": t.SHARE_TITLE_MAX}
    if len(options.message) > t.SHARE_MESSAGE_MAX:
        errors["message"] = _("Use at most %(max)d characters.") % {"max": t.SHARE_MESSAGE_MAX}
    if "\x00" in options.title + options.message + options.password:
        errors.setdefault("title", _("Remove the control characters."))
    password = options.password
    if password and options.generate_password:
        errors["password"] = _("Type a password or have one made, not both.")
    elif password and (len(password) < PASSWORD_MIN or len(password) > 128):
        errors["password"] = _("Use %(min)d to 128 characters.") % {"min": PASSWORD_MIN}
    if errors:
        raise InvalidInput(errors)
    generated = options.generate_password
    if generated:
        password = generated_password()
    return Checked(options=options, password=password, generated=generated)


def _check_address(value: str, field: str, errors: dict[str, str]) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            errors[field] = _("Enter a valid e-mail address.")
    return value


def _audience_errors(audience: t.ShareAudience, *, folder: bool) -> tuple[t.ShareKind, str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    if audience.accounts:
        raise InvalidInput(
            {"audience": _("Share with colleagues and groups, or with an e-mail address or a link, not both at once.")}
        )
    kind = audience.outside_kind
    if kind is None:
        raise InvalidInput({"audience": _("Choose an e-mail address or a link.")})
    if kind.upload_only and not folder:
        raise InvalidInput({"audience": _("Only a folder can take uploads from outside.")})
    email = _check_address(audience.email, "email", errors)
    password_email = _check_address(audience.password_email, "password_email", errors)
    if password_email and not email:
        errors["password_email"] = _("Give the recipient's address too, or leave this empty.")
    elif password_email and email and password_email.lower() == email.lower():
        errors["password_email"] = _("Use another address than the recipient's, or leave this empty.")
    return kind, email, password_email, errors


def _create(
    actor: User,
    kind: t.ShareKind,
    email: str,
    password_email: str,
    checked: Checked,
    *,
    subject_label: str,
    folder: Folder | None = None,
    orders: Sequence[PatientOrder] = (),
) -> t.Share:
    options = checked.options
    seed = new_seed()
    token = token_from_seed(seed)
    row = OutsideShare.objects.create(
        created_by=actor,
        audience=kind.value,
        folder=folder,
        covers_folder=folder is not None,
        subject_label=subject_label[:250],
        token_hash=token_hash(token),
        token_seed=seed,
        password_hash=hash_password(checked.password),
        email=email,
        password_email=password_email,
        title=options.title.strip(),
        message=options.message.strip(),
        language=options.language,
        expires=options.expires,
        downloadable=options.downloadable and not kind.upload_only,
        open_limit=options.open_limit,
        notify_on_first_open=options.notify_on_first_open,
    )
    OutsideShareOrder.objects.bulk_create(OutsideShareOrder(share=row, order=o) for o in orders)
    detail: dict[str, Any] = {"audience": kind.value}
    if email:
        detail["email"] = email
    if password_email:
        detail["password_email"] = password_email
    if orders:
        detail["orders"] = [order_label(o) for o in orders]
    if folder is not None:
        detail["folder"] = row.subject_label
    detail.update(
        expires=options.expires.isoformat() if options.expires else None,
        downloadable=row.downloadable,
        open_limit=options.open_limit,
        password=bool(checked.password),
    )
    record(
        actor,
        AuditAction.SHARE_CREATED,
        target_type="share",
        target_id=row.uuid,
        target_label=row.subject_label,
        **detail,
    )
    if email:
        queue_invitation(row, token, checked.password)
    return rows.share(
        row, actor=actor, url=rows.public_url(token), new_password=checked.password if checked.generated else ""
    )


def queue_invitation(row: OutsideShare, token: str, password: str) -> None:
    """The link to the recipient, and the password: in a mail of its own to the password
    address when there is one, else in the same mail."""
    if row.password_email:
        mail.queue(row, MailKind.LINK, row.email, secrets={"token": token})
        if password:
            mail.queue(row, MailKind.PASSWORD, row.password_email, secrets={"password": password})
    else:
        mail.queue(row, MailKind.LINK, row.email, secrets={"token": token, "password": password})


class MakeOutsideSharesMixin:
    def share_offer(self, *, actor: User, folder: bool = False) -> t.ShareOffer:
        """Every outside kind and option: this backend e-mails, makes passwords, counts opens."""
        require_active(actor)
        return t.ShareOffer(kinds=t.FOLDER_SHARE_KINDS if folder else t.ORDER_SHARE_KINDS)

    def share_orders(
        self, *, actor: User, order_ids: Sequence[UUID], audience: t.ShareAudience, options: t.ShareOptions
    ) -> t.Share:
        require_active(actor)
        wanted = list(dict.fromkeys(order_ids))
        kind, email, password_email, errors = _audience_errors(audience, folder=False)
        if not wanted:
            errors["order_ids"] = _("Choose at least one order.")
        elif len(wanted) > t.SHARE_ORDERS_MAX:
            errors["order_ids"] = _("Share at most %(max)d orders at once.") % {"max": t.SHARE_ORDERS_MAX}
        checked = check_options(options, errors=errors)
        with transaction.atomic():
            found = {o.uuid: o for o in visible_orders(actor).filter(uuid__in=wanted)}
            if len(found) != len(wanted):
                raise NotFound(_("No such order."))
            orders = [found[u] for u in wanted]
            subject = (
                order_label(orders[0])
                if len(orders) == 1
                else ngettext("%(count)d order", "%(count)d orders", len(orders)) % {"count": len(orders)}
            )
            return _create(actor, kind, email, password_email, checked, subject_label=subject, orders=orders)

    def _share_folder_outside(
        self, actor: User, folder_id: UUID, audience: t.ShareAudience, options: t.ShareOptions
    ) -> t.Share:
        require_active(actor)
        kind, email, password_email, errors = _audience_errors(audience, folder=True)
        checked = check_options(options, errors=errors)
        with transaction.atomic():
            try:
                row = folder_row(actor, folder_id)
            except NotFound:
                shared = Folder.objects.filter(uuid=folder_id).first()
                if shared is not None and access_to(actor, shared) is not None:
                    raise Forbidden(_("Only the folder's owner can share it with people outside the portal.")) from None
                raise
            return _create(
                actor, kind, email, password_email, checked, subject_label=label(row, ancestor_refs(row)), folder=row
            )
