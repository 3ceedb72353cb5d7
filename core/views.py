"""What the service hands out: a sender domain with its figures, independent of JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.models import SenderDomain
from core.stats import Figures
from core.validation import to_unicode


@dataclass
class RecordState:
    host: str  # ASCII, no trailing dot
    type: str
    value: str
    verified: bool | None  # None: never probed since the records were (re)generated
    check: dict | None = None  # the last probe's evidence (state, found, reason, fix), if any


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
        out = []
        for host, record in (self.verification_meta.get("DNSRecords") or {}).items():
            verified = record[2] if len(record) > 2 else None
            out.append(RecordState(host, record[0], record[1], verified, checks.get(host)))
        return out

    def verified_count(self) -> tuple[int, int]:
        records = self.records()
        return sum(1 for r in records if r.verified is True), len(records)
