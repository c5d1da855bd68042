"""The only exceptions that leave the service layer.

Every backend method raises one of these kinds and nothing else, so that pages, the HTTP
API and Celery tasks can each translate them once: ``InvalidInput`` → the form shows the
messages, ``NotFound`` → 404, ``Forbidden`` → 403, ``Unsupported`` → the feature is hidden
or explained, ``Unavailable`` → retry later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class PostDicomError(Exception):
    """Base of every service-layer error; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PostDicomError):
    """The input was refused. ``field_errors`` maps a field name to its messages;
    ``NON_FIELD`` holds messages about the input as a whole."""

    NON_FIELD = "__all__"

    def __init__(self, field_errors: Mapping[str, Sequence[str] | str] | str) -> None:
        if isinstance(field_errors, str):
            field_errors = {self.NON_FIELD: [field_errors]}
        self.field_errors: dict[str, list[str]] = {
            field: [messages] if isinstance(messages, str) else list(messages)
            for field, messages in field_errors.items()
        }
        first = next(iter(self.field_errors.values()))[0]
        super().__init__(str(first))


class NotFound(PostDicomError):
    """The thing does not exist, or the actor may not know that it exists."""


class Forbidden(PostDicomError):
    """The actor may see the thing but may not do this to it."""


class Unsupported(PostDicomError):
    """This backend cannot do this (see ``PostDicomApi.capabilities``)."""


class Unavailable(PostDicomError):
    """A transient failure (network, remote server busy): the same call may work later."""
