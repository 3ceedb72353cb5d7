"""Drift: an Enabled domain whose DNS no longer matches what it was verified with.

A domain is verified once and then trusted; tenants move DNS hosts, switch a proxy on,
"clean up" a DKIM record. ``senderdeck sweep`` re-checks Enabled domains, and an Enabled
domain with a record now mismatched or missing is *drifted*. These are the rules, as pure
functions of what a check found; ``core.verifying`` stores the result in the
``sender_domain.drift_*`` columns and ``DomainView.drift`` shows it.

- A sweep that finds a mismatched or missing record on an Enabled domain records the drift:
  which records, what was found, since when, and a streak of sweeps at least
  ``STREAK_SPACING`` (24 h) apart that found it. The domain stays Enabled (a cron job must
  not silently stop a tenant's production mail) unless the sweep runs with ``--demote`` and
  the streak reached ``DEMOTE_AFTER`` (3): then the spec's verify rule applies and it
  becomes Approval Pending (its drift is then over: it is simply pending).
- A sweep or a verify that finds every record matched clears the drift (recovered).
- "Could not check" is no evidence either way: a check where no record failed but some
  could not be checked leaves the drift exactly as it was — the streak neither grows nor
  resets. A record that could not be checked keeps its earlier drift entry.
- A tenant's own ``verify`` applies the spec's rule (any record failing: Approval
  Pending), so it never leaves a domain Enabled with a failing record: it clears the
  drift, except when it could not check (the domain stays Enabled, its drift as it was).
- New records (a changed DNS layout, a re-created domain) clear the drift: it described
  records the domain no longer has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from core.dnsrecord import COULD_NOT_CHECK, MATCHED, MISMATCHED, MISSING, DnsRecord
from core.models import STATUS_ENABLED, STATUS_PENDING

STREAK_SPACING = dt.timedelta(hours=24)
DEMOTE_AFTER = 3

FAILED = (MISMATCHED, MISSING)


@dataclass(frozen=True)
class DriftedRecord:
    """One record that no longer matches: what it should be and what DNS answered."""

    host: str
    type: str
    expected: str
    state: str  # mismatched | missing
    found: tuple[str, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "Type": self.type,
            "Value": self.expected,
            "State": self.state,
            "Found": list(self.found),
            "Reason": self.reason,
        }

    @classmethod
    def from_json(cls, host: str, data: Any) -> "DriftedRecord":
        data = data if isinstance(data, Mapping) else {}
        found = data.get("Found")
        return cls(
            str(host),
            str(data.get("Type") or ""),
            str(data.get("Value") or ""),
            str(data.get("State") or MISMATCHED),
            tuple(str(v) for v in found) if isinstance(found, list) else (),
            str(data.get("Reason") or ""),
        )


@dataclass(frozen=True)
class Drift:
    """A drifted domain's state (``DomainView.drift``; None when the domain is not drifted).

    ``since``: the first sweep that found it; ``streak``: sweeps at least 24 h apart that
    found it (1 on the first); ``counted_at``: the sweep that last added to the streak;
    ``records``: the records that no longer match, in the domain's record order.
    """

    since: dt.datetime
    streak: int
    counted_at: dt.datetime
    records: tuple[DriftedRecord, ...]

    @property
    def hosts(self) -> list[str]:
        return [r.host for r in self.records]

    def records_json(self) -> dict[str, dict]:
        return {r.host: r.to_json() for r in self.records}

    def columns(self) -> dict[str, Any]:
        """The ``sender_domain`` column values that store this drift."""
        return {
            "drift_since": self.since,
            "drift_streak": self.streak,
            "drift_counted_at": self.counted_at,
            "drift_records": self.records_json(),
        }

    @classmethod
    def from_columns(cls, since: Any, streak: Any, counted_at: Any, records: Any) -> "Drift | None":
        if since is None:
            return None
        since = _datetime(since)
        items = records.items() if isinstance(records, Mapping) else ()
        return cls(
            since,
            int(streak or 0),
            _datetime(counted_at) if counted_at is not None else since,
            tuple(DriftedRecord.from_json(host, data) for host, data in items),
        )


NO_DRIFT_COLUMNS = {"drift_since": None, "drift_streak": 0, "drift_counted_at": None, "drift_records": None}


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


# ---- what one check means -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordFinding:
    """One record's state after a check, with its evidence (from ``core.verify.Check``)."""

    record: DnsRecord
    state: str
    found: tuple[str, ...] = ()
    reason: str = ""


