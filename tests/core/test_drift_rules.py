"""core/drift.py's rules, case by case: what one check does to an Enabled domain's drift."""

from __future__ import annotations

import datetime as dt

from core import drift
from core.dnsrecord import COULD_NOT_CHECK, MATCHED, MISMATCHED, MISSING, DnsRecord
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING

T0 = dt.datetime(2026, 5, 23, 9, 0)
DKIM = DnsRecord("sd1._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=AAA", True)
SL = DnsRecord("sl.example.com", "CNAME", "rp.platform.example.", True)


def found(dkim_state, sl_state=MATCHED, dkim_found=("v=DKIM1; p=BBB",)):
    return [
        drift.RecordFinding(SL, sl_state, ("rp.platform.example.",) if sl_state == MATCHED else ()),
        drift.RecordFinding(DKIM, dkim_state, dkim_found if dkim_state == MISMATCHED else (), f"dkim {dkim_state}"),
    ]


def sweep(current, findings, at, demote=False, status=STATUS_ENABLED):
    probed = STATUS_ENABLED if drift.summarise(findings)[0] else (STATUS_PENDING if drift.summarise(findings)[1] else status)
    return drift.after_sweep(status, current, findings, probed, at, demote=demote)


def test_a_failing_record_on_an_enabled_domain_is_drift_and_the_domain_stays_enabled():
    verdict = sweep(None, found(MISMATCHED), T0)
    assert (verdict.status, verdict.outcome) == (STATUS_ENABLED, drift.DRIFTED)
    assert verdict.drift.since == T0 and verdict.drift.streak == 1 and verdict.drift.hosts == [DKIM.host]
    record = verdict.drift.records[0]
    assert (record.type, record.expected, record.state, record.found) == ("TXT", DKIM.value, MISMATCHED, ("v=DKIM1; p=BBB",))


def test_the_streak_counts_sweeps_at_least_24_hours_apart():
    first = sweep(None, found(MISSING), T0).drift
    six_hours = sweep(first, found(MISSING), T0 + dt.timedelta(hours=6)).drift
    assert (six_hours.streak, six_hours.since, six_hours.counted_at) == (1, T0, T0)
    next_day = sweep(six_hours, found(MISSING), T0 + dt.timedelta(hours=24)).drift
    assert (next_day.streak, next_day.since, next_day.counted_at) == (2, T0, T0 + dt.timedelta(hours=24))


def test_demote_needs_three_sweeps_24_hours_apart_and_the_flag():
    d1 = sweep(None, found(MISSING), T0, demote=True)
    d2 = sweep(d1.drift, found(MISSING), T0 + dt.timedelta(hours=24), demote=True)
    assert (d2.status, d2.drift.streak) == (STATUS_ENABLED, 2)
    kept = sweep(d2.drift, found(MISSING), T0 + dt.timedelta(hours=48), demote=False)
    assert (kept.status, kept.outcome, kept.drift.streak) == (STATUS_ENABLED, drift.DRIFTED, 3)
    d3 = sweep(d2.drift, found(MISSING), T0 + dt.timedelta(hours=48), demote=True)
    assert (d3.status, d3.outcome, d3.drift) == (STATUS_PENDING, drift.DEMOTED, None)
    assert d3.evidence.streak == 3 and d3.evidence.hosts == [DKIM.host]


def test_could_not_check_neither_advances_nor_resets_the_streak():
    d1 = sweep(None, found(MISSING), T0).drift
    silent = sweep(d1, found(COULD_NOT_CHECK), T0 + dt.timedelta(hours=30))
    assert (silent.outcome, silent.drift) == (drift.COULD_NOT, d1)
    d2 = sweep(silent.drift, found(MISSING), T0 + dt.timedelta(hours=31)).drift
    assert d2.streak == 2 and d2.since == T0


def test_a_record_that_could_not_be_checked_keeps_its_earlier_drift_entry():
    d1 = sweep(None, found(MISMATCHED), T0).drift
    mixed = sweep(d1, found(COULD_NOT_CHECK, sl_state=MISSING), T0 + dt.timedelta(hours=1)).drift
    assert mixed.hosts == [SL.host, DKIM.host]
    assert mixed.records[1] == d1.records[0]


def test_every_record_matching_again_is_recovery_and_clears_the_drift():
    d1 = sweep(None, found(MISMATCHED), T0).drift
    verdict = sweep(d1, found(MATCHED), T0 + dt.timedelta(hours=6))
    assert (verdict.status, verdict.drift, verdict.outcome) == (STATUS_ENABLED, None, drift.RECOVERED)
    assert sweep(None, found(MATCHED), T0).outcome == drift.OK


def test_pending_domains_follow_the_verify_rule_and_never_drift():
    enabled = sweep(None, found(MATCHED), T0, status=STATUS_PENDING)
    assert (enabled.status, enabled.outcome, enabled.drift) == (STATUS_ENABLED, drift.ENABLED, None)
    still = sweep(None, found(MISSING), T0, status=STATUS_PENDING)
    assert (still.status, still.outcome, still.drift) == (STATUS_PENDING, drift.PENDING, None)


def test_a_tenants_verify_clears_drift_unless_it_could_not_check():
    d1 = sweep(None, found(MISMATCHED), T0).drift
    assert drift.after_verify(d1, STATUS_ENABLED, found(MATCHED)) is None
    assert drift.after_verify(d1, STATUS_PENDING, found(MISSING)) is None  # the spec's rule demoted it
    assert drift.after_verify(d1, STATUS_ENABLED, found(COULD_NOT_CHECK)) == d1
    assert drift.after_verify(d1, STATUS_DISABLED, found(COULD_NOT_CHECK)) is None


def test_drift_round_trips_through_its_columns():
    d1 = sweep(None, found(MISMATCHED), T0).drift
    columns = d1.columns()
    assert drift.Drift.from_columns(*(columns[k] for k in ("drift_since", "drift_streak", "drift_counted_at", "drift_records"))) == d1
    assert drift.Drift.from_columns(None, 0, None, None) is None
