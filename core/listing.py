"""The fast read of a user's domain list, for the TUI and the API's list.

``service.list_domains`` at 10,000 domains spent most of its time building a Peewee model
per row and running every column through Peewee's converters, and parsing every domain's
VerificationMeta (it holds the DKIM key) whether or not anyone looks at it. This reads only
the columns a list shows, as raw values, with the one filter of a user's live domains
(``live_domains``, which the service reads through too), and parses the JSON columns on
first use.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from core.drift import Drift
from core.models import STATUS_DELETED, STATUSES, SenderDomain, User
from core.prepared import Prepared, slot
from core.views import DomainView


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


class LazyJSON(Mapping):
    """A JSON object column parsed on first use.

    Parsing every row's VerificationMeta (it holds the DKIM key) is most of the cost of
    listing 10,000 domains; the list needs it only for the rows on screen, so it waits.
    """

    __slots__ = ("_raw", "_value")

    def __init__(self, raw: str | bytes) -> None:
        self._raw = raw
        self._value: dict | None = None

    def _parsed(self) -> dict:
        if self._value is None:
            value = json.loads(self._raw)
            self._value = value if isinstance(value, dict) else {}
            self._raw = b""
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    # The dict's own methods: the Mapping mixins would parse-check on every key (list's Options).
    def get(self, key: str, default: Any = None) -> Any:
        return self._parsed().get(key, default)

    def items(self):
        return self._parsed().items()

    def keys(self):
        return self._parsed().keys()

    def __contains__(self, key: object) -> bool:
        return key in self._parsed()

    def __repr__(self) -> str:
        return f"LazyJSON({self._parsed()!r})"


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (str, bytes)):
        return LazyJSON(value)
    return value


def _drift(since: Any, streak: Any, counted_at: Any, records: Any) -> Drift | None:
    if since is None:  # most domains: nothing to parse
        return None
    parsed = json.loads(records) if isinstance(records, (str, bytes)) else records
    return Drift.from_columns(_datetime(since), streak, _datetime(counted_at), parsed)


def live_domains(user):
    """The filter of ``user``'s live domains: not deleted, and never DomainID 0 (the synthetic
    group default, which is not a real, addressable row). Every read of "the user's domains"
    (this listing and the service's) uses it. ``user`` is a User, a user id, a query
    parameter standing for one (the prepared list query), or None: every tenant's (the
    operator's reads)."""
    S = SenderDomain
    live = (S.status != STATUS_DELETED) & (S.id > 0)
    if user is None:
        return live
    owner = user.id if isinstance(user, User) else user
    return (S.user == owner) & live


def live_by_status():
    """Every tenant's live domains, as ``live_domains(None)``, named by their statuses: a
    read that needs no other column of the domain then reads SQLite's small status index
    instead of every domain's row (its DKIM key and records take a page each), which is most
    of the time of such a read at 100,000 domains."""
    S = SenderDomain
    return S.status.in_([s for s in STATUSES if s != STATUS_DELETED]) & (S.id > 0)


def load_views(database, user: User | None, ids: list[int] | None = None, first: int | None = None) -> list[DomainView]:
    """The user's (None: every tenant's) live domains without figures, ordered like
    ``service.list_domains`` (only ``ids``, when given; only the ``first`` so many, when
    given: read in the index's order, so as quick at 100,000 domains as at 100), each with
    its owner's name."""
    owners = _owners(user)
    if first is not None:
        cursor = database.execute(_query(user.id if user is not None else None).limit(first))
        return _views(cursor, owners)
    if ids is not None:
        out: list[DomainView] = []
        for start in range(0, len(ids), 500):
            out += _load(database, user, ids[start : start + 500], owners)
        return out
    return _load(database, user, None, owners)


def _owners(user: User | None) -> dict[int, str]:
    """User id -> name: the one user's, or every user's (a thousand tenants: one small query,
    cheaper than joining every row)."""
    if user is not None:
        return {user.id: user.name}
    return dict(User.select(User.id, User.name).tuples())


def _query(user, ids: list[int] | None = None):
    S = SenderDomain
    where = live_domains(user)
    if ids is not None:
        where &= S.id.in_(ids)
    return (
        S.select(
            S.id, S.domain, S.user, S.created_at, S.status, S.last_verified_at, S.verification_meta, S.policy_meta, S.options,
            S.drift_since, S.drift_streak, S.drift_counted_at, S.drift_records,
        )
        .where(where)
        .order_by(S.domain, S.user)  # the unique (domain, user_id) index: read in order, never sorted
    )


# The whole list (the API's list, the TUI's first paint): compiled once (core/prepared.py).
_ALL_OF_USER = Prepared(lambda: _query(slot("user")))
_ALL_OF_EVERYONE = Prepared(lambda: _query(None))


def _load(database, user: User | None, ids: list[int] | None, owners: dict[int, str]) -> list[DomainView]:
    if ids is None:
        cursor = _ALL_OF_EVERYONE.execute() if user is None else _ALL_OF_USER.execute(user=user.id)
    else:
        cursor = database.execute(_query(user.id if user is not None else None, ids))  # raw values: no per-row model or converter
    return _views(cursor, owners)


def _views(cursor, owners: dict[int, str]) -> list[DomainView]:
    views = []
    for id_, domain, user_id, created, status, checked, meta, policy, options, *drift in cursor.fetchall():
        views.append(
            DomainView(
                id=id_,
                domain=domain,
                user_id=user_id,
                created_at=_datetime(created),
                status=status,
                last_verified_at=_datetime(checked),
                verification_meta=_json(meta, {}),
                policy_meta=json.loads(policy) if isinstance(policy, (str, bytes)) else (policy if policy is not None else []),
                options=_json(options, {}),
                drift=_drift(*drift),
                owner=owners.get(user_id, ""),
            )
        )
    return views
