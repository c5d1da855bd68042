"""Users: listing, creating, editing, activating and passwords (administrators manage)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from postdicom import types as t
from postdicom.errors import InvalidInput, NotFound
from postdicom.local import convert
from postdicom.local.access import institutions_of, profile_of, require_active, require_admin
from postdicom.local.audit import record
from postdicom.local.models import Institution
from postdicom.local.paging import paginate
from postdicom.local.validation import named
from postdicom.types import AuditAction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def visible_users(actor: User) -> QuerySet[User]:
    """Administrators see everyone; staff the users of their institutions; limited users
    themselves."""
    role = require_active(actor)
    users = get_user_model().objects.select_related("profile")
    if role is t.Role.ADMINISTRATOR:
        return users.all()
    if role is t.Role.STAFF:
        mine = institutions_of(actor)
        return users.filter(Q(profile__institutions__in=mine) | Q(pk=actor.pk)).distinct()
    return users.filter(pk=actor.pk)


def user_row(actor: User, user_id: UUID) -> User:
    try:
        return visible_users(actor).get(profile__uuid=user_id)
    except get_user_model().DoesNotExist:
        raise NotFound(_("No such user.")) from None


class UsersMixin:
    def account(self, *, actor: User) -> t.Account:
        role = require_active(actor)
        return t.Account(
            user=convert.user(actor),
            role=role,
            institutions=tuple(convert.institution(i) for i in institutions_of(actor)),
            users=tuple(convert.user(u) for u in visible_users(actor).filter(is_active=True)),
        )

    def current_user(self, *, actor: User) -> t.UserInfo:
        require_active(actor)
        return convert.user(actor)

    def list_users(self, *, actor: User, query: t.UserQuery | None = None) -> t.Page[t.UserInfo]:
        query = query or t.UserQuery()
        users = visible_users(actor).prefetch_related("profile__institutions")
        for word in query.text.split():
            users = users.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        if query.role is not None:
            users = users.filter(profile__role=query.role.value)
        if query.institution_id is not None:
            users = users.filter(profile__institutions__uuid=query.institution_id)
        if not query.include_inactive:
            users = users.filter(is_active=True)
        if query.not_in_group is not None:
            users = users.exclude(user_groups__uuid=query.not_in_group)
        users = users.order_by("last_name", "first_name", "username")
        return paginate(users, query.page, query.page_size, convert.user)

    def get_user(self, *, actor: User, user_id: UUID) -> t.UserInfo:
        return convert.user(user_row(actor, user_id))

    def create_user(self, *, actor: User, draft: t.UserDraft, password: str) -> t.UserInfo:
        require_admin(actor)
        draft = _trimmed(draft)
        institutions = _check_draft(draft, exclude_pk=None)
        user_model = get_user_model()
        candidate = user_model(
            username=draft.username, first_name=draft.first_name, last_name=draft.last_name, email=draft.email
        )
        _check_password(password, candidate)
        try:
            with transaction.atomic():
                created = user_model.objects.create_user(
                    username=draft.username,
                    password=password,
                    email=draft.email,
                    first_name=draft.first_name,
                    last_name=draft.last_name,
                )
                profile = profile_of(created)
                profile.role = draft.role.value
                profile.save(update_fields=["role"])
                profile.institutions.set(institutions)
                record(
                    actor,
                    AuditAction.USER_CREATED,
                    target_type="user",
                    target_id=profile.uuid,
                    target_label=created.username,
                    role=draft.role.value,
                    institutions=[i.name for i in institutions],
                )
        except IntegrityError:  # the user name was taken since the check above
            raise InvalidInput({"username": _("This user name is already taken.")}) from None
        return convert.user(created)

    def update_user(self, *, actor: User, user_id: UUID, draft: t.UserDraft) -> t.UserInfo:
        require_admin(actor)
        row = user_row(actor, user_id)
        draft = _trimmed(draft)
        if row.pk == actor.pk and draft.role is not t.Role.ADMINISTRATOR:
            raise InvalidInput({"role": _("You cannot take away your own administrator role.")})
        institutions = _check_draft(draft, exclude_pk=row.pk)
        profile = profile_of(row)
        before = convert.user(row)
        with transaction.atomic():
            row.username = draft.username
            row.first_name = draft.first_name
            row.last_name = draft.last_name
            row.email = draft.email
            row.save(update_fields=["username", "first_name", "last_name", "email"])
            profile.role = draft.role.value
            profile.save(update_fields=["role"])
            profile.institutions.set(institutions)
            after = convert.user(row)
            record(
                actor,
                AuditAction.USER_UPDATED,
                target_type="user",
                target_id=profile.uuid,
                target_label=row.username,
                changes=_changes(before, after),
            )
        return after

    def set_user_active(self, *, actor: User, user_id: UUID, active: bool) -> t.UserInfo:
        require_admin(actor)
        row = user_row(actor, user_id)
        if row.pk == actor.pk and not active:
            raise InvalidInput(_("You cannot deactivate your own account."))
        if row.is_active != active:
            row.is_active = active
            row.save(update_fields=["is_active"])
            record(
                actor,
                AuditAction.USER_ACTIVATED if active else AuditAction.USER_DEACTIVATED,
                target_type="user",
                target_id=profile_of(row).uuid,
                target_label=row.username,
            )
        return convert.user(row)

    def set_user_password(self, *, actor: User, user_id: UUID, password: str) -> None:
        require_admin(actor)
        row = user_row(actor, user_id)
        _check_password(password, row)
        row.set_password(password)
        row.save(update_fields=["password"])
        record(
            actor,
            AuditAction.USER_PASSWORD_SET,
            target_type="user",
            target_id=profile_of(row).uuid,
            target_label=row.username,
        )


def _trimmed(draft: t.UserDraft) -> t.UserDraft:
    """The draft without surrounding spaces, so that what is checked is what is saved."""
    return replace(
        draft,
        username=draft.username.strip(),
        first_name=draft.first_name.strip(),
        last_name=draft.last_name.strip(),
        email=draft.email.strip(),
    )


def _check_draft(draft: t.UserDraft, *, exclude_pk: int | None) -> list[Institution]:
    """Validate a user draft; returns its institutions. Collects every field's error."""
    errors: dict[str, list[str]] = {}
    username = draft.username.strip()
    if not username:
        errors["username"] = [_("This field is required.")]
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            errors["username"] = [_("Use only letters, digits and @ . + - _ (no spaces).")]
        others = get_user_model().objects.all()
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if named(others, username, field="username"):
            errors["username"] = [_("This user name is already taken.")]
    if draft.email:
        try:
            validate_email(draft.email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    institutions = list(Institution.objects.filter(uuid__in=draft.institution_ids))
    if len(institutions) != len(set(draft.institution_ids)):
        errors["institution_ids"] = [_("One of the chosen institutions does not exist.")]
    elif not institutions and draft.role is not t.Role.ADMINISTRATOR:
        errors["institution_ids"] = [_("Choose at least one institution for staff and limited users.")]
    if errors:
        raise InvalidInput(errors)
    return institutions


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from None


def _changes(before: t.UserInfo, after: t.UserInfo) -> dict[str, list[str]]:
    """Field → [old, new] for what an update changed, for the audit trail."""
    fields = ("username", "first_name", "last_name", "email", "role")
    changes = {f: [str(getattr(before, f)), str(getattr(after, f))] for f in fields}
    changes["institutions"] = [
        ", ".join(i.name for i in before.institutions),
        ", ".join(i.name for i in after.institutions),
    ]
    return {f: pair for f, pair in changes.items() if pair[0] != pair[1]}
