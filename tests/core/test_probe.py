"""core.probe against a real authoritative server on loopback (core.localdns)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from core.dns_channels import Channels
from core.localdns import LocalDNS
from core.probe import (
    NODATA,
    NXDOMAIN,
    OK,
    SERVFAIL,
    TIMEOUT,
    DeadlineExceeded,
    ProbeError,
    ProbeServfail,
    ProbeTimeout,
    Prober,
)
from core.settings import DnsSettings
from tests.core.dnskit import prober_for

ZONE = """
$TTL 600
@       IN SOA ns1 hostmaster 1 3600 600 86400 120
@       IN NS  ns1
ns1     IN A   127.0.0.1
@       IN TXT "v=spf1 include:spf.platform.example ~all"
@       IN TXT "unrelated=1"
split   IN TXT "first-half-" "second-half"
sl      IN CNAME rp.platform.example.
web     IN A   192.0.2.10
deep.a.b IN TXT "deep"
hop     IN CNAME target.other.example.
"""


@pytest.fixture(params=["socket per query", "shared sockets"], autouse=True)
async def transport(request, monkeypatch):
    """Every test twice: as verify asks (a socket per query) and as a sweep asks (shared UDP
    sockets, core/dns_channels.py; rotated every 2 queries here, so rotation is exercised)."""
    if request.param == "socket per query":
        yield
        return
    pools = []
    plain_init = Prober.__init__

    def sharing_init(self, *args, **kwargs):
        plain_init(self, *args, **kwargs)
        self.channels = Channels(queries_per_socket=2)
        pools.append(self.channels)

    monkeypatch.setattr(Prober, "__init__", sharing_init)
    yield
    for pool in pools:
        pool.close()


@pytest.fixture
def server():
    with LocalDNS(
        {"example.com": ZONE, "other.example": {"target": [("TXT", "at the end of the chain")]}},
        servfail=["broken.example.com"],
        silent=["quiet.example.com"],
        truncate=["sl.example.com"],
    ) as srv:
        yield srv


async def test_answers_nxdomain_and_nodata_are_kept_apart(server):
    prober = prober_for(server)
    txt = await prober.lookup("EXAMPLE.com", "TXT")
    assert txt.status == OK and set(txt.values) == {"v=spf1 include:spf.platform.example ~all", "unrelated=1"}
    nxdomain = await prober.lookup("nothing.example.com", "TXT")
    nodata = await prober.lookup("web.example.com", "TXT")
    assert (nxdomain.status, nodata.status) == (NXDOMAIN, NODATA)
    # RFC 2308: min(SOA TTL, SOA minimum); the SOA owner names the zone apex.
    assert nxdomain.negative_ttl == 120 and nxdomain.zone == "example.com."
    assert nodata.negative_ttl == 120
    # An empty non-terminal exists: NODATA, not NXDOMAIN.
    assert (await prober.lookup("a.b.example.com", "TXT")).status == NODATA


async def test_split_txt_strings_are_joined(server):
    result = await prober_for(server).lookup("split.example.com", "TXT")
    assert result.values == ("first-half-second-half",)


async def test_truncated_udp_answer_is_retried_over_tcp(server):
    result = await prober_for(server).lookup("sl.example.com", "CNAME")
    assert result.values == ("rp.platform.example.",)
    assert [q[2] for q in server.queries if q[0] == "sl.example.com."] == ["udp", "tcp"]


async def test_answer_too_big_for_edns_payload_comes_over_tcp(server):
    server.set_zone("big.example", {"@": [("TXT", "k" * 4096)]})
    result = await prober_for(server).lookup("big.example", "TXT")
    assert result.values == ("k" * 4096,)
    assert [q[2] for q in server.queries if q[0] == "big.example."] == ["udp", "tcp"]


async def test_servfail_is_retried_then_reported(server):
    prober = prober_for(server, retries=2)
    result = await prober.lookup("broken.example.com", "TXT")
    assert result.status == SERVFAIL and not result.answered
    assert sum(1 for q in server.queries if q[0] == "broken.example.com.") == 3
    with pytest.raises(ProbeServfail) as err:
        await prober.query("broken.example.com", "TXT")
    assert isinstance(err.value, ProbeError) and err.value.name == "broken.example.com."


async def test_answers_are_never_retried(server):
    prober = prober_for(server, retries=3)
    await prober.lookup("nothing.example.com", "TXT")
    assert sum(1 for q in server.queries if q[0] == "nothing.example.com.") == 1


async def test_silent_server_times_out_per_query(server):
    prober = prober_for(server, timeout=0.2, retries=1)
    result = await prober.lookup("quiet.example.com", "TXT")
    assert result.status == TIMEOUT and result.detail != "deadline"  # per query, not the call's deadline
    assert sum(1 for q in server.queries if q[0] == "quiet.example.com.") == 2
    with pytest.raises(ProbeTimeout):
        await prober.query("quiet.example.com", "TXT")


async def test_overall_deadline_is_a_hard_cap(server):
    # Per-query timeout and retries would allow 3 x 5 s; the deadline stops everything at 0.3 s.
    prober = prober_for(server, timeout=5.0, retries=2, deadline=0.3)
    quiet, fine = await asyncio.gather(prober.lookup("quiet.example.com", "TXT"), prober.lookup("example.com", "TXT"))
    assert quiet.status == TIMEOUT and quiet.detail == "deadline"
    assert fine.status == OK  # answers that came in time are kept
    with pytest.raises(DeadlineExceeded):
        await prober.query("quiet.example.com", "TXT")


async def test_port_nothing_listens_on_is_could_not_check():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never read: a black hole
        prober = Prober([f"127.0.0.1:{sock.getsockname()[1]}"], timeout=0.2, deadline=2, retries=0)
        result = await prober.lookup("example.com", "TXT")
    assert result.status == TIMEOUT and not result.answered


async def test_refused_outside_served_zones(server):
    result = await prober_for(server).lookup("example.org", "TXT")
    assert not result.answered and "REFUSED" in result.detail


async def test_the_loopback_server_answers_in_zone_order():
    addresses = [f"192.0.2.{n}" for n in (9, 3, 7, 1, 5)]
    with LocalDNS({"order.example": {"@": [("A", a) for a in addresses]}}) as srv:
        prober = Prober([srv.address], timeout=2, deadline=10, retries=0)
        answers = [(await prober.lookup("order.example", "A")).values for _ in range(8)]
    assert answers == [tuple(addresses)] * 8  # never shuffled: the same evidence every run


async def test_cname_chain_into_another_zone_is_followed(server):
    prober = prober_for(server)
    result = await prober.lookup("hop.example.com", "TXT")
    assert result.status == OK and result.values == ("at the end of the chain",)
    assert result.chain == ("target.other.example.",)
    cname = await prober.lookup("hop.example.com", "CNAME")
    assert cname.values == ("target.other.example.",)


async def test_each_name_is_asked_once_per_call(server):
    prober = prober_for(server)
    await asyncio.gather(*(prober.lookup("Example.COM.", "TXT") for _ in range(5)))
    assert sum(1 for q in server.queries if q[0] == "example.com.") == 1


async def test_queries_in_flight_are_bounded():
    zone = {f"n{i}": [("TXT", str(i))] for i in range(30)}
    with LocalDNS({"bound.example": zone}, delay=0.05) as srv:
        prober = Prober([srv.address], timeout=2, deadline=10, retries=0, max_in_flight=5)
        results = await asyncio.gather(*(prober.lookup(f"n{i}.bound.example", "TXT") for i in range(30)))
    assert [r.values for r in results] == [(str(i),) for i in range(30)]
    assert 1 < srv.peak_in_flight <= 5


async def test_all_lookups_run_concurrently_within_the_bound():
    zone = {f"n{i}": [("TXT", str(i))] for i in range(40)}
    with LocalDNS({"fast.example": zone}, delay=0.1) as srv:
        prober = Prober([srv.address], timeout=2, deadline=10, retries=0, max_in_flight=64)
        results = await asyncio.gather(*(prober.lookup(f"n{i}.fast.example", "TXT") for i in range(40)))
    assert srv.peak_in_flight == 40  # all out at once (how long that takes: tests/bench/lookups.py)
    assert all(r.status == OK for r in results)


async def test_internationalised_and_underscore_names(server):
    server.set_zone("xn--bcher-kva.example", {"_dmarc": [("TXT", "v=DMARC1; p=none")], "_x._y": [("TXT", "ok")]})
    prober = prober_for(server)
    assert (await prober.lookup("_dmarc.xn--bcher-kva.example", "TXT")).values == ("v=DMARC1; p=none",)
    assert (await prober.lookup("_x._y.xn--bcher-kva.example", "TXT")).values == ("ok",)


async def test_from_settings_uses_the_configured_port(server):
    prober = Prober.from_settings([server.address], DnsSettings(timeout=0.5, deadline=2, retries=0, max_in_flight=4))
    assert (await prober.lookup("web.example.com", "A")).values == ("192.0.2.10",)
    assert prober.resolver.nameservers[0].port == server.port


async def test_mixed_ports_fall_through_to_the_next_nameserver(server):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dead:
        dead.bind(("127.0.0.1", 0))
        prober = Prober([f"127.0.0.1:{dead.getsockname()[1]}", server.address], timeout=0.3, deadline=3, retries=1)
        result = await prober.lookup("web.example.com", "A")
    assert result.values == ("192.0.2.10",)
