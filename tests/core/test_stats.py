"""The operational figures and daily stats: every edge of the spec's table, through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from core import stats
from core.models import DomainStat, SenderDomain
from tests.conftest import FROZEN_NOW

TODAY = FROZEN_NOW.date()  # 2026-05-23


def day(ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=ago)


def call(ctx, user, command, **params):
    return ctx.api.dispatch({"Command": f"user.senderdomain.{command}", "APIKey": user.api_key, **params})


@pytest.fixture
def domain(ctx, alice):
    return ctx.service.create_domain(alice, {"SenderDomain": "example.com"})


def add(domain_id, ago, sent, bounced=0, complaints=0, delivered=None):
    DomainStat.create(domain=domain_id, day=day(ago), sent=sent, delivered=delivered, bounced=bounced, complaints=complaints)


def figures(ctx, alice, domain):
    status, body = call(ctx, alice, "get", DomainID=domain.id)
    assert status == 200, body
    d = body["SenderDomain"]
    return {k: d[k] for k in ("Volume7d", "VolumeDelta", "Reputation", "ReputationBucket", "DeliveryRate", "BounceRate")}


def test_no_volume_gives_zero_and_nulls(ctx, alice, domain):
    assert figures(ctx, alice, domain) == {
        "Volume7d": 0, "VolumeDelta": None, "Reputation": None, "ReputationBucket": None,
        "DeliveryRate": None, "BounceRate": None,
    }


def test_spec_example_scores_96(ctx, alice, domain):
    add(domain.id, 0, 12000, bounced=60, delivered=11940)
    f = figures(ctx, alice, domain)
    assert f["BounceRate"] == 0.5 and f["Reputation"] == 96 and f["ReputationBucket"] == "excellent"
    assert f["DeliveryRate"] == 99.5 and f["Volume7d"] == 12000 and f["VolumeDelta"] == "new"


def test_only_prior_window_volume_gives_null_delta(ctx, alice, domain):
    add(domain.id, 8, 500, bounced=5)
    f = figures(ctx, alice, domain)
    assert f["Volume7d"] == 0 and f["VolumeDelta"] is None
    assert f["Reputation"] == 92 and f["BounceRate"] == 1.0  # still scored: it is within 30 days


def test_only_current_volume_is_new(ctx, alice, domain):
    add(domain.id, 6, 100)  # the oldest day of the 7-day window
    add(domain.id, 14, 999)  # outside both 7-day windows
    f = figures(ctx, alice, domain)
    assert (f["Volume7d"], f["VolumeDelta"]) == (100, "new")


@pytest.mark.parametrize(
    "current, prior, expected",
    [(112, 100, "+12%"), (97, 100, "-3%"), (100, 100, "+0%"), (225, 200, "+13%"), (175, 200, "-13%"), (1, 1000, "-100%")],
)
def test_volume_delta(ctx, alice, domain, current, prior, expected):
    add(domain.id, 0, current)
    add(domain.id, 7, prior)  # the newest day of the prior window
    assert figures(ctx, alice, domain)["VolumeDelta"] == expected


def test_windows_end_today_and_ignore_future_and_old_rows(ctx, alice, domain):
    add(domain.id, -1, 10_000, bounced=10_000)  # tomorrow (clock skew in a log): not counted
    add(domain.id, 30, 10_000, bounced=10_000)  # 31 days ago: outside the 30-day window
    add(domain.id, 29, 1000, bounced=10, delivered=990)
    f = figures(ctx, alice, domain)
    assert f["Volume7d"] == 0 and f["BounceRate"] == 1.0 and f["Reputation"] == 92


def test_delivery_rate_falls_back_when_delivered_not_recorded(ctx, alice, domain):
    add(domain.id, 1, 1000, bounced=20, complaints=5)  # delivered NULL
    f = figures(ctx, alice, domain)
    assert f["DeliveryRate"] == 97.5  # (1000 - 20 - 5) / 1000
    assert f["Reputation"] == round(100 - 8 * 2 - 100 * 0.5)


def test_delivery_rate_uses_recorded_deliveries_and_falls_back_per_day(ctx, alice, domain):
    add(domain.id, 1, 1000, bounced=10, delivered=900)  # recorded (90 deferred or lost)
    add(domain.id, 2, 1000, bounced=10)  # not recorded: 990
    assert figures(ctx, alice, domain)["DeliveryRate"] == 94.5


def test_fallback_never_counts_a_day_below_zero(ctx, alice, domain):
    add(domain.id, 1, 1000, bounced=10)  # fallback 990
    add(domain.id, 2, 10, bounced=8, complaints=7)  # fallback -5: counts as 0, as the Stats table shows it
    assert figures(ctx, alice, domain)["DeliveryRate"] == round(990 / 1010 * 100, 2)
    stats = ctx.service.domain_stats(alice, domain.id, 30)
    assert sum(day["Delivered"] for day in stats.values()) == 990


def test_a_window_without_delivered_events_falls_back(ctx, alice, domain):
    # Issue 11.3: non-PMTA exports write delivered = 0 on every row; that is "not recorded",
    # not "nothing arrived": (Sent - Bounced - Complaints) / Sent.
    add(domain.id, 1, 1000, bounced=20, complaints=5, delivered=0)
    add(domain.id, 2, 1000, bounced=30, delivered=0)
    add(domain.id, 3, 500, bounced=5)  # NULL counts the same
    assert figures(ctx, alice, domain)["DeliveryRate"] == round((2500 - 55 - 5) / 2500 * 100, 2)


def test_a_recorded_zero_counts_when_the_window_has_delivered_events(ctx, alice, domain):
    add(domain.id, 1, 100, bounced=0, delivered=0)  # a day where nothing arrived
    add(domain.id, 2, 100, bounced=0, delivered=100)
    assert figures(ctx, alice, domain)["DeliveryRate"] == 50.0


@pytest.mark.parametrize(
    "bounced, complaints, score, bucket",
    [
        (125, 0, 90, "excellent"),  # 1.25 % bounces: 100 - 10
        (126, 0, 90, "excellent"),  # 89.92 rounds to 90
        (132, 0, 89, "good"),  # 89.44
        (375, 0, 70, "good"),  # 3.75 %: 100 - 30
        (380, 0, 70, "good"),  # 69.6 rounds up
        (400, 0, 68, "fair"),
        (625, 0, 50, "fair"),  # 6.25 %: 100 - 50
        (0, 51, 49, "poor"),  # 0.51 % complaints
        (5000, 0, 0, "poor"),  # 50 % bounces: clamped at 0
        (0, 0, 100, "excellent"),
    ],
)
def test_reputation_and_bucket_boundaries(ctx, alice, domain, bounced, complaints, score, bucket):
    add(domain.id, 3, 10_000, bounced=bounced, complaints=complaints)
    f = figures(ctx, alice, domain)
    assert (f["Reputation"], f["ReputationBucket"]) == (score, bucket)


def test_bucket_function_boundaries():
    assert [stats.bucket(s) for s in (None, 100, 90, 89, 70, 69, 50, 49, 0)] == [
        None, "excellent", "excellent", "good", "good", "fair", "fair", "poor", "poor",
    ]


def test_list_gives_every_domain_its_own_figures_in_one_query(ctx, alice, bob):
    a = ctx.service.create_domain(alice, {"SenderDomain": "a.example"})
    b = ctx.service.create_domain(alice, {"SenderDomain": "b.example"})
    c = ctx.service.create_domain(alice, {"SenderDomain": "c.example"})
    other = ctx.service.create_domain(bob, {"SenderDomain": "a.example"})
    add(a.id, 0, 1000, bounced=5)
    add(b.id, 10, 1000, complaints=10)
    add(other.id, 0, 777)
    queries = []
    db = ctx.database
    original = db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        queries.append(sql)
        return original(sql, params, *args, **kwargs)

    db.execute_sql = counting
    try:
        status, body = call(ctx, alice, "list")
    finally:
        del db.execute_sql
    assert status == 200
    by_name = {d["SenderDomain"]: d for d in body["SenderDomains"]}
    assert by_name["a.example"]["Volume7d"] == 1000 and by_name["a.example"]["Reputation"] == 96
    assert by_name["b.example"]["Volume7d"] == 0 and by_name["b.example"]["Reputation"] == 0
    assert by_name["c.example"]["Reputation"] is None and by_name["c.example"]["Volume7d"] == 0
    assert len([q for q in queries if "domain_stat" in q]) == 1


def test_figures_for_accepts_ids_or_a_query(ctx, alice, domain):
    add(domain.id, 0, 10)
    by_ids = stats.figures_for([domain.id], TODAY)
    by_query = stats.figures_for(SenderDomain.select(SenderDomain.id).where(SenderDomain.user == alice.id), TODAY)
    assert by_ids == by_query and by_ids[domain.id].volume_7d == 10
    assert stats.figures_for([], TODAY) == {}


def test_today_comes_from_the_injected_clock(ctx, alice, domain, clock):
    add(domain.id, 0, 50)
    assert figures(ctx, alice, domain)["Volume7d"] == 50
    clock.advance(7 * 86400)
    assert figures(ctx, alice, domain)["Volume7d"] == 0
    assert figures(ctx, alice, domain)["VolumeDelta"] is None


def test_last_verified_at_is_on_list_and_get(ctx, alice, domain):
    status, body = call(ctx, alice, "list")
    assert body["SenderDomains"][0]["LastVerifiedAt"] is None
    SenderDomain.update(last_verified_at=dt.datetime(2026, 5, 23, 9, 11)).where(SenderDomain.id == domain.id).execute()
    status, body = call(ctx, alice, "get", DomainID=domain.id)
    assert body["SenderDomain"]["LastVerifiedAt"] == "2026-05-23 09:11:00"


# ---- Get with days ------------------------------------------------------------------------


def test_get_with_days_gives_stats_newest_first_and_omits_empty_days(ctx, alice, domain):
    add(domain.id, 0, 12000, bounced=60, delivered=11940)
    add(domain.id, 1, 11820, bounced=58, complaints=2)  # delivered not recorded
    add(domain.id, 2, 0)  # no activity: omitted
    add(domain.id, 3, 5)
    status, body = call(ctx, alice, "get", DomainID=domain.id, days=3)
    assert status == 200 and body["Days"] == 3
    assert list(body["Stats"]) == ["2026-05-23", "2026-05-22"]
    assert body["Stats"]["2026-05-22"] == {
        "Period": "2026-05-22", "Sent": 11820, "Delivered": 11760, "Bounced": 58, "Complaints": 2,
    }
    assert body["Stats"]["2026-05-23"]["Delivered"] == 11940


def test_get_without_days_has_no_stats(ctx, alice, domain):
    status, body = call(ctx, alice, "get", DomainID=domain.id)
    assert "Stats" not in body and "Days" not in body


@pytest.mark.parametrize("raw, clamped", [("0", 1), ("-5", 1), ("1", 1), ("365", 365), ("366", 365), ("100000", 365), ("abc", 30), ("", 30), ("7", 7)])
def test_days_is_clamped(ctx, alice, domain, raw, clamped):
    add(domain.id, 0, 1)
    add(domain.id, 364, 1)
    add(domain.id, 365, 1)
    status, body = call(ctx, alice, "get", DomainID=domain.id, days=raw)
    assert status == 200 and body["Days"] == clamped
    assert len(body["Stats"]) == (2 if clamped == 365 else 1)


def test_clamp_days_function():
    assert [stats.clamp_days(v) for v in (0, 1, 30, 365, 366, None, "x", " 12 ")] == [1, 1, 30, 365, 365, 30, 30, 12]


def test_daily_stats_only_for_the_owner(ctx, alice, bob, domain):
    add(domain.id, 0, 10)
    status, body = call(ctx, bob, "get", DomainID=domain.id, days=30)
    assert status == 404 and body["Errors"][0]["Code"] == 2
