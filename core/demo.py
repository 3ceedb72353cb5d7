"""Demo data: about 40 sender domains of varied health with 90 days of stats, and the DNS
zones that make Verify meaningful offline.

``build_demo(ctx)`` seeds the bound (empty) database deterministically: the same seed and
clock give the same rows, so the TUI's tests and screenshot script can call it with a frozen
clock. What a domain's last check found is not written by hand: the engine's verifier runs
against the zones as they were at that check, served on loopback, and stores its own flags,
evidence and Status. ``demo_zones(ctx.settings, result)`` returns what a
``core.localdns.LocalDNS`` should serve now: correct zones for verified domains,
misconfigured ones for pending domains, a few pending domains whose DNS has been fixed since
the last check (Verify turns them Enabled), empty zones for never-verified ones, and the
platform's own names.

The DKIM keys are two fixed keys checked in as PEM files (core/demo_keys/), reused across
the domains: demo-only, never secret.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Mapping

from cryptography.hazmat.primitives import serialization

from core import records as templates
from core import stat_store, users
from core.db import write_transaction
from core.stat_store import write_counts
from core.localdns import LocalDNS, records_zone
from core.service import SenderDomainService
from core.models import (
    STATUS_DISABLED,
    STATUS_ENABLED,
    STATUS_PENDING,
    STATUS_SUSPENDED,
    SenderDomain,
    User,
)
from core.validation import normalize_domain

DEMO_SEED = 2026
DEMO_DAYS = 90
DEMO_USER = "demo"
KEY_COUNT = 2
OLD_PROVIDER = "oldprovider.example"  # what misconfigured SPF records include instead

# Nameservers by DNS host, so "DNS via X" shows a spread of providers.
NAMESERVERS = {
    "cloudflare": ["lara.ns.cloudflare.com.", "greg.ns.cloudflare.com."],
    "route53": ["ns-1402.awsdns-47.org.", "ns-331.awsdns-41.com."],
    "godaddy": ["ns51.domaincontrol.com.", "ns52.domaincontrol.com."],
    "namecheap": ["dns1.registrar-servers.com.", "dns2.registrar-servers.com."],
    "digitalocean": ["ns1.digitalocean.com.", "ns2.digitalocean.com."],
    "other": ["ns1.boutique-host.example.", "ns2.boutique-host.example."],
}

# Health profiles: (daily volume, bounce fraction, complaint fraction).
PROFILES = {
    "excellent": (9000, 0.004, 0.00005),
    "good": (6000, 0.019, 0.0006),
    "fair": (3000, 0.035, 0.0016),
    "poor": (2500, 0.06, 0.004),
}

# name, status, health profile, DNS state, DNS host, options, shape
#   DNS state: ok | fixed (pending, DNS correct now) | spf | dkim_truncated | cname_wrong |
#              dmarc_missing | appended | proxied | never (never verified, nothing published)
#   shape: steady | growing | declining | new (created days ago) | dormant (no mail for
#          8+ days) | idle (never sent) | spike (volume jumped this week)
DOMAINS: list[tuple[str, str, str, str, str, dict, str]] = [
    ("northwind-traders.example", STATUS_ENABLED, "excellent", "ok", "cloudflare", {}, "steady"),
    ("contoso-mail.example", STATUS_ENABLED, "excellent", "ok", "route53", {}, "growing"),
    ("fabrikam.example", STATUS_ENABLED, "excellent", "ok", "cloudflare", {"CustomSubdomain": "em"}, "steady"),
    ("adventure-works.example", STATUS_ENABLED, "excellent", "ok", "godaddy", {}, "declining"),
    ("tailspin-toys.example", STATUS_ENABLED, "excellent", "ok", "namecheap", {}, "steady"),
    ("wingtip-news.example", STATUS_ENABLED, "excellent", "ok", "route53", {"CustomTrackPrefix": "click"}, "spike"),
    ("bücher-haus.example", STATUS_ENABLED, "excellent", "ok", "other", {}, "steady"),
    ("café-lumière.example", STATUS_ENABLED, "good", "ok", "cloudflare", {}, "steady"),
    ("litware.example", STATUS_ENABLED, "excellent", "ok", "digitalocean", {"TrackPrefixDisabled": True}, "steady"),
    ("proseware.example", STATUS_ENABLED, "good", "ok", "godaddy", {}, "growing"),
    ("lucerne-publishing.example", STATUS_ENABLED, "good", "ok", "route53", {}, "declining"),
    ("margies-travel.example", STATUS_ENABLED, "good", "ok", "cloudflare", {"CustomSubdomain": "bounce"}, "steady"),
    ("coho-vineyard.example", STATUS_ENABLED, "good", "ok", "namecheap", {}, "steady"),
    ("alpine-ski-house.example", STATUS_ENABLED, "fair", "ok", "cloudflare", {}, "declining"),
    ("blue-yonder-airlines.example", STATUS_ENABLED, "fair", "ok", "route53", {}, "steady"),
    ("почта-россии.example", STATUS_ENABLED, "fair", "ok", "other", {}, "steady"),
    ("humongous-insurance.example", STATUS_ENABLED, "poor", "ok", "godaddy", {}, "spike"),
    ("trey-research.example", STATUS_ENABLED, "poor", "ok", "digitalocean", {}, "steady"),
    ("東京ショップ.example", STATUS_ENABLED, "excellent", "ok", "other", {}, "growing"),
    ("fourth-coffee.example", STATUS_ENABLED, "excellent", "ok", "cloudflare", {}, "new"),
    ("relecloud.example", STATUS_ENABLED, "good", "ok", "route53", {}, "new"),
    ("woodgrove-bank.example", STATUS_ENABLED, "excellent", "ok", "route53", {}, "dormant"),
    ("graphic-design-institute.example", STATUS_ENABLED, "excellent", "ok", "namecheap", {}, "idle"),
    ("ελληνικά-νέα.example", STATUS_ENABLED, "good", "ok", "other", {}, "steady"),
    ("school-of-fine-art.example", STATUS_PENDING, "good", "spf", "godaddy", {}, "steady"),
    ("datum-corp.example", STATUS_PENDING, "excellent", "dkim_truncated", "godaddy", {}, "declining"),
    ("southridge-video.example", STATUS_PENDING, "fair", "cname_wrong", "route53", {}, "steady"),
    ("consolidated-messenger.example", STATUS_PENDING, "good", "dmarc_missing", "namecheap", {}, "steady"),
    ("city-power-light.example", STATUS_PENDING, "excellent", "appended", "namecheap", {}, "dormant"),
    ("wide-world-importers.example", STATUS_PENDING, "good", "proxied", "cloudflare", {}, "steady"),
    ("nod-publishers.example", STATUS_PENDING, "excellent", "fixed", "cloudflare", {}, "steady"),
    ("straße-reisen.example", STATUS_PENDING, "good", "fixed", "other", {}, "declining"),
    ("vanarsdel.example", STATUS_PENDING, "excellent", "never", "route53", {}, "idle"),
    ("first-up-consultants.example", STATUS_PENDING, "excellent", "never", "cloudflare", {}, "idle"),
    ("lamna-healthcare.example", STATUS_PENDING, "excellent", "never", "godaddy", {"CustomSubdomain": "mail"}, "idle"),
    ("munson-pickles.example", STATUS_DISABLED, "good", "ok", "digitalocean", {}, "dormant"),
    ("best-for-you-organics.example", STATUS_DISABLED, "fair", "ok", "cloudflare", {}, "declining"),
    ("wholesale-widgets.example", STATUS_DISABLED, "excellent", "ok", "route53", {}, "idle"),
    ("bulk-blast-deals.example", STATUS_SUSPENDED, "poor", "ok", "other", {}, "declining"),
    ("cheap-offers-now.example", STATUS_SUSPENDED, "poor", "spf", "namecheap", {}, "dormant"),
]


@dataclass
class DemoDomain:
    id: int
    name: str  # ASCII
    status: str
    dns_state: str  # what DNS serves now
    dns_host: str
    records: dict[str, list]  # the template: {host: [type, value]}
    checked_state: str | None = None  # what DNS served at the last check (None: never checked)
    last_checked: dt.datetime | None = None


@dataclass
class DemoResult:
    user: User
    api_key: str
    domains: list[DemoDomain] = field(default_factory=list)
    stat_rows: int = 0


# ---- the demo's DKIM keys ------------------------------------------------------------------


@functools.lru_cache(maxsize=KEY_COUNT)
def demo_key(index: int) -> templates.DkimKey:
    """One of the demo's fixed DKIM keys (``core/demo_keys/demo-N.pem``): the same every run,
    demo-only, never secret."""
    pem = (resources.files("core") / "demo_keys" / f"demo-{index + 1}.pem").read_text(encoding="ascii")
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    public_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return templates.DkimKey(base64.b64encode(public_der).decode("ascii"), pem)


# ---- zones -----------------------------------------------------------------


def _rel(host: str, domain: str) -> str:
    return "@" if host == domain else host[: -len(domain) - 1]


def _fault_host(records: Mapping[str, list], domain: str, state: str) -> str | None:
    """The record a misconfiguration (a DNS state) breaks."""
    hosts = list(records)
    mfrom, dkim = hosts[0], next(h for h in hosts if "._domainkey." in h)
    track = next((h for h in hosts[1:] if records[h][0] == "CNAME"), None)
    return {
        "spf": domain,
        "dkim_truncated": dkim,
        "cname_wrong": mfrom,
        "dmarc_missing": f"_dmarc.{domain}",
        "appended": mfrom,
        "proxied": track or mfrom,
    }.get(state)


# ---- stats --------------------------------------------------------------------------------


def _daily_stats(rnd: random.Random, profile: str, shape: str, today: dt.date, created: dt.date, days: int, recorded: bool):
    volume, bounce, complaint = PROFILES[profile]
    volume = int(volume * rnd.uniform(0.4, 1.6))
    if shape == "idle":
        return
    for back in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        if day < created:
            continue
        if shape == "dormant" and back < 9:
            continue
        progress = (days - 1 - back) / max(1, days - 1)  # 0 at the oldest day, 1 today
        trend = {"growing": 0.5 + progress, "declining": 1.5 - progress, "spike": 2.6 if back < 7 else 1.0}.get(shape, 1.0)
        weekday = 0.55 if day.weekday() >= 5 else 1.0
        sent = int(volume * trend * weekday * rnd.uniform(0.85, 1.15))
        if sent <= 0:
            continue
        bounced = int(sent * bounce * rnd.uniform(0.6, 1.4) + rnd.random())
        complaints = int(sent * complaint * rnd.uniform(0.3, 1.7) + rnd.random() * 0.5)
        deferred = int(sent * 0.001 * rnd.random())
        delivered = max(0, sent - bounced - deferred) if recorded else None
        yield day, sent, delivered, bounced, complaints


# ---- building -----------------------------------------------------------------------------


def build_demo(ctx, *, seed: int = DEMO_SEED, days: int = DEMO_DAYS, user_name: str = DEMO_USER) -> DemoResult:
    """Seed the bound database with the demo user, domains and stats (in one transaction),
    then verify each checked domain against its zones as they were at its last check.

    Deterministic for a given seed and ``ctx.clock``. The database should hold no domains
    yet (``senderdeck demo`` builds a fresh file); a second user of the same name fails.
    Call it outside a running event loop (the verifier runs in one of its own).
    """
    settings = ctx.settings
    now = ctx.clock.now().replace(microsecond=0)
    today = now.date()
    rnd = random.Random(seed)
    keys = [demo_key(i) for i in range(KEY_COUNT)]
    selector = settings.platform.dkim_selector
    with stat_store.stats_transaction():
        user, api_key = users.create_user(user_name, ctx.clock, domain_limit=0)
        result = DemoResult(user, api_key)
        stat_rows = []
        for index, (name, status, profile, dns_state, host, options, shape) in enumerate(DOMAINS):
            domain = normalize_domain(name)
            key = keys[index % KEY_COUNT]
            options = {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0, **options}
            if "TrackPrefixDisabled" not in options:
                options["TrackPrefixDisabled"] = False
            records = templates.build_records(
                domain, options, settings.platform, dkim_selector=selector, dkim_public_b64=key.public_b64,
                default_subdomain=settings.mfrom_subdomain, default_prefix=settings.track_prefix,
            )
            # "new" ones were created within the current 7-day window: their VolumeDelta is "new".
            age = {"new": rnd.randint(2, 5), "idle": rnd.randint(1, 40)}.get(shape, rnd.randint(days + 10, days + 700))
            created = now - dt.timedelta(days=age, hours=rnd.randint(0, 23), minutes=rnd.randint(0, 59))
            checked_state, last_checked = None, None
            if dns_state != "never":
                # A "fixed" domain was last checked while one of its records was still wrong.
                checked_state = dns_state if dns_state != "fixed" else rnd.choice(["spf", "dmarc_missing", "cname_wrong"])
                last_checked = now - dt.timedelta(minutes=rnd.randint(3, 60 * 24 * 6))
            row = SenderDomain.create(
                user=user.id, domain=domain, status=status, verification_meta={"DNSRecords": records}, policy_meta=[],
                options=options, created_at=created, dkim_selector=selector,
                dkim_public_key=key.public_b64, dkim_private_key=key.private_pem,
            )
            result.domains.append(DemoDomain(row.id, domain, status, dns_state, host, records, checked_state, last_checked))
            recorded = index % 5 != 3  # every fifth domain reports no deliveries (non-PowerMTA)
            for day, sent, delivered, bounced, complaints in _daily_stats(
                rnd, profile, shape, today, created.date(), days, recorded
            ):
                stat_rows.append((row.id, day, sent, delivered, bounced, complaints))
        write_counts(stat_rows, add=False)
        result.stat_rows = len(stat_rows)
    stat_store.refresh_figures(today)  # the list's figures stored, as the first list of a day stores them
    _verify_as_last_checked(ctx, result)
    return result


class _NothingCached:
    """The build's verifier keeps no probe or DNS-host answers: they were answered by the
    zones as they were, and Verify in the demo must ask the zones as they are now."""

    def get(self, key: str) -> None:
        return None

    def set(self, key: str, value: object, ttl: float) -> None:
        pass

    def delete(self, *keys: str) -> None:
        pass


def _verify_as_last_checked(ctx, result: DemoResult) -> None:
    """Store what the verifier said at each domain's last check.

    ``service.verify_domain`` runs against the zones as they were then, served on loopback,
    and stores its flags, evidence and Status as it does for a user; then each domain gets
    its own check time back. The verifier's Status must be the one the demo planned.
    """
    checked = [d for d in result.domains if d.checked_state is not None]
    with LocalDNS(_zones(ctx.settings, result, as_last_checked=True)) as server:
        settings = dataclasses.replace(ctx.settings, nameservers=[server.address])
        service = SenderDomainService(settings, ctx.clock, _NothingCached(), ctx.limiter)

        async def verify_each() -> None:
            for demo in checked:  # one at a time: the build is a few hundred loopback queries
                await service.verify_domain(result.user, demo.id)

        asyncio.run(verify_each())
    with write_transaction():
        for demo in checked:
            row = SenderDomain.get_by_id(demo.id)
            if row.status != demo.status:
                raise RuntimeError(f"demo: the verifier left {demo.name} {row.status}, not {demo.status}")
            SenderDomain.update(last_verified_at=demo.last_checked).where(SenderDomain.id == demo.id).execute()


def demo_zones(settings, result: DemoResult) -> dict[str, dict]:
    """Zones for ``core.localdns.LocalDNS``: each demo domain as its DNS state says now, plus
    the platform's names and the old provider the misconfigured records point at."""
    return _zones(settings, result, as_last_checked=False)


