"""DNS test kit: a loopback authoritative server per test and settings pointed at it.

Import the fixtures into a test module (``from tests.core.dnskit import dns_server, settings``);
``settings`` then overrides the shared one so every resolver in the test is 127.0.0.1.
"""

from __future__ import annotations

import pytest

from core.localdns import LocalDNS, records_zone
from core.probe import Prober

# Generous enough that a loaded machine (2 cores, several suites at once) still answers in
# time; tests about timeouts set their own short ones.
FAST = dict(timeout=1.5, deadline=6.0, retries=1, max_in_flight=64)


@pytest.fixture
def dns_server():
    with LocalDNS() as server:
        yield server


@pytest.fixture
def settings(settings, dns_server, backend):  # naming `backend` keeps the per-backend parametrisation
    settings.nameservers = [dns_server.address]
    settings.dns.timeout = FAST["timeout"]
    settings.dns.deadline = FAST["deadline"]
    settings.dns.retries = FAST["retries"]
    return settings


def prober_for(server: LocalDNS, **overrides) -> Prober:
    return Prober([server.address], **{**FAST, **overrides})


def publish(server: LocalDNS, domain: str, records: dict, extra: dict | None = None) -> None:
    """Serve ``domain`` publishing ``records`` ({host: [Type, Value, ...]}) plus ``extra`` names."""
    zone = records_zone(domain, records)
    for rel, entries in (extra or {}).items():
        zone.setdefault(rel, []).extend(entries)
    server.set_zone(domain, zone)
