"""Several processes hammering one domain at once — verify, edit, import — on every backend:
nothing is lost (LastVerifiedAt, status, verification flags, stats counts) and nothing
crashes (SQLite's "database is locked" is waited out and retried, never raised)."""

from __future__ import annotations

import datetime as dt

from core.models import STATUS_ENABLED, SenderDomain
from tests.core.dnskit import dns_server, publish  # noqa: F401  (fixture)
from tests.core.hammer import editor, run_workers, verifier

VERIFIERS, VERIFY_ROUNDS = 2, 15
EDIT_FLAGS, EDIT_ROUNDS = ("LinkTracking", "OpenTracking", "UnsubscribeLink"), 41


def test_verify_and_edit_at_once_lose_no_update(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "race.example"})
    publish(dns_server, "race.example", view.verification_meta["DNSRecords"])
    database, cache_url = ctx.settings.database, ctx.settings.cache_url
    ctx.close()  # the workers own the database now

    jobs = [(verifier, database, cache_url, dns_server.address, alice.id, view.id, VERIFY_ROUNDS)] * VERIFIERS
    jobs += [(editor, database, cache_url, alice.id, view.id, flag, EDIT_ROUNDS) for flag in EDIT_FLAGS]
    results = run_workers(None, jobs)
    verified, edited = results[:VERIFIERS], results[VERIFIERS:]

    # Every verify saw all records matching; the records never changed, so nothing may take
    # the domain back to Approval Pending once a verify has enabled it.
    for run in verified:
        assert run["statuses"] == [STATUS_ENABLED] * VERIFY_ROUNDS
    for run in edited:
        seen = run["statuses"]
        first = seen.index(STATUS_ENABLED) if STATUS_ENABLED in seen else len(seen)
        assert all(s == STATUS_ENABLED for s in seen[first:]), f"an edit undid a verify: {seen}"

    row = SenderDomain.get_by_id(view.id)
    assert row.status == STATUS_ENABLED
    records = row.verification_meta["DNSRecords"]
    assert records and all(r[2] is True for r in records.values()), records
    assert {c["State"] for c in row.verification_meta["Checks"].values()} == {"matched"}
    # Each editor changed one flag; every one's last value stuck (no edit wrote back stale options).
    assert {flag: row.options[flag] for flag in EDIT_FLAGS} == {flag: (EDIT_ROUNDS - 1) % 2 for flag in EDIT_FLAGS}
    last_verify_started = max(dt.datetime.fromisoformat(run["last_started"]) for run in verified)
    assert row.last_verified_at >= last_verify_started
