"""core.verify's comparison rules, record by record, against zones served on loopback."""

from __future__ import annotations

import pytest

from core.localdns import LocalDNS
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.dnsrecord import DnsRecord
from core.verify import (
    MATCHED,
    MISMATCHED,
    MISSING,
    COULD_NOT_CHECK,
    Check,
    Target,
    apply_checks,
    check_record,
    fingerprint,
    parse_tags,
    plain,
)
from tests.conftest import shared_dkim_key
from tests.core.dnskit import prober_for

D = "example.com"
RP = "rp.platform.example."
INCLUDE = "spf.platform.example"
SPF = f"v=spf1 include:{INCLUDE} ~all"


@pytest.fixture
def server():
    with LocalDNS() as srv:
        yield srv


def host_is(label):
    async def hint():
        return label

    return hint


async def check(server, zone, host, rtype, value, *, dns_host=None, extra_zones=None, prober_opts=None, **server_opts):
    server.set_zone(D, zone)
    for origin, z in (extra_zones or {}).items():
        server.set_zone(origin, z)
    for key, names in server_opts.items():
        getattr(server, key).update(__import__("dns.name").name.from_text(n) for n in names)
    target = Target(D, [DnsRecord(host, rtype, value)], INCLUDE, host_is(dns_host))
    return await check_record(prober_for(server, **(prober_opts or {})), target, host, rtype, value)


# ---- CNAME ------------------------------------------------------------------------------------


@pytest.mark.parametrize("published", ["RP.Platform.Example.", "rp.platform.example."])
async def test_cname_matches_case_insensitively(server, published):
    result = await check(server, {"sl": [("CNAME", published)]}, "sl.example.com", "CNAME", "rp.platform.example")
    assert result.state == MATCHED and result.found == [RP]


async def test_cname_chain_ending_at_the_target_matches(server):
    result = await check(
        server,
        {"sl": [("CNAME", "alias.other.example.")]},
        "sl.example.com",
        "CNAME",
        RP,
        extra_zones={"other.example": {"alias": [("CNAME", "hop2.other.example.")], "hop2": [("CNAME", RP)]}},
    )
    assert result.state == MATCHED
    assert result.found == ["alias.other.example.", "hop2.other.example.", RP]


async def test_cname_pointing_elsewhere_says_what_was_found(server):
    result = await check(
        server, {"sl": [("CNAME", "other.host.example.")]}, "sl.example.com", "CNAME", RP,
        extra_zones={"host.example": {"other": [("A", "192.0.2.7")]}},
    )
    assert result.state == MISMATCHED
    assert result.reason == f"found CNAME other.host.example., expected {RP}"
    assert "`sl`" in result.fix and RP in result.fix


async def test_cname_loop_is_a_mismatch_not_a_hang(server):
    result = await check(
        server, {"sl": [("CNAME", "a.example.com.")], "a": [("CNAME", "b.example.com.")], "b": [("CNAME", "a.example.com.")]},
        "sl.example.com", "CNAME", RP,
    )
    assert result.state == MISMATCHED


async def test_addresses_instead_of_cname_is_proxied_and_cloudflare_gets_its_hint(server):
    zone = {"sl": [("A", "104.16.1.1"), ("AAAA", "2606:4700::1")]}
    result = await check(server, zone, "sl.example.com", "CNAME", RP, dns_host="Cloudflare")
    assert result.state == MISMATCHED
    assert set(result.found) == {"104.16.1.1", "2606:4700::1"}
    assert "proxied or flattened" in result.reason
    assert result.fix.startswith("Cloudflare: turn the proxy off for sl")
    generic = await check(server, zone, "sl.example.com", "CNAME", RP)
    assert "replace the A/AAAA records of `sl`" in generic.fix


