"""Names that must be unique ignoring case are, accented capitals included, on both databases
(``postdicom.local.validation.named``): "ÁVILA" is "ávila" on SQLite too, whose ``LIKE`` and
``lower()`` fold only ASCII letters. The suite runs on PostgreSQL; the last test runs the
others again on SQLite, the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from postdicom.errors import InvalidInput
from postdicom.local.models import Folder, Institution
from postdicom.types import FlagDraft, InstitutionDraft, Role, UserDraft

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def _taken(call, field="name") -> None:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert "already" in caught.value.field_errors[field][0]


def test_an_institution_differing_in_accented_capitals_is_taken(api, admin_user):
    api.create_institution(actor=admin_user, draft=InstitutionDraft(name="CLÍNICA ÁVILA"))
    _taken(lambda: api.create_institution(actor=admin_user, draft=InstitutionDraft(name="clínica ávila")))
    other = api.create_institution(actor=admin_user, draft=InstitutionDraft(name="Clinica Avila"))  # no accents
    _taken(
        lambda: api.update_institution(
            actor=admin_user, institution_id=other.id, draft=InstitutionDraft("Clínica Ávila")
        )
    )
    assert sorted(Institution.objects.values_list("name", flat=True)) == ["CLÍNICA ÁVILA", "Clinica Avila"]


def test_a_user_group_and_flags_differing_in_accented_capitals_are_taken(api, admin_user):
    api.create_user_group(actor=admin_user, name="TÉCNICOS")
    _taken(lambda: api.create_user_group(actor=admin_user, name="técnicos"))
    group = api.create_flag_group(actor=admin_user, name="ESTADO")
    _taken(lambda: api.create_flag_group(actor=admin_user, name="estado"))
    api.create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft("REVISIÓN", "#1a7f37"))
    _taken(lambda: api.create_flag(actor=admin_user, group_id=group.id, draft=FlagDraft("revisión", "#1a7f37")))


def test_a_folder_differing_in_accented_capitals_is_taken(api, staff_user):
    top = api.create_folder(actor=staff_user, name="ÓRDENES")
    with pytest.raises(InvalidInput):
        api.create_folder(actor=staff_user, name="órdenes")
    api.create_folder(actor=staff_user, name="ÓRDENES/AÑO")
    with pytest.raises(InvalidInput):
        api.create_folder(actor=staff_user, name="órdenes/año")
    other = api.create_folder(actor=staff_user, name="Otras")
    with pytest.raises(InvalidInput):
        api.update_folder(actor=staff_user, folder_id=other.id, name="órdenes", description="")
    assert Folder.objects.filter(owner=staff_user, parent__isnull=True).count() == 2
    assert top.name == "ÓRDENES"


def test_a_user_name_differing_in_accented_capitals_is_taken(api, admin_user, clinic):
    def draft(username: str) -> UserDraft:
        return UserDraft(username, "José", "Núñez", "", Role.STAFF, (clinic.uuid,))

    api.create_user(actor=admin_user, draft=draft("JOSÉ"), password="tulip-orbit-canyon-42")
    _taken(lambda: api.create_user(actor=admin_user, draft=draft("josé"), password="tulip-orbit-canyon-42"), "username")


def test_the_same_on_sqlite(tmp_path):
    """This module's other tests again, on SQLite (a database file of its own), in a process of
    its own."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'names.sqlite3'}",
        "RAYPORT_DATA_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not test_the_same_on_sqlite", __file__],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "4 passed, 1 deselected" in run.stdout
