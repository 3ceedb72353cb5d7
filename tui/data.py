"""Blocking reads the list screen runs in thread workers (never on the event loop).

Rows come from the engine's fast list read (``core.listing.load_views``: raw columns, JSON
parsed on first use), and the operational figures separately (``load_figures``), so rows
can be painted before the figures arrive.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from core import stats
from core.listing import load_views  # noqa: F401  (the list screen reads rows through here)
from core.stats import Figures


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
