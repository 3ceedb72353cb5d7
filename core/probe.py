"""The one place that owns DNS lookup policy.

A ``Prober`` asks DNS for one verify call, through dnspython's asyncio query functions:

- the configured nameservers, each with its own port (``HOST[:PORT]``), or the system's (as
  dnspython's resolver reads them), tried in order;
- EDNS0 with a 1232-byte payload; a truncated UDP answer is retried over TCP;
- a timeout per query (a hard cap on each exchange) and a hard deadline for the whole call
  (``asyncio.timeout_at``);
- retries on transient failures only (timeout, SERVFAIL, a socket error), never on an answer;
- a semaphore bounding the queries in flight, and one lookup per (name, type) per call.

``lookup`` never raises: it returns a ``Result`` whose ``status`` keeps NXDOMAIN, NODATA,
SERVFAIL and timeout apart. ``query`` is the same lookup raising the typed ``ProbeError``s.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Callable, Iterable

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype

from core.dns_channels import Channels
from core.errors import SenderdeckError, SettingsError
from core.settings import DnsSettings, parse_nameserver

EDNS_PAYLOAD = 1232
MAX_CHAIN = 8  # CNAME hops followed for one lookup

OK = "ok"
NXDOMAIN = "nxdomain"
NODATA = "nodata"
SERVFAIL = "servfail"
TIMEOUT = "timeout"
ERROR = "error"  # REFUSED, FORMERR, a malformed answer: not transient, still "could not check"
ANSWERED = (OK, NXDOMAIN, NODATA)


class ProbeError(SenderdeckError):
    """A lookup that could not be answered; the name and type it was for are attached."""

    status = ERROR

    def __init__(self, name: str, rdtype: str, detail: str = "") -> None:
        self.name = name
        self.rdtype = rdtype
        self.detail = detail
        super().__init__(f"{rdtype} {name}: {detail or self.status}")


class ProbeTimeout(ProbeError):
    status = TIMEOUT


class DeadlineExceeded(ProbeTimeout):
    """The call's overall deadline ran out before this lookup finished."""


class ProbeServfail(ProbeError):
    status = SERVFAIL


class ProbeRefused(ProbeError):
    """The server answered REFUSED, FORMERR or garbage: it will not answer this name."""


@dataclass(frozen=True)
class Result:
    name: str  # the name asked for, lower case with a trailing dot
    rdtype: str
    status: str
    values: tuple[str, ...] = ()  # TXT: each record's strings joined; names with a trailing dot
    chain: tuple[str, ...] = ()  # CNAME targets followed on the way (non-CNAME lookups)
    negative_ttl: int | None = None  # NXDOMAIN / NODATA: how long resolvers may cache it
    zone: str | None = None  # the SOA owner in a negative answer: the zone apex
    detail: str = ""

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED

    @property
    def exists(self) -> bool:
        return self.status == OK and bool(self.values)


def _now() -> float:
    return asyncio.get_running_loop().time()


