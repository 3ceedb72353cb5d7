"""Operational figures from daily stats: reputation, volume, rates.

The interface the service uses:

- ``figures_for(domains, today) -> {domain_id: Figures}`` for a whole list in ONE aggregate
  query; ``domains`` is a list of ids or, better for long lists, a query selecting ids
  (it becomes a sub-select instead of a huge ``IN (…)`` list);
- ``daily_stats(domain_id, today, days) -> {"Y-m-d": {...}}`` for Get with ``days``;
- ``WindowSums`` / ``day_sums``: the sums the figures are made of, which
  ``core/stored_figures.py`` keeps per domain so lists need not aggregate (Get and a list's
  domains not stored for today are aggregated here).

The formulas (documented in README.md, "How the figures are computed"), with "today" from
the injected clock and every window ending with today (UTC):

- ``Volume7d``: sent over the last 7 days;
- ``VolumeDelta``: Volume7d against the 7 days before it, ``"+12%"`` / ``"-3%"``; ``"new"``
  when the prior window sent nothing; null when the current window sent nothing;
- over the last 30 days: ``BounceRate`` = bounced / sent, ``DeliveryRate`` = delivered /
  sent where a day's delivered count falls back to sent − bounced − complaints when it was
  not recorded (NULL), and the whole window's does when it holds no delivered events at all
  (exports that write 0 for "not recorded"), ``Reputation`` = clamp(round(100 − 8 × bounce% − 100 × complaint%),
  0, 100), ``ReputationBucket`` = excellent ≥ 90, good ≥ 70, fair ≥ 50, else poor; all null
  without send volume in the 30 days.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from peewee import Case, fn

from core.models import DomainStat
from core.prepared import Prepared, slot
from core.validation import whole_number

VOLUME_WINDOW = 7
SCORE_WINDOW = 30
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 30
RATE_DECIMALS = 2


class Figures(NamedTuple):
    """A domain's List figures. A named tuple, not a dataclass: a list of 100,000 domains
    builds one per row straight from a stored row (core/stored_figures.py), and a tuple is
    made several times faster than a frozen dataclass."""

    volume_7d: int = 0
    volume_delta: str | None = None
    reputation: int | None = None
    reputation_bucket: str | None = None
    delivery_rate: float | None = None
    bounce_rate: float | None = None


def bucket(score: int | None) -> str | None:
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
    """``"+12%"`` / ``"-3%"``; ``"new"`` without prior volume; None without current volume."""
    if current <= 0:
        return None
    if prior <= 0:
        return "new"
    change = (current - prior) / prior * 100
    # Half away from zero, so +12.5% reads "+13%" and -12.5% reads "-13%".
    whole = int(abs(change) + 0.5) * (1 if change >= 0 else -1)
    return f"{whole:+d}%"


def _rate(part: float, whole: int) -> float:
    return round(max(0.0, min(100.0, part / whole * 100)), RATE_DECIMALS)


def figures_from_sums(v7: int, v_prior: int, sent: int, bounced: int, complaints: int, delivered: int) -> Figures:
    """The figures from one domain's window sums (``delivered`` already has the fallback)."""
    score = reputation(sent, bounced, complaints)
    if sent > 0:
        delivery_rate, bounce_rate = _rate(delivered, sent), _rate(bounced, sent)
    else:
        delivery_rate = bounce_rate = None
    return Figures(v7, volume_delta(v7, v_prior), score, bucket(score), delivery_rate, bounce_rate)


class WindowSums(NamedTuple):
    """One domain's stats summed over the windows that end on a day: everything its
    figures are made of, and each a plain sum over days, so a change to one day's counts
    changes them by that day's difference (core/stored_figures.py keeps them so)."""

    v7: int = 0  # sent, the last 7 days
    v_prior: int = 0  # sent, the 7 days before
    sent: int = 0  # the last 30 days from here on
    bounced: int = 0
    complaints: int = 0
    delivered: int = 0  # per day: delivered, or the fallback where not recorded (NULL)
    recorded: int = 0  # per day: delivered as recorded (NULL as 0)
    fallback: int = 0  # per day: max(0, sent - bounced - complaints)

    def figures(self) -> Figures:
        # A window without any delivered event counts the fallback on every day (exports
        # that write 0 for "not recorded").
        delivered = self.delivered if self.recorded > 0 else self.fallback
        return figures_from_sums(self.v7, self.v_prior, self.sent, self.bounced, self.complaints, delivered)


def day_sums(days_back: int, sent: int, delivered: int | None, bounced: int, complaints: int) -> WindowSums | None:
    """What one day's counts add to the window sums of a day ``days_back`` days later
    (None: the day is in none of its windows)."""
    if not 0 <= days_back < max(SCORE_WINDOW, 2 * VOLUME_WINDOW):
        return None
    v7 = sent if days_back < VOLUME_WINDOW else 0
    v_prior = sent if VOLUME_WINDOW <= days_back < 2 * VOLUME_WINDOW else 0
    if days_back >= SCORE_WINDOW:
        return WindowSums(v7, v_prior)
    fallback = max(0, sent - bounced - complaints)
    return WindowSums(
        v7, v_prior, sent, bounced, complaints,
        delivered if delivered is not None else fallback, delivered or 0, fallback,
    )


