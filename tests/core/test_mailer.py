"""user.senderdomain.sendtest against real aiosmtpd servers on loopback."""

from __future__ import annotations

import logging
import re

import pytest

from core.cache import build_cache
from core.errors import INVALID_PARAMETER, RATE_LIMITED, ApiError
from core.service import SenderDomainService
from tests.core.smtp_server import (
    Authenticator,
    LoopbackController,
    RecordingHandler,
    SilentListener,
    free_port_refusing,
    make_test_ca,
)

MESSAGE_ID = re.compile(r"^senderdomaintest_[0-9a-f]{13}\.[0-9]{8}$")
SECRET = "s3cret-Pa55word!"


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("smtp-ca"))


@pytest.fixture
def smtp_server():
    """``start(handler, **controller_kwargs)`` runs an aiosmtpd server on 127.0.0.1."""
    started: list[LoopbackController] = []

    def start(handler: RecordingHandler | None = None, **kwargs) -> LoopbackController:
        controller = LoopbackController(handler or RecordingHandler(), **kwargs)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def domain(ctx, alice):
    return ctx.service.create_domain(alice, {"SenderDomain": "example.com"})


def use_relay(ctx, port: int, security: str = "none", **smtp) -> None:
    ctx.settings.smtp.host = "127.0.0.1"
    ctx.settings.smtp.port = port
    ctx.settings.smtp.security = security
    ctx.settings.smtp.timeout = smtp.pop("timeout", 5.0)
    for key, value in smtp.items():
        setattr(ctx.settings.smtp, key, value)


async def sendtest(ctx, user, **params):
    return await ctx.api.dispatch_async({"Command": "user.senderdomain.sendtest", **params}, user=user)


def error_of(body: dict) -> tuple[int, str]:
    (error,) = body["Errors"]
    return error["Code"], error["Message"]


# ---- delivery ------------------------------------------------------------------------------


async def test_plain_delivery_builds_the_spec_message(ctx, alice, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 200, body
    assert body["Success"] is True
    assert body["DomainID"] == domain.id
    assert body["SenderDomain"] == "example.com"
    assert body["To"] == "ops@example.org"
    assert body["Subject"] == "Sender domain test from example.com"
    assert MESSAGE_ID.match(body["MessageID"]), body["MessageID"]

    (got,) = handler.messages
    assert got.mail_from == "test@sl.example.com"  # envelope sender on the MFROM domain
    assert got.rcpt_tos == ["ops@example.org"]
    msg = got.message
    assert msg["From"] == "test@example.com"
    assert msg["To"] == "ops@example.org"
    assert msg["Subject"] == "Sender domain test from example.com"
    assert msg["Message-ID"] == f"<{body['MessageID']}@sl.example.com>"
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    page = msg.get_body(("html",)).get_content()
    for artifact in ("test@example.com", "sl.example.com", "track-sl.example.com"):
        assert artifact in text
        assert artifact in page
    assert '<a href="http://track-sl.example.com/">track-sl.example.com</a>' in page
    assert body["MessageID"] in text


async def test_custom_subdomain_subject_and_disabled_tracking(ctx, alice, smtp_server):
    view = ctx.service.create_domain(
        alice, {"SenderDomain": "bücher.example", "CustomSubdomain": "bounce", "TrackPrefixDisabled": True}
    )
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port, from_prefix="postmaster")

    status, body = await sendtest(ctx, alice, DomainID=str(view.id), to="Ops@Example.ORG", subject="  Prüfung ✓ 1 ")

    assert status == 200, body
    assert body["SenderDomain"] == "bücher.example"
    assert body["Subject"] == "Prüfung ✓ 1"
    (got,) = handler.messages
    assert got.mail_from == "postmaster@bounce.xn--bcher-kva.example"
    assert got.rcpt_tos == ["Ops@example.org"]
    msg = got.message
    assert msg["From"] == "postmaster@xn--bcher-kva.example"
    assert msg["Subject"] == "Prüfung ✓ 1"
    page = msg.get_body(("html",)).get_content()
    assert "<a href" not in page
    assert "disabled for this domain" in msg.get_body(("plain",)).get_content()


async def test_starttls_with_a_private_ca(ctx, alice, domain, smtp_server, test_ca):
    handler = RecordingHandler()
    server = smtp_server(handler, tls_context=test_ca.server_context(), require_starttls=True)
    use_relay(ctx, server.port, "starttls", ca_file=str(test_ca.ca_file))

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 200, body
    (got,) = handler.messages
    assert got.message["Message-ID"] == f"<{body['MessageID']}@sl.example.com>"


async def test_implicit_tls(ctx, alice, domain, smtp_server, test_ca):
    handler = RecordingHandler()
    server = smtp_server(handler, ssl_context=test_ca.server_context())
    use_relay(ctx, server.port, "tls", ca_file=str(test_ca.ca_file))

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 200, body
    assert len(handler.messages) == 1


