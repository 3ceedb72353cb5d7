"""Comparing the records a domain should publish with what DNS answers, as receivers see it.

``check_domains`` looks every record of every domain up at once (through one ``Prober``) and
returns a ``Check`` per record: its state, what was found, a one-line reason and a fix a
person can act on, and for a missing record how long resolvers may cache its absence.
``apply_checks`` turns checks into the stored flags, evidence and Status (the spec's rules).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable, Iterable, Mapping

from cryptography.hazmat.primitives.serialization import load_der_public_key

from core.dnsrecord import (
    COULD_NOT_CHECK,
    MATCHED,
    MISMATCHED,
    MISSING,
    STATES,
    DnsRecord,
    records_from_stored,
    records_to_stored,
)
from core.drift import RecordFinding
from core.plaintext import escape_control
from core.probe import ERROR, NODATA, NXDOMAIN, OK, SERVFAIL, TIMEOUT, Prober, Result, absolute
from core.spf import evaluate_spf, is_spf, with_include
from core.status import after_probe


MAX_CNAME_HOPS = 8
DMARC_POLICIES = ("none", "quarantine", "reject")

def plain(text: str) -> str:
    """An answer as printable text: control and invisible characters become ``\\xNN`` escapes."""
    return escape_control(text)


def same_name(a: str, b: str) -> bool:
    return absolute(a) == absolute(b)


@dataclass
class Check:
    state: str
    found: list[str] = field(default_factory=list)
    reason: str = ""
    fix: str = ""
    negative_ttl: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "State": self.state,
            "Found": [plain(v) for v in self.found],
            "Reason": plain(self.reason),
            "Fix": plain(self.fix),
            "NegativeTTL": self.negative_ttl,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Check":
        state = data.get("State")
        return cls(
            state if state in STATES else COULD_NOT_CHECK,
            [str(v) for v in data.get("Found") or []],
            str(data.get("Reason") or ""),
            str(data.get("Fix") or ""),
            data.get("NegativeTTL") if isinstance(data.get("NegativeTTL"), int) else None,
        )


@dataclass
class VerifyOutcome:
    domain_id: int
    is_verified: bool
    status: str
    records: list[DnsRecord]  # with the flags this verify left stored
    checks: dict[str, dict] = field(default_factory=dict)  # {host: Check JSON}
    cached: bool = False  # answered from the 60 s probe cache


@dataclass
class BulkVerifyOutcome:
    domains: list[VerifyOutcome]
    truncated: bool


def fingerprint(records: Iterable[DnsRecord]) -> str:
    """Identifies the expected records; a cached probe only applies to the same fingerprint."""
    body = json.dumps([[r.host, r.type, r.value] for r in records], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("ascii")).hexdigest()[:24]


# ---- one domain's records --------------------------------------------------------------------


HostHint = Callable[[], Awaitable[str | None]]


async def _no_host() -> str | None:
    return None


@dataclass
class Target:
    """One domain to check: its ASCII name, expected records and, looked up lazily (only when
    a fix needs them), its DNS host and the apex of the zone it sits in (the SOA owner:
    ``fabrikam.example`` for ``shop.fabrikam.example`` unless ``shop`` is a zone of its own)."""

    domain: str
    records: list[DnsRecord]
    spf_include: str
    dns_host: HostHint = _no_host
    zone: HostHint = _no_host  # None: not found; the fixes then name records relative to the domain

    async def name(self, host: str) -> str:
        """``host`` as it is entered in the zone: relative to the zone's apex, ``@`` for the apex."""
        return relative(host, await self.zone_apex())

    async def zone_apex(self) -> str:
        zone = await self.zone()
        return zone if zone and in_zone(self.domain, zone) else self.domain


def in_zone(host: str, zone: str) -> bool:
    host, zone = host.lower().rstrip("."), zone.lower().rstrip(".")
    return host == zone or host.endswith("." + zone)


def relative(host: str, zone: str) -> str:
    """The name to type into a DNS host's form for the zone whose apex is ``zone``:
    ``sl.shop`` for ``sl.shop.fabrikam.example`` in ``fabrikam.example``, ``@`` for the apex."""
    host, zone = host.lower().rstrip("."), zone.lower().rstrip(".")
    if host == zone:
        return "@"
    return host[: -len(zone) - 1] if host.endswith("." + zone) else host


