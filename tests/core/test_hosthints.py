"""core.hosthints: how to type each record into a DNS host's panel."""

from __future__ import annotations

import pytest

from core.hosthints import KNOWN_HOSTS, record_hint, relative_name


def test_relative_name():
    assert relative_name("sl.example.com", "example.com") == "sl"
    assert relative_name("SL.Example.com.", "example.com") == "sl"
    assert relative_name("example.com", "example.com") == ""
    assert relative_name("sd1._domainkey.example.com", "example.com") == "sd1._domainkey"
    assert relative_name("other.net", "example.com") == "other.net"


def test_cloudflare_cname_is_relative_and_dns_only():
    hint = record_hint("Cloudflare", "example.com", "sl.example.com", "CNAME", "rp.platform.example.")
    assert hint.known and hint.provider == "Cloudflare"
    assert hint.name == "sl"
    assert any("not 'sl.example.com'" in n for n in hint.notes)
    assert any("DNS only" in n for n in hint.notes)


def test_cloudflare_apex_txt_is_at_sign_without_proxy_note():
    hint = record_hint("cloudflare", "example.com", "example.com", "TXT", "v=spf1 include:x ~all")
    assert hint.name == "@"
    assert hint.value == "v=spf1 include:x ~all"
    assert not any("DNS only" in n for n in hint.notes)


def test_route53_quotes_and_splits_long_txt():
    value = "v=DKIM1; k=rsa; p=" + "A" * 400
    hint = record_hint("Route 53", "example.com", "sd1._domainkey.example.com", "TXT", value)
    assert hint.name == "sd1._domainkey"
    assert hint.value.startswith('"v=DKIM1; k=rsa; p=') and hint.value.count('"') == 4
    assert "".join(hint.value.replace('" "', "").strip('"')) == value


def test_trailing_dot_hosts_keep_the_dot_others_drop_it():
    assert record_hint("Gandi", "example.com", "sl.example.com", "CNAME", "rp.platform.example.").value == "rp.platform.example."
    assert record_hint("GoDaddy", "example.com", "sl.example.com", "CNAME", "rp.platform.example.").value == "rp.platform.example"


def test_full_name_host():
    hint = record_hint("HostGator", "example.com", "sl.example.com", "CNAME", "rp.platform.example.")
    assert hint.name == "sl.example.com."


@pytest.mark.parametrize("dns_host", [None, "", "unknown", "Boutique DNS"])
def test_unknown_host_gives_both_forms(dns_host):
    hint = record_hint(dns_host, "example.com", "_dmarc.example.com", "TXT", "v=DMARC1; p=none")
    assert not hint.known
    assert hint.name == "_dmarc"
    assert any("'_dmarc.example.com.'" in n for n in hint.notes)
    assert hint.provider == ("Boutique DNS" if dns_host == "Boutique DNS" else "")


@pytest.mark.parametrize("dns_host", KNOWN_HOSTS)
def test_every_known_host_answers(dns_host):
    hint = record_hint(dns_host.title(), "example.com", "track-sl.example.com", "CNAME", "t.platform.example.")
    assert hint.known and hint.name in ("track-sl", "track-sl.example.com.")
