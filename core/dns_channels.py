"""UDP sockets shared by many DNS queries in flight, for a sweep's tens of thousands.

``dns.asyncquery.udp_with_fallback`` opens and closes a socket for every query; at a sweep's
rate that costs about a tenth of the time of the whole exchange. A ``Channels`` pool keeps
one connected UDP socket per nameserver and matches each answer to its query by ID and
question, so many queries share it; a socket is retired after ``QUERIES_PER_SOCKET`` queries
(closed once its last answer is in), so the source port still changes as a sweep goes on
and an off-path forger must guess it as well as the 16-bit ID; and a socket carries at most
``IN_FLIGHT_PER_SOCKET`` queries at once (more open beside it), so the answers arriving
together fit its receive buffer.

The semantics are ``udp_with_fallback``'s, the prober's error handling unchanged: the
answer, or ``dns.exception.Timeout`` when none came within ``timeout`` (the TCP fallback
included), ``OSError`` when the nameserver cannot be reached (an ICMP error on the
socket), a ``DNSException`` for an answer that cannot be parsed. A truncated answer is
asked again over TCP. An answer whose question is not the query's is ignored (a late answer
to a query that gave up, whose ID was given again), never taken for this one's.
"""

from __future__ import annotations

import asyncio
import secrets

import dns.asyncquery
import dns.exception
import dns.message

QUERIES_PER_SOCKET = 256
IN_FLIGHT_PER_SOCKET = 32


class _Channel(asyncio.DatagramProtocol):
    """One connected UDP socket and the queries waiting for an answer on it."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, tuple[dns.message.Message, asyncio.Future]] = {}
        self.sent = 0
        self.retired = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        entry = self.waiting.get(int.from_bytes(data[:2], "big")) if len(data) >= 2 else None
        if entry is None or entry[1].done():
            return  # nobody asked (any more): a late or stray datagram
        query, answer = entry
        try:
            response = dns.message.from_wire(data, raise_on_truncation=True)
        except dns.message.Truncated as truncated:
            if query.is_response(truncated.message()):
                answer.set_exception(truncated)
            return
        except Exception as exc:  # the nameserver's answer to this ID cannot be read
            answer.set_exception(exc)
            return
        if query.is_response(response):
            answer.set_result(response)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error (port unreachable…) on a connected socket: every query on it failed.
        self._fail_all(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all(exc or ConnectionError("socket closed"))

    def _fail_all(self, exc: Exception) -> None:
        for _query, answer in self.waiting.values():
            if not answer.done():
                answer.set_exception(exc)

    async def ask(self, query: dns.message.Message) -> dns.message.Message:
        query.id = self._free_id(query.id)
        answer = asyncio.get_running_loop().create_future()
        self.waiting[query.id] = (query, answer)
        self.sent += 1
        try:
            assert self.transport is not None
            self.transport.sendto(query.to_wire())
            return await answer
        finally:
            del self.waiting[query.id]
            if self.retired and not self.waiting:
                self.close()

    @property
    def broken(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def retire(self) -> None:
        """No more queries: closed once the last answer is in (or now, when none is awaited)."""
        self.retired = True
        if not self.waiting:
            self.close()

    def _free_id(self, wanted: int) -> int:
        while wanted in self.waiting:
            wanted = secrets.randbits(16)
        return wanted

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _Server:
    """The sockets open to one nameserver, and the one being opened."""

    def __init__(self) -> None:
        self.active: list[_Channel] = []
        self.opening: asyncio.Future[_Channel] | None = None


class Channels:
    """A pool of shared UDP sockets per nameserver. Close it when the work is done (``async
    with`` does)."""

    def __init__(self, queries_per_socket: int = QUERIES_PER_SOCKET, in_flight_per_socket: int = IN_FLIGHT_PER_SOCKET) -> None:
        self.queries_per_socket = queries_per_socket
        self.in_flight_per_socket = in_flight_per_socket
        self._servers: dict[tuple[str, int], _Server] = {}
        self._open: list[_Channel] = []  # every socket not closed yet, retired ones included
        self.closed = False

    async def __aenter__(self) -> "Channels":
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.close()

    async def exchange(self, query: dns.message.Message, address: str, *, port: int, timeout: float) -> tuple[dns.message.Message, bool]:
        """(the answer, whether it came over TCP), as ``udp_with_fallback`` gives it."""
        try:
            async with asyncio.timeout(timeout) as within:
                channel = await self._channel(address, port)
                try:
                    return await channel.ask(query), False  # no await between choosing and asking
                except dns.message.Truncated:
                    left = max(0.0, within.when() - asyncio.get_running_loop().time())
                    return await dns.asyncquery.tcp(query, address, timeout=left, port=port), True
        except TimeoutError:
            raise dns.exception.Timeout(timeout=timeout) from None

    async def _channel(self, address: str, port: int) -> _Channel:
        """A socket to the nameserver with room for one more query: an open one, or a new one
        when each is full (``in_flight_per_socket``: a socket's receive buffer holds the
        answers that arrive at once) or used up (``queries_per_socket``: a fresh port)."""
        server = self._servers.setdefault((address, port), _Server())
        while True:
            for channel in list(server.active):
                if channel.sent >= self.queries_per_socket or channel.broken:
                    server.active.remove(channel)
                    channel.retire()
                elif len(channel.waiting) < self.in_flight_per_socket:
                    return channel
            if server.opening is None:
                server.opening = asyncio.ensure_future(self._new_channel(address, port))
                server.opening.add_done_callback(lambda _f, server=server: setattr(server, "opening", None))
            await asyncio.shield(server.opening)  # then choose again: others may have taken its room

    async def _new_channel(self, address: str, port: int) -> _Channel:
        loop = asyncio.get_running_loop()
        _transport, channel = await loop.create_datagram_endpoint(_Channel, remote_addr=(address, port))
        if self.closed:
            channel.close()
            raise ConnectionError("the DNS socket pool is closed")
        self._servers[(address, port)].active.append(channel)
        self._open = [c for c in self._open if not c.broken]
        self._open.append(channel)
        return channel

    def close(self) -> None:
        self.closed = True
        for server in self._servers.values():
            if server.opening is not None:
                server.opening.cancel()
        for channel in self._open:
            channel.close()
        self._open.clear()
        self._servers.clear()
