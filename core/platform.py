"""The platform's own DNS, checked once per sweep (and by ``senderdeck sweep --platform-only``).

Every tenant's records point at the platform: the MFROM CNAME at ``return_path_host``, the
tracking CNAME at ``tracking_host``, SPF at ``include:spf_include``, DMARC reports to
``dmarc_report_address``. Tenants' checks compare names and never resolve these, so a broken
platform record is reported here, once, as the platform's problem — never as every
tenant's drift:

- the return-path and tracking hosts resolve (A or AAAA, through CNAMEs);
- the SPF include is exactly one ``v=spf1`` record, within RFC 7208's limits counted as a
  receiver counts them (``core.spf.count_lookups``), leaving room for the tenant's own
  ``include:`` term (10 lookups in all);
- when the DMARC report address is in another domain than a tenant's, that domain authorises
  the reports (RFC 7489 §7.1): a receiver asks ``<tenant domain>._report._dmarc.<report
  domain>`` for a ``v=DMARC1`` TXT record and, without one, sends no aggregate reports. A
  wildcard (``*._report._dmarc.<report domain>``) covers every tenant; without one each
  tenant domain in scope is asked. "Another domain" compares names, not Organizational
  Domains (no public suffix list): a tenant domain equal to the report domain, or above or
  below it, needs no authorisation.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from core.probe import Prober
from core.settings import PlatformSettings
from core.spf import SPF_LOOKUP_LIMIT, count_lookups, is_spf

FINE = "ok"
BROKEN = "broken"
COULD_NOT_CHECK = "could_not_check"
SHOWN_DOMAINS = 5  # unauthorised tenant domains named in a finding
MAX_NAME = 253


@dataclass
class PlatformFinding:
    check: str  # return_path_host | tracking_host | spf_include | dmarc_reports
    host: str
    state: str  # ok | broken | could_not_check
    detail: str
    fix: str = ""

    @property
    def broken(self) -> bool:
        return self.state == BROKEN

    def to_json(self) -> dict[str, Any]:
        return {"Check": self.check, "Host": self.host, "State": self.state, "Detail": self.detail, "Fix": self.fix}


async def check_platform(prober: Prober, platform: PlatformSettings, tenant_domains: list[str]) -> list[PlatformFinding]:
    """Every platform check; each runs on its own fork of ``prober`` (its own deadline)."""
    checks = [
        resolves(prober.fork(), "return_path_host", platform.return_path_host),
        resolves(prober.fork(), "tracking_host", platform.tracking_host),
        spf_include(prober.fork(), platform.spf_include),
    ]
    report_domain = report_domain_of(platform.dmarc_report_address)
    if report_domain:
        checks.append(reports_authorised(prober, report_domain, tenant_domains))
    return list(await asyncio.gather(*checks))


def _could_not(check: str, host: str, why: str) -> PlatformFinding:
    return PlatformFinding(check, host, COULD_NOT_CHECK, f"could not check {host}: {why}", "Try again; check that the resolver answers")


async def resolves(prober: Prober, check: str, host: str) -> PlatformFinding:
    name = host.rstrip(".")
    a, aaaa = await asyncio.gather(prober.lookup(name, "A"), prober.lookup(name, "AAAA"))
    addresses = [*a.values, *aaaa.values]
    if addresses:
        via = f" via {' → '.join(c.rstrip('.') for c in a.chain or aaaa.chain)}" if (a.chain or aaaa.chain) else ""
        return PlatformFinding(check, name, FINE, f"{name} resolves to {', '.join(addresses[:4])}{via}")
    if not (a.answered and aaaa.answered):
        failed = a if not a.answered else aaaa
        return _could_not(check, name, failed.detail or failed.status)
    why = "the name does not exist" if a.status == "nxdomain" else "it has no A or AAAA record"
    return PlatformFinding(
        check,
        name,
        BROKEN,
        f"{name} does not resolve ({why}): every tenant's CNAME to it leads nowhere",
        f"Publish A/AAAA records for {name} (platform setting [platform] {check})",
    )


async def spf_include(prober: Prober, include: str) -> PlatformFinding:
    name = include.rstrip(".")
    result = await prober.lookup(name, "TXT")
    if not result.answered:
        return _could_not("spf_include", name, result.detail or result.status)
    records = [v for v in result.values if is_spf(v)]
    if len(records) != 1:
        what = "no SPF record" if not records else f"{len(records)} SPF records"
        return PlatformFinding(
            "spf_include",
            name,
            BROKEN,
            f"{name} has {what}: every tenant's include:{name} answers PermError",
            f"Publish exactly one v=spf1 TXT record at {name}",
        )
    evaluation = await count_lookups(prober, records[0], name)
    if evaluation.unknown is not None:
        return _could_not("spf_include", evaluation.unknown.name.rstrip("."), evaluation.unknown.detail or evaluation.unknown.status)
    # The tenant's include:<name> term is one lookup of the same 10.
    total = evaluation.lookups + 1
    problems = list(evaluation.problems)
    if total > SPF_LOOKUP_LIMIT and not any("DNS lookups" in p for p in problems):
        problems.insert(0, f"a tenant's include:{name} needs {total} DNS lookups with the include itself (limit {SPF_LOOKUP_LIMIT}): receivers answer PermError")
    if problems:
        return PlatformFinding(
            "spf_include",
            name,
            BROKEN,
            f"the SPF record at {name}: {problems[0]}",
            "Flatten nested includes into ip4:/ip6: ranges so the record stays within RFC 7208's limits",
        )
    return PlatformFinding(
        "spf_include",
        name,
        FINE,
        f"one SPF record; a tenant's include:{name} uses {total} of the {SPF_LOOKUP_LIMIT} DNS lookups",
    )


def report_domain_of(address: str) -> str | None:
    """The domain of the DMARC report address (``mailto:`` optional); None without one."""
    address = (address or "").strip().removeprefix("mailto:")
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    return domain or None


def needs_authorisation(tenant: str, report_domain: str) -> bool:
    tenant, report_domain = tenant.lower().rstrip("."), report_domain.lower().rstrip(".")
    related = tenant == report_domain or tenant.endswith("." + report_domain) or report_domain.endswith("." + tenant)
    return not related


async def _authorises(prober: Prober, name: str):
    result = await prober.lookup(name, "TXT")
    if not result.answered:
        return None, result
    return any(v.strip().lower().startswith("v=dmarc1") for v in result.values), result


async def reports_authorised(prober: Prober, report_domain: str, tenant_domains: list[str]) -> PlatformFinding:
    where = f"_report._dmarc.{report_domain}"
    tenants = [d for d in dict.fromkeys(tenant_domains) if needs_authorisation(d, report_domain)]
    if not tenants:
        return PlatformFinding("dmarc_reports", where, FINE, f"no tenant domain outside {report_domain} sends it reports")
    # A label nobody publishes: only a wildcard answers for it.
    probe_name = f"senderdeck-check-{secrets.token_hex(8)}.{where}"
    wildcard, result = await _authorises(prober.fork(), probe_name)
    if wildcard is None:
        return _could_not("dmarc_reports", where, result.detail or result.status)
    if wildcard:
        return PlatformFinding("dmarc_reports", f"*.{where}", FINE, f"*.{where} authorises reports for every tenant domain")
    askable = [d for d in tenants if len(f"{d}.{where}") <= MAX_NAME]
    answers = await asyncio.gather(*(_authorises(prober.fork(), f"{d}.{where}") for d in askable))
    missing = [d for d, (ok, _r) in zip(askable, answers) if ok is False] + [d for d in tenants if d not in set(askable)]
    unknown = [d for d, (ok, _r) in zip(askable, answers) if ok is None]
    fix = f'Publish a TXT record "v=DMARC1" at *.{where} (RFC 7489 §7.1), so receivers send the reports'
    if missing:
        shown = ", ".join(missing[:SHOWN_DOMAINS]) + (f" and {len(missing) - SHOWN_DOMAINS} more" if len(missing) > SHOWN_DOMAINS else "")
        return PlatformFinding(
            "dmarc_reports",
            where,
            BROKEN,
            f"{report_domain} does not authorise DMARC reports for {len(missing)} of {len(tenants)} tenant domains ({shown}): "
            "compliant receivers send them no aggregate reports",
            fix,
        )
    if unknown:
        return _could_not("dmarc_reports", where, f"{len(unknown)} of {len(tenants)} authorisation lookups did not answer")
    return PlatformFinding("dmarc_reports", where, FINE, f"{report_domain} authorises DMARC reports for all {len(tenants)} tenant domains")


__all__ = ["PlatformFinding", "check_platform", "report_domain_of", "needs_authorisation"]
