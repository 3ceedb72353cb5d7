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
from typing import Any, Iterable

from core import stats
from core.models import STATUS_DELETED, SenderDomain, User
from core.stats import Figures
from core.views import DomainView


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (str, bytes)):
        return json.loads(value)
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
                verification_meta=_json(meta, {}) or {},
                policy_meta=[],
                options=_json(options, {}) or {},
            )
        )
    return views


def load_figures(domain_ids: list[int], today: dt.date) -> dict[int, Figures]:
    return stats.figures_for(domain_ids, today)


def cached_dns_hosts(service, user: User, domain_ids: Iterable[int]) -> dict[int, str | None]:
    """DNS host labels already in the cache; never does a DNS lookup (None: not cached).

    Uses the service's ``cached_dns_host(user, domain_id)`` when the engine provides one,
    otherwise reads the DNS-host cache entry directly.
    """
    peek = getattr(service, "cached_dns_host", None)
    out: dict[int, str | None] = {}
    for domain_id in domain_ids:
        if peek is not None:
            found = peek(user, domain_id)
        else:
            found = service.cache.get(f"dnshost:{domain_id}")
        out[domain_id] = _host_label(found)
    return out


def _host_label(found: Any) -> str | None:
    """The label from whatever the cache holds: an outcome, a dict, or a plain string."""
    if found is None:
        return None
    if isinstance(found, str):
        label = found
    elif isinstance(found, dict):
        label = found.get("DnsHost") or found.get("dns_host") or found.get("host")
    else:
        label = getattr(found, "dns_host", None)
    if not label or not isinstance(label, str):
        return None
    return label
