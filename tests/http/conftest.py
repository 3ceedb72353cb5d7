"""One `senderdeck serve` process for the HTTP tests, on a SQLite file, with its resolver
pointed at a loopback DNS server and its relay at a loopback aiosmtpd.

The test process opens the same database through ``core`` to create users and seed domains;
each test makes users of its own, so the per-user rate limit never carries from one test to
the next. Servers with other settings (workers, PostgreSQL, Redis, demo mode) are started by
the tests that need them, with ``start_server``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest

from core import db as dbmod
from core import users
from core.clock import SystemClock
from core.context import Context, build_context
from core.localdns import LocalDNS
from core.settings import Settings
from tests.conftest import shared_dkim_key
from tests.core.smtp_server import LoopbackController, RecordingHandler
from tests.http.serve import ServeProcess

# Short DNS limits keep a test about a silent name from waiting the production 10 s.
DNS_ENV = {"SENDERDECK_DNS_TIMEOUT": "1", "SENDERDECK_DNS_DEADLINE": "4", "SENDERDECK_DNS_RETRIES": "1"}
_names = itertools.count(1)


@pytest.fixture(scope="package")
def dns_server():
    with LocalDNS() as server:
        yield server


@pytest.fixture(scope="package")
def relay():
    handler = RecordingHandler()
    controller = LoopbackController(handler)
    controller.start()
    yield controller
    controller.stop()


def relay_env(relay) -> dict[str, str]:
    return {"SENDERDECK_SMTP_HOST": "127.0.0.1", "SENDERDECK_SMTP_PORT": str(relay.port), "SENDERDECK_SMTP_SECURITY": "none"}


@pytest.fixture(scope="package")
def start_server(tmp_path_factory, dns_server, relay):
    """Start `senderdeck serve` with the given settings; every one started is stopped at the end."""
    started: list[ServeProcess] = []

    def start(database: str | None = None, *, env: dict[str, str] | None = None, **kwargs) -> ServeProcess:
        workdir = tmp_path_factory.mktemp("serve")
        database = database or f"sqlite:///{workdir / 'senderdeck.db'}"
        kwargs.setdefault("nameservers", (dns_server.address,))
        server = ServeProcess(workdir, database=database, env={**DNS_ENV, **relay_env(relay), **(env or {})}, **kwargs)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="package")
def server(start_server) -> ServeProcess:
    return start_server()


def open_engine(server: ServeProcess) -> Context:
    """A server's database and cache, opened in the test process (for seeding and checking)."""
    return build_context(
        Settings(database=server.database, cache_url=server.cache_url), clock=SystemClock(), keygen=shared_dkim_key
    )


def bind(context: Context) -> Context:
    """Point the models at ``context``'s database (another test may have bound them elsewhere)."""
    dbmod.database.initialize(context.database)
    return context


@pytest.fixture(scope="package")
def _engine(server):
    context = open_engine(server)
    yield context
    context.close()


@pytest.fixture
def engine(_engine) -> Context:
    return bind(_engine)


class Caller:
    """A user of the server: httpx with its key, and the spec's routes by command name."""

    ROUTES = {
        "list": ("GET", "/api/v1/user.senderdomains"),
        "get": ("GET", "/api/v1/user.senderdomain"),
        "create": ("POST", "/api/v1/user.senderdomain"),
        "update": ("PATCH", "/api/v1/user.senderdomain"),
        "delete": ("DELETE", "/api/v1/user.senderdomain"),
        "verify": ("POST", "/api/v1/user.senderdomain.verify"),
        "dns": ("GET", "/api/v1/user.senderdomain.dns"),
        "sendtest": ("POST", "/api/v1/user.senderdomain.sendtest"),
        "dnshost": ("GET", "/api/v1/user.senderdomain.dnshost"),
    }

    def __init__(self, server: ServeProcess, user, key: str) -> None:
        self.server = server
        self.user = user
        self.key = key
        self.http = httpx.Client(base_url=server.base_url, timeout=30, trust_env=False)

    def call(self, command: str, **params) -> httpx.Response:
        """The command on its route: parameters in the query for GET and DELETE, in a JSON
        body otherwise (as the spec's examples send them), the key as a Bearer header."""
        method, path = self.ROUTES[command]
        headers = {"Authorization": f"Bearer {self.key}"}
        if method in ("GET", "DELETE"):
            return self.http.request(method, path, params=params, headers=headers)
        return self.http.request(method, path, json=params, headers=headers)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def make_user(engine, server):
    """A fresh user with its own rate-limit budget, as a ``Caller``."""
    callers: list[Caller] = []

    def make(name: str | None = None, *, on: ServeProcess | None = None, **kwargs) -> Caller:
        """A user in the database of ``on`` (bound by the caller), or of the shared server."""
        if on is None:
            bind(engine)
        user, key = users.create_user(name or f"user{next(_names)}", SystemClock(), **kwargs)
        caller = Caller(on or server, user, key)
        callers.append(caller)
        return caller

    yield make
    for caller in callers:
        caller.close()


@pytest.fixture
def alice(make_user) -> Caller:
    return make_user()


@pytest.fixture
def bob(make_user) -> Caller:
    return make_user()


def error_code(response: httpx.Response) -> int:
    """The one coded error of a response, checking the spec's error shape on the way."""
    assert response.headers["content-type"] == "application/json", response.text
    body = response.json()
    assert list(body) == ["Errors"], body
    [err] = body["Errors"]
    assert set(err) == {"Code", "Message"} and isinstance(err["Code"], int) and err["Message"], err
    return err["Code"]


ROOT = Path(__file__).resolve().parents[2]
