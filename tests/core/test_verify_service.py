"""user.senderdomain.verify end to end: API -> service -> probe -> loopback DNS -> database."""

from __future__ import annotations

import json
import math

import dns.name
import pytest

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, SenderDomain
from core.service import probe_cache_key
from tests.conftest import FROZEN_NOW
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)


def create(ctx, user, name, **options):
    view = ctx.service.create_domain(user, {"SenderDomain": name, **options})
    return view.id, view.verification_meta["DNSRecords"]


async def call(ctx, user, **params):
    status, body = await ctx.api.dispatch_async({"APIKey": user.api_key, **params})
    json.dumps(body)  # every answer is plain JSON
    return status, body


async def verify(ctx, user, domain_id):
    return await call(ctx, user, Command="user.senderdomain.verify", DomainID=domain_id)


def row(domain_id) -> SenderDomain:
    return SenderDomain.get_by_id(domain_id)


def without(records, host):
    return {h: r for h, r in records.items() if h != host}


async def test_all_records_match_enables_the_domain(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    status, body = await verify(ctx, alice, domain_id)
    assert status == 200
    assert body == {
        "Success": True,
        "DomainID": domain_id,
        "IsVerified": True,
        "Status": STATUS_ENABLED,
        "DNSRecords": {h: [r[0], r[1], True] for h, r in records.items()},
    }
    _, dns_body = await call(ctx, alice, Command="user.senderdomain.dns", DomainID=domain_id)
    assert all(r["IsVerified"] is True for r in dns_body["DNSRecords"].values())
    _, get = await call(ctx, alice, Command="user.senderdomain.get", DomainID=domain_id)
    checks = get["SenderDomain"]["VerificationMeta"]["Checks"]
    assert {c["State"] for c in checks.values()} == {"matched"}
    assert get["SenderDomain"]["LastVerifiedAt"] == "2026-05-23 09:11:00"


async def test_a_broken_record_sends_an_enabled_domain_back_to_pending(ctx, alice, dns_server, clock):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    await verify(ctx, alice, domain_id)
    dkim_host = next(h for h in records if "._domainkey." in h)
    publish(dns_server, "example.com", without(records, dkim_host))
    clock.advance(61)
    _, body = await verify(ctx, alice, domain_id)
    assert (body["IsVerified"], body["Status"]) == (False, STATUS_PENDING)
    assert body["DNSRecords"][dkim_host][2] is False
    check = row(domain_id).verification_meta["Checks"][dkim_host]
    assert check["State"] == "missing" and check["NegativeTTL"] == 300 and check["Fix"]


async def test_could_not_check_never_turns_a_good_record_bad(ctx, alice, dns_server, clock):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    await verify(ctx, alice, domain_id)
    dns_server.servfail.add(dns.name.from_text("sl.example.com"))
    clock.advance(61)
    _, body = await verify(ctx, alice, domain_id)
    assert (body["IsVerified"], body["Status"]) == (False, STATUS_ENABLED)
    assert body["DNSRecords"]["sl.example.com"][2] is True
    stored = row(domain_id)
    assert stored.verification_meta["Checks"]["sl.example.com"]["State"] == "unknown"
    assert stored.status == STATUS_ENABLED
    # A never-probed record that cannot be checked stays null.
    other_id, other_records = create(ctx, alice, "other.example")
    dns_server.servfail.add(dns.name.from_text("sl.other.example"))
    publish(dns_server, "other.example", other_records)
    _, body = await verify(ctx, alice, other_id)
    assert body["DNSRecords"]["sl.other.example"][2] is None
    assert body["Status"] == STATUS_PENDING


async def test_timeouts_stay_within_the_deadline(ctx, alice, dns_server, settings):
    settings.dns.deadline = 0.5
    settings.dns.timeout = 5.0
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    dns_server.silent.update(dns.name.from_text(h) for h in records)
    _, body = await verify(ctx, alice, domain_id)
    assert body["IsVerified"] is False and body["Status"] == STATUS_PENDING
    checks = row(domain_id).verification_meta["Checks"].values()
    assert {c["State"] for c in checks} == {"unknown"}
    assert all("no answer before the deadline" in c["Reason"] for c in checks)  # the deadline ended it, not 5 s timeouts
    assert ctx.cache.get(probe_cache_key(domain_id)) is None  # failures are not cached


async def test_disabled_domain_keeps_its_status(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    ctx.service.update_domain(alice, domain_id, {"status": "Disabled"})
    publish(dns_server, "example.com", records)
    _, body = await verify(ctx, alice, domain_id)
    assert (body["IsVerified"], body["Status"]) == (True, STATUS_DISABLED)


@pytest.mark.sqlite_only  # counts writes with an SQLite trigger
async def test_meta_is_written_only_when_it_changes_and_other_keys_survive(ctx, alice, dns_server, clock):
    domain_id, records = create(ctx, alice, "example.com")
    meta = row(domain_id).verification_meta
    SenderDomain.update(verification_meta={**meta, "Custom": {"kept": True}}).where(SenderDomain.id == domain_id).execute()
    publish(dns_server, "example.com", records)
    db = ctx.database
    # Not TEMP: the verify writes on a worker thread's connection, not this one.
    db.execute_sql("CREATE TABLE meta_writes (n INTEGER)")
    db.execute_sql(
        "CREATE TRIGGER count_meta AFTER UPDATE OF verification_meta ON sender_domain "
        "BEGIN INSERT INTO meta_writes VALUES (1); END"
    )
    writes = lambda: db.execute_sql("SELECT COUNT(*) FROM meta_writes").fetchone()[0]  # noqa: E731
    await verify(ctx, alice, domain_id)
    assert writes() == 1
    clock.advance(120)
    await verify(ctx, alice, domain_id)
    assert writes() == 1  # same verdict: not rewritten
    stored = row(domain_id)
    assert stored.last_verified_at == clock.now() != FROZEN_NOW  # but always stamped
    assert stored.verification_meta["Custom"] == {"kept": True}


async def test_probe_cache_serves_60_seconds_then_asks_again(ctx, alice, dns_server, clock):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    await verify(ctx, alice, domain_id)
    asked = len(dns_server.queries)
    assert asked >= len(records)
    publish(dns_server, "example.com", {})  # DNS changes, but the cached outcome stands
    clock.advance(30)
    _, body = await verify(ctx, alice, domain_id)
    assert len(dns_server.queries) == asked and body["IsVerified"] is True
    assert row(domain_id).last_verified_at == clock.now()
    clock.advance(31)
    _, body = await verify(ctx, alice, domain_id)
    assert len(dns_server.queries) > asked and body["IsVerified"] is False


async def test_regenerated_records_never_get_a_stale_cached_probe(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", records)
    await verify(ctx, alice, domain_id)
    view, regenerated = ctx.service.update_domain(alice, domain_id, {"CustomSubdomain": "mail"})
    assert regenerated
    new_records = view.verification_meta["DNSRecords"]
    # Even if the entry survived (another process, a missed delete), its fingerprint is wrong.
    old = {"Fingerprint": "stale", "Checks": {h: {"State": "matched"} for h in new_records}}
    ctx.cache.set(probe_cache_key(domain_id), old, 60)
    asked = len(dns_server.queries)
    _, body = await verify(ctx, alice, domain_id)
    assert len(dns_server.queries) > asked
    assert body["IsVerified"] is False and body["DNSRecords"]["mail.example.com"][2] is False


async def test_bulk_verifies_pending_domains_of_the_caller_25_at_a_time(ctx, alice, bob, dns_server, clock):
    ids = []
    for i in range(27):
        domain_id, records = create(ctx, alice, f"d{i:02d}.example")
        if i % 3:
            publish(dns_server, f"d{i:02d}.example", records)
        ids.append(domain_id)
    bobs, bob_records = create(ctx, bob, "bob.example")
    publish(dns_server, "bob.example", bob_records)
    enabled, enabled_records = create(ctx, alice, "enabled.example")
    publish(dns_server, "enabled.example", enabled_records)
    await verify(ctx, alice, enabled)
    before = len(dns_server.queries)

    status, body = await call(ctx, alice, Command="user.senderdomain.verify", verifyall="true")
    assert status == 200 and body["VerifyAll"] is True and body["Truncated"] is True
    assert [d["DomainID"] for d in body["Domains"]] == ids[:25]
    expected_ok = [i % 3 != 0 for i in range(25)]
    assert [d["IsVerified"] for d in body["Domains"]] == expected_ok
    assert body["Verified"] == sum(expected_ok) and body["Failed"] == 25 - sum(expected_ok)
    assert all(d["Status"] == (STATUS_ENABLED if d["IsVerified"] else STATUS_PENDING) for d in body["Domains"])
    assert set(body["Domains"][0]) == {"DomainID", "IsVerified", "Status"}
    assert row(bobs).last_verified_at is None
    assert not any(q[0].endswith("enabled.example.") for q in dns_server.queries[before:])

    clock.advance(1)
    _, second = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    # The round goes on where the first call stopped, and ends there.
    assert [d["DomainID"] for d in second["Domains"]] == ids[25:]
    assert second["Truncated"] is False


@pytest.mark.parametrize("pending", [26, 50, 60])
async def test_a_client_looping_while_truncated_stops_and_checks_each_once(ctx, alice, dns_server, clock, pending):
    # Issue 11.4: domains that stay pending used to make every call say Truncated.
    ids = []
    for i in range(pending):
        domain_id, _records = create(ctx, alice, f"p{i:02d}.example")
        publish(dns_server, f"p{i:02d}.example", {})  # nothing published: they all stay pending
        ids.append(domain_id)
    bound = math.ceil(pending / 25) + 1
    calls, checked = 0, []
    while calls < bound + 5:
        calls += 1
        clock.advance(61)  # past the probe cache: every batch really probes
        status, body = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
        assert status == 200
        checked += [d["DomainID"] for d in body["Domains"]]
        assert all(d["Status"] == STATUS_PENDING for d in body["Domains"])
        if not body["Truncated"]:
            break
    assert calls <= bound
    assert sorted(checked) == ids  # each once
    # The round is over: the next call starts another from the first pending domain.
    _, again = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    assert [d["DomainID"] for d in again["Domains"]] == ids[:25] and again["Truncated"] is True


async def test_the_round_skips_domains_that_left_pending_and_ends_when_none_are_left(ctx, alice, dns_server):
    ids = [create(ctx, alice, f"r{i:02d}.example")[0] for i in range(30)]
    _, first = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    assert first["Truncated"] is True
    for domain_id in ids[25:]:  # the rest of the round is deleted before the client comes back
        ctx.service.delete_domain(alice, domain_id)
    _, second = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    assert second["Domains"] == [] and second["Truncated"] is False
    assert second["Verified"] == 0 and second["Failed"] == 0


async def test_verify_all_pending_yields_every_batch_of_a_new_round(ctx, alice, bob, dns_server, clock):
    ids = []
    for i in range(55):
        domain_id, records = create(ctx, alice, f"a{i:02d}.example")
        publish(dns_server, f"a{i:02d}.example", records if i % 5 == 0 else {})
        ids.append(domain_id)
    create(ctx, bob, "bob.example")
    # An API client left a round half-way: verify all starts a new one, so the domains that
    # round had already done are checked again too.
    _, api_first = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    assert api_first["Truncated"] is True and api_first["Verified"] == 5  # a00, a05 … a20 published
    still_pending = [domain_id for i, domain_id in enumerate(ids) if i >= 25 or i % 5]
    clock.advance(61)
    batches = [bulk async for bulk in ctx.service.verify_all_pending(alice)]
    assert [len(b.domains) for b in batches] == [25, 25]
    assert [b.truncated for b in batches] == [True, False]
    outcomes = [d for b in batches for d in b.domains]
    assert [d.domain_id for d in outcomes] == still_pending
    assert {d.domain_id for d in outcomes if d.is_verified} == {ids[i] for i in range(25, 55, 5)}
    # That round is over: the API's next call starts another, from the first pending domain.
    _, api_second = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True)
    assert [d["DomainID"] for d in api_second["Domains"]] == [ids[i] for i in range(55) if i % 5][:25]
    assert api_second["Truncated"] is True


async def test_verify_all_pending_with_nothing_pending_yields_one_empty_batch(ctx, alice, dns_server):
    batches = [bulk async for bulk in ctx.service.verify_all_pending(alice)]
    assert [(b.domains, b.truncated) for b in batches] == [([], False)]
    assert dns_server.queries == []


async def test_bulk_and_single_share_the_probe_cache(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    publish(dns_server, "example.com", {})
    await verify(ctx, alice, domain_id)  # nothing published: fails, result cached
    asked = len(dns_server.queries)
    _, body = await call(ctx, alice, Command="user.senderdomain.verify", verifyall=1)
    assert len(dns_server.queries) == asked
    assert body["Domains"] == [{"DomainID": domain_id, "IsVerified": False, "Status": STATUS_PENDING}]


async def test_bad_input_is_a_coded_error_and_changes_nothing(ctx, alice, bob, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    before = row(domain_id)
    assert (await call(ctx, alice, Command="user.senderdomain.verify"))[1]["Errors"][0]["Code"] == 1
    assert (await call(ctx, bob, Command="user.senderdomain.verify", DomainID=domain_id))[1]["Errors"][0]["Code"] == 2
    assert (await call(ctx, alice, Command="user.senderdomain.verify", DomainID="abc"))[1]["Errors"][0]["Code"] == 2
    assert (await call(ctx, alice, Command="user.senderdomain.verify", verifyall="maybe"))[1]["Errors"][0]["Code"] == 12
    after = row(domain_id)
    assert (after.status, after.verification_meta, after.last_verified_at) == (
        before.status,
        before.verification_meta,
        before.last_verified_at,
    )
    assert dns_server.queries == []


async def test_hostile_answers_are_stored_and_returned_as_plain_text(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    hostile = ["[/x][b]boom[/b]", "ctl\x1b]0;title\x07\x00", "q" * 4096]
    publish(dns_server, "example.com", without(records, "example.com"), {"@": [("TXT", h) for h in hostile]})
    status, body = await verify(ctx, alice, domain_id)
    assert status == 200 and body["DNSRecords"]["example.com"][2] is False
    _, get = await call(ctx, alice, Command="user.senderdomain.get", DomainID=domain_id)
    check = get["SenderDomain"]["VerificationMeta"]["Checks"]["example.com"]
    assert check["State"] == "missing"
    # What was published instead comes back literally: markup as text, controls escaped,
    # the 4 KB value whole.
    assert sorted(check["Found"]) == sorted(["[/x][b]boom[/b]", "ctl\\x1b]0;title\\x07\\x00", "q" * 4096])
    dkim_host = next(h for h in records if "._domainkey." in h)
    publish(dns_server, "example.com", without(records, dkim_host), {"sd1._domainkey": [("TXT", h) for h in hostile[:2]]})
    ctx.cache.delete(probe_cache_key(domain_id))
    await verify(ctx, alice, domain_id)
    found = row(domain_id).verification_meta["Checks"][dkim_host]["Found"]
    assert "[/x][b]boom[/b]" in found and "ctl\\x1b]0;title\\x07\\x00" in found


async def test_fix_hint_uses_the_detected_dns_host(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "example.com")
    zone = without(records, "sl.example.com")
    publish(dns_server, "example.com", zone, {"@": [("NS", "ana.ns.cloudflare.com."), ("NS", "bob.ns.cloudflare.com.")], "sl": [("A", "104.16.0.1")]})
    await verify(ctx, alice, domain_id)
    check = row(domain_id).verification_meta["Checks"]["sl.example.com"]
    assert check["State"] == "mismatched"
    assert check["Fix"].startswith("Cloudflare: turn the proxy off for sl")
    assert ctx.cache.get("dnshost:example.com")["DnsHost"] == "Cloudflare"


async def test_internationalised_domain_is_checked_in_punycode(ctx, alice, dns_server):
    domain_id, records = create(ctx, alice, "bücher.example")
    assert "sl.xn--bcher-kva.example" in records
    publish(dns_server, "xn--bcher-kva.example", records)
    _, body = await verify(ctx, alice, domain_id)
    assert body["IsVerified"] is True


@pytest.mark.parametrize("prefix", ["track", "t-1"])
async def test_tracking_record_uses_the_custom_prefix(ctx, alice, dns_server, prefix):
    domain_id, records = create(ctx, alice, "example.com", CustomTrackPrefix=prefix)
    publish(dns_server, "example.com", records)
    _, body = await verify(ctx, alice, domain_id)
    assert f"{prefix}-sl.example.com" in body["DNSRecords"] and body["IsVerified"] is True