def clamp_days(days: object) -> int:
    """``days`` as the spec wants it: clamped to 1..365; 30 when it is not a whole number
    (JSON ``7.0`` is 7)."""
    if isinstance(days, float) and math.isfinite(days) and days.is_integer():
        days = int(days)  # -5.0 too, clamped below
    value = whole_number(days)  # 7, 7.0, "7", "7.0"
    if value is None:
        if isinstance(days, (bool, float)):
            return DEFAULT_DAYS
        try:
            value = int(str(days).strip())  # "-5": a number, clamped
        except (TypeError, ValueError):
            return DEFAULT_DAYS
    return max(MIN_DAYS, min(MAX_DAYS, value))


def figures_query(domains, today: dt.date):
    """The one aggregate query (a peewee query of tuples) behind ``figures_for``.

    Only rows of the last 30 days are read; each window is a conditional SUM over them.
    Migration 2 adds a covering index on (domain_id, day, sent, bounced, complaints,
    delivered), so on SQLite and PostgreSQL this is an index-only range scan per domain.
    """
    d7 = today - dt.timedelta(days=VOLUME_WINDOW - 1)
    d14 = today - dt.timedelta(days=2 * VOLUME_WINDOW - 1)
    d30 = today - dt.timedelta(days=SCORE_WINDOW - 1)
    start = min(d14, d30)
    S = DomainStat
    day, sent = S.day, S.sent

    def window(column, first, last=None):
        cond = (day >= first) if last is None else ((day >= first) & (day <= last))
        return fn.COALESCE(fn.SUM(Case(None, [(cond, column)], None)), 0)

    # A day without recorded deliveries counts Sent - Bounced - Complaints, never below zero
    # (as daily_stats shows it); a window without any delivered event counts it for every
    # day (exports that write 0 for "not recorded").
    difference = S.sent - S.bounced - S.complaints
    fallback = Case(None, [(difference < 0, 0)], difference)
    delivered = fn.COALESCE(S.delivered, fallback)
    whole = d30 <= start  # the 30-day window covers every row read: plain sums
    return (
        S.select(
            S.domain,
            window(sent, d7),
            window(sent, d14, d7 - dt.timedelta(days=1)),
            fn.SUM(sent) if whole else window(sent, d30),
            fn.SUM(S.bounced) if whole else window(S.bounced, d30),
            fn.SUM(S.complaints) if whole else window(S.complaints, d30),
            fn.SUM(delivered) if whole else window(delivered, d30),
            fn.SUM(fn.COALESCE(S.delivered, 0)) if whole else window(fn.COALESCE(S.delivered, 0), d30),
            fn.SUM(fallback) if whole else window(fallback, d30),
        )
        .where(S.domain.in_(domains) & (day >= start) & (day <= today))
        .group_by(S.domain)
        .tuples()
    )


# Get (one id) and the TUI's visible rows (a few ids) ask on every call: compiled once per day
# and number of ids (core/prepared.py).
_FIGURES = Prepared(lambda today, count: figures_query([slot(f"id{i}") for i in range(count)], today))
PREPARED_IDS = 8


def figures_for(domains, today: dt.date) -> dict[int, Figures]:
    """Every figure for every domain in ``domains`` (ids, or a query of ids) in one query.

    Domains without rows in the window are absent; callers use ``Figures()`` for them
    (zero volume, every other figure null).
    """
    rows = None
    if not hasattr(domains, "sql"):  # ids, not a query
        domains = list(domains)
        if not domains:
            return {}
        if len(domains) <= PREPARED_IDS:
            rows = _FIGURES.execute(today, len(domains), **{f"id{i}": int(d) for i, d in enumerate(domains)}).fetchall()
    return _figures_by_domain(rows if rows is not None else figures_query(domains, today))


def window_sums_for(domains, today: dt.date) -> dict[int, WindowSums]:
    """``WindowSums`` of every domain in ``domains`` (ids, or a query of ids) with stats in
    the windows ending ``today``, in one query."""
    if not hasattr(domains, "sql"):
        domains = list(domains)
        if not domains:
            return {}
    return {row[0]: _sums(row) for row in figures_query(domains, today)}


def _sums(row) -> WindowSums:
    return WindowSums(*(int(value or 0) for value in row[1:]))


def _figures_by_domain(rows) -> dict[int, Figures]:
    return {row[0]: _sums(row).figures() for row in rows}


# A domain's days (get's and the detail screen's): compiled once, like the figures query.
_DAILY = Prepared(
    lambda: DomainStat.select(DomainStat.day, DomainStat.sent, DomainStat.delivered, DomainStat.bounced, DomainStat.complaints)
    .where((DomainStat.domain == slot("domain")) & (DomainStat.day >= slot("start")) & (DomainStat.day <= slot("today")))
    .order_by(DomainStat.day.desc())
)


def daily_stats(domain_id: int, today: dt.date, days: int) -> dict[str, dict]:
    """Days with activity in the last ``days`` days (clamped 1..365), newest first, keyed ``Y-m-d``.

    Days without activity are omitted, not zero-filled (the spec). ``Delivered`` falls back to
    Sent − Bounced − Complaints (never below 0) on days whose deliveries were not recorded.
    """
    days = clamp_days(days)
    start = today - dt.timedelta(days=days - 1)
    rows = _DAILY.execute(domain=domain_id, start=start, today=today).fetchall()  # raw values: days as the driver gives them
    out: dict[str, dict] = {}
    for day, sent, delivered, bounced, complaints in rows:
        if not (sent or delivered or bounced or complaints):
            continue
        key = day.isoformat() if hasattr(day, "isoformat") else str(day)[:10]
        out[key] = {
            "Period": key,
            "Sent": int(sent),
            "Delivered": int(delivered) if delivered is not None else max(0, int(sent) - int(bounced) - int(complaints)),
            "Bounced": int(bounced),
            "Complaints": int(complaints),
        }
    return out
