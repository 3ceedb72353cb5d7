"""The operator's cross-tenant dump (the spec's admin ``sender.domains``): every tenant's live
domains with owner, status, records' state and figures, streamed a chunk at a time so
100,000 domains never sit in memory at once and the first lines come out at once.

``dump_rows(settings, today, owner_id=None, statuses=None)`` yields ``DumpRow``s in name
order; ``senderdeck domains`` (tui/cli/domains_cmd.py) prints them as a table, JSON or CSV.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterator

from peewee import Tuple

from core import history, stat_store
from core.clock import format_datetime
from core.db import database
from core.dnsrecord import unverified_hosts
from core.listing import live_domains
from core.models import STATUS_ENABLED, STATUS_SUSPENDED, SenderDomain, User
from core.records import DkimExport, mfrom_host
from core.settings import Settings
from core.stats import Figures
from core.validation import to_unicode

CHUNK = 1000  # domains per query
NO_FIGURES = Figures()


@dataclass(frozen=True)
class DumpRow:
    domain_id: int
    domain: str  # ASCII, as stored (and as PowerMTA wants it)
    owner: str
    user_id: int
    status: str
    suspension_reason: str | None  # why, for a Suspended domain (its latest suspension's reason)
    created_at: str | None  # Y-m-d H:i:s, UTC
    last_verified_at: str | None
    records_total: int
    not_verified: tuple[str, ...]  # hosts of the records not verified (mismatched, missing or never checked)
    dkim_selector: str
    mfrom_domain: str  # the return-path domain PowerMTA signs bounces for
    figures: Figures

    @property
    def display_name(self) -> str:
        return to_unicode(self.domain)

    @property
    def records_verified(self) -> int:
        return self.records_total - len(self.not_verified)


def dump_rows(settings: Settings, today: dt.date, owner_id: int | None = None, statuses: list[str] | None = None) -> Iterator[DumpRow]:
    """Every live domain (of ``owner_id``'s, when given; of ``statuses``, when given), by
    name, then owner.

    Figures are the stored ones for ``today``; a chunk's domains without them are computed
    and stored as they go (the first dump of a UTC day refreshes the figures it shows).
    """
    S = SenderDomain
    owners = dict(User.select(User.id, User.name).tuples())
    where = live_domains(owner_id)
    if statuses:
        where &= S.status.in_(statuses)
    columns = (S.domain, S.user, S.id, S.status, S.created_at, S.last_verified_at, S.verification_meta, S.options, S.dkim_selector)
    after: tuple[str, int] | None = None
    while True:
        # Raw values (no per-row model or converter): JSON parsed here, times kept as text.
        rows = database.execute(_page(S.select(*columns).where(where), after)).fetchall()
        if not rows:
            return
        ids = [row[2] for row in rows]
        figures = stat_store.figures_of(ids, today, store=True)
        suspended = [row[2] for row in rows if row[3] == STATUS_SUSPENDED]
        reasons = history.latest_reasons(suspended, history.SUSPEND) if suspended else {}
        for domain, user_id, domain_id, status, created, checked, meta, options, selector in rows:
            records = _json(meta).get("DNSRecords")
            yield DumpRow(
                domain_id=domain_id,
                domain=domain,
                owner=owners.get(user_id, ""),
                user_id=user_id,
                status=status,
                suspension_reason=reasons.get(domain_id) if status == STATUS_SUSPENDED else None,
                created_at=_when(created),
                last_verified_at=_when(checked),
                records_total=len(records) if isinstance(records, dict) else 0,
                not_verified=tuple(unverified_hosts(records if isinstance(records, dict) else None)),
                dkim_selector=selector,
                # Most domains keep the default subdomain: their options need no parsing.
                mfrom_domain=mfrom_host(domain, _json(options) if "CustomSubdomain" in str(options) else {}, settings.mfrom_subdomain),
                figures=figures.get(domain_id, NO_FIGURES),
            )
        after = (rows[-1][0], rows[-1][1])


def _when(value) -> str | None:
    """A stored time as the spec writes it (``Y-m-d H:i:s``): SQLite gives text, PostgreSQL
    a datetime."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return str(value)[:19]


def _page(query, after: tuple[str, int] | None):
    """The next ``CHUNK`` rows in (name, owner) order after ``after``: the keyset of the
    unique (domain, user_id) index, so each page is a short index range, never a sort of
    every domain."""
    S = SenderDomain
    if after is not None:
        query = query.where(Tuple(S.domain, S.user) > Tuple(*after))
    return query.order_by(S.domain, S.user).limit(CHUNK)


def _json(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def enabled_keys() -> Iterator[DkimExport]:
    """Every tenant's Enabled domains' DKIM keys, by name and then owner (of a name several
    tenants have Enabled, the oldest user's comes first), a chunk at a time: what PowerMTA
    signs with (``senderdeck dkim export --all``)."""
    S = SenderDomain
    where = live_domains(None) & (S.status == STATUS_ENABLED)
    after: tuple[str, int] | None = None
    while True:
        rows = database.execute(_page(S.select(S.domain, S.user, S.dkim_selector, S.dkim_private_key).where(where), after)).fetchall()
        if not rows:
            return
        for domain, _user_id, selector, pem in rows:
            yield DkimExport(domain, selector, pem)
        after = (rows[-1][0], rows[-1][1])
