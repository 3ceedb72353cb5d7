"""``core.sweep`` against a real DNS server on loopback, on every database backend: pending
domains turn Enabled, Enabled ones drift and recover, a silent resolver is "could not
check", --demote across three sweeps a day apart, claims, and the platform's own records."""

from __future__ import annotations

import datetime as dt

import dns.name
import pytest

from core import drift
from core.models import (
    STATUS_DELETED,
    STATUS_DISABLED,
    STATUS_ENABLED,
    STATUS_PENDING,
    STATUS_SUSPENDED,
    SenderDomain,
    SweepClaim,
    SweepRun,
)
from core.sweep import CLAIM_LEASE, Sweep
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)

PLATFORM_ZONE = {
    "rp": [("A", "192.0.2.10")],
    "track": [("A", "192.0.2.11")],
    "spf": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all")],
    "*._report._dmarc": [("TXT", "v=DMARC1")],
}


@pytest.fixture
def platform_dns(dns_server):
    dns_server.set_zone("senderdeck.example", PLATFORM_ZONE)
    return dns_server


def create(ctx, user, name, *, published=True, server=None):
    view = ctx.service.create_domain(user, {"SenderDomain": name})
    records = view.verification_meta["DNSRecords"]
    if published:
        publish(server, name, records)
    elif server is not None:
        server.set_zone(name, {})  # the zone exists, the records do not
    return view.id, records


def sweep(ctx, **options):
    options.setdefault("older_than", dt.timedelta(hours=6))
    return Sweep(ctx, **options).run_sync()


def dkim_of(records):
    return next(h for h in records if "._domainkey." in h)


def enable(ctx, user, server, name):
    domain_id, records = create(ctx, user, name, server=server)
    report = sweep(ctx)
    assert SenderDomain.get_by_id(domain_id).status == STATUS_ENABLED, report.to_json()
    return domain_id, records


def test_pending_domains_whose_records_match_become_enabled(ctx, alice, platform_dns, clock):
    good, _ = create(ctx, alice, "good.example", server=platform_dns)
    bad, _ = create(ctx, alice, "bad.example", published=False, server=platform_dns)
    report = sweep(ctx)
    assert (report.checked, report.due) == (2, 2)
    assert [f.domain for f in report.of(drift.ENABLED)] == ["good.example"]
    assert SenderDomain.get_by_id(good).status == STATUS_ENABLED
    row = SenderDomain.get_by_id(bad)
    assert row.status == STATUS_PENDING and row.last_verified_at == clock.now()
    assert {c["State"] for c in row.verification_meta["Checks"].values()} == {"missing"}
    assert report.exit_code == 0 and not report.platform_broken


