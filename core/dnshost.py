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

from core.probe import OK, Prober, absolute

UNKNOWN = "unknown"
DNSHOST_CACHE_TTL = 3600.0

# Label -> nameserver host suffixes. The spec's 17 first, then a few more seen often.
PROVIDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cloudflare", ("cloudflare.com",)),
    ("Route 53", ("awsdns",)),  # ns-123.awsdns-45.com / .net / .org / .co.uk
    ("GoDaddy", ("domaincontrol.com",)),
    ("Namecheap", ("registrar-servers.com", "namecheaphosting.com")),
    ("DigitalOcean", ("digitalocean.com",)),
    ("Gandi", ("gandi.net",)),
    ("OVH", ("ovh.net", "ovh.ca", "anycast.me")),
    ("Bluehost", ("bluehost.com",)),
    ("HostGator", ("hostgator.com",)),
    ("eNom", ("name-services.com", "enom.com")),
    ("Dynadot", ("dynadot.com",)),
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
    return labels.most_common(1)[0][0] if labels else UNKNOWN


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
        return cls(data.get("Apex"), str(data.get("DnsHost") or UNKNOWN), [str(n) for n in data["Nameservers"]])


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
                servers = sorted({v.rstrip(".") for v in result.values})
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
    return HostInfo(None, UNKNOWN, [])


async def detect(prober: Prober, cache, domain: str) -> HostInfo:
    """``find_host`` behind the one-hour cache (only answers that found nameservers are kept)."""
    key = cache_key(domain)
    try:
        cached = HostInfo.from_json(cache.get(key))
    except Exception:
        cached = None
    if cached is not None:
        return cached
    info = await find_host(prober, domain)
    if info.nameservers:
        try:
            cache.set(key, info.to_json(), DNSHOST_CACHE_TTL)
        except Exception:
            pass
    return info
