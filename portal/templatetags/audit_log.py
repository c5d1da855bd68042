"""Template filters of the audit log page; the words themselves live in ``portal.audit_labels``."""

from __future__ import annotations

from collections.abc import Mapping

from django import template

from portal import audit_labels
from postdicom.types import AuditAction, AuditEvent

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``auth.login`` → "Signed in"."""
    return audit_labels.action_label(action)


@register.filter
def target_kind(target_type: str) -> str:
    """``group`` → "User group"."""
    return audit_labels.target_label(target_type)


@register.filter
def audit_details(detail: Mapping[str, object]) -> list[tuple[str, str]]:
    """An event's detail as (label, text) lines, e.g. ("role", "staff → limited")."""
    return audit_labels.describe_detail(detail)


@register.filter
def history_line(event: AuditEvent) -> str:
    """One event of an order's history as a sentence: "Ana Pérez assigned this order to …"."""
    return audit_labels.history_line(event)


@register.filter
def actor(event: AuditEvent) -> str:
    """Who did it: the full name, or "Rayport" for the portal's own scheduled work."""
    return audit_labels.who(event)


@register.filter
def is_warning(action: str) -> bool:
    """Events an administrator should notice: failed and blocked sign-ins."""
    return action in (AuditAction.AUTH_LOGIN_FAILED, AuditAction.AUTH_LOCKED_OUT)