def test_an_enabled_domain_whose_dkim_breaks_drifts_and_stays_enabled(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    dkim = dkim_of(records)
    broken = {**records, dkim: ["TXT", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtruncated"]}
    publish(platform_dns, "example.com", broken)
    clock.advance(7 * 3600)
    report = sweep(ctx)
    assert [f.domain for f in report.of(drift.DRIFTED)] == ["example.com"] and report.exit_code == 1
    row = SenderDomain.get_by_id(domain_id)
    assert row.status == STATUS_ENABLED
    assert row.verification_meta["DNSRecords"][dkim][2] is False  # the flag is stored as verify stores it
    view = ctx.service.get_domain(alice, domain_id)
    assert view.drifted and view.drift.hosts == [dkim] and view.drift.streak == 1 and view.drift.since == clock.now()
    record = view.drift.records[0]
    assert record.state == "mismatched" and record.found == (broken[dkim][1],) and "truncated" in record.reason
    listed = {v.id: v for v in ctx.service.list_domains(alice)}
    assert listed[domain_id].drift == view.drift  # the list's fast read shows it too


def test_a_cname_turned_into_addresses_is_drift_with_the_addresses_found(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.org")
    zone = {h: r for h, r in records.items() if h != "sl.example.org"}
    publish(platform_dns, "example.org", zone, extra={"sl": [("A", "198.51.100.7")]})
    clock.advance(7 * 3600)
    report = sweep(ctx)
    (finding,) = report.of(drift.DRIFTED)
    (record,) = finding.drift.records
    assert (record.host, record.state, record.found) == ("sl.example.org", "mismatched", ("198.51.100.7",))


def test_a_drifted_domain_recovers_when_its_records_match_again(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != dkim_of(records)})
    clock.advance(7 * 3600)
    assert sweep(ctx).exit_code == 1
    publish(platform_dns, "example.com", records)
    clock.advance(7 * 3600)
    report = sweep(ctx)
    assert [f.domain for f in report.of(drift.RECOVERED)] == ["example.com"] and report.exit_code == 0
    assert ctx.service.get_domain(alice, domain_id).drift is None
    assert SenderDomain.get_by_id(domain_id).verification_meta["DNSRecords"][dkim_of(records)][2] is True


def test_a_silent_resolver_is_could_not_check_and_leaves_the_drift_alone(ctx, alice, platform_dns, clock, settings):
    settings.dns.timeout, settings.dns.deadline, settings.dns.retries = 0.3, 1.5, 0
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != dkim_of(records)})
    clock.advance(7 * 3600)
    sweep(ctx)
    before = ctx.service.get_domain(alice, domain_id).drift
    for host in records:
        platform_dns.silent.add(dns.name.from_text(host))
    clock.advance(30 * 3600)
    report = sweep(ctx)
    (finding,) = report.of(drift.COULD_NOT)
    assert finding.domain == "example.com" and finding.unchecked and "could not check" in finding.unchecked[0][1]
    row = SenderDomain.get_by_id(domain_id)
    assert row.status == STATUS_ENABLED and row.last_verified_at == clock.now()
    assert ctx.service.get_domain(alice, domain_id).drift == before  # streak not advanced, not reset
    assert [f.domain for f in report.still_drifted] == ["example.com"]  # the drift found earlier stands
    assert report.exit_code == 1


def test_demote_makes_a_domain_drifted_on_three_sweeps_a_day_apart_pending(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != "example.com"})  # SPF gone
    streaks = []
    for _ in range(2):
        clock.advance(24 * 3600)
        report = sweep(ctx, demote=True)
        streaks.append(report.of(drift.DRIFTED)[0].drift.streak)
        assert SenderDomain.get_by_id(domain_id).status == STATUS_ENABLED
    clock.advance(12 * 3600)  # a sweep less than 24 h after the last counted one: no new count
    assert sweep(ctx, demote=True).of(drift.DRIFTED)[0].drift.streak == 2
    clock.advance(12 * 3600)
    report = sweep(ctx, demote=True)
    assert streaks == [1, 2]
    (demoted,) = report.of(drift.DEMOTED)
    assert demoted.drift.streak == 3 and demoted.drift.hosts == ["example.com"]
    row = SenderDomain.get_by_id(domain_id)
    assert row.status == STATUS_PENDING and row.drift_since is None
    assert report.exit_code == 0  # demoted: pending now, not drifted


def test_without_demote_a_long_drift_stays_enabled(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != "example.com"})
    for _ in range(4):
        clock.advance(24 * 3600)
        report = sweep(ctx)
    assert report.of(drift.DRIFTED)[0].drift.streak == 4
    assert SenderDomain.get_by_id(domain_id).status == STATUS_ENABLED


def test_only_due_enabled_and_pending_domains_of_the_chosen_user_are_checked(ctx, alice, bob, platform_dns, clock):
    ids = {}
    for name, status in (
        ("enabled.example", STATUS_ENABLED),
        ("pending.example", STATUS_PENDING),
        ("disabled.example", STATUS_DISABLED),
        ("suspended.example", STATUS_SUSPENDED),
        ("deleted.example", STATUS_DELETED),
    ):
        ids[name], _ = create(ctx, alice, name, server=platform_dns)
        SenderDomain.update(status=status).where(SenderDomain.id == ids[name]).execute()
    ids["bob.example"], _ = create(ctx, bob, "bob.example", server=platform_dns)
    report = sweep(ctx, user=alice)
    assert report.checked == 2
    checked = {n for n, i in ids.items() if SenderDomain.get_by_id(i).last_verified_at is not None}
    assert checked == {"enabled.example", "pending.example"}
    clock.advance(3600)
    assert sweep(ctx).checked == 1  # bob's; alice's were checked an hour ago (older than 6 h only)
    assert sweep(ctx, older_than=dt.timedelta(0)).checked == 3


def test_a_tenants_verify_that_finds_everything_matched_clears_the_drift(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != dkim_of(records)})
    clock.advance(7 * 3600)
    sweep(ctx)
    publish(platform_dns, "example.com", records)
    clock.advance(61)
    status, body = ctx.api.dispatch({"APIKey": alice.api_key, "Command": "user.senderdomain.verify", "DomainID": domain_id})
    assert status == 200 and body["Status"] == STATUS_ENABLED
    assert ctx.service.get_domain(alice, domain_id).drift is None


