"""Hot-path queries compiled once: peewee turns a query into SQL in Python every time it runs
(a few hundred microseconds for a join or an aggregate, far more than SQLite needs to run
it). The queries every API request makes — the key's user, the rate-limit window, the
domain, its figures — are built once per database and shape with ``slot()`` markers where
values go, and then run with the real values.

    OWNED = Prepared(lambda: SenderDomain.select().where(SenderDomain.id == slot("id")).limit(1))
    row = OWNED.first(SenderDomain, id=12)
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Hashable

import peewee

from core.db import database


class Slot:
    """Where a value goes in a prepared query's parameters."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def slot(name: str) -> peewee.Value:
    """A marker for ``name`` in a query built for ``Prepared`` (passed without conversion:
    give values as the database driver takes them)."""
    return peewee.Value(Slot(name), converter=False)


class Prepared:
    """A query compiled once per database and ``shape``; run with values for its slots.

    ``build(*shape)`` returns the peewee query; ``shape`` holds whatever changes the SQL
    itself (the number of ids in an IN list, a date window), kept to a few variants.
    """

    MAX_SHAPES = 16

    def __init__(self, build: Callable[..., peewee.Query]) -> None:
        self.build = build
        self._compiled: weakref.WeakKeyDictionary[peewee.Database, dict] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def sql(self, *shape: Hashable, **values: Any) -> tuple[str, list]:
        text, template, _ = self._compile(shape)
        return text, [values[p.name] if isinstance(p, Slot) else p for p in template]

    def _compile(self, shape: tuple) -> tuple[str, list, list]:
        db = database.obj
        per_db = self._compiled.get(db)
        compiled = per_db.get(shape) if per_db is not None else None
        if compiled is None:
            query = self.build(*shape)
            text, template = query.sql()
            # The selected fields, to build model instances from plain rows (``first``).
            fields = [f for f in getattr(query, "_returning", None) or [] if isinstance(f, peewee.Field)]
            compiled = (text, template, fields)
            with self._lock:
                per_db = self._compiled.setdefault(db, {})
                if len(per_db) >= self.MAX_SHAPES:
                    per_db.clear()  # yesterday's date windows
                per_db[shape] = compiled
        return compiled

    def execute(self, *shape: Hashable, **values: Any):
        """The database cursor (rows as the driver returns them)."""
        text, params = self.sql(*shape, **values)
        return database.execute_sql(text, params)

    def first(self, model: type[peewee.Model], *shape: Hashable, **values: Any) -> peewee.Model | None:
        """The first row as a ``model`` instance, its fields converted as peewee converts them
        (the query selects ``model``'s fields)."""
        fields = self._compile(shape)[2]
        row = self.execute(*shape, **values).fetchone()
        if row is None:
            return None
        instance = model(__no_default__=1)  # as peewee's own cursor wrapper builds rows
        data = instance.__data__
        for field, value in zip(fields, row):
            data[field.name] = field.python_value(value) if value is not None else None
        instance._dirty.clear()
        return instance
