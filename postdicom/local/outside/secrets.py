"""The link's token and the share's password.

The token is derived from a seed of 256 random bits kept with the share: HMAC-SHA256 of the
seed under ``SECRET_KEY`` (Django's ``salted_hmac``), URL-safe base64, 43 characters. So
"E-mail again" sends the very link the recipient already has (minting a new one broke the
first e-mail's link, and a second recipient's), while the database alone still cannot rebuild
a link. The database keeps the token's SHA-256 too, looked up by a unique index, as for API
keys: a slow hash adds nothing to a secret of that size. Passwords are chosen by people, so
they go through Django's password hashers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.utils.crypto import salted_hmac

from postdicom.types import SHARE_GENERATED_PASSWORD_LENGTH

#: A token is URL-safe base64 of 32 bytes; anything else is not a token of ours.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: Letters and digits that cannot be mistaken for one another when read from a phone or paper
#: (no 0/O, 1/l/I): 55 symbols, about 5.8 bits each.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


_TOKEN_SALT = "rayport.outside-share.token"  # noqa: S105 (an HMAC salt naming the use, not a secret)


def new_seed() -> str:
    """A new share's seed: 256 random bits."""
    return secrets.token_urlsafe(32)


def token_from_seed(seed: str) -> str:
    """The link's token for ``seed``: the same for as long as ``SECRET_KEY`` is."""
    digest = salted_hmac(_TOKEN_SALT, seed, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return bool(_TOKEN.match(token))


def generated_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(SHARE_GENERATED_PASSWORD_LENGTH))


def hash_password(password: str) -> str:
    """Django's hasher for a password, "" for none (the link alone opens the share)."""
    return make_password(password) if password else ""


@functools.cache
def dummy_password_hash() -> str:
    """A hash of a random password, made once per process with the current hasher: checking a
    password against it costs what checking a real share's costs, and never matches."""
    return make_password(secrets.token_urlsafe(32))


def password_matches(password: str, stored: str) -> bool:
    """True for a share without a password, else when ``password`` is its password."""
    if not stored:
        return True
    return bool(password) and check_password(password, stored)
