"""The operator API (core/operator.py): every tenant's domains, actions as the domain's owner
through the service's rules, suspension, and every action recorded as the domain's history.
Real loopback DNS for verify, a real aiosmtpd relay for sendtest, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest

from core import errors, history
from core.errors import ApiError
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED, DomainEventRow, SenderDomain
from core.operator import AmbiguousDomain, OperatorActions, current_actor, parse_reason
from tests.conftest import FROZEN_NOW
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)
from tests.core.smtp_server import LoopbackController, RecordingHandler


def create(ctx, user, name):
    view = ctx.service.create_domain(user, {"SenderDomain": name})
    return view.id, view.verification_meta["DNSRecords"]


def status(domain_id):
    return SenderDomain.get_by_id(domain_id).status


@pytest.fixture
def ops(ctx):
    return OperatorActions(ctx.service, "ops-anna")


@pytest.fixture
def relay(ctx):
    handler = RecordingHandler()
    controller = LoopbackController(handler)
    controller.start()
    ctx.settings.smtp.host, ctx.settings.smtp.port, ctx.settings.smtp.security = "127.0.0.1", controller.port, "none"
    yield handler
    controller.stop()


# ---- reads across tenants -----------------------------------------------------------------


def test_every_tenant_reads_fill_the_owner_and_the_api_stays_per_tenant(ctx, alice, bob):
    a, _ = create(ctx, alice, "alice.example")
    b, _ = create(ctx, bob, "bob.example")
    shared_alice, _ = create(ctx, alice, "shared.example")
    shared_bob, _ = create(ctx, bob, "shared.example")
    rows = ctx.service.domain_rows(None)
    assert [(v.display_name, v.owner) for v in rows] == [
        ("alice.example", "alice"), ("bob.example", "bob"), ("shared.example", "alice"), ("shared.example", "bob"),
    ]
    assert [v.owner for v in ctx.service.domain_rows(None, [b, shared_alice])] == ["bob", "alice"]
    assert {v.id for v in ctx.service.domain_rows(alice)} == {a, shared_alice}
    assert {v.owner for v in ctx.service.list_domains(alice)} == {"alice"}
    assert set(ctx.service.domain_figures(None)) == {a, b, shared_alice, shared_bob}
    assert ctx.service.get_domain(bob, b).owner == "bob"
    assert ctx.service.cached_dns_hosts(None, [a, b]) == {a: None, b: None}
    assert ctx.service.cached_dns_hosts(alice, [a, b]) == {a: None}  # a tenant never sees another's
    assert ctx.service.user_count() == 2
    _, body = ctx.api.dispatch({"APIKey": alice.api_key, "Command": "user.senderdomain.list"})
    assert [d["SenderDomain"] for d in body["SenderDomains"]] == ["alice.example", "shared.example"]
    assert all("Owner" not in d for d in body["SenderDomains"])


def test_find_by_id_or_name_across_tenants_and_a_shared_name_needs_its_owner(ctx, ops, alice, bob):
    a, _ = create(ctx, alice, "bücher.example")
    shared_alice, _ = create(ctx, alice, "shared.example")
    shared_bob, _ = create(ctx, bob, "shared.example")
    assert ops.find(str(a)).id == a and ops.find("BÜCHER.example.").owner == "alice"
    assert ops.find("xn--bcher-kva.example").id == a
    with pytest.raises(AmbiguousDomain) as held:
        ops.find("shared.example")
    assert held.value.owners == ["alice", "bob"] and held.value.code == errors.INVALID_PARAMETER
    assert ops.find("shared.example", owner="bob").id == shared_bob
    assert ops.find(str(shared_alice), owner="alice").id == shared_alice
    for ref, owner in (("missing.example", None), (str(shared_bob), "alice"), ("999999", None)):
        with pytest.raises(ApiError) as missing:
            ops.find(ref, owner=owner)
        assert missing.value.code == errors.NOT_FOUND
    ctx.service.delete_domain(alice, a)
    with pytest.raises(ApiError):
        ops.find(str(a))


# ---- suspension -----------------------------------------------------------------------------


def test_suspend_records_who_when_and_why_and_unsuspend_goes_back_to_pending(ctx, ops, alice, clock):
    domain_id, _ = create(ctx, alice, "example.com")
    SenderDomain.update(status=STATUS_ENABLED).where(SenderDomain.id == domain_id).execute()
    view = ops.suspend(domain_id, "  phishing complaints from abuse desk #4411 ")
    assert view.status == STATUS_SUSPENDED == status(domain_id)
    assert ops.suspension_reason(domain_id) == "phishing complaints from abuse desk #4411"
    clock.advance(3600)
    assert ops.unsuspend(domain_id).status == STATUS_PENDING == status(domain_id)  # never straight back to Enabled
    assert ops.suspension_reason(domain_id) is None
    assert ops.history(domain_id) == [
        history.DomainEvent(FROZEN_NOW + dt.timedelta(hours=1), "ops-anna", "unsuspend", None, {"StatusBefore": STATUS_SUSPENDED, "Status": STATUS_PENDING}),
        history.DomainEvent(FROZEN_NOW, "ops-anna", "suspend", "phishing complaints from abuse desk #4411", {"StatusBefore": STATUS_ENABLED, "Status": STATUS_SUSPENDED}),
    ]


@pytest.mark.parametrize(
    "reason, code",
    [(None, errors.MISSING_PARAMETER), ("   ", errors.MISSING_PARAMETER), ("two\nlines", errors.INVALID_PARAMETER),
     ("\u202eevil", errors.INVALID_PARAMETER), ("x" * 501, errors.INVALID_PARAMETER), (42, errors.INVALID_PARAMETER)],
)
def test_a_suspension_without_a_usable_reason_is_refused_and_changes_nothing(ctx, ops, alice, reason, code):
    domain_id, _ = create(ctx, alice, "example.com")
    with pytest.raises(ApiError) as refused:
        ops.suspend(domain_id, reason)
    assert refused.value.code == code
    assert status(domain_id) == STATUS_PENDING and DomainEventRow.select().count() == 0


def test_suspending_twice_or_unsuspending_a_live_domain_is_code_9_and_changes_nothing(ctx, ops, alice):
    domain_id, _ = create(ctx, alice, "example.com")
    with pytest.raises(ApiError) as refused:
        ops.unsuspend(domain_id)
    assert refused.value.code == errors.INVALID_STATUS
    ops.suspend(domain_id, "abuse")
    with pytest.raises(ApiError) as again:
        ops.suspend(domain_id, "abuse again")
    assert again.value.code == errors.INVALID_STATUS
    assert [e.action for e in ops.history(domain_id)] == ["suspend"]
    ctx.service.delete_domain(alice, domain_id)
    with pytest.raises(ApiError) as gone:
        ops.unsuspend(domain_id)
    assert gone.value.code == errors.NOT_FOUND


async def test_no_tenant_path_lifts_a_suspension(ctx, ops, alice, dns_server):
    """Issue 11 item 1 still holds with the operator's suspension: update, verify, re-create
    (live or after delete) and verifyall leave it Suspended; sendtest refuses it."""
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)  # every record correct: a verify would enable it
    ops.suspend(domain_id, "abuse")

    async def api(**params):
        return (await ctx.api.dispatch_async({"APIKey": alice.api_key, **params}))[1]

    assert (await api(Command="user.senderdomain.update", DomainID=domain_id, status="Enabled"))["Errors"][0]["Code"] == errors.INVALID_STATUS
    assert (await api(Command="user.senderdomain.verify", DomainID=domain_id))["Status"] == STATUS_SUSPENDED
    assert (await api(Command="user.senderdomain.verify", verifyall=True))["Domains"] == []  # not pending: not among them
    assert (await api(Command="user.senderdomain.create", SenderDomain="example.com"))["SenderDomain"]["Status"] == STATUS_SUSPENDED
    sent = await api(Command="user.senderdomain.sendtest", DomainID=domain_id, to="ops@example.net")
    assert sent["Errors"][0]["Code"] == errors.SUSPENDED
    await api(Command="user.senderdomain.delete", DomainID=domain_id)
    await api(Command="user.senderdomain.create", SenderDomain="example.com")
    assert status(domain_id) == STATUS_SUSPENDED


async def test_verify_all_skips_suspended_domains(ctx, ops, alice, bob, dns_server):
    pending, records = create(ctx, alice, "pending.example")
    suspended, suspended_records = create(ctx, bob, "suspended.example")
    publish(dns_server, "pending.example", records)
    publish(dns_server, "suspended.example", suspended_records)
    ops.suspend(suspended, "abuse")
    checked = [d.domain_id async for bulk in ops.verify_all_pending() for d in bulk.domains]
    assert checked == [pending]
    assert status(pending) == STATUS_ENABLED and status(suspended) == STATUS_SUSPENDED
    assert [e.detail for e in ops.history(pending)] == [{"StatusBefore": STATUS_PENDING, "Status": STATUS_ENABLED, "Verified": True}]
    assert ops.history(suspended)[0].action == "suspend"


# ---- actions as the owner, recorded ------------------------------------------------------------


async def test_actions_run_as_the_owner_under_the_service_rules_and_are_recorded(ctx, ops, alice, bob, dns_server):
    domain_id, records = create(ctx, bob, "example.com")
    with pytest.raises(ApiError) as not_paused:
        ops.resume(domain_id)
    assert not_paused.value.code == errors.INVALID_STATUS and status(domain_id) == STATUS_PENDING
    publish(dns_server, "example.com", records)
    outcome = await ops.verify(domain_id, "customer says DNS is fixed")
    assert outcome.is_verified and outcome.status == STATUS_ENABLED
    assert ops.pause(domain_id).status == STATUS_DISABLED
    assert ops.resume(domain_id).status == STATUS_ENABLED
    view, regenerated = ops.edit(domain_id, {"CustomSubdomain": "em"})
    assert regenerated and view.status == STATUS_PENDING and view.options["CustomSubdomain"] == "em"
    ops.delete(domain_id, "customer left")
    assert status(domain_id) == "Deleted"
    events = ops.history(domain_id)
    assert [(e.action, e.actor) for e in events] == [
        ("delete", "ops-anna"), ("edit", "ops-anna"), ("resume", "ops-anna"), ("pause", "ops-anna"), ("verify", "ops-anna"),
    ]
    assert events[0].reason == "customer left" and events[4].reason == "customer says DNS is fixed"
    assert events[1].detail == {"Changed": {"CustomSubdomain": "em"}, "DnsRegenerated": True, "StatusBefore": STATUS_ENABLED, "Status": STATUS_PENDING}
    assert events[4].detail == {"StatusBefore": STATUS_PENDING, "Status": STATUS_ENABLED, "Verified": True}
    assert all(e.at == FROZEN_NOW for e in events)
    with pytest.raises(ApiError):
        ops.pause(domain_id)  # deleted: not found, and nothing recorded
    assert len(ops.history(domain_id)) == 5


async def test_send_test_goes_through_the_owners_limit_and_a_suspended_domain_is_refused(ctx, ops, alice, relay):
    domain_id, _ = create(ctx, alice, "example.com")
    outcome = await ops.send_test(domain_id, "ops@example.net")
    assert outcome.to == "ops@example.net" and len(relay.messages) == 1
    (event,) = ops.history(domain_id)
    assert event.action == "send_test" and event.detail["MessageID"] == outcome.message_id
    ops.suspend(domain_id, "abuse")
    with pytest.raises(ApiError) as refused:
        await ops.send_test(domain_id, "ops@example.net")
    assert refused.value.code == errors.SUSPENDED and len(relay.messages) == 1
    assert [e.action for e in ops.history(domain_id)] == ["suspend", "send_test"]


async def test_bulk_actions_give_one_result_per_domain_and_a_refusal_stops_nothing(ctx, ops, alice, bob, dns_server):
    good, records = create(ctx, alice, "good.example")
    publish(dns_server, "good.example", records)
    broken, _ = create(ctx, bob, "broken.example")
    already, _ = create(ctx, bob, "already.example")
    ops.suspend(already, "abuse")
    verified = await ops.apply("verify", [good, broken, 999999])
    assert [(r.domain_id, r.done, r.status) for r in verified] == [(good, True, STATUS_ENABLED), (broken, True, STATUS_PENDING), (999999, False, None)]
    assert verified[2].code == errors.NOT_FOUND
    suspended = await ops.apply("suspend", [good, already, broken], reason="spam run")
    assert [(r.done, r.code) for r in suspended] == [(True, None), (False, errors.INVALID_STATUS), (True, None)]
    assert status(good) == status(broken) == STATUS_SUSPENDED
    assert ops.suspension_reason(good) == "spam run" and ops.suspension_reason(already) == "abuse"
    resumed = await ops.apply("resume", [good])
    assert resumed[0].done is False and resumed[0].code == errors.INVALID_STATUS
    with pytest.raises(ApiError) as no_reason:
        await ops.apply("suspend", [good], reason="")
    assert no_reason.value.code == errors.MISSING_PARAMETER
    with pytest.raises(ApiError):
        await ops.apply("delete", [good])  # not a bulk action


def test_the_actor_is_one_line_and_defaults_to_the_os_user(ctx):
    assert current_actor()
    for bad in ("", "  ", "eve\nroot"):
        with pytest.raises(ApiError):
            OperatorActions(ctx.service, bad)
    assert parse_reason("  ok ", required=False) == "ok" and parse_reason(None, required=False) is None


async def test_an_operator_narrowed_to_one_tenant_acts_on_that_tenants_domains_only(ctx, alice, bob, dns_server):
    mine, records = create(ctx, alice, "mine.example")
    theirs, _ = create(ctx, bob, "theirs.example")
    ops = OperatorActions(ctx.service, "ops-anna", tenant=alice)
    publish(dns_server, "mine.example", records)
    assert (await ops.verify(mine)).status == STATUS_ENABLED
    for act in (lambda: ops.pause(theirs), lambda: ops.suspend(theirs, "abuse"), lambda: ops.find("theirs.example")):
        with pytest.raises(ApiError) as refused:
            act()
        assert refused.value.code == errors.NOT_FOUND
    assert status(theirs) == STATUS_PENDING and ops.history(theirs) == []
    assert [bulk.domains for bulk in [b async for b in ops.verify_all_pending()]] == []  # bob's pending one is not alice's
    assert status(theirs) == STATUS_PENDING
