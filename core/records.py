"""The DNS record template: pure functions from a domain, its options and the platform.

``build_records`` returns the ordered ``{host: [Type, Value]}`` map the user must publish.
Hosts are ASCII without a trailing dot (as the spec shows them); CNAME targets are fully
qualified with a trailing dot. The same inputs always give the same records.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import PlatformSettings

DKIM_KEY_BITS = 2048


@dataclass(frozen=True)
class DkimKey:
    public_b64: str  # base64 DER SubjectPublicKeyInfo: the p= tag
    private_pem: str


@dataclass(frozen=True)
class DkimExport:
    domain: str  # ASCII
    selector: str
    private_pem: str

    def pmta_line(self, path: str) -> str:
        """PowerMTA's signing directive for this key (``domain-key selector,domain,file``)."""
        return f"domain-key {self.selector},{self.domain},{path}"


def generate_dkim_key(bits: int = DKIM_KEY_BITS) -> DkimKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return DkimKey(base64.b64encode(public_der).decode("ascii"), private_pem)


def fqdn(host: str) -> str:
    return host if host.endswith(".") else host + "."


def mfrom_subdomain(options: Mapping, default: str) -> str:
    return options.get("CustomSubdomain") or default


def track_prefix(options: Mapping, default: str) -> str:
    return options.get("CustomTrackPrefix") or default


def mfrom_host(domain: str, options: Mapping, default_subdomain: str) -> str:
    """The MFROM / return-path domain (SenderDomains::BuildMFROMDomain)."""
    return f"{mfrom_subdomain(options, default_subdomain)}.{domain}"


def tracking_host(domain: str, options: Mapping, default_subdomain: str, default_prefix: str) -> str | None:
    """The click-tracking domain (SenderDomains::BuildTrackingDomain); None when disabled."""
    if options.get("TrackPrefixDisabled"):
        return None
    sub = mfrom_subdomain(options, default_subdomain)
    return f"{track_prefix(options, default_prefix)}-{sub}.{domain}"


def dkim_host(domain: str, selector: str) -> str:
    return f"{selector}._domainkey.{domain}"


def dkim_value(public_b64: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_b64}"


def spf_value(platform: PlatformSettings) -> str:
    return f"v=spf1 include:{platform.spf_include.rstrip('.')} ~all"


def dmarc_value(platform: PlatformSettings) -> str:
    value = f"v=DMARC1; p={platform.dmarc_policy}"
    if platform.dmarc_report_address:
        value += f"; rua=mailto:{platform.dmarc_report_address.removeprefix('mailto:')}"
    return value


def build_records(
    domain: str,
    options: Mapping,
    platform: PlatformSettings,
    *,
    dkim_selector: str,
    dkim_public_b64: str,
    default_subdomain: str = "sl",
    default_prefix: str = "track",
) -> dict[str, list[str]]:
    """The records for ``domain`` (ASCII), in the order a person should add them."""
    records: dict[str, list[str]] = {
        mfrom_host(domain, options, default_subdomain): ["CNAME", fqdn(platform.return_path_host)],
    }
    track = tracking_host(domain, options, default_subdomain, default_prefix)
    if track:
        records[track] = ["CNAME", fqdn(platform.tracking_host)]
    records[domain] = ["TXT", spf_value(platform)]
    records[dkim_host(domain, dkim_selector)] = ["TXT", dkim_value(dkim_public_b64)]
    records[f"_dmarc.{domain}"] = ["TXT", dmarc_value(platform)]
    return records


def longest_record_name(domain: str, options: Mapping, dkim_selector: str, default_subdomain: str, default_prefix: str) -> str:
    names = [mfrom_host(domain, options, default_subdomain), dkim_host(domain, dkim_selector), f"_dmarc.{domain}"]
    track = tracking_host(domain, options, default_subdomain, default_prefix)
    if track:
        names.append(track)
    return max(names, key=len)


def zone_snippet(records: Mapping[str, list], ttl: int = 3600, origin: str | None = None) -> str:
    """The records as BIND zone-file lines, TXT values split into 255-byte strings.

    ``origin``: the apex of the zone the records go into (ASCII). Given, the snippet starts
    with ``$ORIGIN origin.`` and names each record relative to it (``sl.shop`` in
    ``fabrikam.example``, ``@`` for the apex itself), as it is entered in that zone; names
    outside it stay absolute. Without it, every name is absolute (with its final dot).
    """
    lines = [f"$ORIGIN {fqdn(origin)}"] if origin else []
    for host, record in records.items():
        rtype, value = record[0], record[1]
        if rtype == "TXT":
            chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
            rdata = " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)
        else:
            rdata = value
        lines.append(f"{name_in(host, origin) if origin else fqdn(host)}\t{ttl}\tIN\t{rtype}\t{rdata}")
    return "\n".join(lines) + "\n"


def name_in(host: str, origin: str) -> str:
    """``host`` relative to the zone apex ``origin``: ``@`` for the apex, ``sl.shop`` below
    it, the absolute name (final dot) for a name outside the zone."""
    host, origin = host.lower().rstrip("."), origin.lower().rstrip(".")
    if host == origin:
        return "@"
    if host.endswith("." + origin):
        return host[: -len(origin) - 1]
    return fqdn(host)
