"""``senderdeck sweep``: re-verify every tenant's Enabled and Approval Pending domains.

The sweep checks each due domain (not checked for ``older_than``; Disabled, Suspended and
Deleted ones never) through the service's verify path — the same plans, the same verifier
(core/verify.py), the same lookup policy (core/probe.py), the same writes — with two
differences: no 25-per-call cap, and the drift rule for Enabled domains (core/drift.py)
instead of an instant demotion. It does not read the 60 s probe cache (a sweep wants a fresh
look; the cache only spares resolvers from a tenant clicking twice).

Speed: domains stream through three stages at once. A feeder claims due domains in chunks;
``max_in_flight`` domain workers check one domain each with a fork of one prober (each
domain gets the whole ``[dns] deadline``; ``max_in_flight`` bounds the queries of all of
them together); a writer stores finished domains many to a transaction on a worker thread
while DNS goes on. tests/bench/sweep.py holds its DNS throughput against a raw dnspython
burst of the same queries.

Overlap: a sweep claims the domains it is about to check (``sweep_claim``, one row per
domain, taken under a lock: SQLite's write lock, PostgreSQL's advisory lock, so hosts
sharing a database agree) and holds the claims until it ends (so it never takes a domain
twice either, even with ``--older-than 0``). Another sweep skips claimed domains, so two cron
runs that overlap share the work and never check a domain twice at once. A claim is a
lease, renewed while the sweep runs: one left by a sweep that died expires after
``CLAIM_LEASE`` seconds, and the next sweep takes the domain.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from core import drift as drift_rules
from core.db import database, is_sqlite, off_loop, retry_locked, write_transaction
from core.drift import Drift
from core.models import STATUS_ENABLED, STATUS_PENDING, SenderDomain, SweepClaim, SweepRun, User
from core.validation import to_unicode

CLAIM_AHEAD = 2  # domains claimed at a time, per domain worker (at least MIN_CLAIM)
MIN_CLAIM = 16
CLAIM_LEASE = 120.0  # seconds a claim outlives the sweep that took it, if it dies
RENEW_EVERY = CLAIM_LEASE / 4
WRITE_BATCH = 500  # domains stored per transaction, at most
WRITE_EVERY = 1.0  # seconds between writes while domains finish
SWEEP_LOCK = 7412650194  # PostgreSQL advisory lock taken while claiming (migrations use ...193)
# DNS latency buckets (seconds) for the sweep's histogram, as /metrics shows them.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SWEPT_STATUSES = (STATUS_ENABLED, STATUS_PENDING)


def parse_age(text: str) -> dt.timedelta:
    """``6h``, ``30m``, ``90s``, ``2d``, ``1w`` or a number of seconds; ValueError otherwise."""
    raw = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    number, unit = (raw[:-1], raw[-1]) if raw and raw[-1] in units else (raw, "s")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a duration (e.g. 6h, 30m, 2d, 0)") from None
    if not (value >= 0 and value * units[unit] < 10 * 365 * 86400):
        raise ValueError(f"{text!r} must be a duration from 0 to 10 years")
    return dt.timedelta(seconds=value * units[unit])


# ---- what a sweep found --------------------------------------------------------------------


@dataclass
class DomainFinding:
    """One domain the summary names: drifted, demoted, newly Enabled, recovered or unchecked."""

    domain_id: int
    domain: str  # ASCII
    user: str
    outcome: str  # core.drift's OK, ENABLED, DRIFTED, …
    status: str
    drift: Drift | None = None
    unchecked: list[tuple[str, str]] = field(default_factory=list)  # (host, reason) could not check

    @property
    def display_name(self) -> str:
        return to_unicode(self.domain)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "DomainID": self.domain_id,
            "SenderDomain": self.display_name,
            "User": self.user,
            "Outcome": self.outcome,
            "Status": self.status,
        }
        if self.drift is not None:
            body["Drift"] = drift_json(self.drift)
        if self.unchecked:
            body["CouldNotCheck"] = {host: reason for host, reason in self.unchecked}
        return body


def drift_json(drift: Drift) -> dict[str, Any]:
    return {
        "Since": drift.since.strftime("%Y-%m-%d %H:%M:%S"),
        "Streak": drift.streak,
        "Records": drift.records_json(),
    }


@dataclass
class LatencyHistogram:
    """Cumulative-ready bucket counts of DNS answer times (stored with the run for /metrics)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1

    def to_json(self) -> dict[str, int]:
        keys = [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]
        return dict(zip(keys, self.counts))


