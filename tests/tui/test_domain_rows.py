"""The domain list's rows on their own: sorting (missing values last either way), filtering,
and keeping what a re-read row does not carry (no app, no painting)."""

from __future__ import annotations

import datetime as dt

from core.models import STATUS_ENABLED, STATUS_PENDING
from core.stats import Figures
from core.views import DomainView
from tui.widgets.domain_rows import DomainRows

NOW = dt.datetime(2026, 5, 23, 9, 11)


def view(domain_id, name, status=STATUS_ENABLED, reputation=None):
    figures = Figures(reputation=reputation) if reputation is not None else Figures()
    return DomainView(domain_id, name, 1, NOW, status, None, {"DNSRecords": {}}, [], {}, figures)


def names(rows):
    return [row.name for row in rows]


def test_sorting_keeps_rows_without_a_value_last_in_either_direction():
    store = DomainRows()
    store.replace([view(1, "c.example", reputation=70), view(2, "a.example"), view(3, "b.example", reputation=95)])
    assert names(store.shown) == ["a.example", "b.example", "c.example"]
    store.sort_by("reputation")
    assert names(store.shown) == ["c.example", "b.example", "a.example"]
    store.sort_by("reputation")  # again: the other way
    assert store.sort_reverse and names(store.shown) == ["b.example", "c.example", "a.example"]


def test_filter_by_text_status_and_dns_host():
    store = DomainRows()
    store.replace([view(1, "shop.example"), view(2, "news.example", STATUS_PENDING), view(3, "xn--bcher-kva.example")])
    store.set_hosts({1: "GoDaddy"})
    store.set_filter("BÜCHER")
    assert names(store.shown) == ["bücher.example"]
    store.set_filter("", STATUS_PENDING)
    assert names(store.shown) == ["news.example"]
    store.set_filter("godaddy", None)
    assert names(store.shown) == ["shop.example"] and store.index_of(1) == 0 and store.index_of(2) is None


def test_a_re_read_row_keeps_its_figures_and_host_and_removed_rows_go():
    store = DomainRows()
    store.replace([view(1, "shop.example", reputation=90), view(2, "news.example")])
    store.set_hosts({1: "Cloudflare"})
    store.upsert(view(1, "shop.example", STATUS_PENDING))  # no figures in a one-row read
    row = store.by_id[1]
    assert row.view.status == STATUS_PENDING and row.view.figures.reputation == 90 and row.dns_host == "Cloudflare"
    store.upsert(view(3, "alerts.example"))
    assert names(store.all) == ["alerts.example", "news.example", "shop.example"]
    assert store.remove(2) and not store.remove(2)
    assert names(store.shown) == ["alerts.example", "shop.example"]
