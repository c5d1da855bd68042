"""Scenes of the administration tests of the contract suite (users, groups, institutions,
nodes, flags, audit, API keys), made with the ORM or the local backend; what is under test
goes through the ``api`` fixture."""

from __future__ import annotations

from django.contrib.auth.models import User

from postdicom import get_api
from postdicom.local.models import Institution
from postdicom.types import DicomNodeDraft, FlagGroup, Role, UserDraft

#: A password the validators accept, and one they refuse (too short, too common, all digits).
NEW_PASSWORD = "lluvia-en-Cusco-42"
WEAK_PASSWORD = "1234"


def deactivated(user: User) -> User:
    """``user``, no longer active (as an administrator would leave them)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def user_draft(institution: Institution, **changes: object) -> UserDraft:
    values: dict[str, object] = {
        "username": "zoë",
        "first_name": "Zoë",
        "last_name": "Δημητρίου",
        "email": "zoe@clinic.test",
        "role": Role.STAFF,
        "institution_ids": (institution.uuid,),
    }
    values.update(changes)
    return UserDraft(**values)  # type: ignore[arg-type]  # the fields, by name


def node_draft(institution: Institution, **changes: object) -> DicomNodeDraft:
    values: dict[str, object] = {
        "name": "Tomógrafo 1",
        "ae_title": "CT_SALA_1",
        "host": "10.0.0.5",
        "port": 104,
        "institution_id": institution.uuid,
        "description": "Sala 1",
    }
    values.update(changes)
    return DicomNodeDraft(**values)  # type: ignore[arg-type]  # the fields, by name


def flag_group(admin: User, name: str = "Prioridad") -> FlagGroup:
    return get_api().create_flag_group(actor=admin, name=name)