@dataclass
class SweepReport:
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    due: int = 0  # due domains when the sweep started (those claimed by another sweep included)
    checked: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # outcome -> domains
    findings: list[DomainFinding] = field(default_factory=list)  # every outcome but OK / PENDING
    # Drifted by an earlier sweep and not found drifted by this one: not due, or could not be checked now.
    still_drifted: list[DomainFinding] = field(default_factory=list)
    platform: list = field(default_factory=list)  # core.platform.PlatformFinding
    queries: int = 0
    wall: float = 0.0
    interrupted: bool = False

    def of(self, outcome: str) -> list[DomainFinding]:
        return [f for f in self.findings if f.outcome == outcome]

    @property
    def drifted(self) -> list[DomainFinding]:
        return self.of(drift_rules.DRIFTED) + self.still_drifted

    @property
    def platform_broken(self) -> list:
        return [p for p in self.platform if p.broken]

    @property
    def platform_unchecked(self) -> list:
        return [p for p in self.platform if p.state == "could_not_check"]

    @property
    def exit_code(self) -> int:
        """0 all good; 1 a domain in scope is drifted (found now, or earlier and not cleared);
        2 the platform's own records are broken (every tenant is affected) or could not be
        checked (the platform's own names not answering means the resolver or the platform's
        DNS is down: the tenants' results say nothing then)."""
        if self.platform_broken or self.platform_unchecked:
            return 2
        return 1 if self.drifted else 0

    def to_json(self) -> dict[str, Any]:
        fmt = lambda t: t.strftime("%Y-%m-%d %H:%M:%S") if t else None  # noqa: E731
        return {
            "StartedAt": fmt(self.started_at),
            "FinishedAt": fmt(self.finished_at),
            "Due": self.due,
            "Checked": self.checked,
            "NewlyEnabled": len(self.of(drift_rules.ENABLED)),
            "Drifted": len(self.of(drift_rules.DRIFTED)),
            "StillDrifted": len(self.still_drifted),
            "Recovered": len(self.of(drift_rules.RECOVERED)),
            "Demoted": len(self.of(drift_rules.DEMOTED)),
            "CouldNotCheck": len(self.of(drift_rules.COULD_NOT)),
            "Queries": self.queries,
            "Seconds": round(self.wall, 3),
            "Interrupted": self.interrupted,
            "ExitCode": self.exit_code,
            "Platform": [p.to_json() for p in self.platform],
            "Domains": [f.to_json() for f in self.findings] + [f.to_json() for f in self.still_drifted],
        }


# ---- the run ---------------------------------------------------------------------------------


