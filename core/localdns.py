"""A small authoritative DNS server on loopback, UDP and TCP, for tests, benchmarks and demo.

Built on dnspython's message and zone classes; it serves the zones it is given and nothing
else (REFUSED for other names). It runs its own event loop in a thread, so synchronous and
asynchronous callers can use it alike::

    with LocalDNS({"example.com": {"sl": [("CNAME", "rp.platform.example.")]}}) as server:
        settings.nameservers = [server.address]

Zones are BIND zone text or ``{relative name: [(type, value), ...]}`` dicts (``"@"`` is the
apex; a TXT value longer than 255 bytes is split into strings, a tuple of strings is kept
as given). An SOA and NS are added to dict zones. Misbehaviour on demand, per name:
``servfail`` answers SERVFAIL, ``silent`` never answers, ``truncate`` sets TC on every UDP
answer (the full answer comes over TCP); answers too big for the client's UDP payload are
truncated anyway. ``delay`` holds every answer back that many seconds; ``hold()`` holds
every answer back until ``release()`` (a test can then act while a lookup is in flight).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from typing import Iterable, Mapping, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import dns.zone

Records = Mapping[str, Sequence[tuple[str, object]]]
ZoneSource = str | Records

DEFAULT_TTL = 300
NEGATIVE_TTL = 300
MAX_CNAME_CHASE = 8


def _txt(value: object) -> dns.rdtypes.ANY.TXT.TXT:
    if isinstance(value, (tuple, list)):
        strings = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in value]
    else:
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]
        strings = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings)


def build_zone(origin: str, source: ZoneSource) -> dns.zone.Zone:
    """A zone from BIND text or a records dict (SOA and NS added when missing)."""
    origin_name = dns.name.from_text(origin)
    if isinstance(source, str):
        return dns.zone.from_text(source, origin_name, relativize=False, check_origin=True)
    zone = dns.zone.Zone(origin_name, relativize=False)
    for rel, entries in source.items():
        name = origin_name if rel in ("@", "") else dns.name.from_text(rel, origin_name)
        for rtype, value in entries:
            rdtype = dns.rdatatype.from_text(rtype)
            if rdtype == dns.rdatatype.TXT:
                rdata = _txt(value)
            else:
                rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, str(value), origin=origin_name, relativize=False)
            zone.find_rdataset(name, rdtype, create=True).add(rdata, DEFAULT_TTL)
    if zone.get_rdataset(origin_name, dns.rdatatype.SOA) is None:
        soa = f"ns1.{origin_name} hostmaster.{origin_name} 1 3600 600 86400 {NEGATIVE_TTL}"
        zone.find_rdataset(origin_name, dns.rdatatype.SOA, create=True).add(
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, soa), 3600
        )
    if zone.get_rdataset(origin_name, dns.rdatatype.NS) is None:
        zone.find_rdataset(origin_name, dns.rdatatype.NS, create=True).add(
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.NS, f"ns1.{origin_name}"), 3600
        )
    return zone


def records_zone(domain: str, records: Mapping[str, Sequence]) -> dict[str, list[tuple[str, object]]]:
    """A dict zone for ``domain`` publishing ``{host: [Type, Value, ...]}`` (the record template)."""
    zone: dict[str, list[tuple[str, object]]] = {}
    suffix = "." + domain.rstrip(".")
    for host, record in records.items():
        host = host.rstrip(".")
        rel = "@" if host == domain.rstrip(".") else host[: -len(suffix)] if host.endswith(suffix) else host + "."
        zone.setdefault(rel, []).append((str(record[0]), record[1]))
    return zone


class LocalDNS:
    def __init__(
        self,
        zones: Mapping[str, ZoneSource] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        servfail: Iterable[str] = (),
        silent: Iterable[str] = (),
        truncate: Iterable[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.delay = delay
        self.zones: dict[dns.name.Name, dns.zone.Zone] = {}
        for origin, source in (zones or {}).items():
            self.set_zone(origin, source)
        self.servfail = {dns.name.from_text(n) for n in servfail}
        self.silent = {dns.name.from_text(n) for n in silent}
        self.truncate = {dns.name.from_text(n) for n in truncate}
        self.queries: list[tuple[str, str, str]] = []  # (name, type, "udp" | "tcp")
        self.in_flight = 0  # answers being held back by ``delay`` right now
        self.peak_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._gate: asyncio.Event | None = None  # set: answers flow; cleared by hold()
        self._asked = threading.Condition()  # notified on every query, for wait_for_queries()

    # ---- zones ----------------------------------------------------------------------------

    def set_zone(self, origin: str, source: ZoneSource) -> None:
        zone = build_zone(origin, source)
        self.zones = {**self.zones, zone.origin: zone}

    def remove_zone(self, origin: str) -> None:
        name = dns.name.from_text(origin)
        self.zones = {k: v for k, v in self.zones.items() if k != name}

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as the ``nameservers`` setting takes it."""
        return f"{self.host}:{self.port}"

    def hold(self) -> None:
        """Hold every answer back (queries are still counted) until ``release()``."""
        self._on_loop(self._gate.clear)

    def release(self) -> None:
        """Send the held answers, and answer at once from now on."""
        self._on_loop(self._gate.set)

    def _on_loop(self, fn) -> None:
        if self._loop is None or self._gate is None:
            raise RuntimeError("the server is not running")
        asyncio.run_coroutine_threadsafe(self._call(fn), self._loop).result(timeout=10)

    @staticmethod
    async def _call(fn) -> None:
        fn()

    def wait_for_queries(self, count: int, timeout: float = 30.0) -> bool:
        """Block until at least ``count`` queries arrived (False if ``timeout`` passed first)."""
        with self._asked:
            return self._asked.wait_for(lambda: len(self.queries) >= count, timeout)

    # ---- answering ------------------------------------------------------------------------

    def _zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        """The served zone with the longest origin that contains ``name``."""
        zones = self.zones
        while True:
            zone = zones.get(name)
            if zone is not None:
                return zone
            if name == dns.name.root or len(name) <= 1:
                return None
            name = name.parent()

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        """The response to ``query``; None when the server is told to stay silent."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        if qname in self.silent:
            return None
        if qname in self.servfail:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        zone = self._zone_for(qname)
        if zone is None:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
            return response
        name = qname
        for _ in range(MAX_CNAME_CHASE):
            node = zone.get_node(name)
            if node is None:
                if name == qname and not self._empty_non_terminal(zone, name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                self._add_soa(response, zone)
                return response
            rdataset = node.get_rdataset(dns.rdataclass.IN, qtype)
            if rdataset is not None:
                response.answer.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
                return response
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or qtype == dns.rdatatype.CNAME:
                self._add_soa(response, zone)
                return response
            response.answer.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
            name = cname[0].target
            if name in self.silent or name in self.servfail:
                return response
            next_zone = self._zone_for(name)
            if next_zone is None:
                return response  # the target is elsewhere: the client follows it
            zone = next_zone
        return response

    @staticmethod
    def _empty_non_terminal(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
        return any(n != name and n.is_subdomain(name) for n in zone.nodes)

    @staticmethod
    def _add_soa(response: dns.message.Message, zone: dns.zone.Zone) -> None:
        soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
        if soa is not None:
            ttl = min(soa.ttl, soa[0].minimum)
            response.authority.append(dns.rrset.from_rdata_list(zone.origin, ttl, list(soa)))

    def _wire(self, query_wire: bytes, proto: str) -> bytes | None:
        try:
            query = dns.message.from_wire(query_wire)
        except dns.exception.DNSException:
            return None
        if query.question:
            q = query.question[0]
            with self._asked:
                self.queries.append((q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype), proto))
                self._asked.notify_all()
        response = self.answer(query)
        if response is None:
            return None
        # Records in zone order, not shuffled round-robin: what a lookup finds is the same on
        # every run (the demo stores what the verifier found; tests compare answers).
        if proto == "tcp":
            return response.to_wire(max_size=65535, want_shuffle=False)
        limit = max(512, query.payload) if query.edns >= 0 else 512
        if query.question and query.question[0].name in self.truncate:
            return self._truncated(response)
        try:
            return response.to_wire(max_size=limit, want_shuffle=False)
        except dns.exception.TooBig:
            return self._truncated(response)

    @staticmethod
    def _truncated(response: dns.message.Message) -> bytes:
        response.answer.clear()
        response.authority.clear()
        response.additional.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()

    async def _respond(self, query_wire: bytes, proto: str) -> bytes | None:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if not self._gate.is_set():
                # Parse (and count) the query now; answer it once released.
                wire = self._wire(query_wire, proto)
                await self._gate.wait()
                return wire
            return self._wire(query_wire, proto)
        finally:
            self.in_flight -= 1

    # ---- transports -----------------------------------------------------------------------

    class _Udp(asyncio.DatagramProtocol):
        def __init__(self, server: "LocalDNS") -> None:
            self.server = server
            self.transport: asyncio.DatagramTransport | None = None

        def connection_made(self, transport) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr) -> None:
            task = asyncio.ensure_future(self._reply(data, addr))
            self.server._tasks.add(task)
            task.add_done_callback(self.server._tasks.discard)

        async def _reply(self, data: bytes, addr) -> None:
            wire = await self.server._respond(data, "udp")
            if wire is not None and self.transport is not None and not self.transport.is_closing():
                self.transport.sendto(wire, addr)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(2)
                data = await reader.readexactly(struct.unpack("!H", header)[0])
                wire = await self._respond(data, "tcp")
                if wire is None:
                    continue  # silent: the client times out
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._gate = asyncio.Event()
        self._gate.set()
        for _ in range(20):
            transport, _proto = await loop.create_datagram_endpoint(
                lambda: LocalDNS._Udp(self), local_addr=(self.host, self.port)
            )
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._tcp_client, self.host, port, reuse_address=True)
            except OSError:
                transport.close()
                if self.port:
                    raise
                continue
            self._udp, self.port = transport, port
            return
        raise OSError("no free port for both UDP and TCP")

    async def _stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def start(self) -> "LocalDNS":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="localdns", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> "LocalDNS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (UDP), e.g. for a 'silent nameserver' test."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
