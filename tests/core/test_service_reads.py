"""The service's reads for a list that paints rows first: rows without figures, the figures,
and the DNS hosts the one-hour cache already holds (never a lookup)."""

from __future__ import annotations

import datetime as dt

from core import dnshost
from core.localdns import LocalDNS
from core.stat_store import store_counts
from core.stats import Figures


def create(ctx, user, name: str) -> int:
    return ctx.service.create_domain(user, {"SenderDomain": name}).id


def test_rows_and_figures_together_are_the_list(ctx, alice, bob, clock):
    ids = [create(ctx, alice, name) for name in ("b.example", "a.example", "c.example")]
    create(ctx, bob, "bobs.example")
    ctx.service.delete_domain(alice, ids[2])
    store_counts([(ids[0], clock.now().date() - dt.timedelta(days=1), 120, 110, 6, 0)])

    rows = ctx.service.domain_rows(alice)
    listed = ctx.service.list_domains(alice)
    assert [v.id for v in rows] == [v.id for v in listed] == [ids[1], ids[0]]  # by name, live only, alice's only
    assert all(v.figures == Figures() for v in rows)  # the figures come separately
    figures = ctx.service.domain_figures(alice)
    assert {i: f for i, f in figures.items() if f != Figures()} == {ids[0]: listed[1].figures}  # without mail: absent or empty
    assert set(figures) <= {ids[0], ids[1]} and figures[ids[0]].volume_7d == 120
    assert [v.id for v in ctx.service.domain_rows(alice, [ids[0], ids[2]])] == [ids[0]]  # a deleted id is not listed


def test_cached_dns_hosts_reads_the_cache_only_for_the_callers_live_domains(ctx, alice, bob):
    shop, news, gone = (create(ctx, alice, name) for name in ("shop.example", "news.example", "gone.example"))
    theirs = create(ctx, bob, "theirs.example")
    for name in ("shop.example", "gone.example", "theirs.example"):
        info = dnshost.HostInfo("example", "GoDaddy", ["ns01.domaincontrol.com."])
        ctx.cache.set(dnshost.cache_key(name), info.to_json(), dnshost.DNSHOST_CACHE_TTL)
    ctx.service.delete_domain(alice, gone)

    with LocalDNS() as server:
        ctx.settings.nameservers = [server.address]
        assert ctx.service.cached_dns_hosts(alice, [shop, news, gone, theirs]) == {shop: "GoDaddy", news: None}
    assert server.queries == []  # news.example is not cached: None, not a lookup


def test_a_cache_entry_of_the_wrong_shape_is_not_a_host(ctx, alice):
    shop = create(ctx, alice, "shop.example")
    ctx.cache.set(dnshost.cache_key("shop.example"), {"DnsHost": "GoDaddy"}, 60)  # no Nameservers list
    assert ctx.service.cached_dns_hosts(alice, [shop]) == {shop: None}
