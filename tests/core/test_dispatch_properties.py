"""Arbitrary parameters never produce a traceback: always a success or a coded error, and an
error leaves stored data as it was."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings as hsettings, strategies as st

import pytest

from core.api import COMMANDS
from tests.backends import free_port
from tests.core.dnskit import dns_server  # noqa: F401  (fixture)
from core.models import SenderDomain, User

PARAM_NAMES = [
    "SenderDomain", "DomainID", "to", "subject", "LinkTracking", "OpenTracking", "UnsubscribeLink", "UseTrackingSubdomain",
    "TrackPrefixDisabled", "CustomSubdomain", "CustomTrackPrefix", "status", "days", "verifyall",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from([
        "1", "0", "true", "Enabled", "disabled", "em", "example.com", "localhost", "[/x]", "\x1b[31m", "bücher.de",
        "ops@example.com", "a@b\r\nBcc: x@y.example", "Subject\nInjected: 1",
    ]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ALL_COMMANDS = sorted(COMMANDS)


@pytest.fixture
def settings(settings, dns_server, backend):  # `backend` keeps the per-backend parametrisation
    """Every lookup goes to an empty loopback DNS server; every message to a closed loopback port."""
    settings.nameservers = [dns_server.address]
    settings.dns.timeout, settings.dns.deadline, settings.dns.retries = 1.5, 6.0, 0
    settings.smtp.host, settings.smtp.port, settings.smtp.security = "127.0.0.1", free_port(), "none"
    return settings


def stored_state():
    return json.dumps(
        [
            (r.id, r.user_id, r.domain, r.status, r.options, r.verification_meta, str(r.last_verified_at))
            for r in SenderDomain.select().order_by(SenderDomain.id)
        ]
        + [(u.id, u.api_key_hash, u.permissions) for u in User.select().order_by(User.id)],
        default=str,
    )


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(ALL_COMMANDS + ["", "user.senderdomain.", "USER.SENDERDOMAIN.LIST", None, 7]),
    params=st.dictionaries(st.sampled_from(PARAM_NAMES), VALUES, max_size=6),
    aim_at_seed=st.booleans(),
)
def test_dispatch_never_raises_and_errors_change_nothing(ctx, alice, command, params, aim_at_seed):
    live = SenderDomain.select().where(SenderDomain.status != "Deleted").first()
    seed = live or ctx.service.create_domain(alice, {"SenderDomain": "seed.example"})  # creates or revives
    if aim_at_seed:  # half the calls name a real domain, so they get past "not found"
        params["DomainID"] = str(seed.id)
    ctx.clock.advance(31)  # stay clear of the rate limits (sendtest: 10 per 5 minutes)
    before = stored_state()
    status, body = ctx.api.dispatch({**params, "Command": command, "APIKey": alice.api_key})
    json.dumps(body)  # always serialisable
    event(f"{command} -> {status}")
    if status == 200:
        assert body["Success"] is True
    else:
        assert set(body) == {"Errors"}
        [err] = body["Errors"]
        assert isinstance(err["Code"], int) and err["Code"] != 16, body  # 16 would be a bug
        assert isinstance(err["Message"], str) and err["Message"]
        assert stored_state() == before


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.text(max_size=12), VALUES, max_size=5))
def test_arbitrary_keys_and_non_mapping_params(ctx, alice, params):
    status, body = ctx.api.dispatch(params)
    assert status in (200, 400, 401, 404, 429) and ("Errors" in body or body.get("Success"))
    status, body = ctx.api.dispatch(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert status == 400 and body["Errors"][0]["Code"] == 12