async def test_auth_over_starttls(ctx, alice, domain, smtp_server, test_ca):
    handler = RecordingHandler()
    server = smtp_server(
        handler,
        tls_context=test_ca.server_context(),
        require_starttls=True,
        authenticator=Authenticator("relayuser", SECRET),
        auth_required=True,
    )
    use_relay(ctx, server.port, "starttls", ca_file=str(test_ca.ca_file), username="relayuser", password=SECRET)

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 200, body
    (got,) = handler.messages
    assert got.authenticated_as == "relayuser"


async def test_wrong_password_is_code_11_and_never_echoed(ctx, alice, domain, smtp_server, test_ca, caplog):
    caplog.set_level(logging.DEBUG)
    handler = RecordingHandler()
    server = smtp_server(
        handler,
        tls_context=test_ca.server_context(),
        require_starttls=True,
        authenticator=Authenticator("relayuser", "the-right-one"),
        auth_required=True,
    )
    use_relay(ctx, server.port, "starttls", ca_file=str(test_ca.ca_file), username="relayuser", password=SECRET)

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert "535" in message
    assert SECRET not in repr(body) and SECRET not in caplog.text
    assert SECRET not in repr(ctx.settings.redacted())
    assert handler.messages == []


async def test_credentials_are_not_sent_in_the_clear_to_a_remote_relay(ctx, alice, domain, monkeypatch):
    import aiosmtplib

    async def must_not_connect(*args, **kwargs):
        raise AssertionError("a connection to a non-loopback relay was attempted")

    # The guard must refuse before any name lookup or connection: fail loudly if it did not.
    monkeypatch.setattr(aiosmtplib.SMTP, "connect", must_not_connect)
    use_relay(ctx, free_port_refusing(), "none", username="relayuser", password=SECRET)
    ctx.settings.smtp.host = "relay.example.net"

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11 and "without TLS" in message and SECRET not in message


# ---- delivery failures: code 11, HTTP 502, the server's reason -------------------------------


async def test_connection_refused(ctx, alice, domain):
    use_relay(ctx, free_port_refusing())

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert message.startswith("Test message delivery failed: 127.0.0.1:")
    assert "refused" in message.lower()


async def test_recipient_refused_carries_the_server_reason(ctx, alice, domain, smtp_server):
    handler = RecordingHandler(refuse={"nobody@example.org"})
    use_relay(ctx, smtp_server(handler).port)

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="nobody@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert "550 5.1.1" in message and "User unknown" in message
    assert handler.messages == []


async def test_server_that_never_greets_times_out(ctx, alice, domain):
    silent = SilentListener()
    try:
        use_relay(ctx, silent.port, timeout=0.5)
        status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
    finally:
        silent.close()

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert "0.5 s" in message or "timed out" in message.lower()


async def test_server_that_stalls_in_data_times_out(ctx, alice, domain, smtp_server):
    handler = RecordingHandler(hang_in_data=True)
    use_relay(ctx, smtp_server(handler).port, timeout=0.5)

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    assert error_of(body)[0] == 11


async def test_starttls_required_but_not_offered(ctx, alice, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port, "starttls")

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert "STARTTLS" in message
    assert handler.messages == []


async def test_untrusted_certificate_is_refused(ctx, alice, domain, smtp_server, test_ca):
    handler = RecordingHandler()
    server = smtp_server(handler, tls_context=test_ca.server_context(), require_starttls=True)
    use_relay(ctx, server.port, "starttls")  # no ca_file: the private CA is not trusted

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 502
    code, message = error_of(body)
    assert code == 11
    assert "certificate" in message.lower()
    assert handler.messages == []


# ---- the spec's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, 1),
        ({"DomainID": "", "to": "ops@example.org"}, 1),
        ({"DomainID": 999999, "to": "ops@example.org"}, 2),
        ({"to": None}, 3),
        ({"to": "   "}, 3),
        ({}, 3),
        ({"to": "not-an-address"}, 8),
        ({"to": "ops@localhost"}, 8),
        ({"to": "a@b@example.org"}, 8),
        ({"to": "Ops <ops@example.org>"}, 8),
        ({"to": "ops@example.org, other@example.org"}, 8),
        ({"to": "ops@example.org\r\nBcc: victim@example.net"}, 8),
        ({"to": "ops@example.org\nX-Injected: 1"}, 8),
        ({"to": "ops\u2028@example.org"}, 8),
        ({"to": ["ops@example.org"]}, 8),
        ({"to": "ops@example.org", "subject": "hello\r\nBcc: victim@example.net"}, INVALID_PARAMETER),
        ({"to": "ops@example.org", "subject": "hello\nthere"}, INVALID_PARAMETER),
        ({"to": "ops@example.org", "subject": "x" * 256}, INVALID_PARAMETER),
        ({"to": "ops@example.org", "subject": 42}, INVALID_PARAMETER),
    ],
)
async def test_bad_input_is_coded_and_nothing_is_sent(ctx, alice, domain, smtp_server, params, code):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)
    if code != 1 and "DomainID" not in params:
        params = {"DomainID": domain.id, **params}

    status, body = await sendtest(ctx, alice, **params)

    assert status in (400, 404), body
    assert error_of(body)[0] == code
    assert handler.messages == []


