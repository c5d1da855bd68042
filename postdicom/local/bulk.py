"""Many rows in one statement, where the ORM would send one per row or build a large
``CASE`` expression per field (``bulk_update``), which costs more Python than the work.

Only the model's own quoted table and column names are formatted into the SQL; every value
is a parameter, prepared by its model field as the ORM would (``get_db_prep_save``).

On PostgreSQL the rows travel as one JSON parameter, read back as a typed table by
``jsonb_to_recordset``: the statement's text is then the same for any number of rows, so
psycopg parses it once (it parses every statement with over 50 parameters again, in Python:
a 25-row INSERT cost more to send than to run; docs/decisions.md, "STOW-RS round 8").
SQLite takes the rows as a ``VALUES`` list.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The model's concrete field ``name`` (a foreign key by its name, not its ``_id``)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _value_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[Any]]:
    """``(%s, …), (%s, …)`` for ``rows`` of the model's fields ``names``, and the parameters,
    each prepared by its field: what follows ``VALUES``."""
    fields = [model_field(model, name) for name in names]
    holes = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    params = [
        field.get_db_prep_save(value, connection) for row in rows for field, value in zip(fields, row, strict=True)
    ]
    return holes, params


#: Values whose ``str`` is the text PostgreSQL reads them from.
_AS_TEXT = (uuid.UUID, Decimal, ipaddress.IPv4Address, ipaddress.IPv6Address)


def _json_value(value: object) -> object:
    """A value prepared by its field (``get_db_prep_save``) as ``jsonb_to_recordset`` reads
    it into the column's type: the text PostgreSQL parses for dates, times, UUIDs and numbers
    (ISO 8601 with the offset for an aware time), the document itself for a JSON field. Any
    other value goes as it is, and one JSON cannot carry fails loudly (``json.dumps``)."""
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, _AS_TEXT):
        return str(value)
    if isinstance(value, Jsonb):
        if value.obj is None:  # the record would read it as SQL NULL, not as JSON's null
            raise TypeError("A JSON field's null cannot be told from SQL NULL in a record.")
        return value.obj
    return value


def _recordset(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]) -> tuple[str, Any]:
    """``jsonb_to_recordset(%s::jsonb) AS v(column1 <type>, …)`` for ``rows`` of the fields
    ``names`` (PostgreSQL), and its one parameter (``_types``)."""
    source, fields, keys = _record_type(model, tuple(names))
    document = [
        {
            key: _json_value(field.get_db_prep_save(value, connection))
            for key, field, value in zip(keys, fields, row, strict=True)
        }
        for row in rows
    ]
    return source, json.dumps(document, separators=(",", ":"), allow_nan=False)


@functools.cache
def _record_type(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[str, list[models.Field[Any, Any]], list[str]]:
    """What does not change between calls for these fields: the table's spelling, the fields
    and the rows' keys (a field's ``db_type`` alone costs more than a row's values)."""
    fields = [model_field(model, name) for name in names]
    keys = [f"column{index}" for index in range(1, len(fields) + 1)]
    columns = ", ".join(f"{key} {kind}" for key, kind in zip(keys, _types(model, names), strict=True))
    return f"jsonb_to_recordset(%s::jsonb) AS v({columns})", fields, keys


