"""DNS host detection: the provider map, the walk up to the apex, the API command and its cache."""

from __future__ import annotations

import dns.name
import pytest

from core import dnshost
from core.dnshost import UNKNOWN_HOST, provider_for, provider_of
from tests.core.dnskit import dns_server, prober_for, publish, settings  # noqa: F401  (fixtures)

SPEC_PROVIDERS = {
    "Cloudflare": ["ana.ns.cloudflare.com", "bob.ns.cloudflare.com."],
    "Route 53": ["ns-1234.awsdns-12.org", "ns-56.awsdns-07.co.uk."],
    "GoDaddy": ["ns51.domaincontrol.com"],
    "Namecheap": ["dns1.registrar-servers.com"],
    "DigitalOcean": ["ns1.digitalocean.com"],
    "Gandi": ["ns-1-a.gandi.net"],
    "OVH": ["dns200.anycast.me", "ns10.ovh.net"],
    "Bluehost": ["ns1.bluehost.com"],
    "HostGator": ["ns1234.hostgator.com", "hgns1.hostgator.com", "ns8093.websitewelcome.com", "ns8094.websitewelcome.com."],
    "eNom": ["dns1.name-services.com"],
    "Dynadot": ["ns1.dyna-ns.net", "ns2.dyna-ns.net.", "ns1.dynadot.com"],
    "Azure DNS": ["ns1-01.azure-dns.com", "ns4-01.azure-dns.info"],
    "Google Domains": ["ns1.googledomains.com"],
    "Google Cloud DNS": ["ns-cloud-a1.googledomains.com"],
    "Hover": ["ns1.hover.com"],
    "DreamHost": ["ns1.dreamhost.com"],
    "Linode": ["ns1.linode.com"],
}


@pytest.mark.parametrize("label,servers", SPEC_PROVIDERS.items())
def test_the_spec_providers_are_mapped(label, servers):
    assert provider_for(servers) == label
    assert all(provider_of(s.upper()) == label for s in servers)


def test_unmapped_and_lookalike_names_are_unknown():
    assert provider_for(["ns1.boutique-host.example."]) == UNKNOWN_HOST
    assert provider_for([]) == UNKNOWN_HOST
    assert provider_of("ns1.notcloudflare.com") is None
    assert provider_of("cloudflare.com.evil.example") is None


async def test_walks_up_from_a_subdomain_to_the_apex(dns_server):
    dns_server.set_zone("example.org", {"@": [("NS", "kim.ns.cloudflare.com."), ("NS", "lee.ns.cloudflare.com.")], "x.mail": [("A", "192.0.2.1")]})
    info = await dnshost.find_host(prober_for(dns_server), "deep.mail.example.org")
    assert (info.apex, info.dns_host, info.nameservers) == ("example.org", "Cloudflare", ["kim.ns.cloudflare.com", "lee.ns.cloudflare.com"])
    # The SOA of the negative answer names the apex: one query there, not one per label.
    assert [q[0] for q in dns_server.queries] == ["deep.mail.example.org.", "example.org."]


async def test_failure_is_unknown_never_an_exception(dns_server):
    dns_server.servfail.add(dns.name.from_text("broken.example"))
    info = await dnshost.find_host(prober_for(dns_server, retries=0), "broken.example")
    assert (info.dns_host, info.nameservers) == (UNKNOWN_HOST, [])
    refused = await dnshost.find_host(prober_for(dns_server), "not-served.example")
    assert (refused.dns_host, refused.nameservers) == (UNKNOWN_HOST, [])


async def call(ctx, user, **params):
    return await ctx.api.dispatch_async({"APIKey": user.api_key, "Command": "user.senderdomain.dnshost", **params})


