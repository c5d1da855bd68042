from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from postdicom.dicom.archives import (
    ArchiveRefused,
    MemberProblem,
    MemberStatus,
    ZipLimits,
    ZipMember,
    iter_zip,
    safe_name,
)
from postdicom.dicom.problems import ProblemCode
from tests.postdicom.dicom.conftest import data_file


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "extracted"
    folder.mkdir()
    return folder


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as bundle:
        for name, data in members.items():
            bundle.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def test_members_are_extracted_in_chunks_under_safe_names(tmp_path, out, ct_small):
    dicom = ct_small.read_bytes()
    archive = make_zip(
        tmp_path / "study.zip",
        {"study/": b"", "study/./IM1.dcm": dicom, "study\\IM2.dcm": dicom, "study/DICOMDIR": b"index"},
    )
    members = list(iter_zip(archive, out))
    extracted = [m for m in members if m.status is MemberStatus.EXTRACTED]
    assert [m.name for m in extracted] == ["study/IM1.dcm", "study/IM2.dcm"]
    for member in extracted:
        assert member.path is not None
        assert member.path.parent == out
        assert member.path.read_bytes() == dicom
        assert member.size == len(dicom)
    (skipped,) = [m for m in members if m.status is MemberStatus.SKIPPED]
    assert skipped.problem is MemberProblem.DICOMDIR
    assert skipped.name == "study/DICOMDIR"


@pytest.mark.parametrize("name", ["../evil.dcm", "a/../../evil.dcm", "/etc/passwd", "\\windows\\x.dcm", "C:\\x.dcm"])
def test_names_that_climb_out_or_are_absolute_are_refused(tmp_path, out, name):
    archive = make_zip(tmp_path / "bad.zip", {name: b"data", "ok.dcm": b"fine"})
    members = list(iter_zip(archive, out))
    refused = [m for m in members if m.status is MemberStatus.REFUSED]
    assert [(m.name, m.problem) for m in refused] == [(name, MemberProblem.UNSAFE_NAME)]
    assert "outside" in refused[0].reason
    assert sorted(p.name for p in out.iterdir()) == ["000002.part"]  # nothing escaped the folder
    assert not (tmp_path / "evil.dcm").exists()


def test_safe_name_normalises():
    assert safe_name("./a//b/./c.dcm") == "a/b/c.dcm"
    assert safe_name("a\\b.dcm") == "a/b.dcm"
    assert safe_name("a/../b") is None
    assert safe_name("") is None
    assert safe_name("x\x00y") is None


def test_symlinks_are_refused(tmp_path, out):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        link = zipfile.ZipInfo("passwd")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")
    (member,) = iter_zip(archive, out)
    assert member.problem is MemberProblem.SYMLINK
    assert list(out.iterdir()) == []


def test_a_zip_inside_the_zip_is_reported_not_expanded(tmp_path, out, ct_small):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as bundle:
        bundle.writestr("inside.dcm", ct_small.read_bytes())
    archive = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue(), "renamed.dcm": inner.getvalue()})
    members = list(iter_zip(archive, out))
    assert [(m.name, m.problem) for m in members] == [
        ("inner.zip", MemberProblem.NESTED_ZIP),
        ("renamed.dcm", MemberProblem.NESTED_ZIP),  # by content, whatever the name
    ]
    assert list(out.iterdir()) == []


def test_encrypted_members_are_refused(tmp_path, out):
    archive = make_zip(tmp_path / "locked.zip", {"secret.dcm": b"scrambled bytes"}, zipfile.ZIP_STORED)
    data = bytearray(archive.read_bytes())  # zipfile cannot encrypt: set the "encrypted" flag by hand
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    archive.write_bytes(bytes(data))
    (member,) = iter_zip(archive, out)
    assert member.problem is MemberProblem.ENCRYPTED
    assert "password" in member.reason


def test_zip_bomb_stops_early_on_the_ratio(tmp_path, out):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        with bundle.open("zeros.dcm", "w") as member:
            block = b"\x00" * (1 << 20)
            for _ in range(50):
                member.write(block)
        bundle.writestr("after.dcm", b"still read")
    assert archive.stat().st_size < 200_000  # 50 MiB of zeros, packed
    limits = ZipLimits(max_ratio=50)
    members = list(iter_zip(archive, out, limits))
    bomb, after = members
    assert bomb.status is MemberStatus.REFUSED
    assert bomb.problem is MemberProblem.RATIO
    assert "50 times" in bomb.reason
    info = zipfile.ZipFile(archive).getinfo("zeros.dcm")
    assert bomb.size <= 50 * info.compress_size + (1 << 20)  # stopped within a chunk of the limit
    assert bomb.size < 50 << 20
    assert after.status is MemberStatus.EXTRACTED
    assert [p.name for p in out.iterdir()] == ["000002.part"]  # the partial bomb was removed


def test_total_size_is_counted_while_reading(tmp_path, out):
    archive = make_zip(tmp_path / "big.zip", {"a.dcm": b"a" * 600_000, "b.dcm": b"b" * 600_000})
    limits = ZipLimits(max_total_bytes=1_000_000, max_ratio=10_000)
    seen: list[ZipMember] = []
    with pytest.raises(ArchiveRefused) as caught:
        seen.extend(iter_zip(archive, out, limits))
    assert [m.name for m in seen] == ["a.dcm"]
    assert caught.value.code is ProblemCode.ZIP_TOO_LARGE
    assert sorted(p.name for p in out.iterdir()) == ["000001.part"]


def test_too_many_entries_refuses_the_archive_before_reading(tmp_path, out):
    archive = make_zip(tmp_path / "many.zip", {f"{i}.dcm": b"x" for i in range(5)})
    with pytest.raises(ArchiveRefused) as caught:
        next(iter_zip(archive, out, ZipLimits(max_entries=3)))
    assert caught.value.code is ProblemCode.ZIP_TOO_MANY
    assert "more than 3 files" in caught.value.reason


def test_not_a_zip_and_damaged_members(tmp_path, out, ct_small):
    with pytest.raises(ArchiveRefused) as caught:
        next(iter_zip(ct_small, out))
    assert caught.value.code is ProblemCode.ZIP_DAMAGED
    archive = make_zip(tmp_path / "damaged.zip", {"a.dcm": bytes(range(256)) * 400})
    data = bytearray(archive.read_bytes())
    data[60:90] = b"\xff" * 30  # inside the compressed data of the only member
    archive.write_bytes(bytes(data))
    (member,) = iter_zip(archive, out)
    assert member.problem is MemberProblem.DAMAGED
    assert list(out.iterdir()) == []


def test_dicomdir_in_a_zip_from_pydicoms_data(tmp_path, out):
    archive = make_zip(tmp_path / "cd.zip", {"CD/DICOMDIR": data_file("DICOMDIR").read_bytes()})
    (member,) = iter_zip(archive, out)
    assert member.status is MemberStatus.SKIPPED


def test_a_dicom_member_whose_preamble_starts_like_a_zip_is_extracted(tmp_path, out, ct_small):
    """Issue 9 item 10: ``DICM`` at offset 128 wins over ``PK\\x03\\x04`` at 0."""
    dicom = b"PK\x03\x04" + ct_small.read_bytes()[4:]
    archive = make_zip(tmp_path / "study.zip", {"IM1.dcm": dicom})
    (member,) = iter_zip(archive, out)
    assert member.status is MemberStatus.EXTRACTED
    assert member.path is not None
    assert member.path.read_bytes() == dicom
