"""Issue 14.1: a sender domain below its DNS zone's apex. shop.fabrikam.example lives in the
zone fabrikam.example (at Cloudflare), served by a real loopback DNS server; every fix names
records relative to that zone (sl.shop, shop), never at the parent's @, whose own SPF record a
second one would break."""

from __future__ import annotations

from core.hosthints import record_hint
from core.localdns import records_zone
from tests.core.dnskit import dns_server, settings  # noqa: F401  (fixtures)

CLOUDFLARE = [("NS", "ada.ns.cloudflare.com."), ("NS", "bob.ns.cloudflare.com.")]
PARENT_SPF = "v=spf1 include:_spf.fabrikam.example -all"


def parent_zone(extra: dict | None = None) -> dict:
    """fabrikam.example's zone: its nameservers and its own SPF record at the apex."""
    zone = {"@": [*CLOUDFLARE, ("TXT", PARENT_SPF)]}
    for name, entries in (extra or {}).items():
        zone.setdefault(name, []).extend(entries)
    return zone


async def verify(ctx, user, domain_id):
    outcome = await ctx.service.verify_domain(user, domain_id)
    return outcome, {host: check for host, check in outcome.checks.items()}


async def test_nothing_published_yet_every_fix_names_the_record_in_the_parent_zone(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    dns_server.set_zone("fabrikam.example", parent_zone())
    outcome, checks = await verify(ctx, alice, view.id)
    assert not outcome.is_verified
    fixes = {host: check["Fix"] for host, check in checks.items()}
    assert fixes["sl.shop.fabrikam.example"] == "Add a CNAME record: name `sl.shop`, target `rp.senderdeck.example.`"
    assert fixes["track-sl.shop.fabrikam.example"].startswith("Add a CNAME record: name `track-sl.shop`,")
    assert fixes["shop.fabrikam.example"] == "Add a TXT record at `shop`: v=spf1 include:spf.senderdeck.example ~all"
    assert fixes["sd1._domainkey.shop.fabrikam.example"] == "Add a TXT record at `sd1._domainkey.shop` with the DKIM value shown"
    assert fixes["_dmarc.shop.fabrikam.example"].startswith("Add a TXT record at `_dmarc.shop`: v=DMARC1;")
    assert not any("`@`" in fix or "`sl`" in fix for fix in fixes.values())


async def test_a_full_name_typed_where_the_zone_is_appended_is_spotted(ctx, alice, dns_server):
    """Typed "sl.shop.fabrikam.example" into Cloudflare's form: the record lands at
    sl.shop.fabrikam.example.fabrikam.example."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    rp = view.verification_meta["DNSRecords"]["sl.shop.fabrikam.example"][1]
    dns_server.set_zone("fabrikam.example", parent_zone({"sl.shop.fabrikam.example": [("CNAME", rp)]}))
    _, checks = await verify(ctx, alice, view.id)
    check = checks["sl.shop.fabrikam.example"]
    assert check["State"] == "missing"
    assert "sl.shop.fabrikam.example.fabrikam.example" in check["Reason"]
    assert check["Fix"] == "Cloudflare adds the zone's name to the record name: enter `sl.shop`, not `sl.shop.fabrikam.example`, as the record name"


async def test_a_wrong_spf_record_is_changed_at_shop_and_the_parent_one_is_left_alone(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    records = dict(view.verification_meta["DNSRecords"])
    records["shop.fabrikam.example"] = ["TXT", "v=spf1 -all"]
    published = records_zone("fabrikam.example", records)
    dns_server.set_zone("fabrikam.example", parent_zone(published))
    outcome, checks = await verify(ctx, alice, view.id)
    spf = checks["shop.fabrikam.example"]
    assert spf["State"] == "mismatched"
    assert spf["Fix"] == "Change the TXT record at `shop` to: v=spf1 include:spf.senderdeck.example -all"
    assert [h for h, c in checks.items() if c["State"] != "matched"] == ["shop.fabrikam.example"]


async def test_everything_published_in_the_parent_zone_verifies(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    published = records_zone("fabrikam.example", view.verification_meta["DNSRecords"])
    dns_server.set_zone("fabrikam.example", parent_zone(published))
    outcome, _ = await verify(ctx, alice, view.id)
    assert outcome.is_verified and outcome.status == "Enabled"


async def test_the_dns_host_answer_names_the_zone(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    dns_server.set_zone("fabrikam.example", parent_zone())
    found = await ctx.service.detect_dns_host(alice, view.id)
    assert (found.dns_host, found.zone) == ("Cloudflare", "fabrikam.example")


async def test_a_domain_that_is_a_zone_of_its_own_keeps_at_sign(ctx, alice, dns_server):
    """Delegated to its own nameservers, shop.fabrikam.example is its own apex: @ and sl."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    dns_server.set_zone("fabrikam.example", parent_zone())
    dns_server.set_zone("shop.fabrikam.example", {"@": CLOUDFLARE})
    _, checks = await verify(ctx, alice, view.id)
    assert checks["shop.fabrikam.example"]["Fix"].startswith("Add a TXT record at `@`:")
    assert checks["sl.shop.fabrikam.example"]["Fix"].startswith("Add a CNAME record: name `sl`,")


def test_panel_hints_name_records_relative_to_the_zone():
    cname = record_hint("Cloudflare", "fabrikam.example", "sl.shop.fabrikam.example", "CNAME", "rp.senderdeck.example.")
    assert cname.name == "sl.shop"
    assert "Cloudflare adds .fabrikam.example itself: enter 'sl.shop', not 'sl.shop.fabrikam.example'." in cname.notes
    assert record_hint("Cloudflare", "fabrikam.example", "shop.fabrikam.example", "TXT", "v=spf1 ~all").name == "shop"
    unknown = record_hint(None, "fabrikam.example", "shop.fabrikam.example", "TXT", "v=spf1 ~all")
    assert unknown.name == "shop" and "If your DNS host adds fabrikam.example for you, enter 'shop'" in unknown.notes[0]
    assert record_hint("HostGator", "fabrikam.example", "sl.shop.fabrikam.example", "CNAME", "x.").name == "sl.shop.fabrikam.example."