@functools.cache
def _types(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    """The fields' column types on PostgreSQL without their length (``varchar``, not
    ``varchar(64)``), as Django's own ``UNNEST`` spells them: the assignment to the column
    then refuses a text too long for it, as the ORM's statements do (the UPDATE's values
    were once cast to ``varchar(64)``, which cuts a longer text short without a word)."""
    kinds = [model_field(model, name).db_type(connection) for name in names]
    assert None not in kinds, names  # a field with a column has a type
    return [str(kind).split("(")[0] for kind in kinds]


def rows_to_insert(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[Any]]:
    """What follows ``INSERT INTO <table> (<columns of names>)`` for ``rows``, in their order
    (``RETURNING`` gives the new rows in it), and its parameters."""
    if connection.vendor == "postgresql":
        source, document = _recordset(model, names, rows)
        return f"SELECT * FROM {source}", [document]  # noqa: S608
    holes, params = _value_rows(model, names, rows)
    return f"VALUES {holes}", params


def insert_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """One ``INSERT`` of ``rows`` of the model's fields ``names`` (no ``RETURNING``: for rows
    nobody reads back in the same breath, such as audit events). ``bulk_create`` builds the
    same statement through the SQL compiler, at several times the Python cost for a few rows."""
    if not rows:
        return
    quote = connection.ops.quote_name
    values, params = rows_to_insert(model, names, rows)
    columns = ", ".join(quote(model_field(model, name).column) for name in names)
    # Only the model's quoted table and column names are formatted in; every value is a parameter.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {values}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_objects(objects: Sequence[models.Model]) -> None:
    """``bulk_create`` for unsaved objects of one model whose rows are read back by id: one
    ``INSERT … RETURNING`` of every concrete field (defaults and ``auto_now_add`` filled in
    by the fields, as the ORM does), and each object gets its id and counts as saved. No
    signals, no parents (multi-table inheritance), as with ``bulk_create``."""
    if not objects:
        return
    model = type(objects[0])
    pk = model._meta.pk
    assert pk is not None
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values, params = rows_to_insert(
        model, [field.name for field in fields], [[field.pre_save(obj, True) for field in fields] for obj in objects]
    )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    # Only the model's quoted table and column names are formatted in; every value is a parameter.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {values} RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    assert len(ids) == len(objects)
    for obj, value in zip(objects, ids, strict=True):  # in the order of VALUES, as Django relies on too
        obj.pk = value
        obj._state.adding = False
        obj._state.db = connection.alias


def values_table(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[Any]]:
    """A table ``v`` of ``rows`` of the model's fields ``names``, to read FROM, and its
    parameters. Column *i* (from 1) is ``v.column<i>``, of the field's type on PostgreSQL
    (SQLite takes any value in any column)."""
    if connection.vendor == "postgresql":
        source, document = _recordset(model, names, rows)
        return source, [document]
    holes, params = _value_rows(model, names, rows)
    return f"(VALUES {holes}) AS v", params


def _update_sql(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    assert pk is not None
    source, params = values_table(model, [pk.name, *names], rows)
    assignments = ", ".join(
        f"{quote(model_field(model, name).column)} = v.column{index}" for index, name in enumerate(names, 2)
    )
    sql = f"UPDATE {table} SET {assignments} FROM {source} WHERE {table}.{quote(pk.column)} = v.column1"  # noqa: S608
    return sql, params


def update_rows(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    """Set the fields ``names`` of many rows at once: each row is ``(pk, value, …)`` in the
    order of ``names``. Returns how many rows changed."""
    if not rows:
        return 0
    sql, params = _update_sql(model, names, rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


Update = tuple[type[models.Model], Sequence[str], Sequence[Sequence[object]]]


def update_rows_together(*updates: Update) -> None:
    """``update_rows`` of several tables in one statement on PostgreSQL (each but the last a
    data-modifying ``WITH``, all run against the same snapshot: give each table once), one
    statement per table elsewhere (SQLite runs one statement a call). Updates without rows
    are left out."""
    given = [(model, names, rows) for model, names, rows in updates if rows]
    if connection.vendor != "postgresql" or len(given) < 2:
        for model, names, rows in given:
            update_rows(model, names, rows)
        return
    parts = [_update_sql(model, names, rows) for model, names, rows in given]
    ctes = ", ".join(f"u{n} AS ({sql} RETURNING 1)" for n, (sql, _params) in enumerate(parts[:-1]))
    params = [param for _sql, part in parts for param in part]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {parts[-1][0]}", params)
