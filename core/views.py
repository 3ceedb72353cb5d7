"""What the service hands out: a sender domain with its figures, independent of JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.dnsrecord import DnsRecord, records_from_stored
from core.models import SenderDomain
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

    @property
    def display_name(self) -> str:
        return to_unicode(self.domain)

    @classmethod
    def from_row(cls, row: SenderDomain, figures: Figures | None = None) -> "DomainView":
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
