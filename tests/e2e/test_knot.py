"""Verify against Knot DNS, a real authoritative server, started on a free loopback port.

The zone file is written with ``core.records.zone_snippet`` (TXT values split into 255-byte
strings, as a person pastes them), plus an oversized TXT that only fits over TCP. Skipped
only when knotd is not installed (``.ci/setup`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import pytest

from core.models import STATUS_ENABLED, STATUS_PENDING
from core.records import zone_snippet

pytestmark = pytest.mark.e2e

KNOTD = shutil.which("knotd") or ("/usr/sbin/knotd" if os.path.exists("/usr/sbin/knotd") else None)
NEGATIVE_TTL = 180


def free_udp_and_tcp_port() -> int:
    """A loopback port free for both UDP and TCP right now: knotd binds both."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


class Knot:
    def __init__(self, root: Path, zones: dict[str, str]) -> None:
        self.root = root
        self.port = free_udp_and_tcp_port()
        (root / "zones").mkdir(parents=True)
        (root / "db").mkdir()
        for origin, text in zones.items():
            (root / "zones" / f"{origin}.zone").write_text(text)
        zone_lines = "\n".join(f"  - domain: {origin}" for origin in zones)
        (root / "knot.conf").write_text(
            f"""server:
    rundir: "{root}"
    listen: 127.0.0.1@{self.port}
log:
  - target: stderr
    any: warning
database:
    storage: "{root / 'db'}"
control:
    listen: "{root / 'knot.sock'}"
template:
  - id: default
    storage: "{root / 'zones'}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
{zone_lines}
"""
        )
        self.log = open(root / "knotd.log", "wb")
        self.process = subprocess.Popen([KNOTD, "-c", str(root / "knot.conf")], stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, origin: str, within: float = 15.0) -> None:
        """Until the server answers the zone's SOA (or exits, or ``within`` seconds pass)."""
        query = dns.message.make_query(origin, "SOA")
        give_up = time.monotonic() + within
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                break
            try:
                response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.2)
                if response.answer:
                    return
            except (dns.exception.Timeout, OSError):
                continue
        self.stop()
        raise AssertionError(f"knotd did not start: {(self.root / 'knotd.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def zone_text(origin: str, records: dict, extra: str = "") -> str:
    head = (
        f"$ORIGIN {origin}.\n$TTL 600\n"
        f"@ IN SOA ns1.{origin}. hostmaster.{origin}. 1 3600 600 86400 {NEGATIVE_TTL}\n"
        f"@ IN NS ns1.{origin}.\nns1 IN A 127.0.0.1\n"
    )
    return head + zone_snippet(records, ttl=600) + extra


@pytest.fixture
def knot(tmp_path):
    if KNOTD is None:
        pytest.skip("knotd is not installed (.ci/setup installs it)")
    servers = []

    def start(zones: dict[str, str]) -> Knot:
        for attempt in range(3):  # another process may take the port between choosing and binding it
            server = Knot(tmp_path / f"knot{len(servers)}", zones)
            servers.append(server)
            try:
                server.wait_ready(next(iter(zones)))
                return server
            except AssertionError as failed:
                if "address already in use" not in str(failed) or attempt == 2:
                    raise

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def settings(settings, backend):
    settings.dns.timeout = 1.0
    settings.dns.deadline = 5.0
    return settings


async def verify(ctx, user, domain_id):
    return await ctx.api.dispatch_async({"APIKey": user.api_key, "Command": "user.senderdomain.verify", "DomainID": domain_id})


async def test_verify_against_knot_enables_a_correct_domain(ctx, alice, knot, settings):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    records = view.verification_meta["DNSRecords"]
    big = '"' + '" "'.join(["b" * 255] * 16) + '"'  # 4 KB: only fits over TCP
    server = knot({"example.com": zone_text("example.com", records, f"big IN TXT {big}\n")})
    settings.nameservers = [f"127.0.0.1:{server.port}"]
    status, body = await verify(ctx, alice, view.id)
    assert status == 200, body
    assert (body["IsVerified"], body["Status"]) == (True, STATUS_ENABLED), ctx.service.get_domain(alice, view.id).verification_meta
    from core.probe import Prober

    result = await Prober([f"127.0.0.1:{server.port}"], timeout=1, deadline=5).lookup("big.example.com", "TXT")
    assert result.values == ("b" * 255 * 16,)


async def test_verify_against_knot_reports_missing_and_wrong_records(ctx, alice, knot, settings):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.net"})
    records = dict(view.verification_meta["DNSRecords"])
    dkim_host = next(h for h in records if "._domainkey." in h)
    del records[dkim_host]
    records["sl.example.net"] = ["CNAME", "elsewhere.example.net."]
    server = knot({"example.net": zone_text("example.net", records, "elsewhere IN A 192.0.2.1\n")})
    settings.nameservers = [f"127.0.0.1:{server.port}"]
    _, body = await verify(ctx, alice, view.id)
    assert (body["IsVerified"], body["Status"]) == (False, STATUS_PENDING)
    checks = ctx.service.get_domain(alice, view.id).verification_meta["Checks"]
    assert checks[dkim_host]["State"] == "missing" and checks[dkim_host]["NegativeTTL"] == NEGATIVE_TTL
    assert checks["sl.example.net"]["State"] == "mismatched"
    assert checks["sl.example.net"]["Found"] == ["elsewhere.example.net."]
    assert checks["example.net"]["State"] == "matched"
