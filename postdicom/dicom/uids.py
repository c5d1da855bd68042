"""Consistent, deterministic UID remapping and date shifting for one upload.

The caller creates one :class:`UidMap` per upload batch (``UidMap.new()``) and keeps its
secret with the batch (``uid_map.secret_hex``; ``UidMap.from_hex`` restores it), so that a
worker that restarts half-way maps every UID exactly as before. Within a batch the same input
UID always gets the same new UID (two files of one series share their new Series Instance
UID; a file sent twice gets the same new SOP Instance UID and is stored once); another batch
(another secret) gets unrelated UIDs.

A new UID is ``2.25.<decimal of a 128-bit value>`` (PS3.5 B.2): the value is the first 16 bytes
of HMAC-SHA256(secret, old UID) with the RFC 9562 version-8 ("custom") and variant bits set.
The original UID cannot be recovered without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Dates are shifted back by between one and about ten years.
MIN_SHIFT_DAYS = 365
SHIFT_RANGE_DAYS = 3288


class UidMap:
    """Maps original UIDs to new ones for one upload, and gives the upload's date offset."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the batch secret must be at least 16 bytes")
        self._secret = bytes(secret)

    @classmethod
    def new(cls) -> UidMap:
        """A map with a fresh random secret (one per upload)."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_hex(cls, secret_hex: str) -> UidMap:
        return cls(bytes.fromhex(secret_hex))

    @property
    def secret_hex(self) -> str:
        """The secret to keep with the batch (it is as sensitive as the mapping itself)."""
        return self._secret.hex()

    def _digest(self, label: bytes, value: bytes) -> bytes:
        return hmac.new(self._secret, label + b"\x00" + value, hashlib.sha256).digest()

    def __call__(self, uid: str) -> str:
        """The new UID for ``uid`` (surrounding spaces and NULs are ignored)."""
        raw = bytearray(self._digest(b"uid", uid.strip().strip("\x00").encode("ascii", "replace"))[:16])
        raw[6] = (raw[6] & 0x0F) | 0x80  # version 8
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 9562 variant
        return f"2.25.{int.from_bytes(raw, 'big')}"

    @property
    def date_offset_days(self) -> int:
        """Days added to every date of the upload (negative: dates move into the past)."""
        value = int.from_bytes(self._digest(b"date-offset", b"")[:8], "big")
        return -(MIN_SHIFT_DAYS + value % SHIFT_RANGE_DAYS)
