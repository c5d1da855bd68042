"""Putting a service-layer ``InvalidInput`` back onto the form that caused it."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from postdicom.errors import InvalidInput


def show_errors(form: forms.Form, error: InvalidInput, *, fields: Mapping[str, str] | None = None) -> None:
    """Attach each message next to its field; ``fields`` renames service field names to form
    field names. Messages for unknown fields go to the top of the form."""
    renames = fields or {}
    for name, messages in error.field_errors.items():
        target = renames.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
