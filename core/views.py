"""What the service hands out: a sender domain with its figures, independent of JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.dnsrecord import DnsRecord, records_from_stored
from core.drift import Drift
from core.models import SenderDomain, User
from core.stats import Figures
from core.validation import to_unicode


@dataclass(frozen=True)
class RecordState(DnsRecord):
    """A record with the last probe's evidence (state, found, reason, fix), if any."""

    check: dict | None = None


@dataclass
class DomainView:
    id: int
    domain: str  # ASCII
    user_id: int
    created_at: dt.datetime
    status: str
    last_verified_at: dt.datetime | None
    verification_meta: dict
    policy_meta: list | dict
    options: dict
    figures: Figures = field(default_factory=Figures)
    owner: str = ""  # the owning user's name (every read fills it; the API does not show it)
    # Drift (core/drift.py): None, or the records a sweep found no longer matching on this
    # Enabled domain — ``drift.records`` (host, type, expected value, state, what was found,
    # reason), ``drift.since`` (first found), ``drift.streak`` (sweeps >= 24 h apart that
    # found it). The list's badge, summary count and `drift` filter read this.
    drift: Drift | None = None

    @property
    def drifted(self) -> bool:
        return self.drift is not None

    @property
    def display_name(self) -> str:
        return to_unicode(self.domain)

    @classmethod
    def from_row(cls, row: SenderDomain, figures: Figures | None = None, owner: str | None = None) -> "DomainView":
        """``owner``: the owning user's name when the caller knows it (else it is read)."""
        if owner is None:
            owner = User.select(User.name).where(User.id == row.user_id).scalar() or ""
        return cls(
            id=row.id,
            domain=row.domain,
            user_id=row.user_id,
            created_at=row.created_at,
            status=row.status,
            last_verified_at=row.last_verified_at,
            verification_meta=row.verification_meta or {},
            policy_meta=row.policy_meta if row.policy_meta is not None else [],
            options=row.options or {},
            figures=figures or Figures(),
            drift=Drift.from_columns(row.drift_since, row.drift_streak, row.drift_counted_at, row.drift_records),
            owner=owner,
        )

    def records(self) -> list[RecordState]:
        checks = self.verification_meta.get("Checks") or {}
        return [
            RecordState(r.host, r.type, r.value, r.verified, checks.get(r.host))
            for r in records_from_stored(self.verification_meta.get("DNSRecords"))
        ]

    def verified_count(self) -> tuple[int, int]:
        records = self.records()
        return sum(1 for r in records if r.verified is True), len(records)
