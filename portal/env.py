"""Strict readers for settings that come from the environment.

Every reader raises ``ImproperlyConfigured`` naming the variable when its value cannot be
used, so a mistyped deployment stops at start-up instead of misbehaving later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    """The variable's text, or ``default`` when it is unset or blank."""
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is an error."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """A whole number, optionally within ``[minimum, maximum]``."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {number}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_match(name: str, default: str, pattern: str, what: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Text that matches ``pattern`` whole; ``what`` says in the error what that is."""
    value = _raw(name, environ)
    if value is None:
        return default
    if re.fullmatch(pattern, value) is None:
        raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}.")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...], *, environ: Mapping[str, str] | None = None) -> str:
    """One of ``choices`` (case-insensitive)."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return lowered


def env_url(name: str, default: str, schemes: tuple[str, ...], *, environ: Mapping[str, str] | None = None) -> str:
    """A URL whose scheme is one of ``schemes``."""
    value = _raw(name, environ)
    if value is None:
        return default
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}, not {value!r}."
        )
    return value


def check_secret_key(name: str, key: str) -> None:
    """Refuse a missing key, or one that Django's deploy check would call weak (security.W009)."""
    how = "(for example: python -c 'import secrets; print(secrets.token_urlsafe(64))')"
    if not key:
        raise ImproperlyConfigured(f"{name} must be set in production: use at least 50 random characters {how}.")
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(f"{name} is too weak for production: use at least 50 random characters {how}.")


def env_pairs(name: str, *, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``key=value`` entries separated by ``;`` (e.g. ``<uuid>=Main clinic;<uuid>=North``), in
    their order. A trailing ``;`` is allowed; an entry without ``=``, or with a blank key or
    value, is an error naming it."""
    value = _raw(name, environ)
    if value is None:
        return []
    pairs = []
    for entry in (item.strip() for item in value.split(";")):
        if not entry:
            continue
        key, equals, text = entry.partition("=")
        if not equals or not key.strip() or not text.strip():
            raise ImproperlyConfigured(f"{name}: each entry must be key=value separated by ';', not {entry!r}.")
        pairs.append((key.strip(), text.strip()))
    return pairs


def env_institutions(name: str, *, environ: Mapping[str, str] | None = None) -> tuple[tuple[UUID, str], ...]:
    """``<uuid>=Name;<uuid>=Name``: institutions by id and name, in their order; an id that is
    not a UUID, or one given twice, is an error naming it."""
    pairs: list[tuple[UUID, str]] = []
    for key, text in env_pairs(name, environ=environ):
        try:
            institution_id = UUID(key)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {key!r} is not a UUID (entries are <uuid>=<name>).") from None
        if any(institution_id == seen for seen, _text in pairs):
            raise ImproperlyConfigured(f"{name}: {institution_id} is given twice.")
        pairs.append((institution_id, text))
    return tuple(pairs)
