"""Who may do what in the embedded backend. Every backend method starts here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from postdicom.errors import Forbidden
from postdicom.local.models import Institution, Profile
from postdicom.types import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def profile_of(user: User) -> Profile:
    """The user's profile, created on first use for users made outside the portal."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        role = Role.ADMINISTRATOR if user.is_superuser else Role.LIMITED
        profile, _created = Profile.objects.get_or_create(user=user, defaults={"role": role.value})
        return profile


def role_of(user: User) -> Role:
    return Role(profile_of(user).role)


def require_active(actor: User) -> Role:
    """The actor's role; ``Forbidden`` for an anonymous or deactivated user."""
    if not actor.is_authenticated or not actor.is_active:
        raise Forbidden(_("Your account is not active."))
    return role_of(actor)


def require_admin(actor: User) -> None:
    if require_active(actor) is not Role.ADMINISTRATOR:
        raise Forbidden(_("Only administrators can do this."))


def institutions_of(actor: User) -> QuerySet[Institution]:
    """Institutions the actor works in: all of them for administrators."""
    if require_active(actor) is Role.ADMINISTRATOR:
        return Institution.objects.all()
    return Institution.objects.filter(profiles__user=actor)