async def test_missing_cname_reports_how_long_its_absence_is_cached(server):
    result = await check(server, {}, "sl.example.com", "CNAME", RP)
    assert result.state == MISSING
    assert "does not exist" in result.reason
    assert result.negative_ttl == 300  # the SOA minimum localdns puts in dict zones
    assert "Add a CNAME record: name `sl`" in result.fix


async def test_nodata_is_missing_too(server):
    result = await check(server, {"sl": [("TXT", "hello")]}, "sl.example.com", "CNAME", RP)
    assert result.state == MISSING and "has no CNAME" in result.reason and result.negative_ttl == 300


async def test_domain_appended_by_the_dns_host_is_spotted(server):
    zone = {"sl.example.com": [("CNAME", RP)]}  # relative name: sl.example.com.example.com
    result = await check(server, zone, "sl.example.com", "CNAME", RP, dns_host="GoDaddy")
    assert result.state == MISSING
    assert "sl.example.com.example.com" in result.reason
    assert result.fix == "GoDaddy adds the zone's name to the record name: enter `sl`, not `sl.example.com`, as the record name"


async def test_servfail_and_timeout_are_could_not_check(server):
    servfail = await check(server, {}, "sl.example.com", "CNAME", RP, servfail=["sl.example.com"])
    assert servfail.state == COULD_NOT_CHECK and "SERVFAIL" in servfail.reason
    timeout = await check(server, {}, "tr.example.com", "CNAME", RP, prober_opts={"timeout": 0.2}, silent=["tr.example.com"])
    assert timeout.state == COULD_NOT_CHECK and "could not check" in timeout.reason


# ---- SPF --------------------------------------------------------------------------------------


async def spf(server, records, extra_zones=None):
    zone = {"@": [("TXT", r) for r in records]}
    return await check(server, zone, D, "TXT", SPF, extra_zones=extra_zones)


async def test_spf_direct_include_matches_and_unrelated_txt_is_ignored(server):
    result = await spf(server, ["google-site-verification=abc", f"v=spf1 ip4:192.0.2.0/24 include:{INCLUDE} -all"])
    assert result.state == MATCHED and result.found == [f"v=spf1 ip4:192.0.2.0/24 include:{INCLUDE} -all"]


async def test_spf10_is_not_spf(server):
    result = await spf(server, [f"v=spf10 include:{INCLUDE} ~all"])
    assert result.state == MISSING and "none is SPF" in result.reason


async def test_two_spf_records_fail_and_say_merge(server):
    result = await spf(server, [SPF, "v=spf1 include:mail.other.example ~all"])
    assert result.state == MISMATCHED
    assert result.reason.startswith("2 SPF records")
    assert result.fix.startswith("Merge them")


async def test_spf_through_nested_include_and_redirect(server):
    nested = await spf(
        server,
        ["v=spf1 include:_spf.corp.example ~all"],
        {"corp.example": {"_spf": [("TXT", f"v=spf1 include:{INCLUDE} ip4:198.51.100.0/24 ~all")]}},
    )
    assert nested.state == MATCHED
    redirected = await spf(
        server, ["v=spf1 redirect=_spf.corp.example"], {"corp.example": {"_spf": [("TXT", f"v=spf1 include:{INCLUDE} ~all")]}}
    )
    assert redirected.state == MATCHED


async def test_spf_without_the_include_suggests_the_fixed_record(server):
    result = await spf(server, ["v=spf1 include:mail.other.example -all"], {"other.example": {"mail": [("TXT", "v=spf1 mx -all")]}})
    assert result.state == MISMATCHED
    assert result.fix.endswith(f"v=spf1 include:mail.other.example include:{INCLUDE} -all")


async def test_spf_include_after_all_does_not_count(server):
    result = await spf(server, [f"v=spf1 -all include:{INCLUDE}"])
    assert result.state == MISMATCHED and "after the all term" in result.reason


async def test_spf_over_ten_lookups_is_reported(server):
    terms = " ".join(f"a:h{i}.example.com" for i in range(10))
    result = await spf(server, [f"v=spf1 {terms} include:{INCLUDE} ~all"])
    assert result.state == MISMATCHED
    assert "more than 10 DNS lookups" in result.reason