def absolute(name: str) -> str:
    """``Example.COM`` -> ``example.com.`` (names compare case-insensitively, dot or not)."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def _nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    host, port = parse_nameserver(text)
    try:
        ipaddress.ip_address(host)
        address = host
    except ValueError:
        try:
            address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0]
        except OSError as exc:
            raise SettingsError(f"nameserver {text!r}: cannot resolve {host} ({exc})") from None
    return dns.nameserver.Do53Nameserver(address, port)


def build_resolver(nameservers: Iterable[str], timeout: float) -> dns.asyncresolver.Resolver:
    """An asyncio resolver for ``HOST[:PORT]`` nameservers (the system's when none): the
    prober's list of nameservers, and a resolver configured as the prober asks (for
    comparison in tests/bench/sweep.py)."""
    servers = [_nameserver(s) for s in nameservers]
    resolver = dns.asyncresolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = servers
    resolver.use_edns(0, 0, EDNS_PAYLOAD)
    resolver.timeout = timeout  # per nameserver
    resolver.lifetime = timeout * max(1, len(resolver.nameservers))
    resolver.retry_servfail = False
    resolver.cache = None
    resolver.search = []
    return resolver


def _text(rdata) -> str:
    rdtype = rdata.rdtype
    if rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR, dns.rdatatype.DNAME):
        return rdata.target.to_text().lower()
    if rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {rdata.exchange.to_text().lower()}"
    return rdata.to_text()


def _negative(response: dns.message.Message | None) -> tuple[int | None, str | None]:
    """RFC 2308: a negative answer may be cached for min(SOA TTL, SOA minimum)."""
    if response is None:
        return None, None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return min(rrset.ttl, rrset[0].minimum), rrset.name.to_text().lower()
    return None, None


@dataclass
class QueryLog:
    """What a prober and its forks put on the wire: how many queries, and each answer's
    latency in seconds to whoever listens (the sweep's figures, ``/metrics``)."""

    sent: int = 0
    listeners: list[Callable[[float], None]] = field(default_factory=list)


class Prober:
    def __init__(
        self,
        nameservers: Iterable[str] = (),
        *,
        timeout: float = 2.0,
        deadline: float = 10.0,
        retries: int = 2,
        max_in_flight: int = 64,
        resolver: dns.asyncresolver.Resolver | None = None,
    ) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.retries = max(0, retries)
        self.resolver = resolver or build_resolver(nameservers, timeout)
        # (address, port) of each nameserver, in order (the system's, read by the resolver, when none given).
        self._server_list = [
            (ns, self.resolver.port) if isinstance(ns, str) else (ns.address, ns.port) for ns in self.resolver.nameservers
        ]
        self._semaphore = asyncio.Semaphore(max(1, max_in_flight))
        self._memo: dict[tuple[str, str], asyncio.Future] = {}
        self._deadline_at: float | None = None
        self.log = QueryLog()
        # Shared UDP sockets (core/dns_channels.py) while ``sharing_sockets`` is entered: a
        # sweep's many queries; otherwise a socket per query, as dnspython opens them.
        self.channels: Channels | None = None

    @contextlib.asynccontextmanager
    async def sharing_sockets(self):
        """Queries of this prober and its forks share UDP sockets until the block ends."""
        async with Channels() as channels:
            self.channels = channels
            try:
                yield self
            finally:
                self.channels = None

    @property
    def sent(self) -> int:
        """Queries put on the wire by this prober and its forks (attempts, retries included)."""
        return self.log.sent

    def fork(self) -> "Prober":
        """A prober for one more verify call that shares this one's resolver, policy, bound on
        queries in flight and query log, with a deadline and remembered answers of its own:
        a sweep gives each domain one, so a domain gets the whole ``deadline`` however many
        others are checked beside it, and ``max_in_flight`` bounds them all together."""
        child = object.__new__(Prober)
        child.__dict__.update(self.__dict__)
        child._memo = {}
        child._deadline_at = None
        return child

    @classmethod
    def from_settings(cls, nameservers: Iterable[str], dns_settings: DnsSettings) -> "Prober":
        return cls(
            nameservers,
            timeout=dns_settings.timeout,
            deadline=dns_settings.deadline,
            retries=dns_settings.retries,
            max_in_flight=dns_settings.max_in_flight,
        )

    def _deadline(self) -> float:
        """The loop time at which every lookup of this call gives up (set by the first one)."""
        if self._deadline_at is None:
            self._deadline_at = asyncio.get_running_loop().time() + self.deadline
        return self._deadline_at

    async def lookup(self, name: str, rdtype: str) -> Result:
        """The answer for (name, type); asked once per call, however many checks need it.

        The first caller looks it up itself (no task of its own: a sweep makes tens of
        thousands of lookups); later callers wait for its answer, and look it up again
        themselves if the first caller was cancelled before it had one."""
        key = (absolute(name), rdtype.upper())
        while True:
            future = self._memo.get(key)
            if future is None:
                break
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # this caller was cancelled, not the lookup
        future = asyncio.get_running_loop().create_future()
        self._memo[key] = future
        try:
            result = await self._lookup(*key)
        except BaseException:
            self._memo.pop(key, None)
            future.cancel()
            raise
        future.set_result(result)
        return result

    async def query(self, name: str, rdtype: str) -> Result:
        """Like ``lookup`` but raising ``ProbeError`` when the name could not be checked."""
        result = await self.lookup(name, rdtype)
        if result.answered:
            return result
        error = {TIMEOUT: ProbeTimeout, SERVFAIL: ProbeServfail}.get(result.status, ProbeRefused)
        if result.detail == "deadline":
            error = DeadlineExceeded
        raise error(result.name, result.rdtype, result.detail)

    async def _lookup(self, name: str, rdtype: str) -> Result:
        try:
            async with asyncio.timeout_at(self._deadline()):
                chain: list[str] = []
                current = name
                while True:
                    result = await self._resolve(current, rdtype)
                    if result.status != OK or result.values or rdtype == "CNAME" or not result.chain:
                        break
                    # The answer stopped at a CNAME into another zone: follow it ourselves.
                    target = result.chain[-1]
                    chain.extend(result.chain)
                    if len(chain) > MAX_CHAIN or target in chain[:-1] or target == name:
                        return Result(name, rdtype, ERROR, chain=tuple(chain), detail="CNAME loop or chain too long")
                    current = target
                chain.extend(result.chain)
                return Result(name, rdtype, result.status, result.values, tuple(chain), result.negative_ttl, result.zone, result.detail)
        except TimeoutError:
            return Result(name, rdtype, TIMEOUT, detail="deadline")

    async def _resolve(self, name: str, rdtype: str) -> Result:
        """One lookup with retries on transient failures; the chain in one answer is kept."""
        result = Result(name, rdtype, ERROR)
        for _attempt in range(self.retries + 1):
            result = await self._attempt(name, rdtype)
            if result.status not in (TIMEOUT, SERVFAIL):
                return result
        return result

    async def _attempt(self, name: str, rdtype: str) -> Result:
        """One query to the nameservers in turn (each at most ``timeout``, never past the
        call's deadline): dnspython's query functions straight, not its Resolver, whose
        bookkeeping per lookup costs more CPU than the query itself when a sweep asks tens of
        thousands; their ``timeout`` is a hard cap on the whole exchange, TCP fallback
        included."""
        async with self._semaphore:
            log = self.log
            log.sent += 1
            started = _now() if log.listeners else 0.0
            try:
                response, failure = await self._exchange(name, rdtype)
            finally:
                if log.listeners:
                    elapsed = _now() - started
                    for listener in log.listeners:
                        listener(elapsed)
        if response is None:
            return failure
        if response.rcode() == dns.rcode.NXDOMAIN:
            ttl, zone = _negative(response)
            return Result(name, rdtype, NXDOMAIN, negative_ttl=ttl, zone=zone)
        chain = []
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME and rdtype != "CNAME" and len(rrset):
                chain.append(rrset[0].target.to_text().lower())
        try:
            answer = response.resolve_chaining().answer
        except dns.exception.DNSException as exc:  # a chain that does not fit the question
            return Result(name, rdtype, ERROR, detail=type(exc).__name__)
        if answer is None:
            ttl, zone = _negative(response)
            return Result(name, rdtype, NODATA if not chain else OK, chain=tuple(chain), negative_ttl=ttl, zone=zone)
        return Result(name, rdtype, OK, tuple(_text(r) for r in answer), tuple(chain))

    async def _exchange(self, name: str, rdtype: str) -> tuple[dns.message.Message | None, Result]:
        """(the first NOERROR or NXDOMAIN response, None) or (None, why none came)."""
        loop = asyncio.get_running_loop()
        query = dns.message.make_query(dns.name.from_text(name), rdtype, use_edns=0, payload=EDNS_PAYLOAD)
        failures: list[Result] = []
        for address, port in self._server_list:
            left = self._deadline() - loop.time()
            if left <= 0:
                return None, Result(name, rdtype, TIMEOUT, detail="deadline")
            try:
                within = min(self.timeout, left)
                if self.channels is not None and not self.channels.closed:
                    response, _tcp = await self.channels.exchange(query, address, port=port, timeout=within)
                else:
                    response, _tcp = await dns.asyncquery.udp_with_fallback(query, address, timeout=within, port=port)
            except dns.exception.Timeout:
                detail = "deadline" if left < self.timeout else f"no answer within {self.timeout:g} s"
                failures.append(Result(name, rdtype, TIMEOUT, detail=detail))
                continue
            except (OSError, EOFError) as exc:
                failures.append(Result(name, rdtype, TIMEOUT, detail=f"nameserver unreachable ({type(exc).__name__})"))
                continue
            except (dns.exception.DNSException, ValueError) as exc:  # a malformed answer
                failures.append(Result(name, rdtype, ERROR, detail=type(exc).__name__))
                continue
            rcode = response.rcode()
            if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return response, failures[0] if failures else Result(name, rdtype, OK)
            status = SERVFAIL if rcode == dns.rcode.SERVFAIL else ERROR
            failures.append(Result(name, rdtype, status, detail=dns.rcode.to_text(rcode)))
        return None, self._failed(name, rdtype, failures)

    @staticmethod
    def _failed(name: str, rdtype: str, failures: list[Result]) -> Result:
        """What to report when no nameserver answered: SERVFAIL if one said so, a timeout if
        they all timed out or could not be reached, else what they answered."""
        if not failures:
            return Result(name, rdtype, ERROR, detail="no nameserver answered")
        if any(f.status == SERVFAIL for f in failures):
            return Result(name, rdtype, SERVFAIL, detail="SERVFAIL")
        if all(f.status == TIMEOUT for f in failures):
            return failures[-1]
        return Result(name, rdtype, ERROR, detail=", ".join(dict.fromkeys(f.detail for f in failures if f.status == ERROR)))


__all__ = [
    "Prober",
    "QueryLog",
    "Result",
    "ProbeError",
    "ProbeTimeout",
    "DeadlineExceeded",
    "ProbeServfail",
    "ProbeRefused",
    "build_resolver",
    "absolute",
]
