"""A backend that drives a PostDICOM-compatible HTTP API (PostDICOM's cloud, or a central
Rayport) with httpx. ``transport`` is the wire; nothing from httpx leaves this package."""

from postdicom.cloud.backend import CloudBackend

__all__ = ["CloudBackend"]