def _zones(settings, result: DemoResult, *, as_last_checked: bool) -> dict[str, dict]:
    """The demo's zones now, or as they were at each domain's last check (a "fixed" domain
    still broken then)."""
    zones: dict[str, dict] = {}
    for demo in result.domains:
        records, domain = demo.records, demo.name
        state = demo.checked_state if as_last_checked else demo.dns_state
        ns = [("NS", n) for n in NAMESERVERS[demo.dns_host]]
        if state in (None, "never"):
            zones[domain] = {"@": ns}
            continue
        broken = _fault_host(records, domain, state)
        published = {h: r for h, r in records.items() if h != broken}
        zone = records_zone(domain, published)
        zone.setdefault("@", []).extend(ns)
        if broken:
            rel = _rel(broken, domain)
            value = records[broken][1]
            if state == "spf":
                zone["@"].append(("TXT", f"v=spf1 include:spf.{OLD_PROVIDER} ~all"))
            elif state == "dkim_truncated":
                zone[rel] = [("TXT", value[:255])]
            elif state == "cname_wrong":
                zone[rel] = [("CNAME", f"bounces.{OLD_PROVIDER}.")]
            elif state == "appended":
                zone[f"{rel}.{domain}"] = [("CNAME", value)]
            elif state == "proxied":
                zone[rel] = [("A", "104.21.32.1"), ("A", "172.67.70.2")]
            # dmarc_missing: nothing published at _dmarc
        zones[domain] = zone
    zones.update(_platform_zones(settings.platform))
    return zones


def _platform_zones(platform) -> dict[str, dict]:
    """The names the records point at (return path, tracking, SPF include), grouped by zone."""
    zones: dict[str, dict] = {}

    def put(name: str, rtype: str, value: str) -> None:
        name = name.rstrip(".")
        parent = name.split(".", 1)[1] if name.count(".") >= 2 else name
        rel = "@" if name == parent else name[: -len(parent) - 1]
        zones.setdefault(parent, {}).setdefault(rel, []).append((rtype, value))

    put(platform.return_path_host, "A", "192.0.2.25")
    put(platform.tracking_host, "A", "192.0.2.80")
    put(platform.spf_include, "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    put(f"spf.{OLD_PROVIDER}", "TXT", "v=spf1 ip4:198.51.100.0/24 -all")
    put(f"bounces.{OLD_PROVIDER}", "A", "198.51.100.25")
    return zones


def serve_demo_dns(settings, result: DemoResult):
    """Start a loopback DNS server for the demo zones and point ``settings.nameservers`` at it.

    Returns the started ``LocalDNS``; call ``stop()`` when done.
    """
    server = LocalDNS(demo_zones(settings, result)).start()
    settings.nameservers = [server.address]
    return server
