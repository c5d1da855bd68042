"""Every ``sh`` example of docs/api.md, run as written with ``curl`` against the live server:
each call succeeds, and each answer has the keys its ``# {…}`` comment shows. Only the
placeholders are filled in (the host, the password, and the ids written ``…``), so an example
that drifts from the code (a renamed parameter, a required one left out, a changed answer)
fails here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import pytest

from postdicom import get_api
from postdicom.local.models import UserGroup
from postdicom.local.uploads.indexing import forget_cached_series
from postdicom.types import DicomQuery
from tests.conftest import PASSWORD
from tests.missing import missing
from tests.postdicom.server.custom.conftest import new_order
from tests.uploads.conftest import local_storage, upload
from tests.uploads.files import make_image

pytestmark = pytest.mark.django_db(transaction=True)

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HOST = "https://rayport.clinic"


@dataclass
class Example:
    """One ``curl`` command of a block (continuation lines joined) and the keys of the answer
    its comment shows."""

    block: int
    command: str
    keys: list[str] = field(default_factory=list)


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", API_MD.read_text(), flags=re.S)


def examples() -> list[Example]:
    """The ``curl`` commands of every block, in the order a shell runs them."""
    found: list[Example] = []
    for number, block in enumerate(_blocks()):
        pending = ""
        for line in block.splitlines():
            if pending or line.lstrip().startswith("curl "):
                pending += line[:-1] + " " if line.endswith("\\") else line
                if not line.endswith("\\"):
                    found.append(Example(number, pending))
                    pending = ""
            elif line.startswith("# {") and found and found[-1].block == number:
                found[-1].keys += re.findall(r'"([A-Za-z][A-Za-z0-9]*)":', line)
    return found


def _all_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _all_keys(v)}
    return set()


@pytest.fixture
def scene(live_server, settings, monkeypatch, staff_user, limited_user, clinic, tmp_path):
    """What the examples name: sam (staff of the clinic) with a stored CT study and its order,
    a second order (the one the delete example deletes), a folder, lia and a user group."""
    forget_cached_series()
    # The live server's threads close their connections, so the test database can be dropped.
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    local_storage(settings, tmp_path)
    image = make_image(tmp_path / "image.dcm", patient_name="PEREZ^JUAN")
    upload(staff_user, clinic, [image], tmp_path)
    ds = pydicom.dcmread(image)
    (study,) = get_api().search_studies(actor=staff_user, query=DicomQuery(study_uids=(ds.StudyInstanceUID,)))
    group = UserGroup.objects.create(name="Radiologists")
    group.members.add(limited_user)
    ids = {
        "institution": str(clinic.uuid),
        "order": str(study.order_id),
        "victim": str(new_order(staff_user, clinic).id),
        "folder": str(get_api().create_folder(actor=staff_user, name="Cardiology").id),
        "user": str(limited_user.profile.uuid),
        "group": str(group.uuid),
    }
    env = {
        "STUDY": ds.StudyInstanceUID,
        "SERIES": ds.SeriesInstanceUID,
        "SOP": ds.SOPInstanceUID,
    }
    return live_server.url, ids, env


def _filled(command: str, url: str, ids: dict[str, str]) -> str:
    """The command with the live server, sam's password and real ids for the placeholders."""
    command = command.replace(HOST, url)
    command = re.sub(r"sam:(?:the-)?password", f"sam:{PASSWORD}", command)
    command = re.sub(r"1b4e28ba-(?:2fa1-11d2-883f-0016d3cca427|…)", ids["institution"], command)
    command = command.replace("institution=5f0c…", f"institution={ids['institution']}")
    order = ids["victim"] if "/deleteorder" in command else ids["order"]
    per_key = {
        "PatientOrderUuid": order,
        "AssignedUserUuid": ids["user"],
        "AssignedUserGroupUuid": ids["group"],
        "FolderUuid": ids["folder"],
        "SharePassword": "a-share-password-9",
    }
    for key, value in per_key.items():
        command = command.replace(f'"{key}":"…"', f'"{key}":"{value}"')
        command = command.replace(f'\\\\\\"{key}\\\\\\":\\\\\\"…\\\\\\"', f'\\\\\\"{key}\\\\\\":\\\\\\"{value}\\\\\\"')
    command = command.replace('"FolderUuidList":"[\\"…\\"]"', f'"FolderUuidList":"[\\"{ids["folder"]}\\"]"')
    command = command.replace('"OrderUuidList":"[\\"…\\"]"', f'"OrderUuidList":"[\\"{ids["order"]}\\"]"')
    if "curl " in command:
        assert "…" not in command, f"a placeholder this test does not fill: {command}"
    return command


#: Each curl writes its headers to h<n> and, unless the example names its own file, its body
#: to b<n> (or that file): the examples themselves stay as written.
_WRAPPER = r"""
n=0
curl() {
  n=$((n+1)); local out="b$n"; local args=("$@"); local i
  for ((i=0; i<${#args[@]}; i++)); do [ "${args[i]}" = "-o" ] && out="${args[i+1]}"; done
  echo "$out" > "o$n"
  if [ "$out" = "b$n" ]; then command curl -D "h$n" -o "b$n" "$@"; else command curl -D "h$n" "$@"; fi
}
"""


def test_every_curl_example_of_the_api_docs_works_as_written(scene, tmp_path):
    if shutil.which("curl") is None:
        missing("curl is not installed (apt-get install curl).")
    url, ids, env = scene
    found = examples()
    assert len(found) >= 25  # every block was read
    work = tmp_path / "run"
    work.mkdir()
    make_image(work / "image.dcm", patient_name="PEREZ^JUAN")
    lines = [_filled(line, url, ids) for block in _blocks() for line in block.splitlines()]
    script = _WRAPPER + "\n".join(lines) + "\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    for number, example in enumerate(found, 1):
        head = (work / f"h{number}").read_text("latin-1")
        status = int(re.findall(r"^HTTP/\S+ (\d+)", head, flags=re.M)[-1])
        assert 200 <= status < 300, (example.command, head)
        if example.keys:
            body = (work / (work / f"o{number}").read_text().strip()).read_bytes()
            missing_keys = set(example.keys) - _all_keys(json.loads(body))
            assert not missing_keys, (example.command, missing_keys)
