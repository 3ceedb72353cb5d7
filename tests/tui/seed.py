"""Deterministic data for the TUI tests, snapshots and the bench.

``seed_sample`` writes a small, varied set of domains through the service (so records and
DKIM keys are real), then sets statuses, verified flags, check times and daily stats the way
verification and imports would. ``seed_bulk`` inserts thousands of rows directly, for the
bench, in a few batched statements.
"""

from __future__ import annotations

import datetime as dt
import random

from core.db import database
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED, SenderDomain
from core.stat_store import store_counts
from core.records import build_records

# name, status, how many records verified (None: never probed), minutes since last check,
# daily sent, bounce per mille, complaints per 100k, trend (prior week vs this week)
SAMPLE = [
    ("shop.example", STATUS_ENABLED, "all", 3, 26000, 5, 2, 0.9),
    ("news.example.org", STATUS_ENABLED, "all", 47, 12000, 22, 10, 1.3),
    ("bücher.example", STATUS_PENDING, 3, 2, 0, 0, 0, 1.0),
    ("billing.example.net", STATUS_ENABLED, "all", 60 * 5, 3100, 45, 60, 1.0),
    ("promo.example.com", STATUS_DISABLED, "all", 60 * 24 * 3, 800, 90, 200, 0.0),
    ("new-brand.example", STATUS_PENDING, None, None, 0, 0, 0, 1.0),
    ("alerts.example.io", STATUS_PENDING, 0, 12, 0, 0, 0, 1.0),
    ("legacy.example.co.uk", STATUS_SUSPENDED, 4, 60 * 24 * 40, 150, 160, 300, 2.0),
    ("例え.example", STATUS_ENABLED, "all", 1, 540, 8, 0, None),
]


def _set_verified(records: dict, verified) -> dict:
    out = {}
    for index, (host, record) in enumerate(records.items()):
        if verified is None:
            out[host] = list(record[:2])
        else:
            flag = True if verified == "all" else index < verified
            out[host] = [record[0], record[1], flag]
    return out


def _stats_rows(domain_id: int, today: dt.date, daily: int, bounce_pm: int, complaint_p100k: int, trend) -> list[tuple]:
    rows = []
    if daily <= 0:
        return rows
    for back in range(30):
        day = today - dt.timedelta(days=back)
        if back >= 7 and trend is None:
            continue  # a new domain: no prior-window data
        factor = 1.0 if back < 7 else (trend or 0.0)
        sent = int(daily * factor) + (back * 37) % 97
        if sent <= 0:
            continue
        bounced = sent * bounce_pm // 1000
        complaints = sent * complaint_p100k // 100_000
        rows.append((domain_id, day, sent, None, bounced, complaints))
    return rows


def seed_sample(ctx, user, now: dt.datetime) -> dict[str, int]:
    """The sample domains for ``user``; returns {ascii domain: id}."""
    ids: dict[str, int] = {}
    stats: list[tuple] = []
    for name, status, verified, minutes, daily, bounce_pm, complaint_p100k, trend in SAMPLE:
        view = ctx.service.create_domain(user, {"SenderDomain": name})
        meta = dict(view.verification_meta)
        meta["DNSRecords"] = _set_verified(meta["DNSRecords"], verified)
        checked = None if minutes is None else now - dt.timedelta(minutes=minutes)
        SenderDomain.update(status=status, verification_meta=meta, last_verified_at=checked).where(
            SenderDomain.id == view.id
        ).execute()
        ids[view.domain] = view.id
        stats += _stats_rows(view.id, now.date(), daily, bounce_pm, complaint_p100k, trend)
    store_counts(stats)
    return ids


def seed_bulk(ctx, user, count: int, now: dt.datetime, *, stats_days: int = 14, seed: int = 7) -> None:
    """``count`` domains for ``user`` inserted directly (one shared DKIM key), with daily stats."""
    rnd = random.Random(seed)
    settings = ctx.settings
    public = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "A" * 330
    statuses = [STATUS_ENABLED] * 6 + [STATUS_PENDING] * 3 + [STATUS_DISABLED]
    options = {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0}
    rows = []
    for i in range(count):
        name = f"d{i:05d}-{rnd.choice(['shop', 'news', 'mail', 'info', 'promo'])}.example"
        records = build_records(
            name,
            options,
            settings.platform,
            dkim_selector=settings.platform.dkim_selector,
            dkim_public_b64=public,
            default_subdomain=settings.mfrom_subdomain,
            default_prefix=settings.track_prefix,
        )
        status = rnd.choice(statuses)
        verified = "all" if status != STATUS_PENDING else rnd.randint(0, 4)
        rows.append(
            dict(
                user=user.id,
                domain=name,
                status=status,
                verification_meta={"DNSRecords": _set_verified(records, verified)},
                policy_meta=[],
                options=options,
                created_at=now - dt.timedelta(days=60),
                last_verified_at=now - dt.timedelta(minutes=rnd.randint(1, 60 * 24 * 10)),
                dkim_selector=settings.platform.dkim_selector,
                dkim_public_key=public,
                dkim_private_key="",
            )
        )
    with database.atomic():
        for start in range(0, len(rows), 400):
            SenderDomain.insert_many(rows[start : start + 400]).execute()
    ids = [r[0] for r in SenderDomain.select(SenderDomain.id).where(SenderDomain.user == user.id).tuples()]
    if not stats_days:
        return
    today = now.date()
    batch: list[tuple] = []
    for domain_id in ids:
        daily = rnd.randint(50, 20000)
        bounce = rnd.randint(0, 60)
        for back in range(stats_days):
            sent = daily + rnd.randint(-daily // 4, daily // 4)
            batch.append((domain_id, today - dt.timedelta(days=back), sent, None, sent * bounce // 1000, 0))
    store_counts(batch)
