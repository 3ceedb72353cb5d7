"""How to type a record into a particular DNS host's control panel (pure; no I/O, no textual).

``record_hint(dns_host, zone, host, rtype, value)`` answers a ``HostHint``: what to put in
the panel's name field, what to put in its value field, and notes that save a round trip
(Cloudflare's proxy must be off for CNAMEs; consoles that want TXT values quoted). Host
names are compared case-insensitively to the labels ``detect_dns_host`` returns.

Names are relative to the **zone** the record goes into — its apex, the SOA owner — which is
the sender domain itself only when the domain is a zone of its own: for
``shop.fabrikam.example`` in the zone ``fabrikam.example`` the panel wants ``sl.shop``, and
the domain's own SPF record goes at ``shop``, not at ``@`` (the parent's apex, whose own
SPF record a second one would break).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How a provider's panel treats the name field.
APPENDS = "appends"  # types "sl"; the panel adds ".example.com"
FULL = "full"  # wants the whole name, ending in a dot

# Label -> (name style, what the apex is called, whether CNAME/TXT targets need a trailing dot,
#           TXT values must be quoted and split into 255-character strings)
_PROVIDERS: dict[str, tuple[str, str, bool, bool]] = {
    "cloudflare": (APPENDS, "@", False, False),
    "route 53": (APPENDS, "(leave Record name empty)", False, True),
    "godaddy": (APPENDS, "@", False, False),
    "namecheap": (APPENDS, "@", False, False),
    "digitalocean": (APPENDS, "@", True, False),
    "gandi": (APPENDS, "@", True, False),
    "ovh": (APPENDS, "(leave Sub-domain empty)", True, False),
    "bluehost": (APPENDS, "@", False, False),
    "hostgator": (FULL, "", True, False),
    "enom": (APPENDS, "@", False, False),
    "dynadot": (APPENDS, "(leave Subdomain empty)", False, False),
    "azure dns": (APPENDS, "@", False, False),
    "google domains": (APPENDS, "@", False, False),
    "google cloud dns": (APPENDS, "(leave DNS name empty)", True, True),
    "hover": (APPENDS, "@", False, False),
    "dreamhost": (APPENDS, "(leave Name empty)", False, False),
    "linode": (APPENDS, "(leave Hostname empty)", False, False),
    "ns1": (APPENDS, "(leave the name empty)", False, False),
    "dnsimple": (APPENDS, "(leave Name empty)", False, False),
    "hetzner": (APPENDS, "@", True, False),
    "porkbun": (APPENDS, "(leave Host empty)", False, False),
    "vercel": (APPENDS, "(leave Name empty)", False, False),
    "ionos": (APPENDS, "@", False, False),
}

KNOWN_HOSTS = tuple(_PROVIDERS)


@dataclass(frozen=True)
class HostHint:
    provider: str  # as given, e.g. "Cloudflare"; "" when unknown
    name: str  # what to type into the name / host field
    value: str  # what to type into the value / target field
    notes: list[str] = field(default_factory=list)
    known: bool = True


def relative_name(host: str, domain: str) -> str:
    """``sl.example.com`` under ``example.com`` -> ``sl``; the apex itself -> ``""``."""
    host = host.rstrip(".").lower()
    domain = domain.rstrip(".").lower()
    if host == domain:
        return ""
    if host.endswith("." + domain):
        return host[: -len(domain) - 1]
    return host


def _split_txt(value: str) -> str:
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


def record_hint(dns_host: str | None, zone: str, host: str, rtype: str, value: str) -> HostHint:
    """How to enter one record (``host``, ASCII) at ``dns_host``, in the zone whose apex is
    ``zone`` (ASCII; the sender domain when its zone is not known)."""
    key = (dns_host or "").strip().lower()
    rtype = rtype.upper()
    domain = zone.rstrip(".").lower()
    relative = relative_name(host, domain)
    provider = _PROVIDERS.get(key)
    if provider is None:
        label = "" if key in ("", "unknown") else dns_host.strip()
        fqdn = host.rstrip(".") + "."
        shown = relative or "@"
        notes = [
            f"If your DNS host adds {domain} for you, enter '{shown}'; "
            f"if it wants the full name, enter '{fqdn}' (with the final dot).",
            f"Entering the full name where {domain} is added gives "
            f"{host.rstrip('.')}.{domain} — a common reason for a record not found.",
        ]
        if rtype == "TXT" and len(value) > 255:
            notes.append("The value is longer than 255 characters; some panels need it split into quoted strings.")
        return HostHint(label, shown, value, notes, known=False)

    style, apex, needs_dot, quote_txt = provider
    name = host.rstrip(".") + "." if style == FULL else (relative or apex)
    notes: list[str] = []
    if style == APPENDS and relative:
        notes.append(f"{dns_host.strip()} adds .{domain} itself: enter '{relative}', not '{host.rstrip('.')}'.")
    shown_value = value
    if rtype in ("CNAME", "MX"):
        shown_value = value if needs_dot else value.rstrip(".")
        if needs_dot:
            notes.append("Keep the final dot on the target, or the panel treats it as a name inside your domain.")
    if rtype == "TXT" and quote_txt:
        shown_value = _split_txt(value)
        notes.append("This console wants TXT values in double quotes, split into strings of at most 255 characters.")
    if key == "cloudflare" and rtype == "CNAME":
        notes.append("Set Proxy status to 'DNS only' (grey cloud): a proxied CNAME answers with Cloudflare's addresses and fails verification.")
    if key == "cloudflare" and rtype == "TXT" and len(value) > 255:
        notes.append("Paste the value as one line; Cloudflare splits long TXT values itself.")
    return HostHint(dns_host.strip(), name, shown_value, notes, known=True)