async def test_dnshost_command_answers_the_spec_shape_and_caches_an_hour(ctx, alice, dns_server, clock):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    publish(dns_server, "example.com", {}, {"@": [("NS", "ns2.cloudflare.com."), ("NS", "ns1.cloudflare.com.")]})
    status, body = await call(ctx, alice, DomainID=view.id)
    assert status == 200
    assert body == {
        "Success": True,
        "DomainID": view.id,
        "SenderDomain": "example.com",
        "DnsHost": "Cloudflare",
        "Nameservers": ["ns2.cloudflare.com", "ns1.cloudflare.com"],  # as DNS gave them (the server keeps the zone's order)
    }
    asked = len(dns_server.queries)
    clock.advance(3500)
    assert (await call(ctx, alice, DomainID=view.id))[1] == body
    assert len(dns_server.queries) == asked
    clock.advance(200)
    await call(ctx, alice, DomainID=view.id)
    assert len(dns_server.queries) > asked


async def test_dnshost_unknown_provider_and_failures(ctx, alice, bob, dns_server):
    boutique = ctx.service.create_domain(alice, {"SenderDomain": "boutique.example"})
    publish(dns_server, "boutique.example", {}, {"@": [("NS", "ns1.boutique-host.example.")]})
    _, body = await call(ctx, alice, DomainID=boutique.id)
    assert (body["DnsHost"], body["Nameservers"]) == (UNKNOWN_HOST, ["ns1.boutique-host.example"])
    broken = ctx.service.create_domain(alice, {"SenderDomain": "broken.example"})
    dns_server.servfail.add(dns.name.from_text("broken.example"))
    status, body = await call(ctx, alice, DomainID=broken.id)
    assert status == 200 and (body["DnsHost"], body["Nameservers"]) == (UNKNOWN_HOST, [])
    assert ctx.cache.get(dnshost.cache_key("broken.example")) is None  # failures are not cached
    assert (await call(ctx, bob, DomainID=broken.id))[1]["Errors"][0]["Code"] == 2
    assert (await call(ctx, alice))[1]["Errors"][0]["Code"] == 1


async def test_internationalised_domain_is_shown_in_unicode(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "bücher.example"})
    publish(dns_server, "xn--bcher-kva.example", {}, {"@": [("NS", "ns1.digitalocean.com.")]})
    _, body = await call(ctx, alice, DomainID=view.id)
    assert (body["SenderDomain"], body["DnsHost"]) == ("bücher.example", "DigitalOcean")


def test_unresolvable_resolver_setting_answers_unknown_not_an_error(ctx, alice, monkeypatch):
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def no_such_host(host, *args, **kwargs):  # never ask the system's resolver for it
        if host == "resolver.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)  # loopback servers (Redis, PostgreSQL)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    ctx.settings.nameservers = ["resolver.invalid"]  # a host name, not an address
    status, body = ctx.api.dispatch({"Command": "user.senderdomain.dnshost", "APIKey": alice.api_key, "DomainID": view.id})
    assert status == 200
    assert body == {"Success": True, "DomainID": view.id, "SenderDomain": "example.com", "DnsHost": "unknown", "Nameservers": []}
    status, body = ctx.api.dispatch({"Command": "user.senderdomain.verify", "APIKey": alice.api_key, "DomainID": view.id})
    assert status == 503 and body["Errors"][0]["Code"] == 17 and "misconfigured" in body["Errors"][0]["Message"]


@pytest.mark.parametrize(
    "servers, label",
    [
        (["ns1.dyna-ns.net.", "ns2.dyna-ns.net."], "Dynadot"),  # issue 11.5: Dynadot's current nameservers
        (["ns7580.websitewelcome.com.", "ns7581.websitewelcome.com."], "HostGator"),  # issue 11.5
    ],
)
async def test_providers_with_nameservers_once_missed(ctx, alice, dns_server, servers, label):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.example"})
    publish(dns_server, "shop.example", {}, {"@": [("NS", s) for s in servers]})
    _, body = await call(ctx, alice, DomainID=view.id)
    assert (body["DnsHost"], body["Nameservers"]) == (label, [s.rstrip(".") for s in servers])


async def test_nameservers_are_shown_as_dns_gave_them(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.example"})
    given = ["ns3.boutique-host.example", "ns1.boutique-host.example", "ns2.boutique-host.example"]
    publish(dns_server, "shop.example", {}, {"@": [("NS", s + ".") for s in given]})
    _, body = await call(ctx, alice, DomainID=view.id)
    assert body["Nameservers"] == given and body["DnsHost"] == UNKNOWN_HOST  # not sorted