async def test_spf_void_lookups_over_two_are_reported(server):
    terms = " ".join(f"include:void{i}.corp.example" for i in range(3))
    result = await spf(server, [f"v=spf1 {terms} include:{INCLUDE} ~all"], {"corp.example": {"x": [("A", "192.0.2.1")]}})
    assert result.state == MISMATCHED and "lookups that find nothing" in result.reason


async def test_spf_include_loop_is_detected(server):
    result = await spf(
        server,
        ["v=spf1 include:a.corp.example ~all"],
        {"corp.example": {"a": [("TXT", "v=spf1 include:b.corp.example ~all")], "b": [("TXT", "v=spf1 include:a.corp.example ~all")]}},
    )
    assert result.state == MISMATCHED and "loop" in result.reason


async def test_spf_include_that_cannot_be_checked_is_unknown(server):
    server.servfail.add(__import__("dns.name").name.from_text("_spf.corp.example"))
    result = await spf(server, ["v=spf1 include:_spf.corp.example ~all"], {"corp.example": {"x": [("A", "192.0.2.1")]}})
    assert result.state == COULD_NOT_CHECK


# ---- DKIM -------------------------------------------------------------------------------------


KEY = shared_dkim_key().public_b64
DKIM = f"v=DKIM1; k=rsa; p={KEY}"
SEL = "sd1._domainkey.example.com"


async def dkim(server, records):
    return await check(server, {"sd1._domainkey": [("TXT", r) for r in records]}, SEL, "TXT", DKIM)


async def test_dkim_split_into_255_byte_strings_matches(server):
    assert len(DKIM) > 255
    result = await dkim(server, [DKIM])  # localdns splits long values into 255-byte strings
    assert result.state == MATCHED


@pytest.mark.parametrize(
    "published",
    [f"k=rsa;  v=DKIM1 ;p={KEY};", f"v=DKIM1; p={KEY[:100]} {KEY[100:]}", f"v=DKIM1;k=rsa;p={KEY}; t=s"],
)
async def test_dkim_compares_tags_not_strings(server, published):
    assert (await dkim(server, [published])).state == MATCHED


async def test_dkim_truncated_key(server):
    result = await dkim(server, [f"v=DKIM1; k=rsa; p={KEY[:255 - 18]}"])
    assert result.state == MISMATCHED and "truncated" in result.reason
    assert "split it into several quoted strings" in result.fix
    broken = await dkim(server, [f"v=DKIM1; k=rsa; p={KEY[:-7]}!!"])
    assert broken.state == MISMATCHED and "not valid base64" in broken.reason


async def test_dkim_two_records_at_the_selector_is_a_mismatch(server):
    result = await dkim(server, [DKIM, "v=DKIM1; k=rsa; p=MIIBother"])
    assert result.state == MISMATCHED and result.reason.startswith("2 TXT records")


async def test_dkim_other_key_and_missing(server):
    from core.records import generate_dkim_key

    other = generate_dkim_key(1024).public_b64
    result = await dkim(server, [f"v=DKIM1; k=rsa; p={other}"])
    assert result.state == MISMATCHED and "different DKIM key" in result.reason
    missing = await check(server, {}, SEL, "TXT", DKIM)
    assert missing.state == MISSING and missing.negative_ttl == 300


def test_parse_tags():
    assert parse_tags(" v = DKIM1 ; p = abc ; ") == {"v": "DKIM1", "p": "abc"}
    assert parse_tags("hello world") is None


# ---- DMARC ------------------------------------------------------------------------------------


DMARC = "v=DMARC1; p=none; rua=mailto:d@platform.example"


async def dmarc(server, records):
    return await check(server, {"_dmarc": [("TXT", r) for r in records]}, "_dmarc.example.com", "TXT", DMARC)


