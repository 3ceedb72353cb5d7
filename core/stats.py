"""Operational figures from daily stats: reputation, volume, rates.

The interface the service uses:
- ``figures_for(domain_ids, today) -> {domain_id: Figures}`` for a whole list in one query;
- ``daily_stats(domain_id, today, days) -> {"Y-m-d": {...}}`` for Get with ``days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    volume_7d: int = 0
    volume_delta: str | None = None
    reputation: int | None = None
    reputation_bucket: str | None = None
    delivery_rate: float | None = None
    bounce_rate: float | None = None


def _bucket(score: int | None) -> str | None:
    if score is None:
        return None
    if score >= 90:
        return "excellent"
    if score >= 70:
        return "good"
    if score >= 50:
        return "fair"
    return "poor"


def reputation(sent: int, bounced: int, complaints: int) -> int | None:
    """clamp(round(100 - 8 x bounce% - 100 x complaint%), 0, 100); None without volume."""
    if sent <= 0:
        return None
    bounce_pct = bounced / sent * 100
    complaint_pct = complaints / sent * 100
    return max(0, min(100, round(100 - 8 * bounce_pct - 100 * complaint_pct)))


def volume_delta(current: int, prior: int) -> str | None:
    if current <= 0:
        return None
    if prior <= 0:
        return "new"
    return f"{round((current - prior) / prior * 100):+d}%"


def figures_for(domain_ids: list[int], today: dt.date) -> dict[int, Figures]:
    """Every figure for every domain in ``domain_ids`` from one GROUP BY query."""
    from peewee import Case, fn

    from core.models import DomainStat

    if not domain_ids:
        return {}
    d7 = today - dt.timedelta(days=6)
    d14 = today - dt.timedelta(days=13)
    d30 = today - dt.timedelta(days=29)
    day, sent = DomainStat.day, DomainStat.sent

    def window_sum(column, start, end=today):
        return fn.COALESCE(fn.SUM(Case(None, [((day >= start) & (day <= end), column)], 0)), 0)

    query = (
        DomainStat.select(
            DomainStat.domain,
            window_sum(sent, d7),
            window_sum(sent, d14, d7 - dt.timedelta(days=1)),
            window_sum(sent, d30),
            window_sum(DomainStat.bounced, d30),
            window_sum(DomainStat.complaints, d30),
            window_sum(fn.COALESCE(DomainStat.delivered, 0), d30),
            fn.COUNT(Case(None, [((day >= d30) & DomainStat.delivered.is_null(False), 1)], None)),
        )
        .where(DomainStat.domain.in_(domain_ids) & (day >= d30) & (day <= today))
        .group_by(DomainStat.domain)
        .tuples()
    )
    out: dict[int, Figures] = {}
    for domain_id, v7, v_prior, s30, b30, c30, d30_sum, delivered_days in query:
        v7, v_prior, s30, b30, c30, d30_sum = (int(x) for x in (v7, v_prior, s30, b30, c30, d30_sum))
        score = reputation(s30, b30, c30)
        if s30 > 0:
            delivered = d30_sum if delivered_days else s30 - b30 - c30
            delivery_rate = round(max(0.0, delivered / s30 * 100), 2)
            bounce_rate = round(b30 / s30 * 100, 2)
        else:
            delivery_rate = bounce_rate = None
        out[domain_id] = Figures(v7, volume_delta(v7, v_prior), score, _bucket(score), delivery_rate, bounce_rate)
    return out


def daily_stats(domain_id: int, today: dt.date, days: int) -> dict[str, dict]:
    """Days with activity in the last ``days`` days, newest first, keyed ``Y-m-d``."""
    from core.models import DomainStat

    start = today - dt.timedelta(days=days - 1)
    rows = (
        DomainStat.select()
        .where((DomainStat.domain == domain_id) & (DomainStat.day >= start) & (DomainStat.day <= today))
        .order_by(DomainStat.day.desc())
    )
    out = {}
    for row in rows:
        if not (row.sent or row.delivered or row.bounced or row.complaints):
            continue
        key = row.day.isoformat() if hasattr(row.day, "isoformat") else str(row.day)
        out[key] = {
            "Period": key,
            "Sent": row.sent,
            "Delivered": row.delivered if row.delivered is not None else max(0, row.sent - row.bounced - row.complaints),
            "Bounced": row.bounced,
            "Complaints": row.complaints,
        }
    return out
