"""core.dns_channels: many queries on shared UDP sockets, against a real UDP server on loopback
that answers out of order, sends a stray answer first, or answers with garbage."""

from __future__ import annotations

import asyncio
import random
import socket

import dns.exception
import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from core.dns_channels import Channels
from core.localdns import free_port


class Server(asyncio.DatagramProtocol):
    """Answers a TXT query with the name asked, after a random delay (so out of order);
    ``stray_first``: first a well-formed answer with the query's ID to another question;
    ``garbage``: names whose answer is bytes no parser reads (with the query's ID)."""

    def __init__(self, stray_first: bool = False, garbage: frozenset[str] = frozenset()) -> None:
        self.ports: list[int] = []
        self.unanswered: dict[int, int] = {}  # source port: queries received, not yet answered
        self.peak_per_port = 0
        self.stray_first = stray_first
        self.garbage = garbage
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.ports.append(addr[1])
        self.unanswered[addr[1]] = self.unanswered.get(addr[1], 0) + 1
        self.peak_per_port = max(self.peak_per_port, self.unanswered[addr[1]])
        query = dns.message.from_wire(data)
        asyncio.get_running_loop().call_later(random.random() * 0.02, self.answer, query, addr)

    def answer(self, query: dns.message.Message, addr) -> None:
        self.unanswered[addr[1]] -= 1
        name = query.question[0].name
        if name.to_text() in self.garbage:
            self.transport.sendto(query.id.to_bytes(2, "big") + b"\x81\x80 not a message", addr)
            return
        if self.stray_first:
            stray = dns.message.make_query("stray.example.", "TXT")
            stray.id = query.id
            self.transport.sendto(self._response(stray, "stray").to_wire(), addr)
        self.transport.sendto(self._response(query, name.to_text()).to_wire(), addr)

    @staticmethod
    def _response(query: dns.message.Message, text: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.answer.append(dns.rrset.from_text(query.question[0].name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, f'"{text}"'))
        return response


@pytest.fixture
async def udp_server():
    servers = []

    async def start(**options) -> tuple[Server, int]:
        loop = asyncio.get_running_loop()
        transport, server = await loop.create_datagram_endpoint(lambda: Server(**options), local_addr=("127.0.0.1", 0))
        servers.append(transport)
        return server, transport.get_extra_info("sockname")[1]

    yield start
    for transport in servers:
        transport.close()


def txt_of(response: dns.message.Message) -> str:
    return b"".join(response.answer[0][0].strings).decode()


async def ask_all(channels: Channels, port: int, names: list[str], timeout: float = 2.0, in_flight: int = 64) -> list[str]:
    """Every name asked, at most ``in_flight`` at once (as the prober bounds them)."""
    bound = asyncio.Semaphore(in_flight)

    async def one(name: str) -> str:
        async with bound:
            response, _tcp = await channels.exchange(dns.message.make_query(name, "TXT"), "127.0.0.1", port=port, timeout=timeout)
        return txt_of(response)

    return await asyncio.gather(*(one(n) for n in names))


async def test_answers_out_of_order_reach_their_own_queries_and_sockets_rotate(udp_server):
    server, port = await udp_server()
    names = [f"d{i}.example." for i in range(300)]
    async with Channels(queries_per_socket=50) as channels:
        assert await ask_all(channels, port, names) == names
    assert len(server.ports) == 300
    assert 6 <= len(set(server.ports)) <= 20  # a fresh source port every 50 queries, not one per query


async def test_a_socket_carries_a_bounded_number_of_queries_at_once(udp_server):
    server, port = await udp_server()
    async with Channels(in_flight_per_socket=8) as channels:
        # 64 at once: several sockets side by side, none carrying more than 8 at a time.
        assert await ask_all(channels, port, [f"b{i}.example." for i in range(64)], in_flight=64) == [f"b{i}.example." for i in range(64)]
    assert server.peak_per_port == 8 and len(set(server.ports)) >= 4


async def test_a_stray_answer_with_the_same_id_is_not_taken_for_the_query(udp_server):
    _server, port = await udp_server(stray_first=True)
    names = [f"s{i}.example." for i in range(40)]
    async with Channels() as channels:
        assert await ask_all(channels, port, names) == names


async def test_garbage_answers_fail_their_own_query_only(udp_server):
    _server, port = await udp_server(garbage=frozenset({"bad.example."}))
    async with Channels() as channels:
        bad = asyncio.ensure_future(ask_all(channels, port, ["bad.example."]))
        good = await ask_all(channels, port, ["good.example.", "fine.example."])
        assert good == ["good.example.", "fine.example."]
        with pytest.raises(dns.exception.DNSException):
            await bad


async def test_no_answer_is_a_timeout_and_no_listener_an_os_error():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # bound, never read: the query goes nowhere
    try:
        async with Channels() as channels:
            with pytest.raises(dns.exception.Timeout):
                await ask_all(channels, silent.getsockname()[1], ["x.example."], timeout=0.2)
            with pytest.raises(OSError):  # loopback says "port unreachable" at once
                await ask_all(channels, free_port(), ["x.example."], timeout=2.0)
    finally:
        silent.close()


async def test_closing_the_pool_closes_its_sockets(udp_server):
    _server, port = await udp_server()
    channels = Channels(queries_per_socket=5)
    await ask_all(channels, port, [f"c{i}.example." for i in range(12)])
    transports = [channel.transport for channel in channels._open]
    assert transports and not all(t.is_closing() for t in transports)
    channels.close()
    assert all(t.is_closing() for t in transports) and channels.closed