class WriterThread:
    """One thread that keeps its database connection between the sweep's writes (``off_loop``
    opens and closes one per call: a connect and its pragmas for every batch)."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-writer")

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def close(self) -> None:
        def disconnect() -> None:
            if database.obj is not None and not database.is_closed():
                database.close()

        await self.run(disconnect)
        self._executor.shutdown(wait=False)


Progress = Callable[[SweepReport], None]


class Sweep:
    """One sweep over ``ctx``'s database. ``older_than``: check domains whose last check is
    older (0: every domain); ``user``: only that user's; ``demote``: let a long drift demote
    (core/drift.py); ``platform``: check the platform's own records too (core/platform.py)."""

    def __init__(
        self,
        ctx,
        *,
        older_than: dt.timedelta = dt.timedelta(hours=6),
        user: User | None = None,
        demote: bool = False,
        platform: bool = True,
        domains: bool = True,
        progress: Progress | None = None,
    ) -> None:
        self.ctx = ctx
        self.service = ctx.service
        self.clock = ctx.clock
        self.older_than = older_than
        self.user = user
        self.demote = demote
        self.check_platform = platform
        self.check_domains = domains
        self.progress = progress
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.histogram = LatencyHistogram()
        self.report = SweepReport(started_at=self.clock.now())
        self._cutoff = self.report.started_at - older_than
        self._run_id: int | None = None
        self._writer = WriterThread()

    # -- database work (worker threads) --

    def _scope(self):
        S = SenderDomain
        where = S.status.in_(SWEPT_STATUSES) & (S.id > 0)
        if self.user is not None:
            where &= S.user == self.user.id
        return where

    def _due(self):
        S = SenderDomain
        if not self.older_than:
            return self._scope()  # every domain (claims keep this run from taking one twice)
        return self._scope() & (S.last_verified_at.is_null() | (S.last_verified_at < self._cutoff))

    def _count_due(self) -> int:
        return SenderDomain.select().where(self._due()).count()

    def _claim(self, limit: int) -> list[SenderDomain]:
        """Claim up to ``limit`` due domains no live claim holds, oldest check first."""

        def work() -> list[SenderDomain]:
            now = self.clock.monotonic()
            with write_transaction():
                if not is_sqlite():
                    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (SWEEP_LOCK,))
                SweepClaim.delete().where(SweepClaim.expires_at <= now).execute()
                S = SenderDomain
                rows = list(
                    # What a plan needs (core.verifying: verify_plans): not the DKIM private key.
                    S.select(S.id, S.domain, S.status, S.options, S.verification_meta, S.dkim_selector, S.dkim_public_key, User.name)
                    .join(User)
                    .where(self._due() & S.id.not_in(SweepClaim.select(SweepClaim.domain)))
                    .order_by(S.last_verified_at.asc(nulls="first"), S.id)
                    .limit(limit)
                )
                if rows:
                    SweepClaim.insert_many(
                        [{"domain": r.id, "owner": self.owner, "expires_at": now + CLAIM_LEASE} for r in rows]
                    ).execute()
            return rows

        return retry_locked(work)

    def _release(self, ids: list[int] | None = None) -> None:
        query = SweepClaim.delete().where(SweepClaim.owner == self.owner)
        if ids is not None:
            query = query.where(SweepClaim.domain.in_(ids))
        query.execute()

    def _renew(self) -> None:
        def work() -> None:
            with write_transaction():
                SweepClaim.update(expires_at=self.clock.monotonic() + CLAIM_LEASE).where(SweepClaim.owner == self.owner).execute()

        retry_locked(work)

    def _start_run(self) -> None:
        def work() -> int:
            with write_transaction():
                return SweepRun.create(owner=self.owner, started_at=self.report.started_at).id

        self._run_id = retry_locked(work)

    def _finish_run(self) -> None:
        counts = self.report.counts
        fields = dict(
            finished_at=self.report.finished_at,
            checked=self.report.checked,
            enabled=counts.get(drift_rules.ENABLED, 0),
            drifted=counts.get(drift_rules.DRIFTED, 0),
            recovered=counts.get(drift_rules.RECOVERED, 0),
            demoted=counts.get(drift_rules.DEMOTED, 0),
            could_not_check=counts.get(drift_rules.COULD_NOT, 0),
            platform_problems=len(self.report.platform_broken),
            queries=self.report.queries,
            dns_seconds=self.histogram.total,
            dns_buckets=self.histogram.to_json(),
        )

        def work() -> None:
            with write_transaction():
                self._release()
                if self._run_id is not None:
                    SweepRun.update(**fields).where(SweepRun.id == self._run_id).execute()

        retry_locked(work)

    def _store(self, results: list[tuple[Any, dict]]) -> None:
        from core.verify import COULD_NOT_CHECK

        stored = self.service.apply_sweep_checks(results, demote=self.demote)
        report = self.report
        for (plan, checks), (outcome, verdict) in zip(results, stored):
            report.checked += 1
            kind = verdict.outcome if verdict is not None else drift_rules.UNCHANGED
            report.counts[kind] = report.counts.get(kind, 0) + 1
            if kind in (drift_rules.OK, drift_rules.PENDING, drift_rules.UNCHANGED):
                continue
            unchecked = [(h, c.reason) for h, c in checks.items() if c.state == COULD_NOT_CHECK]
            report.findings.append(
                DomainFinding(
                    plan.row.id, plan.row.domain, plan.row.user.name, kind, outcome.status,
                    (verdict.drift or verdict.evidence) if verdict is not None else None, unchecked,
                )
            )

    def _still_drifted(self) -> list[DomainFinding]:
        S = SenderDomain
        rows = (
            S.select(S.id, S.domain, S.status, S.drift_since, S.drift_streak, S.drift_counted_at, S.drift_records, User.name)
            .join(User)
            .where(self._scope() & (S.status == STATUS_ENABLED) & S.drift_since.is_null(False))
            .order_by(S.domain, S.id)
        )
        reported = {f.domain_id for f in self.report.of(drift_rules.DRIFTED)}
        out = []
        for row in rows:
            if row.id in reported:
                continue
            found = Drift.from_columns(row.drift_since, row.drift_streak, row.drift_counted_at, row.drift_records)
            out.append(DomainFinding(row.id, row.domain, row.user.name, "still_drifted", row.status, found))
        return out

    # -- the pipeline --

    async def run(self) -> SweepReport:
        started = time.perf_counter()
        prober = self.service.new_prober()
        prober.log.listeners.append(self.histogram.observe)
        await off_loop(self._start_run)
        try:
            async with prober.sharing_sockets():  # tens of thousands of queries: no socket each
                platform_task = asyncio.ensure_future(self._platform(prober.fork())) if self.check_platform else None
                if self.check_domains:
                    self.report.due = await off_loop(self._count_due)
                    await self._domains(prober)
                if platform_task is not None:
                    self.report.platform = await platform_task
            if self.check_domains:
                self.report.still_drifted = await off_loop(self._still_drifted)
        except BaseException:
            self.report.interrupted = True
            raise
        finally:
            self.report.queries = prober.sent
            self.report.wall = time.perf_counter() - started
            self.report.finished_at = self.clock.now()
            await asyncio.shield(off_loop(self._finish_run))
        return self.report

    async def _platform(self, prober) -> list:
        from core import platform

        sample = await off_loop(self._report_sample)
        return await platform.check_platform(prober, self.ctx.settings.platform, sample)

    def _report_sample(self) -> list[str]:
        """The tenants' domains whose DMARC reports the report domain must authorise (when it
        publishes no wildcard): every live Enabled or Approval Pending domain in scope."""
        S = SenderDomain
        return [d for (d,) in S.select(S.domain).where(self._scope()).order_by(S.id).tuples()]

    async def _domains(self, prober) -> None:
        from core import verify
        from core.verifying import HostHints

        workers = max(1, self.ctx.settings.dns.max_in_flight)
        # Claim little ahead of the workers, so a sweep that starts meanwhile finds work too.
        chunk = max(MIN_CLAIM, CLAIM_AHEAD * workers)
        queue: asyncio.Queue = asyncio.Queue(maxsize=chunk)
        finished: list[tuple[Any, dict]] = []
        wake = asyncio.Event()

        async def feed() -> None:
            while rows := await off_loop(self._claim, chunk):
                for plan in self.service.verify_plans(rows, use_cache=False):
                    await queue.put(plan)
            for _ in range(workers):
                await queue.put(None)

        async def check() -> None:
            while (plan := await queue.get()) is not None:
                fork = prober.fork()
                hints = HostHints(fork, self.service.cache)
                try:
                    checks = await verify.check_domain(fork, self.service.verify_target(plan, hints))
                finally:
                    hints.cancel()
                finished.append((plan, checks))
                if len(finished) >= WRITE_BATCH:
                    wake.set()

        async def write(until: asyncio.Future) -> None:
            renewed = time.monotonic()
            while True:
                try:
                    await asyncio.wait_for(wake.wait(), WRITE_EVERY)
                except asyncio.TimeoutError:
                    pass
                wake.clear()
                while finished:
                    batch = finished[:WRITE_BATCH]
                    del finished[:WRITE_BATCH]
                    await self._writer.run(self._store, batch)
                    if self.progress is not None:
                        self.progress(self.report)
                if time.monotonic() - renewed > RENEW_EVERY:
                    await off_loop(self._renew)
                    renewed = time.monotonic()
                if until.done() and not finished:
                    return

        checkers = asyncio.ensure_future(asyncio.gather(feed(), *(check() for _ in range(workers))))
        writer = asyncio.ensure_future(write(checkers))
        try:
            await checkers
            await writer
            await self._writer.close()
        except BaseException:
            checkers.cancel()
            writer.cancel()
            await asyncio.gather(checkers, writer, return_exceptions=True)
            if finished:  # what was checked is stored, even when the sweep stops early
                await asyncio.shield(self._writer.run(self._store, list(finished)))
            await asyncio.shield(self._writer.close())
            raise


    def run_sync(self) -> SweepReport:
        """``run`` to its end from synchronous code (the command line)."""
        return asyncio.run(self.run())


__all__ = ["Sweep", "SweepReport", "DomainFinding", "parse_age", "CLAIM_LEASE"]