def test_new_records_clear_the_drift(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    publish(platform_dns, "example.com", {h: r for h, r in records.items() if h != dkim_of(records)})
    clock.advance(7 * 3600)
    sweep(ctx)
    ctx.service.update_domain(alice, domain_id, {"CustomSubdomain": "em"})
    assert ctx.service.get_domain(alice, domain_id).drift is None


def test_claims_keep_a_second_sweep_off_the_domains_a_live_sweep_holds(ctx, alice, platform_dns, clock):
    held, _ = create(ctx, alice, "held.example", server=platform_dns)
    free, _ = create(ctx, alice, "free.example", server=platform_dns)
    SweepClaim.create(domain=held, owner="otherhost:1:abcd", expires_at=clock.monotonic() + CLAIM_LEASE)
    report = sweep(ctx)
    assert report.checked == 1 and SenderDomain.get_by_id(held).last_verified_at is None
    assert SweepClaim.select().where(SweepClaim.owner != "otherhost:1:abcd").count() == 0  # released at the end
    clock.advance(CLAIM_LEASE + 1)  # the other sweep died: its claim lapses
    report = sweep(ctx)
    assert report.checked == 1 and SenderDomain.get_by_id(held).status == STATUS_ENABLED
    assert SenderDomain.get_by_id(free).status == STATUS_ENABLED
    runs = list(SweepRun.select().order_by(SweepRun.id))
    assert [r.checked for r in runs] == [1, 1] and all(r.finished_at is not None for r in runs)
    assert runs[0].queries > 0 and sum(runs[0].dns_buckets.values()) == runs[0].queries


def test_a_broken_platform_record_is_the_platforms_problem_not_tenant_drift(ctx, alice, platform_dns, clock):
    domain_id, records = enable(ctx, alice, platform_dns, "example.com")
    platform_dns.set_zone("senderdeck.example", {k: v for k, v in PLATFORM_ZONE.items() if k != "rp"})
    clock.advance(7 * 3600)
    report = sweep(ctx)
    assert report.checked == 1 and report.drifted == [] and SenderDomain.get_by_id(domain_id).drift_since is None
    (broken,) = report.platform_broken
    assert broken.check == "return_path_host" and "does not resolve" in broken.detail
    assert report.exit_code == 2


def test_platform_only_checks_the_spf_include_limits_and_report_authorisation(ctx, alice, platform_dns, clock):
    create(ctx, alice, "tenant.example", server=platform_dns)
    create(ctx, alice, "other.example", server=platform_dns)
    nested = {f"n{i}": [("TXT", "v=spf1 a mx -all")] for i in range(5)}
    zone = {k: v for k, v in PLATFORM_ZONE.items() if k not in ("spf", "*._report._dmarc")}
    zone["spf"] = [("TXT", "v=spf1 " + " ".join(f"include:n{i}.senderdeck.example" for i in range(5)) + " -all")]
    zone["tenant.example._report._dmarc"] = [("TXT", "v=DMARC1")]
    platform_dns.set_zone("senderdeck.example", {**zone, **nested})
    report = sweep(ctx, domains=False)
    assert report.checked == 0 and SenderDomain.select().where(SenderDomain.last_verified_at.is_null(False)).count() == 0
    by_check = {p.check: p for p in report.platform}
    assert by_check["spf_include"].broken and "more than 10 DNS lookups" in by_check["spf_include"].detail
    reports = by_check["dmarc_reports"]
    assert reports.broken and "1 of 2" in reports.detail and "other.example" in reports.detail
    assert "tenant.example" not in reports.detail
    assert report.exit_code == 2


def test_a_resolver_that_answers_nothing_is_an_error_not_all_good(ctx, alice, platform_dns, settings):
    from core.localdns import free_port

    create(ctx, alice, "example.com", server=platform_dns)
    settings.nameservers = [f"127.0.0.1:{free_port()}"]  # nothing listens there
    settings.dns.timeout, settings.dns.deadline, settings.dns.retries = 0.2, 1.0, 0
    report = sweep(ctx)
    assert report.of(drift.COULD_NOT)[0].domain == "example.com" and report.drifted == []
    assert {p.state for p in report.platform} == {"could_not_check"}
    assert report.exit_code == 2
