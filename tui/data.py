"""Blocking reads the list screen runs in thread workers (never on the event loop).

``load_views`` is a fast path for the list: the service's ``list_domains`` builds a Peewee
model per row and parses every datetime through Peewee's converters, about 0.3 s at 10,000
domains before any figures. This reads only the columns the list shows, as raw values, with
the same filter as the service (the user's live domains, never DomainID 0), and leaves the
operational figures to ``load_figures`` so rows can be painted before the figures arrive.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any, Iterable

from core import stats
from core.models import STATUS_DELETED, SenderDomain, User
from core.stats import Figures
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

    def __repr__(self) -> str:
        return f"LazyJSON({self._parsed()!r})"


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (str, bytes)):
        return LazyJSON(value)
    return value


def load_views(database, user: User, ids: list[int] | None = None) -> list[DomainView]:
    """The user's live domains without figures, ordered like ``service.list_domains``
    (only ``ids``, when given)."""
    if ids is not None:
        out: list[DomainView] = []
        for start in range(0, len(ids), 500):
            out += _load(database, user, ids[start : start + 500])
        return out
    return _load(database, user, None)


def _load(database, user: User, ids: list[int] | None) -> list[DomainView]:
    S = SenderDomain
    where = (S.user == user.id) & (S.status != STATUS_DELETED) & (S.id > 0)
    if ids is not None:
        where &= S.id.in_(ids)
    query = (
        S.select(S.id, S.domain, S.user, S.created_at, S.status, S.last_verified_at, S.verification_meta, S.options)
        .where(where)
        .order_by(S.domain, S.id)
    )
    cursor = database.execute(query)  # raw values: no per-row model or converter
    views = []
    for id_, domain, user_id, created, status, checked, meta, options in cursor.fetchall():
        views.append(
            DomainView(
                id=id_,
                domain=domain,
                user_id=user_id,
                created_at=_datetime(created),
                status=status,
                last_verified_at=_datetime(checked),
                verification_meta=_json(meta, {}),
                policy_meta=[],
                options=_json(options, {}),
            )
        )
    return views


def load_figures(domain_ids: list[int], today: dt.date) -> dict[int, Figures]:
    return stats.figures_for(domain_ids, today)


def cached_dns_hosts(cache, domains: Iterable[tuple[int, str]]) -> dict[int, str | None]:
    """DNS host labels already in the one-hour DNS-host cache, for ``(domain_id, ascii
    domain)`` pairs; never does a DNS lookup (None: not cached)."""
    from core import dnshost

    out: dict[int, str | None] = {}
    for domain_id, domain in domains:
        try:
            info = dnshost.HostInfo.from_json(cache.get(dnshost.cache_key(domain)))
        except Exception:  # a cache hiccup must not break the list: show the host as unknown
            info = None
        out[domain_id] = info.dns_host if info is not None and info.dns_host else None
    return out