async def test_dmarc_any_valid_policy_matches(server):
    assert (await dmarc(server, ["v=DMARC1; p=reject"])).state == MATCHED
    assert (await dmarc(server, ["other", "v=DMARC1;p=quarantine;pct=50"])).state == MATCHED


async def test_dmarc_rules(server):
    two = await dmarc(server, ["v=DMARC1; p=none", "v=DMARC1; p=reject"])
    assert two.state == MISMATCHED and two.reason.startswith("2 DMARC records")
    bad = await dmarc(server, ["v=DMARC1; p=maybe"])
    assert bad.state == MISMATCHED and "p=maybe" in bad.reason
    none = await dmarc(server, ["v=DMARC2; p=none"])
    assert none.state == MISSING


# ---- hostile answers --------------------------------------------------------------------------


async def test_hostile_answers_become_plain_text(server):
    hostile = ["[/x][bold red]boom[/]", "esc\x1b[31mred\x07bell", "z" * 4096]
    result = await check(server, {"@": [("TXT", h) for h in hostile]}, D, "TXT", SPF)
    assert result.state == MISSING  # none is SPF; nothing crashed
    cname = await check(server, {"sl": [("TXT", h) for h in hostile]}, "sl.example.com", "TXT", "expected")
    stored = cname.to_json()["Found"]
    assert "[/x][bold red]boom[/]" in stored
    assert "esc\\x1b[31mred\\x07bell" in stored
    assert "z" * 4096 in stored
    assert all("\x1b" not in s and "\x07" not in s for s in stored)


def test_plain_escapes_control_and_invisible_characters():
    assert plain("a\x00b\u202ec") == "a\\x00b\\u202ec"


# ---- status rules -----------------------------------------------------------------------------


RECORDS = {"sl.example.com": ["CNAME", RP, True], "example.com": ["TXT", SPF, None]}


@pytest.mark.parametrize(
    "states,status,expected_status,verified",
    [
        ((MATCHED, MATCHED), STATUS_PENDING, STATUS_ENABLED, True),
        ((MATCHED, MISSING), STATUS_ENABLED, STATUS_PENDING, False),
        ((MISMATCHED, MATCHED), STATUS_PENDING, STATUS_PENDING, False),
        ((COULD_NOT_CHECK, MATCHED), STATUS_ENABLED, STATUS_ENABLED, False),
        ((COULD_NOT_CHECK, MATCHED), STATUS_PENDING, STATUS_PENDING, False),
        ((MATCHED, MATCHED), STATUS_DISABLED, STATUS_DISABLED, True),
        ((MISSING, MISSING), STATUS_SUSPENDED, STATUS_SUSPENDED, False),
    ],
)
def test_status_rules(states, status, expected_status, verified):
    checks = {h: Check(s) for h, s in zip(RECORDS, states)}
    meta, new_status, is_verified = apply_checks({"DNSRecords": RECORDS, "Other": 1}, checks, status)
    assert (new_status, is_verified) == (expected_status, verified)
    assert meta["Other"] == 1


def test_could_not_check_keeps_the_previous_flag():
    checks = {"sl.example.com": Check(COULD_NOT_CHECK), "example.com": Check(COULD_NOT_CHECK)}
    meta, _, _ = apply_checks({"DNSRecords": RECORDS}, checks, STATUS_ENABLED)
    assert meta["DNSRecords"]["sl.example.com"][2] is True
    assert meta["DNSRecords"]["example.com"][2] is None
    assert meta["Checks"]["sl.example.com"]["State"] == COULD_NOT_CHECK


def test_fingerprint_ignores_flags_but_not_values():
    flagged = [DnsRecord("a", "TXT", "x", True)]
    assert fingerprint(flagged) == fingerprint([DnsRecord("a", "TXT", "x")])
    assert fingerprint(flagged) != fingerprint([DnsRecord("a", "TXT", "y")])
