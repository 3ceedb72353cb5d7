"""Which DNS provider hosts a domain, and the zone it sits in: NS records at the zone's apex
(the SOA owner), mapped to a label.

``detect`` walks up from the sender domain to the apex (a negative answer's SOA names the
zone, so a subdomain usually costs one extra query), maps the nameservers to one of the
providers below and never raises: any failure is ``unknown`` with whatever nameservers were
found. Answers are cached for an hour under ``dnshost:<domain>``; failures are not cached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.db import off_loop
from core.probe import OK, Prober, absolute

UNKNOWN_HOST = "unknown"  # the spec's DnsHost when no provider is known
DNSHOST_CACHE_TTL = 3600.0

# Label -> nameserver host suffixes, from each provider's documented nameservers. The
# spec's 17 first, then a few more seen often.
PROVIDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cloudflare", ("cloudflare.com",)),  # ana.ns.cloudflare.com
    ("Route 53", ("awsdns",)),  # ns-123.awsdns-45.com / .net / .org / .co.uk
    ("GoDaddy", ("domaincontrol.com", "secureserver.net")),  # ns51.domaincontrol.com; hosting: ns1.secureserver.net
    ("Namecheap", ("registrar-servers.com", "namecheaphosting.com")),  # dns1.…, pdns1.… (PremiumDNS)
    ("DigitalOcean", ("digitalocean.com",)),  # ns1.digitalocean.com
    ("Gandi", ("gandi.net",)),  # ns-1-a.gandi.net (LiveDNS), a.dns.gandi.net
    ("OVH", ("ovh.net", "ovh.ca", "anycast.me")),  # dns10.ovh.net, ns10.ovh.net, dns200.anycast.me
    ("Bluehost", ("bluehost.com",)),  # ns1.bluehost.com
    # ns1234.hostgator.com, hgns1.hostgator.com; shared servers: ns1234.websitewelcome.com
    ("HostGator", ("hostgator.com", "websitewelcome.com", "hostgator.com.br", "hostgator.mx")),
    ("eNom", ("name-services.com", "enom.com")),  # dns1.name-services.com
    ("Dynadot", ("dyna-ns.net", "dynadot.com")),  # ns1.dyna-ns.net (current), ns1.dynadot.com (older)
    ("Azure DNS", ("azure-dns.com", "azure-dns.net", "azure-dns.org", "azure-dns.info")),
    ("Google Cloud DNS", ("ns-cloud",)),  # ns-cloud-a1.googledomains.com
    ("Google Domains", ("googledomains.com",)),
    ("Hover", ("hover.com",)),
    ("DreamHost", ("dreamhost.com",)),
    ("Linode", ("linode.com",)),
    ("NS1", ("nsone.net",)),
    ("DNSimple", ("dnsimple.com", "dnsimple-edge.net")),
    ("Hetzner", ("hetzner.com", "hetzner.de", "your-server.de")),
    ("Porkbun", ("porkbun.com",)),
    ("Vercel", ("vercel-dns.com",)),
    ("IONOS", ("ui-dns.com", "ui-dns.de", "ui-dns.org", "ui-dns.biz")),
)


def provider_of(nameserver: str) -> str | None:
    """The provider label of one nameserver host name, or None."""
    host = nameserver.strip().lower().rstrip(".")
    labels = host.split(".")
    for label, suffixes in PROVIDERS:
        for suffix in suffixes:
            if "." not in suffix:  # a marker inside one label (awsdns-45, ns-cloud-a1)
                if any(part.startswith(suffix) for part in labels):
                    return label
            elif host == suffix or host.endswith("." + suffix):
                return label
    return None


def provider_for(nameservers: list[str]) -> str:
    """The label most of the nameservers map to; ``unknown`` when none map."""
    labels = Counter(p for p in (provider_of(ns) for ns in nameservers) if p)
    return labels.most_common(1)[0][0] if labels else UNKNOWN_HOST


@dataclass
class HostInfo:
    apex: str | None
    dns_host: str
    nameservers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"Apex": self.apex, "DnsHost": self.dns_host, "Nameservers": self.nameservers}

    @classmethod
    def from_json(cls, data: Any) -> "HostInfo | None":
        if not isinstance(data, dict) or not isinstance(data.get("Nameservers"), list):
            return None
        return cls(data.get("Apex"), str(data.get("DnsHost") or UNKNOWN_HOST), [str(n) for n in data["Nameservers"]])


@dataclass
class DnsHostOutcome:
    domain_id: int
    sender_domain: str
    dns_host: str
    nameservers: list[str]
    zone: str | None = None  # the apex of the zone holding the domain (ASCII); None: not found


def cache_key(domain: str) -> str:
    return f"dnshost:{domain.lower().rstrip('.')}"


async def find_host(prober: Prober, domain: str) -> HostInfo:
    """NS at the apex of ``domain`` (walking up), mapped to a provider; never raises."""
    try:
        name = absolute(domain)
        for _ in range(name.count(".")):
            if name.count(".") < 2:  # a top-level domain is nobody's DNS host
                break
            result = await prober.lookup(name, "NS")
            if result.status == OK and result.values:
                # As DNS gave them (its order, duplicates and all), for display verbatim; names
                # without the root's trailing dot, as the spec's example shows them.
                servers = [v[:-1] if v.endswith(".") else v for v in result.values]
                return HostInfo(name.rstrip("."), provider_for(servers), servers)
            if not result.answered:
                break
            parent = name.split(".", 1)[1]
            zone = result.zone
            if zone and zone != name and name.endswith("." + zone) and zone.count(".") >= 2:
                parent = zone
            name = parent
    except Exception:  # the subtitle is a nice-to-have: nothing here may fail a command
        pass
    return HostInfo(None, UNKNOWN_HOST, [])


async def detect(prober: Prober, cache, domain: str) -> HostInfo:
    """``find_host`` behind the one-hour cache (only answers that found nameservers are kept)."""
    key = cache_key(domain)
    try:
        cached = HostInfo.from_json(await off_loop(cache.get, key))  # the cache may be the database
    except Exception:
        cached = None
    if cached is not None:
        return cached
    info = await find_host(prober, domain)
    if info.nameservers:
        try:
            await off_loop(cache.set, key, info.to_json(), DNSHOST_CACHE_TTL)
        except Exception:
            pass
    return info