def _could_not(result: Result, what: str) -> Check:
    if result.status == SERVFAIL:
        why = "the nameserver answered SERVFAIL"
    elif result.status == TIMEOUT:
        why = "no answer before the deadline" if result.detail == "deadline" else (result.detail or "timed out")
    else:
        why = result.detail or "the nameserver would not answer"
    return Check(
        COULD_NOT_CHECK,
        [],
        f"could not check {what}: {why}",
        "Try again in a minute; if it persists, check that the domain's nameservers answer",
    )


def _missing_reason(result: Result, name: str, rtype: str) -> str:
    if result.status == NXDOMAIN:
        return f"no record at {name.rstrip('.')} (the name does not exist)"
    return f"{name.rstrip('.')} has no {rtype} record"


async def _appended(prober: Prober, target: Target, host: str, rtype: str) -> Result | None:
    """The record published at ``<host>.<zone>``: the DNS host appended the zone's name to a
    full name typed into its form."""
    doubled = f"{host.rstrip('.')}.{await target.zone_apex()}"
    result = await prober.lookup(doubled, rtype)
    return result if result.status == OK and result.values else None


async def _missing(prober: Prober, target: Target, host: str, rtype: str, result: Result, add: str) -> Check:
    doubled = await _appended(prober, target, host, rtype)
    if doubled is not None:
        rel = await target.name(host)
        provider = await target.dns_host()
        prefix = f"{provider} adds the zone's name to the record name: " if provider else ""
        return Check(
            MISSING,
            [f"{doubled.name.rstrip('.')}: {v}" for v in doubled.values],
            f"no {rtype} at {host}, but {doubled.name.rstrip('.')} has one: the zone's name was appended to the name",
            f"{prefix}enter `{rel}`, not `{host}`, as the record name",
            result.negative_ttl,
        )
    return Check(MISSING, [], _missing_reason(result, host, rtype), add, result.negative_ttl)


async def check_cname(prober: Prober, target: Target, host: str, expected: str) -> Check:
    result = await prober.lookup(host, "CNAME")
    if not result.answered:
        return _could_not(result, f"the CNAME at {host}")
    if result.status == OK and result.values:
        chain = [result.values[0]]
        while not same_name(chain[-1], expected) and len(chain) <= MAX_CNAME_HOPS:
            hop = await prober.lookup(chain[-1], "CNAME")
            if not hop.answered:
                return _could_not(hop, f"the CNAME chain at {chain[-1]}")
            if not hop.values or hop.values[0] in chain:
                break
            chain.append(hop.values[0])
        if same_name(chain[-1], expected):
            reason = f"CNAME to {chain[-1]}" if len(chain) == 1 else "CNAME chain " + " → ".join([host, *chain])
            return Check(MATCHED, chain, reason)
        rel = await target.name(host)
        return Check(
            MISMATCHED,
            chain,
            f"found CNAME {chain[0]}, expected {absolute(expected)}"
            + (f" (the chain ends at {chain[-1]})" if len(chain) > 1 else ""),
            f"Change the CNAME for `{rel}` to point at `{absolute(expected)}`",
        )
    if result.status == NODATA:
        # No CNAME, but the name exists: a proxied or flattened record answers with addresses.
        a, aaaa = await asyncio.gather(prober.lookup(host, "A"), prober.lookup(host, "AAAA"))
        addresses = [*a.values, *aaaa.values] if a.status == OK or aaaa.status == OK else []
        if addresses:
            rel = await target.name(host)
            provider = await target.dns_host()
            if provider == "Cloudflare":
                fix = f"Cloudflare: turn the proxy off for {rel} (DNS only, grey cloud) so the CNAME is visible"
            else:
                prefix = f"{provider}: " if provider else ""
                fix = f"{prefix}replace the A/AAAA records of `{rel}` with a CNAME to `{absolute(expected)}`; turn off proxying or CNAME flattening"
            return Check(
                MISMATCHED,
                addresses,
                f"expected a CNAME to {absolute(expected)} but {host} answers with addresses: the record is proxied or flattened",
                fix,
            )
    add = f"Add a CNAME record: name `{await target.name(host)}`, target `{absolute(expected)}`"
    return await _missing(prober, target, host, "CNAME", result, add)


