"""The ``<Op>Parameters`` header of PostDICOM's custom endpoints, read into typed values.

PostDICOM's clients send one JSON object in a request header. Its values come as the C#
example writes them (every value a string: lists as JSON text inside the string, booleans
"True"/"False", blanks ""), as the Node example writes them ("true"/"false"), or as plain
JSON (real lists, booleans, null). Each endpoint declares its parameters once (``Param``:
name, type, required, the contract field it feeds); ``read`` turns the header into a dict of
typed values keyed by parameter name and refuses bad input with ``BadParameters``, one
message per parameter, named as the client named it.

Rules: a blank value ("", null, whitespace, ``[""]`` for a list, the all-zero GUID) is "not
given" (no filter, the default); names match ignoring case ("PatientID" for "PatientId");
names no endpoint knows are ignored (and reported in ``Read.ignored``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _

NIL_UUID = UUID(int=0)


class Kind(Enum):
    TEXT = "text"
    UUID = "uuid"
    UUID_LIST = "uuid list"
    TEXT_LIST = "text list"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"  # "YYYY-MM-DD HH:MM" (a date alone is a date without a time)
    ORDER_LIST = "order list"  # PatientOrderInfoList: {"PatientOrderUuid": …} items, or UUIDs
    NUMBER = "number"  # a whole number from 1


#: What a parameter that was not given is, when it has no default of its own.
_EMPTY: dict[Kind, Any] = {Kind.TEXT: "", Kind.UUID_LIST: (), Kind.TEXT_LIST: (), Kind.ORDER_LIST: ()}


@dataclass(frozen=True)
class Param:
    """One parameter of an endpoint. ``fields``: the contract fields (``InvalidInput`` keys)
    whose errors belong to this parameter, so a refusal of the service names it too."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    fields: tuple[str, ...] = ()
    default: Any = None


@dataclass(frozen=True)
class Spec:
    """What one endpoint reads: its header and its parameters."""

    header: str
    params: tuple[Param, ...]

    def field_names(self) -> dict[str, str]:
        """Contract field → parameter name, to name the parameter in a service refusal."""
        return {f: p.name for p in self.params for f in (*p.fields, p.name)}


class BadParameters(Exception):
    """The header was refused; ``errors`` maps a parameter name ("" for the header as a whole)
    to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__(errors)
        self.errors = {name: list(messages) for name, messages in errors.items()}


@dataclass(frozen=True)
class Read:
    values: dict[str, Any]
    ignored: tuple[str, ...] = field(default=())


def header_text(request: HttpRequest, header: str) -> str | None:
    """The header's value, or None. WSGI hands header bytes over as Latin-1; a client that
    sent UTF-8 (a .NET ``HttpClient`` with an accented name) gets it read back as UTF-8."""
    raw = request.headers.get(header)
    if raw is None:
        return None
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def read(request: HttpRequest, spec: Spec) -> Read:
    """Parse ``spec.header`` of ``request`` (see the module's docstring). Raises
    ``BadParameters`` naming every parameter that is wrong, or the header itself."""
    text = header_text(request, spec.header)
    if text is None or not text.strip():
        raise BadParameters(
            {"": [_("Send the parameters as a JSON object in the %(header)s header.") % {"header": spec.header}]}
        )
    try:
        given = json.loads(text)
    except ValueError:
        raise BadParameters({"": [_("The %(header)s header is not valid JSON.") % {"header": spec.header}]})
    if not isinstance(given, dict):
        raise BadParameters({"": [_("The %(header)s header must be a JSON object.") % {"header": spec.header}]})
    by_lower = {p.name.lower(): p for p in spec.params}
    raw: dict[str, Any] = {}
    ignored = []
    for key, value in given.items():
        param = by_lower.get(str(key).lower())
        if param is None:
            ignored.append(str(key))
        else:
            raw[param.name] = value
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for param in spec.params:
        try:
            value = _PARSERS[param.kind](raw.get(param.name))
        except ValueError as error:
            errors[param.name] = [str(error)]
            continue
        if _blank(value):
            if param.required:
                errors[param.name] = [_("%(name)s is required.") % {"name": param.name}]
                continue
            value = param.default if param.default is not None else _EMPTY.get(param.kind)
        values[param.name] = value
    if errors:
        raise BadParameters(errors)
    return Read(values=values, ignored=tuple(ignored))


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == ()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(_("Give a text value."))
    return value.strip()


def _uuid(value: Any) -> UUID | None:
    text = _text(value)
    if not text:
        return None
    try:
        parsed = UUID(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a GUID.") % {"value": text[:60]})
    return None if parsed == NIL_UUID else parsed


def _list(value: Any) -> tuple[Any, ...]:
    """A JSON list, a JSON list inside a string (C#), or comma-separated text."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            return (text,)
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError(_('Give a list as JSON text, such as ["a", "b"].'))
        else:
            value = text.split(",")
    if not isinstance(value, list):
        raise ValueError(_('Give a list as JSON text, such as ["a", "b"].'))
    return tuple(v for v in value if not (v is None or (isinstance(v, str) and not v.strip())))


def _text_list(value: Any) -> tuple[str, ...]:
    items = []
    for item in _list(value):
        text = _text(item)
        if text:
            items.append(text)
    return tuple(dict.fromkeys(items))


def _uuid_list(value: Any) -> tuple[UUID, ...]:
    found = []
    for item in _list(value):
        parsed = _uuid(item)
        if parsed is not None:
            found.append(parsed)
    return tuple(dict.fromkeys(found))


def _order_list(value: Any) -> tuple[UUID, ...]:
    """PatientOrderInfoList: items that are ``{"PatientOrderUuid": …}`` objects, the same as
    JSON text (what the C# example sends: a list of JSON strings inside a string), or UUIDs."""
    found = []
    for item in _list(value):
        if isinstance(item, str) and item.strip().startswith("{"):
            try:
                item = json.loads(item)
            except ValueError:
                raise ValueError(_('Each item must be {"PatientOrderUuid": "…"}.'))
        if isinstance(item, dict):
            key = next((k for k in item if str(k).lower() == "patientorderuuid"), None)
            if key is None:
                raise ValueError(_('Each item must be {"PatientOrderUuid": "…"}.'))
            item = item[key]
        parsed = _uuid(item)
        if parsed is not None:
            found.append(parsed)
    return tuple(dict.fromkeys(found))


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if not text:
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(_("Give True or False."))


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a real date as YYYY-MM-DD.") % {"value": text[:40]})


def _datetime(value: Any) -> dt.datetime | dt.date | None:
    text = _text(value)
    if not text:
        return None
    if len(text) == 10:
        return _date(text)
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a real date and time as YYYY-MM-DD HH:MM.") % {"value": text[:40]})


def _number(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise ValueError(_("Give a whole number from 1."))
    return int(text)


_PARSERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.UUID: _uuid,
    Kind.UUID_LIST: _uuid_list,
    Kind.TEXT_LIST: _text_list,
    Kind.BOOL: _bool,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.ORDER_LIST: _order_list,
    Kind.NUMBER: _number,
}
