"""What operators did to each domain: the ``domain_event`` table, written by
``core.operator`` and read as a domain's history (newest first)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peewee import fn

from core.models import DomainEventRow

# What an event says was done (``DomainEvent.action``).
VERIFY = "verify"
PAUSE = "pause"
RESUME = "resume"
EDIT = "edit"
DELETE = "delete"
SEND_TEST = "send_test"
SUSPEND = "suspend"
UNSUSPEND = "unsuspend"
ACTIONS = (VERIFY, PAUSE, RESUME, EDIT, DELETE, SEND_TEST, SUSPEND, UNSUSPEND)


@dataclass(frozen=True)
class DomainEvent:
    at: dt.datetime  # UTC, naive (as every time is stored)
    actor: str  # the OS user who acted
    action: str  # one of ACTIONS
    reason: str | None
    detail: dict = field(default_factory=dict)  # what changed: statuses, options, the test message


def record(domain_id: int, actor: str, action: str, at: dt.datetime, reason: str | None = None, detail: dict | None = None) -> DomainEvent:
    """Store one event (inside the caller's transaction, when it has one)."""
    DomainEventRow.create(domain=domain_id, at=at, actor=actor, action=action, reason=reason, detail=detail or {})
    return DomainEvent(at, actor, action, reason, detail or {})


def history(domain_id: int) -> list[DomainEvent]:
    """The domain's events, newest first (events of one second in the order written, newest first)."""
    E = DomainEventRow
    rows = E.select().where(E.domain == domain_id).order_by(E.at.desc(), E.id.desc())
    return [DomainEvent(r.at, r.actor, r.action, r.reason, r.detail or {}) for r in rows]


def latest_reasons(domain_ids: list[int], action: str) -> dict[int, str | None]:
    """The reason given with each domain's latest ``action`` event (domains without one are
    absent): e.g. why each suspended domain was suspended."""
    E = DomainEventRow
    out: dict[int, str | None] = {}
    for start in range(0, len(domain_ids), 500):
        chunk = domain_ids[start : start + 500]
        latest = (
            E.select(fn.MAX(E.id)).where(E.domain.in_(chunk) & (E.action == action)).group_by(E.domain)
        )
        for domain_id, reason in E.select(E.domain, E.reason).where(E.id.in_(latest)).tuples():
            out[domain_id] = reason
    return out