def summarise(findings: Sequence[RecordFinding]) -> tuple[bool, bool]:
    """(every record matched, some record mismatched or missing)."""
    states = [f.state for f in findings]
    return bool(states) and all(s == MATCHED for s in states), any(s in FAILED for s in states)


def observe(current: Drift | None, findings: Sequence[RecordFinding], now: dt.datetime) -> Drift:
    """The drift after a sweep found failing records on an Enabled domain."""
    failing = {f.record.host: f for f in findings if f.state in FAILED}
    unchecked = {f.record.host for f in findings if f.state == COULD_NOT_CHECK}
    earlier = {r.host: r for r in current.records} if current else {}
    records = []
    for finding in findings:
        host = finding.record.host
        if host in failing:
            records.append(DriftedRecord(host, finding.record.type, finding.record.value, finding.state, finding.found, finding.reason))
        elif host in unchecked and host in earlier:
            records.append(earlier[host])  # no news about it: what was found last time stands
    if current is None:
        return Drift(now, 1, now, tuple(records))
    if now - current.counted_at >= STREAK_SPACING:
        return Drift(current.since, current.streak + 1, now, tuple(records))
    return Drift(current.since, current.streak, current.counted_at, tuple(records))


# ---- the outcomes -------------------------------------------------------------------------

# What a sweep did to one domain (the summary's and the metrics' words).
OK = "ok"  # Enabled and every record matched
ENABLED = "enabled"  # Approval Pending, now every record matched: Enabled
PENDING = "pending"  # Approval Pending and still failing
DRIFTED = "drifted"  # Enabled with a failing record, kept Enabled
DEMOTED = "demoted"  # drifted long enough, and --demote: Approval Pending
RECOVERED = "recovered"  # was drifted, every record matched again
COULD_NOT = "could_not_check"  # no record failed, some could not be checked
UNCHANGED = "unchanged"  # neither Enabled nor Approval Pending (paused or suspended meanwhile)


@dataclass(frozen=True)
class Verdict:
    status: str
    drift: Drift | None  # what to store
    outcome: str
    evidence: Drift | None = None  # DEMOTED: the drift that demoted it (not stored: it is pending now)


def after_sweep(
    status: str,
    current: Drift | None,
    findings: Sequence[RecordFinding],
    probed_status: str,
    now: dt.datetime,
    *,
    demote: bool,
) -> Verdict:
    """Status, drift and outcome after a sweep checked a domain.

    ``probed_status`` is what the spec's verify rule (``core.status.after_probe``) gives:
    the sweep keeps an Enabled domain Enabled where that rule would demote it, unless
    ``demote`` and the drift's streak reached ``DEMOTE_AFTER``.
    """
    verified, failed = summarise(findings)
    if status == STATUS_ENABLED:
        if verified:
            return Verdict(STATUS_ENABLED, None, RECOVERED if current else OK)
        if failed:
            drift = observe(current, findings, now)
            if demote and drift.streak >= DEMOTE_AFTER:
                return Verdict(probed_status, None, DEMOTED, evidence=drift)
            return Verdict(STATUS_ENABLED, drift, DRIFTED)
        return Verdict(STATUS_ENABLED, current, COULD_NOT)
    if status == STATUS_PENDING:
        if probed_status == STATUS_ENABLED:
            return Verdict(probed_status, None, ENABLED)
        return Verdict(probed_status, None, PENDING if failed else COULD_NOT)
    return Verdict(probed_status, current, UNCHANGED)


def after_verify(current: Drift | None, new_status: str, findings: Sequence[RecordFinding]) -> Drift | None:
    """The drift after a tenant's own verify (the spec's status rule already applied)."""
    verified, failed = summarise(findings)
    if current is None or verified or failed or new_status != STATUS_ENABLED:
        return None
    return current  # could not check: no news
