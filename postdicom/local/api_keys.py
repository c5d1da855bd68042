"""API keys: how other software calls the portal's HTTP API as one of its users.

A key belongs to a user and acts with that user's rights at the moment of each call (a role
change or deactivation applies at once). Only administrators list, create and revoke keys.
The secret is shown once, when the key is made; the database keeps its SHA-256 and its first
characters (``prefix``, to tell keys apart), never the secret itself. See docs/decisions.md,
"API keys".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import require_admin
from postdicom.local.audit import record
from postdicom.local.models import ApiKeyRecord
from postdicom.local.validation import clean_name
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: Every secret starts with this, so a leaked one is recognisable (secret scanners, logs).
SECRET_START = "rpk_"  # noqa: S105 (a marker, not a secret)
#: How many characters of the secret are kept and shown: ``rpk_`` and 8 more (48 bits of the
#: secret's 256; the rest stays unknown).
PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often per key: a script making many calls a second
#: costs one write a minute, not one per call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    """256 random bits from ``secrets``, URL-safe (43 characters) after ``rpk_``."""
    return SECRET_START + secrets.token_urlsafe(32)


def _keys() -> QuerySet[ApiKeyRecord]:
    return ApiKeyRecord.objects.select_related("user__profile").prefetch_related("user__profile__institutions")


def authenticate_api_key(secret: str) -> User | None:
    """The active user whose unrevoked key ``secret`` is, else ``None``; marks the key used.

    Not a contract method: it takes no actor and returns a Django user, the actor that the
    HTTP API then passes to every contract call (docs/decisions.md, "API keys"). The lookup
    is by the hash's unique index; the final comparison is constant-time. Knowing how long a
    lookup of some hash took tells nothing about the secret, whose hash an attacker cannot
    choose."""
    if not secret or not secret.startswith(SECRET_START) or len(secret) > 200:
        return None
    digest = _hash(secret)
    row = (
        ApiKeyRecord.objects.select_related("user", "user__profile")  # the role is read next on every call
        .filter(secret_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.secret_hash, digest) or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is not None and row.last_used_at >= now - LAST_USED_EVERY:
        return row.user  # marked in the last minute: no statement at all
    # One conditional UPDATE: of many calls in the same minute, on any number of processes,
    # only the first writes.
    ApiKeyRecord.objects.filter(pk=row.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    ).update(last_used_at=now)
    return row.user


class ApiKeysMixin:
    def list_api_keys(self, *, actor: User) -> tuple[t.ApiKey, ...]:
        require_admin(actor)
        return tuple(convert.api_key(row) for row in _keys())

    def create_api_key(self, *, actor: User, name: str, user_id: UUID) -> tuple[t.ApiKey, str]:
        require_admin(actor)
        errors: dict[str, str] = {}
        try:
            name = clean_name(name)
        except InvalidInput as exc:
            errors.update({k: v[0] for k, v in exc.field_errors.items()})
        owner = get_user_model().objects.filter(profile__uuid=user_id).first()
        if owner is None:
            errors["user_id"] = _("Choose a user.")
        elif not owner.is_active:
            errors["user_id"] = _("This user is deactivated; a key of theirs would not work.")
        if errors:
            raise InvalidInput(errors)
        assert owner is not None
        secret = _new_secret()
        row = ApiKeyRecord.objects.create(
            name=name, user=owner, prefix=secret[:PREFIX_LENGTH], secret_hash=_hash(secret)
        )
        record(
            actor,
            AuditAction.API_KEY_CREATED,
            target_type="api_key",
            target_id=row.uuid,
            target_label=str(row),
            user=owner.get_username(),
            user_name=owner.get_full_name(),
            prefix=row.prefix,
        )
        return convert.api_key(_keys().get(pk=row.pk)), secret

    def revoke_api_key(self, *, actor: User, key_id: UUID) -> None:
        """Administrators only. The key stops working at once; revoking it again changes nothing."""
        require_admin(actor)
        row = ApiKeyRecord.objects.select_related("user").filter(uuid=key_id).first()
        if row is None:
            raise NotFound(_("No such API key."))
        revoked = ApiKeyRecord.objects.filter(pk=row.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if revoked:
            record(
                actor,
                AuditAction.API_KEY_REVOKED,
                target_type="api_key",
                target_id=row.uuid,
                target_label=str(row),
                user=row.user.get_username(),
                user_name=row.user.get_full_name(),
                prefix=row.prefix,
            )