async def check_spf(prober: Prober, target: Target, host: str, expected: str) -> Check:
    include = next((t.split(":", 1)[1] for t in expected.split() if t.lower().startswith("include:")), target.spf_include)
    result = await prober.lookup(host, "TXT")
    if not result.answered:
        return _could_not(result, f"the SPF record at {host}")
    records = [v for v in result.values if is_spf(v)]
    if not records:
        # At the sender domain's own name in its zone: `@` only when the domain is the zone's
        # apex; for shop.fabrikam.example in fabrikam.example, `shop` (the parent's `@` holds
        # the parent's SPF record, which a second one there would break).
        at = await target.name(host)
        if result.values:
            return Check(
                MISSING,
                list(result.values),  # shown so the user sees what is published instead
                f"{host} has {len(result.values)} TXT record{'s' if len(result.values) != 1 else ''} but none is SPF (v=spf1)",
                f"Add a TXT record at `{at}`: {expected}",
            )
        return await _missing(prober, target, host, "TXT", result, f"Add a TXT record at `{at}`: {expected}")
    if len(records) > 1:
        return Check(
            MISMATCHED,
            records,
            f"{len(records)} SPF records at {host}: receivers answer PermError",
            f"Merge them into one v=spf1 record that keeps include:{include.rstrip('.')}",
        )
    evaluation = await evaluate_spf(prober, records[0], target.domain, include)
    if evaluation.problems:
        return Check(
            MISMATCHED,
            records,
            evaluation.problems[0],
            "Remove includes you no longer use or replace them with ip4:/ip6: ranges, so the record stays within RFC 7208's limits"
            if "lookups" in evaluation.problems[0]
            else "Fix the SPF record so every include and redirect names exactly one SPF record",
        )
    if evaluation.authorised:
        return Check(MATCHED, records, f"SPF authorises include:{include.rstrip('.')}")
    if evaluation.unknown is not None:
        return _could_not(evaluation.unknown, f"an include of the SPF record at {host}")
    reason = f"the SPF record does not authorise include:{include.rstrip('.')}"
    lowered = records[0].lower()
    if f"include:{include.rstrip('.').lower()}" in lowered:
        reason += " (it comes after the all term, or has a qualifier that does not pass)"
    return Check(MISMATCHED, records, reason, f"Change the TXT record at `{await target.name(host)}` to: {with_include(records[0], include)}")


