"""Where things are in a DICOM file, found by reading element headers only.

pydicom is forgiving: it reads a file that stops half-way through a value without a word,
and it parses nested sequences by recursion. Before pydicom sees a file, :func:`scan_layout`
walks its element headers (tag, VR, length) iteratively, seeking over values, and checks that

* every declared length fits in the file and every undefined-length container is closed
  (else :func:`~postdicom.dicom.problems.truncated`),
* sequences nest at most ``max_depth`` levels (else ``too_deep``; no recursion is involved),
* explicit VRs are real VRs (else ``bad_vr``).

It also records where the top-level Pixel Data element starts and ends, so that the reader can
stop before it and the anonymizer can copy it byte for byte without loading it. A 2 GB file
costs a few dozen small reads.

:func:`find_dataset` locates the data set itself: after a 128-byte preamble, ``DICM`` and the
File Meta Information; or, for files without them, at the start of the file (a few stray bytes
before the first element are tolerated, as in pydicom's own ``no_meta.dcm``), with the encoding
guessed from the first elements.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from pydicom import datadict
from pydicom.uid import UID
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, VR

from postdicom.dicom import problems

#: Sequences nested deeper than this are refused (real images stay under ten).
MAX_DEPTH = 32

#: The File Meta Information is a few hundred bytes; more than this is not a real header.
MAX_META_BYTES = 1 << 20

ITEM = 0xFFFEE000
ITEM_DELIMITER = 0xFFFEE00D
SEQUENCE_DELIMITER = 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF
PIXEL_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"

_KNOWN_VRS = frozenset(v.value for v in VR if " " not in v.value)
_LONG_VRS = frozenset(v.value for v in EXPLICIT_VR_LENGTH_32)


@dataclass(frozen=True)
class Encoding:
    """How the data set is encoded (the File Meta Information is always explicit VR LE)."""

    implicit_vr: bool
    little_endian: bool
    deflated: bool = False

    @property
    def transfer_syntax(self) -> str:
        """The uncompressed transfer syntax with this encoding (for files without meta)."""
        if self.implicit_vr:
            return IMPLICIT_LE
        return EXPLICIT_LE if self.little_endian else EXPLICIT_BE


@dataclass(frozen=True)
class DatasetStart:
    """What :func:`find_dataset` found at the start of a file."""

    offset: int  # where the data set (after any meta) begins
    encoding: Encoding
    has_preamble: bool
    has_meta: bool
    transfer_syntax: str  # from the meta, else the guessed uncompressed syntax
    media_storage_sop_class: str  # from the meta, "" when absent


@dataclass(frozen=True)
class Layout:
    """The result of :func:`scan_layout`."""

    start: DatasetStart
    file_size: int
    max_depth: int  # deepest sequence nesting found (0: no sequences)
    pixel_start: int | None  # offset of the top-level Pixel Data element's header
    pixel_end: int | None  # offset just after its value (after the delimiter if encapsulated)
    scanned: bool  # False for deflated data sets, which cannot be walked in place
    top_level_tags: frozenset[int]  # the tags of the top-level data set (empty when not scanned)
    encoding: Encoding  # as actually found at the top level (a few files contradict their meta)
    pixel_tag: int | None = None  # (7FE0,0010), or the float pixel data tags
    pixel_value_start: int | None = None  # offset of its value (after tag, VR and length)
    pixel_vr: str | None = None  # its explicit VR; None when it was encoded implicitly
    pixel_encapsulated: bool = False  # undefined length: compressed fragments

    @property
    def has_pixel_data(self) -> bool:
        return self.pixel_start is not None


def _is_vr(two: bytes) -> bool:
    return len(two) == 2 and 0x41 <= two[0] <= 0x5A and 0x41 <= two[1] <= 0x5A


def _clean_uid(raw: bytes) -> str:
    return raw.rstrip(b"\x00 ").decode("ascii", errors="replace").strip()


def _read_meta(fp: BinaryIO, pos: int, size: int) -> tuple[int, str, str]:
    """Walk the group 0002 elements from ``pos``; return (end, transfer syntax, SOP class)."""
    transfer_syntax = media_class = ""
    start = pos
    group_end: int | None = None
    while pos < size:
        if pos + 8 > size:
            raise problems.truncated()
        fp.seek(pos)
        header = fp.read(8)
        group, element = struct.unpack("<HH", header[:4])
        if group != 0x0002:
            break
        if _is_vr(header[4:6]):
            vr = header[4:6].decode("ascii")
            if vr in _LONG_VRS:
                extra = fp.read(4)
                if len(extra) < 4:
                    raise problems.truncated()
                length, header_length = struct.unpack("<L", extra)[0], 12
            else:
                length, header_length = struct.unpack("<H", header[6:8])[0], 8
        else:  # a few writers put the meta in implicit VR; pydicom accepts it too
            length, header_length = struct.unpack("<L", header[4:8])[0], 8
        if length == UNDEFINED or pos + header_length + length > size:
            raise problems.truncated()
        if element == 0x0000 and length == 4:
            group_end = pos + header_length + 4 + struct.unpack("<L", fp.read(4))[0]
        elif element in (0x0002, 0x0010):
            value = _clean_uid(fp.read(length))
            if element == 0x0010:
                transfer_syntax = value
            else:
                media_class = value
        pos += header_length + length
        if pos - start > MAX_META_BYTES:
            raise problems.damaged()
    if group_end is not None and group_end > size:
        raise problems.truncated()
    return pos, transfer_syntax, media_class


def _plausible(data: bytes, offset: int, encoding: Encoding, size: int) -> bool:
    """Do the first elements at ``offset`` of ``data`` (a file's first bytes) look like DICOM?"""
    endian = "<" if encoding.little_endian else ">"
    pos, previous, seen = offset, -1, 0
    while seen < 3:
        if pos == size and seen:
            return True  # a tiny but complete data set
        if pos + 8 > len(data):
            return seen >= 2 or (seen >= 1 and pos >= len(data))
        group, element = struct.unpack(endian + "HH", data[pos : pos + 4])
        tag = group << 16 | element
        if tag <= previous or (seen == 0 and ((group not in (0x0002, 0x0008) and group > 0x0020) or group % 2)):
            return False
        if encoding.implicit_vr:
            if not datadict.dictionary_has_tag(tag) and group % 2 == 0:
                return False
            length, header_length = struct.unpack(endian + "L", data[pos + 4 : pos + 8])[0], 8
        else:
            two = data[pos + 4 : pos + 6]
            if not _is_vr(two) or two.decode("ascii") not in _KNOWN_VRS:
                return False
            if two.decode("ascii") in _LONG_VRS:
                if pos + 12 > len(data):
                    return seen >= 1
                length, header_length = struct.unpack(endian + "L", data[pos + 8 : pos + 12])[0], 12
            else:
                length, header_length = struct.unpack(endian + "H", data[pos + 6 : pos + 8])[0], 8
        if length == UNDEFINED:
            return seen >= 1
        pos += header_length + length
        if pos > size:
            return False
        previous, seen = tag, seen + 1
    return True


_CANDIDATES = (
    Encoding(implicit_vr=False, little_endian=True),
    Encoding(implicit_vr=False, little_endian=False),
    Encoding(implicit_vr=True, little_endian=True),
)

#: How many stray bytes before the first element of a file without preamble are tolerated.
MAX_LEADING_JUNK = 16


def guess_encoding(head: bytes, size: int, offsets: range = range(MAX_LEADING_JUNK)) -> tuple[int, Encoding] | None:
    """The first (offset, encoding) at which ``head`` reads as a data set, or None."""
    for offset in offsets:
        for candidate in _CANDIDATES:
            if _plausible(head, offset, candidate, size):
                return offset, candidate
    return None


def _encoding_of(transfer_syntax: str) -> Encoding | None:
    uid = UID(transfer_syntax)
    if not transfer_syntax or not uid.is_transfer_syntax:
        return None
    return Encoding(uid.is_implicit_VR, uid.is_little_endian, uid.is_deflated)


def find_dataset(fp: BinaryIO, size: int) -> DatasetStart | None:
    """Where the data set of ``fp`` begins, or None when the file does not look like DICOM."""
    fp.seek(0)
    head = fp.read(4096)
    if size >= 132 and head[128:132] == b"DICM":
        offset, transfer_syntax, media_class = _read_meta(fp, 132, size)
        has_preamble = True
    elif head[:2] == b"\x02\x00" and _plausible(head, 0, _CANDIDATES[0], size):
        offset, transfer_syntax, media_class = _read_meta(fp, 0, size)
        has_preamble = False
    else:
        found = guess_encoding(head, size)
        if found is None:
            return None
        offset, encoding = found
        return DatasetStart(offset, encoding, False, False, encoding.transfer_syntax, "")
    declared = _encoding_of(transfer_syntax)
    if declared is None:  # no or private transfer syntax: look at the data set itself
        fp.seek(offset)
        found = guess_encoding(fp.read(4096), size - offset, range(1))
        declared = found[1] if found else _CANDIDATES[0]
        transfer_syntax = transfer_syntax or declared.transfer_syntax
    return DatasetStart(offset, declared, has_preamble, True, transfer_syntax, media_class)


@dataclass
class _Frame:
    kind: str  # "dataset", "sequence" or "fragments"
    end: int | None  # None: undefined length, closed by a delimiter
    implicit: bool
    little: bool
    depth: int
    pixel_start: int | None = None
    fresh: bool = True  # no element read yet: its first element decides implicit or explicit VR


def _dictionary_vr(tag: int) -> str | None:
    try:
        return str(datadict.dictionary_VR(tag))
    except KeyError:
        return None


def scan_layout(fp: BinaryIO, start: DatasetStart, size: int, max_depth: int = MAX_DEPTH) -> Layout:
    """Walk every element header of the data set; raise a :class:`DicomProblem` if it is broken."""
    if start.encoding.deflated:
        return Layout(start, size, 0, None, None, scanned=False, top_level_tags=frozenset(), encoding=start.encoding)
    enc = start.encoding
    top = _Frame("dataset", size, enc.implicit_vr, enc.little_endian, 0)
    stack = [top]
    pos = start.offset
    deepest = 0
    pixel: tuple[int, int] | None = None
    pixel_tag: int | None = None
    pixel_value: tuple[int, str | None] = (0, None)
    encapsulated = False
    top_tags: set[int] = set()
    while stack:
        frame = stack[-1]
        if frame.end is not None and pos >= frame.end:
            if pos > frame.end:
                raise problems.damaged()
            stack.pop()
            continue
        fp.seek(pos)
        header = fp.read(8)
        if len(header) < 8:
            raise problems.truncated()
        endian = "<" if frame.little else ">"
        group, element, length = struct.unpack(endian + "HHL", header)
        tag = group << 16 | element

        if frame.kind != "dataset":
            if tag == ITEM:
                if frame.kind == "fragments" or length != UNDEFINED:
                    if length == UNDEFINED:
                        raise problems.damaged()
                    end = pos + 8 + length
                    if end > size:
                        raise problems.truncated()
                    if frame.end is not None and end > frame.end:
                        raise problems.damaged()
                    if frame.kind == "fragments":
                        pos = end
                        continue
                    stack.append(_Frame("dataset", end, frame.implicit, frame.little, frame.depth))
                else:
                    stack.append(_Frame("dataset", None, frame.implicit, frame.little, frame.depth))
                pos += 8
            elif tag == SEQUENCE_DELIMITER:
                pos += 8
                stack.pop()
                if frame.pixel_start is not None and pixel is None:
                    pixel = (frame.pixel_start, pos)
            else:
                raise problems.damaged()
            continue

        if tag == ITEM_DELIMITER:  # ends an undefined-length item (or, tolerated, a defined one exactly)
            if len(stack) == 1 or (frame.end is not None and pos + 8 != frame.end):
                raise problems.damaged()
            pos += 8
            stack.pop()
            continue
        if group == 0xFFFE:
            raise problems.damaged()
        if frame.fresh:  # like pydicom, trust the first element over the transfer syntax
            frame.fresh = False
            frame.implicit = not _is_vr(header[4:6])

        implicit = frame.implicit
        vr: str | None = None
        header_length = 8
        if not implicit:
            two = header[4:6]
            if _is_vr(two):
                vr = two.decode("ascii")
                if vr not in _KNOWN_VRS:
                    raise problems.bad_vr(tag, vr)
                if vr in _LONG_VRS:
                    extra = fp.read(4)
                    if len(extra) < 4:
                        raise problems.truncated()
                    length, header_length = struct.unpack(endian + "L", extra)[0], 12
                else:
                    length = struct.unpack(endian + "H", header[6:8])[0]
            else:
                implicit = True  # pydicom's tolerance for writers that switch to implicit VR
        if implicit:
            length = struct.unpack(endian + "L", header[4:8])[0]
            vr = _dictionary_vr(tag)
        value_start = pos + header_length
        top_level = len(stack) == 1
        if top_level:
            top_tags.add(tag)
        top_pixel = top_level and tag in PIXEL_TAGS and pixel is None

        if length == UNDEFINED:
            if top_pixel:
                stack.append(_Frame("fragments", None, frame.implicit, frame.little, frame.depth, pixel_start=pos))
                pixel_tag, encapsulated = tag, True
                pixel_value = (value_start, None if implicit else vr)
                pos = value_start
                continue
            next_tag = _peek_tag(fp, value_start, frame.little)
            if vr == "SQ" or vr == "UN" or (vr is None and next_tag in (ITEM, SEQUENCE_DELIMITER)):
                depth = frame.depth + 1
                if depth > max_depth:
                    raise problems.too_deep(max_depth)
                deepest = max(deepest, depth)
                if vr == "UN" and not implicit:  # an undefined-length UN is implicit VR LE (PS3.5 6.2.2)
                    stack.append(_Frame("sequence", None, True, True, depth))
                else:
                    stack.append(_Frame("sequence", None, implicit, frame.little, depth))
                pos = value_start
            else:  # an undefined-length value that is not a sequence runs to a sequence delimiter
                pos = _after_delimiter(fp, value_start, frame.little, size)
            continue

        end = value_start + length
        if end > size:
            raise problems.truncated()
        if frame.end is not None and end > frame.end:
            raise problems.damaged()
        is_sequence = vr == "SQ" or (
            vr == "UN" and _dictionary_vr(tag) == "SQ" and length and _starts_with_item(fp, value_start, True)
        )
        if is_sequence:
            depth = frame.depth + 1
            if depth > max_depth:
                raise problems.too_deep(max_depth)
            deepest = max(deepest, depth)
            un_implicit = vr == "UN" and not frame.implicit and not implicit
            stack.append(
                _Frame(
                    "sequence",
                    end,
                    frame.implicit or implicit or un_implicit,
                    True if un_implicit else frame.little,
                    depth,
                )
            )
            pos = value_start
            continue
        if top_pixel:
            pixel, pixel_tag = (pos, end), tag
            pixel_value = (value_start, None if implicit else vr)
        pos = end
    return Layout(
        start,
        size,
        deepest,
        pixel[0] if pixel else None,
        pixel[1] if pixel else None,
        scanned=True,
        top_level_tags=frozenset(top_tags),
        encoding=Encoding(top.implicit, top.little),
        pixel_tag=pixel_tag if pixel else None,
        pixel_encapsulated=encapsulated and pixel is not None,
        pixel_value_start=pixel_value[0] if pixel else None,
        pixel_vr=pixel_value[1] if pixel else None,
    )


def _peek_tag(fp: BinaryIO, pos: int, little: bool) -> int | None:
    fp.seek(pos)
    raw = fp.read(4)
    if len(raw) < 4:
        return None
    group, element = struct.unpack(("<" if little else ">") + "HH", raw)
    return group << 16 | element


def _starts_with_item(fp: BinaryIO, pos: int, little: bool) -> bool:
    return _peek_tag(fp, pos, little) == ITEM


def _after_delimiter(fp: BinaryIO, pos: int, little: bool, size: int) -> int:
    """The offset just after the next sequence delimiter from ``pos`` (read in 1 MiB chunks)."""
    marker = struct.pack(("<" if little else ">") + "HHL", 0xFFFE, 0xE0DD, 0)
    carry = b""
    fp.seek(pos)
    offset = pos
    while True:
        chunk = fp.read(1 << 20)
        if not chunk:
            raise problems.truncated()
        data = carry + chunk
        found = data.find(marker)
        if found >= 0:
            return offset - len(carry) + found + len(marker)
        carry = data[-(len(marker) - 1) :]
        offset += len(chunk)
