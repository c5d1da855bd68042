"""No text with a NUL character (U+0000) gets past the contract.

PostgreSQL cannot store U+0000 in text: a value holding one made the query raise, and the
page or API call a 500. Django's form fields and the custom endpoints' parameter reader
already refuse it, but not every entry point reads through them (query strings of the
DICOMweb searches, JSON bodies, Celery task arguments, the next entry point someone writes).
So the backend itself is guarded, once, where ``get_api()`` builds it: every contract method
the backend implements first looks through its text arguments, and those of the drafts,
queries and options it is given, and refuses a NUL with ``InvalidInput`` naming the field.

Field names: an argument's own name (``name``, ``text``, ``password``…), or for a draft,
query or options dataclass passed as an argument the dataclass field's name (the names
``InvalidInput`` already uses for those, which forms map back onto their fields). Text
inside a list or mapping is reported under the argument (or field) holding it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from postdicom.contract import PostDicomApi
from postdicom.errors import InvalidInput

NUL = "\x00"

Api = TypeVar("Api", bound=PostDicomApi)

#: The contract's methods (its public functions; ``capabilities`` is a property).
CONTRACT_METHODS = frozenset(
    name for name, member in vars(PostDicomApi).items() if inspect.isfunction(member) and not name.startswith("_")
)


def refusing_nul(api: Api) -> Api:
    """``api`` with every contract method it implements guarded by ``check_arguments``.

    The guards are set on the instance, so its type, ``isinstance`` checks and
    ``capabilities`` (computed from the class) are what they were; a method the backend
    leaves to the contract still raises ``Unsupported``. Each guard looks the method up on
    the class when called, as plain attribute access would: a test that replaces a method
    on the backend's class still reaches its replacement. (So a spy that calls "the real
    method" takes it from the class, not from the instance, whose attribute is the guard.)"""
    for name in CONTRACT_METHODS:
        if getattr(type(api), name) is not getattr(PostDicomApi, name):
            setattr(api, name, _guarded(api, name))
    return api


def _guarded(api: PostDicomApi, name: str) -> Callable[..., Any]:
    @functools.wraps(getattr(api, name))  # the bound method: the signature has no ``self``
    def guard(*args: Any, **kwargs: Any) -> Any:
        check_arguments(kwargs)
        method = getattr(type(api), name)
        bound = method.__get__(api, type(api)) if hasattr(method, "__get__") else method
        return bound(*args, **kwargs)

    return guard


def check_arguments(arguments: Mapping[str, Any]) -> None:
    """``InvalidInput`` for the first argument (or field of one) whose text holds a NUL."""
    for name, value in arguments.items():
        field = _field_with_nul(name, value, top=True)
        if field is not None:
            raise InvalidInput({field: _("Null characters are not allowed.")})


def _field_with_nul(name: str, value: Any, *, top: bool = False) -> str | None:
    if isinstance(value, str):
        return name if NUL in value else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found = _field_with_nul(field.name if top else name, getattr(value, field.name))
            if found is not None:
                return found
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _field_with_nul(name, key) is not None or _field_with_nul(name, item) is not None:
                return name
        return None
    # Only containers that can be looked through without being used up (not iterators).
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            if _field_with_nul(name, item) is not None:
                return name
    return None
