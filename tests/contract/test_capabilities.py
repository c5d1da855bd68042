"""``capabilities`` says exactly which methods a backend offers: every method outside it raises
``Unsupported``, every method inside it does something else (a result, or a refusal of the
dummy arguments it is called with here: ``NotFound``, ``InvalidInput``, …), and nothing but
the service layer's errors escapes either way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import io
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any
from uuid import UUID

import pytest
from django.contrib.auth.models import User

from postdicom import PostDicomApi, contract
from postdicom.errors import PostDicomError, Unsupported
from postdicom.types import Capability, ShareAudience

#: What is checked is what each call raises, not what a commit leaves: the local case is
#: rolled back, not flushed (and the mails and tasks queued on commit are never sent).
pytestmark = pytest.mark.rolled_back

#: Arguments that are not dummies: without them a backend may rightly refuse the call as
#: ``Unsupported`` although it offers the method (the cloud backend shares by link only, and
#: the contract lets it say so for other audiences).
REAL_ARGUMENTS: dict[str, dict[str, object]] = {
    "share_orders": {"audience": ShareAudience(link=True)},
    "share_folder": {"audience": ShareAudience(link=True)},
}


def contract_methods() -> list[str]:
    """Every method of the contract (``capabilities`` itself is not one)."""
    return [
        name for name, value in vars(PostDicomApi).items() if inspect.isfunction(value) and not name.startswith("_")
    ]


def dummy_arguments(name: str, actor: User) -> dict[str, object]:
    """Keyword arguments for the contract method ``name``: each required parameter gets a
    value of its annotated type (random ids, "x", empty lists of files, drafts of such
    values), optional ones keep their defaults."""
    method = getattr(PostDicomApi, name)
    hints = typing.get_type_hints(method, vars(contract), {"Actor": User})
    arguments: dict[str, object] = {}
    for parameter in inspect.signature(method).parameters.values():
        if parameter.name != "self" and parameter.default is inspect.Parameter.empty:
            arguments[parameter.name] = _dummy(hints[parameter.name], actor)
    return {**arguments, **REAL_ARGUMENTS.get(name, {})}


def _dummy(hint: Any, actor: User) -> object:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _dummy(next(a for a in args if a is not type(None)), actor)
    if hint is User:
        return actor
    if hint is UUID:
        return uuid.uuid4()
    if hint in (str, int, bool, float):
        return {str: "x", int: 1, bool: False, float: 1.0}[hint]
    if hint in (dt.date, dt.datetime, dt.time, dt.timedelta):
        return {
            dt.date: dt.date(2026, 3, 14),
            dt.datetime: dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC),
            dt.time: dt.time(9, 30),
            dt.timedelta: dt.timedelta(hours=1),
        }[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if origin in (Sequence, Iterable, tuple, list):
        return (uuid.uuid4(),) if args and args[0] is UUID else ()
    if origin in (Mapping, dict):
        return {}
    if hint is contract.Readable or origin is IO or hint is IO:
        return io.BytesIO(b"")
    if origin is Callable:
        return lambda *args, **kwargs: None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        fields = typing.get_type_hints(hint)
        return hint(
            **{
                f.name: _dummy(fields[f.name], actor)
                for f in dataclasses.fields(hint)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            }
        )
    raise AssertionError(f"no dummy value for {hint!r}: teach _dummy this type")


def test_what_a_backend_does_not_offer_says_so(api: PostDicomApi, admin_user: User) -> None:
    """Outside ``capabilities``: ``Unsupported``, whatever the arguments. Inside: anything but
    ``Unsupported`` for arguments it can serve, and only the service layer's errors."""
    offered = api.capabilities
    wrong: dict[str, str] = {}
    for name in contract_methods():
        arguments = dummy_arguments(name, admin_user)
        try:
            getattr(api, name)(**arguments)
        except Unsupported as error:
            if Capability(name) in offered:
                wrong[name] = f"offered, but raised Unsupported: {error.message}"
            continue
        except PostDicomError:
            pass
        except Exception as error:
            wrong[name] = f"raised {type(error).__name__}: {error}"
            continue
        if Capability(name) not in offered:
            wrong[name] = "not offered, yet it did not raise Unsupported"
    assert wrong == {}, "\n".join(f"{type(api).__name__}.{name}: {why}" for name, why in sorted(wrong.items()))
    assert Capability.CURRENT_USER in offered  # every backend knows who is signed in