def parse_tags(text: str) -> dict[str, str] | None:
    """A DKIM/DMARC tag list; None when it is not one. Whitespace and a trailing ``;`` are ignored."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        if not eq or not name.strip():
            return None
        tags.setdefault(name.strip().lower(), value.strip())
    return tags


def _dkim_matches(result: Result, expected: str) -> bool:
    """The one TXT answer is the expected DKIM key (no fix text needed, so no zone lookup)."""
    if len(result.values) != 1:
        return False
    tags, want = parse_tags(result.values[0]), parse_tags(expected) or {}
    if tags is None or "p" not in tags:
        return False
    same_key = "".join(tags["p"].split()) == "".join(want.get("p", "").split())
    return (
        same_key
        and tags.get("v", "DKIM1").upper() == want.get("v", "DKIM1").upper()
        and tags.get("k", "rsa").lower() == want.get("k", "rsa").lower()
    )


def _key_problem(found: str, expected: str) -> str:
    """Why ``found`` (a p= value) is not the expected key."""
    try:
        der = base64.b64decode(found, validate=True)
    except (binascii.Error, ValueError):
        return f"the DKIM key (p=) is not valid base64: it looks truncated or mangled ({len(found)} of {len(expected)} characters)"
    if expected.startswith(found):
        return f"the DKIM key (p=) is truncated: {len(found)} of {len(expected)} characters"
    try:
        load_der_public_key(der)
    except Exception:
        return "the DKIM key (p=) is not a complete public key: it looks truncated"
    return "a different DKIM key is published at this selector"


async def check_dkim(prober: Prober, target: Target, host: str, expected: str) -> Check:
    result = await prober.lookup(host, "TXT")
    if not result.answered:
        return _could_not(result, f"the DKIM record at {host}")
    rel = await target.name(host) if not _dkim_matches(result, expected) else ""
    if not result.values:
        return await _missing(prober, target, host, "TXT", result, f"Add a TXT record at `{rel}` with the DKIM value shown")
    if len(result.values) > 1:
        return Check(
            MISMATCHED,
            list(result.values),
            f"{len(result.values)} TXT records at {host}: receivers may pick the wrong one",
            f"Keep only the DKIM record at `{rel}`; delete the others",
        )
    found = result.values[0]
    want = parse_tags(expected) or {}
    tags = parse_tags(found)
    if tags is None or "p" not in tags:
        return Check(MISMATCHED, [found], f"the TXT record at {host} is not a DKIM key", f"Replace it with the DKIM value shown for `{rel}`")
    p_found = "".join(tags["p"].split())
    p_want = "".join(want.get("p", "").split())
    problems = []
    if tags.get("v", "DKIM1").upper() != want.get("v", "DKIM1").upper():
        problems.append(f"v={tags.get('v')} (expected {want.get('v', 'DKIM1')})")
    if tags.get("k", "rsa").lower() != want.get("k", "rsa").lower():
        problems.append(f"k={tags.get('k')} (expected {want.get('k', 'rsa')})")
    if p_found != p_want:
        problems.insert(0, "the key is empty: it was revoked" if not p_found else _key_problem(p_found, p_want))
    if not problems:
        return Check(MATCHED, [found], "DKIM key matches")
    provider = await target.dns_host() if "truncated" in problems[0] else None
    fix = f"Paste the whole DKIM value for `{rel}`"
    if "truncated" in problems[0]:
        fix += "; if the form limits TXT values to 255 characters, split it into several quoted strings"
        if provider:
            fix = f"{provider}: {fix[0].lower()}{fix[1:]}"
    return Check(MISMATCHED, [found], "; ".join(problems), fix)


_DMARC = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.I)


async def check_dmarc(prober: Prober, target: Target, host: str, expected: str) -> Check:
    result = await prober.lookup(host, "TXT")
    if not result.answered:
        return _could_not(result, f"the DMARC record at {host}")
    records = [v for v in result.values if _DMARC.match(v)]
    valid = len(records) == 1 and (parse_tags(records[0]) or {}).get("p", "").lower() in DMARC_POLICIES
    rel = await target.name(host) if not valid else ""
    add = f"Add a TXT record at `{rel}`: {expected}"
    if not records:
        if result.values:
            return Check(MISSING, [], f"{host} has TXT records but none starts with v=DMARC1", add)
        return await _missing(prober, target, host, "TXT", result, add)
    if len(records) > 1:
        return Check(
            MISMATCHED,
            records,
            f"{len(records)} DMARC records at {host}: receivers ignore them all",
            f"Keep one v=DMARC1 record at `{rel}`",
        )
    tags = parse_tags(records[0]) or {}
    policy = tags.get("p", "").lower()
    if policy not in DMARC_POLICIES:
        return Check(
            MISMATCHED,
            records,
            "the DMARC record has no valid p= policy" + (f" (found p={tags['p']})" if "p" in tags else ""),
            f"Set p=none, p=quarantine or p=reject in the record at `{rel}`; for example: {expected}",
        )
    return Check(MATCHED, records, f"DMARC policy p={policy}")


async def check_txt(prober: Prober, target: Target, host: str, expected: str) -> Check:
    result = await prober.lookup(host, "TXT")
    if not result.answered:
        return _could_not(result, f"the TXT record at {host}")
    if any(v.strip() == expected.strip() for v in result.values):
        return Check(MATCHED, [expected], "TXT record matches")
    rel = await target.name(host)
    if not result.values:
        return await _missing(prober, target, host, "TXT", result, f"Add a TXT record at `{rel}`: {expected}")
    return Check(MISMATCHED, list(result.values), f"no TXT record at {host} has the expected value", f"Add a TXT record at `{rel}`: {expected}")


async def check_set(prober: Prober, target: Target, host: str, rtype: str, expected: str) -> Check:
    """A / AAAA / MX / anything else: the expected value is one of the answers."""
    result = await prober.lookup(host, rtype)
    if not result.answered:
        return _could_not(result, f"the {rtype} record at {host}")
    norm = lambda v: " ".join(v.lower().rstrip(".").split())  # noqa: E731
    if result.values and any(norm(v) == norm(expected) for v in result.values):
        return Check(MATCHED, list(result.values), f"{rtype} record matches")
    rel = await target.name(host)
    if not result.values:
        return await _missing(prober, target, host, rtype, result, f"Add a {rtype} record at `{rel}`: {expected}")
    return Check(MISMATCHED, list(result.values), f"found {rtype} {', '.join(result.values)}, expected {expected}", f"Set the {rtype} record at `{rel}` to {expected}")


def kind_of(host: str, rtype: str, value: str) -> str:
    rtype = rtype.upper()
    if rtype == "TXT":
        if is_spf(value):
            return "spf"
        if "._domainkey." in f".{host.lower()}.":
            return "dkim"
        if host.lower().startswith("_dmarc."):
            return "dmarc"
        return "txt"
    return rtype.lower()


async def check_record(prober: Prober, target: Target, host: str, rtype: str, value: str) -> Check:
    try:
        kind = kind_of(host, rtype, value)
        if kind == "cname":
            return await check_cname(prober, target, host, value)
        if kind == "spf":
            return await check_spf(prober, target, host, value)
        if kind == "dkim":
            return await check_dkim(prober, target, host, value)
        if kind == "dmarc":
            return await check_dmarc(prober, target, host, value)
        if kind == "txt":
            return await check_txt(prober, target, host, value)
        return await check_set(prober, target, host, rtype.upper(), value)
    except (ValueError, UnicodeError) as exc:  # a name dnspython cannot encode
        return Check(COULD_NOT_CHECK, [], f"could not check {host}: {exc}", "Regenerate the records for this domain")


async def check_domain(prober: Prober, target: Target) -> dict[str, Check]:
    checks = await asyncio.gather(*(check_record(prober, target, r.host, r.type, r.value) for r in target.records))
    return {r.host: check for r, check in zip(target.records, checks)}


async def check_domains(prober: Prober, targets: list[Target]) -> list[dict[str, Check]]:
    """Every record of every target, looked up concurrently."""
    return list(await asyncio.gather(*(check_domain(prober, t) for t in targets)))


# ---- the spec's status rules -------------------------------------------------------------------


def apply_checks(meta: Mapping[str, Any], checks: Mapping[str, Check], status: str) -> tuple[dict, str, bool]:
    """(new VerificationMeta, new Status, IsVerified) after a probe.

    A matched record's flag becomes true, a mismatched or missing one false; a record that
    could not be checked keeps its previous flag. All matched: Enabled; any mismatched or
    missing: Approval Pending; otherwise the Status stays. Disabled and Suspended stay.
    Other VerificationMeta keys are kept.
    """
    records = records_from_stored(meta.get("DNSRecords"))
    flagged = []
    for record in records:
        check = checks.get(record.host)
        if check is not None and check.state != COULD_NOT_CHECK:  # could not check: the flag stays
            record = replace(record, verified=check.state == MATCHED)
        flagged.append(record)
    new_meta = {
        **meta,
        "DNSRecords": records_to_stored(flagged, with_flag=True),
        "Checks": {r.host: checks[r.host].to_json() for r in records if r.host in checks},
    }
    states = [checks[r.host].state if r.host in checks else COULD_NOT_CHECK for r in records]
    verified = bool(states) and all(s == MATCHED for s in states)
    failed = any(s in (MISMATCHED, MISSING) for s in states)
    return new_meta, after_probe(status, verified=verified, failed=failed), verified


def findings(records: Iterable[DnsRecord], checks: Mapping[str, Check]) -> list[RecordFinding]:
    """Each record's state and evidence after a check (``core.drift``'s input); a record
    without a check could not be checked."""
    out = []
    for record in records:
        check = checks.get(record.host)
        if check is None:
            out.append(RecordFinding(record, COULD_NOT_CHECK))
        else:
            out.append(RecordFinding(record, check.state, tuple(plain(v) for v in check.found), plain(check.reason)))
    return out


__all__ = [
    "Check",
    "findings",
    "VerifyOutcome",
    "BulkVerifyOutcome",
    "Target",
    "check_domains",
    "check_domain",
    "apply_checks",
    "fingerprint",
    "parse_tags",
    "plain",
    "MATCHED",
    "MISMATCHED",
    "MISSING",
    "COULD_NOT_CHECK",
    "ERROR",
    "NODATA",
]
