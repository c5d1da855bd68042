"""The shared service layer: ``get_api()`` returns the configured backend.

``settings.POSTDICOM = {"BACKEND": "dotted.path.Class", "OPTIONS": {...}}``; the backend is
built once and rebuilt when a test overrides the setting. It is built refusing text with a NUL
character in every contract method (``postdicom.nul``), whatever the entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from postdicom.contract import PostDicomApi
from postdicom.nul import refusing_nul

__all__ = ["PostDicomApi", "get_api"]


@cache
def get_api() -> PostDicomApi:
    """The backend named by ``settings.POSTDICOM``."""
    raw = getattr(settings, "POSTDICOM", {})
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured("POSTDICOM must be a dict with BACKEND and OPTIONS.")
    config: dict[str, Any] = dict(raw)
    unknown = set(config) - {"BACKEND", "OPTIONS"}
    if unknown:
        raise ImproperlyConfigured(f"POSTDICOM has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    path = config.get("BACKEND", "postdicom.local.LocalBackend")
    if not isinstance(path, str):
        raise ImproperlyConfigured(f"POSTDICOM BACKEND must be a dotted path, not {path!r}.")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"POSTDICOM BACKEND {path!r} cannot be imported: {exc}") from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, PostDicomApi)):
        raise ImproperlyConfigured(f"POSTDICOM BACKEND {path!r} is not a PostDicomApi.")
    options = config.get("OPTIONS", {})
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(f"POSTDICOM OPTIONS must be a dict, not {options!r}.")
    try:
        backend = backend_class(**options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"POSTDICOM OPTIONS are not accepted by {path}: {exc}") from exc
    return refusing_nul(backend)


@receiver(setting_changed)
def _forget_backend(*, setting: str, **kwargs: object) -> None:
    if setting == "POSTDICOM":
        get_api.cache_clear()
