"""The list's filter line on its own (issues 14.14 and 13.1): words match anywhere, accents
optional; ``status:``, ``bucket:`` and ``user:`` tokens narrow to one field."""

from __future__ import annotations

import datetime as dt

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING
from core.stats import Figures
from core.views import DomainView
from tui.widgets.domain_filter import DomainFilter, fold
from tui.widgets.domain_rows import DomainRows

NOW = dt.datetime(2026, 5, 23, 9, 11)


def view(domain_id, name, status=STATUS_ENABLED, bucket=None, user_id=1):
    figures = Figures(reputation=50, reputation_bucket=bucket) if bucket else Figures()
    return DomainView(domain_id, name, user_id, NOW, status, None, {"DNSRecords": {}}, [], {}, figures)


def store_of(*views, owners=None) -> DomainRows:
    store = DomainRows()
    store.owner_names = owners or {1: "acme", 2: "globex"}
    store.replace(views)
    return store


def shown(store, text, status=None) -> list[str]:
    store.set_filter(text, status)
    return [row.name for row in store.shown]


SAMPLE = (
    view(1, "xn--caf-lumire-66ag.example", STATUS_ENABLED, "excellent"),  # café-lumière.example
    view(2, "poorman.example", STATUS_ENABLED, "good"),
    view(3, "shop.example", STATUS_PENDING, "poor"),
    view(4, "news.example", STATUS_PENDING, None, user_id=2),
    view(5, "old.example", STATUS_DISABLED, "poor", user_id=2),
)


def test_fold_drops_case_and_accents():
    assert fold("Café-Lumière") == "cafe-lumiere" and fold("BÜCHER") == "bucher" and fold("Straße") == "strasse"


def test_words_match_without_accents_and_in_either_form():
    store = store_of(*SAMPLE)
    assert shown(store, "cafe") == ["café-lumière.example"]
    assert shown(store, "CAFÉ lumi") == ["café-lumière.example"]  # every word must match
    assert shown(store, "xn--caf") == ["café-lumière.example"]  # the ASCII form too
    assert shown(store, "cafe shop") == []


def test_bare_words_name_a_status_or_bucket_too():
    store = store_of(*SAMPLE)
    assert shown(store, "poor") == ["old.example", "poorman.example", "shop.example"]  # bucket poor, and a name
    assert shown(store, "pending") == ["news.example", "shop.example"]
    assert shown(store, "poor pending") == ["shop.example"]


def test_tokens_narrow_to_one_field():
    store = store_of(*SAMPLE)
    assert shown(store, "bucket:poor") == ["old.example", "shop.example"]  # not poorman (bucket good)
    assert shown(store, "status:pending") == ["news.example", "shop.example"]
    assert shown(store, "status:pend bucket:poor") == ["shop.example"]
    assert shown(store, "bucket:none") == ["news.example"] and shown(store, "bucket:unscored") == ["news.example"]
    assert shown(store, "status:pending status:disabled") == ["news.example", "old.example", "shop.example"]
    assert shown(store, "user:glob") == ["news.example", "old.example"]
    assert shown(store, "/poor pending user:acme".lstrip("/")) == ["shop.example"]  # the example
    assert shown(store, "STATUS:Pending") == ["news.example", "shop.example"]
    suspended = store_of(view(7, "held.example", "Suspended"), *SAMPLE)
    assert shown(suspended, "status:pend") == ["news.example", "shop.example"]  # "suspended" has "pend" inside, not first
    assert shown(suspended, "status:susp") == ["held.example"] and shown(suspended, "status:approval") == ["news.example", "shop.example"]


def test_a_token_being_typed_narrows_nothing_and_an_unknown_field_is_a_word():
    store = store_of(*SAMPLE)
    assert len(shown(store, "status:")) == 5
    assert shown(store, "foo:bar") == []
    assert DomainFilter.parse("bucket: shop").words == ("shop",)


def test_the_status_filter_and_the_text_filter_combine():
    store = store_of(*SAMPLE)
    assert shown(store, "poor", STATUS_DISABLED) == ["old.example"]


def test_a_view_that_names_its_owner_is_matched_on_that_name():
    owned = view(9, "tenant.example")
    owned.owner = "Initech"  # DomainView.owner, once the operator view adds it
    store = store_of(owned, *SAMPLE)
    assert shown(store, "user:initech") == ["tenant.example"]


def test_figures_that_arrive_after_the_rows_are_filtered_on():
    store = store_of(view(1, "a.example"), view(2, "b.example"))
    assert shown(store, "bucket:fair") == []
    store.set_figures({2: Figures(reputation=60, reputation_bucket="fair")})
    assert [row.name for row in store.shown] == ["b.example"]
