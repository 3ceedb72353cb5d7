"""Drifted domains for the TUI tests, made by the real engine: ``senderdeck sweep``
(``core.sweep.Sweep``) against the tests' loopback DNS server (``tui_dns``), as
tests/core/test_sweep.py does.

``make_drifted`` goes back three days, creates the domains and publishes their records (a
sweep enables them), then breaks harbour.example's DKIM record (a truncated key) and removes
its return-path CNAME; two sweeps a day apart find it drifted (since two days ago, on 2
sweeps), and the clock is back where it started. driftwood.example is Enabled and never
drifts (the ``drift`` filter word must not find it by name).

Fixtures (import them into a test module): ``drifted`` makes those two, then the sample
domains (tests/tui/seed.py), and gives {ascii domain: id}; ``drift_app`` is the app over them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import STATUS_ENABLED, SenderDomain
from core.sweep import Sweep
from tests.core.dnskit import publish
from tests.tui.conftest import build_app
from tests.tui.seed import seed_sample

DRIFTED = "harbour.example"
STEADY = "driftwood.example"
BROKEN_DKIM = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtruncated [/x]"
DAY = 24 * 3600


def sweep(ctx, user) -> None:
    Sweep(ctx, older_than=dt.timedelta(hours=6), user=user, platform=False).run_sync()


def make_drifted(ctx, user, clock, server) -> dict[str, int]:
    """harbour.example drifted (DKIM mismatched, return path missing), driftwood.example
    Enabled and steady; returns {ascii domain: id}. The clock ends where it started."""
    clock.advance(-3 * DAY)
    ids, records = {}, {}
    for name in (DRIFTED, STEADY):
        view = ctx.service.create_domain(user, {"SenderDomain": name})
        ids[name], records[name] = view.id, view.verification_meta["DNSRecords"]
        publish(server, name, records[name])
    sweep(ctx, user)
    assert {SenderDomain.get_by_id(i).status for i in ids.values()} == {STATUS_ENABLED}
    hosts = records[DRIFTED]
    dkim = next(h for h in hosts if "._domainkey." in h)
    broken = {h: ([r[0], BROKEN_DKIM] if h == dkim else r) for h, r in hosts.items() if not h.startswith("sl.")}
    publish(server, DRIFTED, broken)
    for _ in range(2):
        clock.advance(DAY)
        sweep(ctx, user)
    clock.advance(DAY)
    return ids


@pytest.fixture
def drifted(ctx, alice, clock, tui_dns) -> dict[str, int]:
    """harbour.example drifted and driftwood.example steady (both by the sweep), then the
    sample domains: {ascii domain: id}."""
    ids = make_drifted(ctx, alice, clock, tui_dns)
    return {**ids, **seed_sample(ctx, alice, clock.now())}


@pytest.fixture
def drift_app(ctx, alice, clock, drifted):
    return build_app(ctx, alice, clock)