async def test_someone_elses_domain_is_not_found(ctx, alice, bob, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)

    status, body = await sendtest(ctx, bob, DomainID=domain.id, to="ops@example.org")

    assert (status, error_of(body)[0]) == (404, 2)
    assert handler.messages == []


async def test_demo_mode_answers_99(ctx, alice, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)
    ctx.settings.demo = True

    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")

    assert status == 403
    assert error_of(body) == (99, "Not available in demo mode")
    assert handler.messages == []


async def test_eleventh_send_in_five_minutes_is_refused(ctx, clock, alice, bob, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)

    for _ in range(10):
        status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
        assert status == 200, body
        clock.advance(20)  # ten sends spread over 200 s
    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
    assert status == 429
    code, message = error_of(body)
    assert code == RATE_LIMITED and "10 test messages per 5 minutes" in message
    assert len(handler.messages) == 10

    # Another user has a window of their own.
    bobs = ctx.service.create_domain(bob, {"SenderDomain": "example.net"})
    assert (await sendtest(ctx, bob, DomainID=bobs.id, to="ops@example.org"))[0] == 200

    # The first send leaves the window 300 s after it was made.
    clock.advance(100)
    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
    assert status == 200, body
    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
    assert status == 429
    assert len(handler.messages) == 12


async def test_rate_limit_state_is_shared_not_per_process(ctx, clock, alice, domain, smtp_server):
    """A second service with its own, freshly built limiter sees the first one's sends."""
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)
    for _ in range(10):
        assert (await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org"))[0] == 200

    cache, limiter = build_cache(ctx.settings.cache_url, clock)
    other = SenderDomainService(ctx.settings, clock, cache, limiter)
    with pytest.raises(Exception) as refused:
        await other.send_test(alice, domain.id, "ops@example.org")
    assert getattr(refused.value, "code", None) == RATE_LIMITED
    assert len(handler.messages) == 10


async def test_failed_sends_count_against_the_limit(ctx, alice, domain):
    use_relay(ctx, free_port_refusing())
    for _ in range(10):
        assert (await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org"))[0] == 502
    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
    assert (status, error_of(body)[0]) == (429, RATE_LIMITED)


async def test_message_ids_are_unique(ctx, alice, domain, smtp_server):
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)
    ids = set()
    for _ in range(5):
        status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org")
        ids.add(body["MessageID"])
    assert len(ids) == 5
    assert len({m.message["Message-ID"] for m in handler.messages}) == 5


# ---- the command line ------------------------------------------------------------------------


def test_senderdeck_api_sendtest(ctx, alice, domain, smtp_server, monkeypatch, tmp_path, capsys):
    import json

    from tui.__main__ import main

    handler = RecordingHandler()
    server = smtp_server(handler)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("SENDERDECK_CONFIG", "SENDERDECK_API_KEY", "SENDERDECK_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SENDERDECK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SENDERDECK_SMTP_PORT", str(server.port))
    monkeypatch.setenv("SENDERDECK_SMTP_SECURITY", "none")
    monkeypatch.setenv("SENDERDECK_SMTP_PASSWORD", SECRET)  # set, but never printed
    args = ["--database", ctx.settings.database, "--user", "alice"]
    if ctx.settings.cache_url:
        args += ["--cache-url", ctx.settings.cache_url]

    code = main([*args, "api", "sendtest", f"DomainID={domain.id}", "to=ops@example.org", "subject=From the CLI"])

    out = capsys.readouterr()
    assert code == 0, out
    body = json.loads(out.out)
    assert body["Subject"] == "From the CLI" and MESSAGE_ID.match(body["MessageID"])
    assert SECRET not in out.out + out.err
    (got,) = handler.messages
    assert got.message["Subject"] == "From the CLI"


@pytest.mark.parametrize(
    "params",
    [
        {"to": "ops@example.org", "subject": "hello \ud800 there"},
        {"to": "ops\udc00@example.org"},
        {"to": "ops@exa\ud83dmple.org"},
    ],
)
async def test_a_lone_surrogate_is_code_12_and_takes_no_slot(ctx, alice, domain, smtp_server, params):
    # Issue 11.13: a lone surrogate in subject or to answered 500 after taking a rate-limit slot.
    handler = RecordingHandler()
    use_relay(ctx, smtp_server(handler).port)
    for _ in range(12):  # more than the 10 slots: none may be used up
        status, body = await sendtest(ctx, alice, DomainID=domain.id, **params)
        assert (status, error_of(body)[0]) == (400, INVALID_PARAMETER), body
        assert "Unicode" in error_of(body)[1]
    # The TUI's path, straight into the service, refuses it the same way.
    with pytest.raises(ApiError) as refused:
        await ctx.service.send_test(alice, domain.id, params["to"], params.get("subject"))
    assert refused.value.code == INVALID_PARAMETER
    status, body = await sendtest(ctx, alice, DomainID=domain.id, to="ops@example.org", subject="fine")
    assert status == 200, body
    assert len(handler.messages) == 1
