"""The embedded backend (a Django app). Import ``LocalBackend`` lazily: models load after
Django's app registry is ready."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "LocalBackend":
        from postdicom.local.backend import LocalBackend

        return LocalBackend
    raise AttributeError(name)
