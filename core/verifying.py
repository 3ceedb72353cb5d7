"""Checking a domain's DNS and storing what it found: verify one domain, verify the pending
ones in rounds of batches, the DNS host of a domain, and the sweep's batched write.

Every check goes through the 60 s probe cache (``probe_cache_key``) and the verifier
(core/verify.py, over the one lookup policy in core/probe.py); what it found is written with
the status rules (core/verify.py's ``apply_checks``) and the drift rules (core/drift.py). The
DNS modules load on first use, inside the methods, so list, get and create never load dnspython.

``VerificationMixin`` is a mixin rather than a collaborator so that ``SenderDomainService``
keeps these methods as its own (core/api.py, core/sweep.py, the TUI and tests call them
there), and replacing one on a service (as tests do with ``verify_pending``) still changes
what the others that call it reach.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import peewee

from core import drift as drift_rules
from core.cache import Cache
from core.db import for_update, off_loop, retry_locked, write_transaction
from core.dnsrecord import DnsRecord, records_from_stored, records_to_stored
from core.errors import SettingsError
from core.models import STATUS_DELETED, STATUS_PENDING, SenderDomain, User
from core.service_base import ServiceBase
from core.validation import to_unicode

if TYPE_CHECKING:
    from core.dnshost import DnsHostOutcome
    from core.probe import Prober
    from core.verify import BulkVerifyOutcome, Check, VerifyOutcome

PROBE_CACHE_TTL = 60.0
VERIFY_BATCH = 25  # the spec: verifyall checks at most 25 domains per call
VERIFY_ROUND_IDLE_TTL = 3600.0  # a verify-all round not continued for an hour starts over


class VerifyObserver(Protocol):
    """Told about every verify (``/metrics``: core/metrics.py); the service works without one."""

    def verify_outcome(self, status: str, verified: bool) -> None: ...
    def dns_latency(self, seconds: float) -> None: ...


@dataclass
class VerifyPlan:
    """One domain about to be checked: its row, expected records, their fingerprint and the
    probe cache's checks for them (None: probe)."""

    row: SenderDomain
    records: list[DnsRecord]
    fingerprint: str
    cached: dict[str, Check] | None = None


class HostHints:
    """The DNS host of a domain and its zone's apex, looked up (through the 1 h cache) only
    when a check's fix needs them, once per domain per call; ``cancel()`` drops the lookups still running."""

    def __init__(self, prober: Prober, cache: Cache) -> None:
        self.prober = prober
        self.cache = cache
        self._hosts: dict[str, asyncio.Future] = {}

    async def _info(self, domain: str):
        """The DNS host and the zone's apex of ``domain``: one (cached) lookup, shared."""
        from core import dnshost

        if domain not in self._hosts:
            self._hosts[domain] = asyncio.ensure_future(dnshost.detect(self.prober, self.cache, domain))
        return await asyncio.shield(self._hosts[domain])

    def hint(self, domain: str):
        async def hint() -> str | None:
            from core import dnshost

            found = await self._info(domain)
            return None if found.dns_host == dnshost.UNKNOWN_HOST else found.dns_host

        return hint

    def zone(self, domain: str):
        async def zone() -> str | None:
            return (await self._info(domain)).apex

        return zone

    def cancel(self) -> None:
        for task in self._hosts.values():
            task.cancel()
        self._hosts.clear()


def probe_cache_key(domain_id: int) -> str:
    return f"probe:{domain_id}"


def verify_round_key(user_id: int) -> str:
    return f"verifyround:{user_id}"


class VerificationMixin(ServiceBase):
    """The service's DNS verification and host detection (mixed into ``SenderDomainService``)."""

    observer: VerifyObserver | None = None  # set by `senderdeck serve` for /metrics

    async def verify_domain(self, user: User, domain_id: int) -> VerifyOutcome:
        """Probe one domain's records now (or from the 60 s probe cache) and apply the status rules."""
        row = await off_loop(self._owned, user, domain_id)
        return (await self._verify_rows([row]))[0]

    async def verify_pending(self, user: User, batch: int = VERIFY_BATCH) -> BulkVerifyOutcome:
        """The next ``batch`` of the caller's Approval Pending domains in the current round.

        A round walks the pending domains in DomainID order, ``batch`` per call, remembering
        where it got to (per user, in the cache, for an hour after its last call);
        ``truncated`` says the round has more. So a client calling again while
        ``truncated`` checks each pending domain once and stops after at most
        ceil(P / batch) + 1 calls, even when every domain stays pending. The call after a
        round ended starts the next one.
        """
        key = verify_round_key(user.id)

        def next_rows() -> list[SenderDomain]:
            marker = self.cache.get(key)
            after = marker.get("After") if isinstance(marker, dict) else None
            valid = isinstance(after, int) and not isinstance(after, bool) and after > 0
            return self._pending_after(user, after if valid else 0, batch)

        rows = await off_loop(next_rows)
        bulk = await self._verify_batch(rows, batch)

        def remember() -> None:
            if bulk.truncated:
                self.cache.set(key, {"After": rows[batch - 1].id}, VERIFY_ROUND_IDLE_TTL)
            else:
                self.cache.delete(key)

        await off_loop(remember)
        return bulk

    async def verify_all_pending(self, user: User, batch: int = VERIFY_BATCH) -> AsyncIterator[BulkVerifyOutcome]:
        """Every Approval Pending domain of the caller, one ``verify_pending`` batch after
        another: a new round from the first DomainID (so what an unfinished earlier round
        skipped is checked too), walked to its end. Yields at least once; the last batch
        yielded is not ``truncated``. The TUI's verify all and watch mode use this."""
        await off_loop(self.cache.delete, verify_round_key(user.id))
        while True:
            bulk = await self.verify_pending(user, batch)
            yield bulk
            if not bulk.truncated:
                return

    def _pending_after(self, user: User, after: int, batch: int) -> list[SenderDomain]:
        """Up to ``batch + 1`` pending domains with a DomainID above ``after`` (one more than
        asked for, to tell whether the round has more)."""
        return list(
            self._live_rows(user)
            .where((SenderDomain.status == STATUS_PENDING) & (SenderDomain.id > after))
            .order_by(SenderDomain.id)
            .limit(batch + 1)
        )

    async def _verify_batch(self, rows: list[SenderDomain], batch: int) -> BulkVerifyOutcome:
        from core.verify import BulkVerifyOutcome  # dnspython stays off the CLI's list/get path

        outcomes = await self._verify_rows(rows[:batch]) if rows else []
        return BulkVerifyOutcome(outcomes, len(rows) > batch)

    async def detect_dns_host(self, user: User, domain_id: int) -> DnsHostOutcome:
        """The domain's DNS provider from its apex NS records (cached 1 hour); never raises on lookup failure."""
        # DNS modules load on first use: list, get and create never need dnspython.
        from core import dnshost
        from core.probe import Prober

        row = await off_loop(self._owned, user, domain_id)
        try:
            prober = Prober.from_settings(self.settings.nameservers, self.settings.dns)
        except SettingsError:  # e.g. a resolver named by a host that does not resolve
            return dnshost.DnsHostOutcome(row.id, to_unicode(row.domain), dnshost.UNKNOWN_HOST, [])
        info = await dnshost.detect(prober, self.cache, row.domain)
        return dnshost.DnsHostOutcome(row.id, to_unicode(row.domain), info.dns_host, info.nameservers, info.apex)

    def new_prober(self) -> Prober:
        """A prober with the configured resolvers and lookup policy (core/probe.py); every
        answer's latency goes to ``self.observer``."""
        from core.probe import Prober  # DNS modules load on first use: list, get and create never need dnspython

        prober = Prober.from_settings(self.settings.nameservers, self.settings.dns)
        if self.observer is not None:
            prober.log.listeners.append(self.observer.dns_latency)
        return prober

    def verify_plans(self, rows: list[SenderDomain], *, use_cache: bool = True) -> list[VerifyPlan]:
        """What to check for each row: its records (the template when none are stored) and,
        with ``use_cache``, the checks the 60 s probe cache still holds for them."""
        from core import verify

        plans = []
        for row in rows:
            stored = (row.verification_meta or {}).get("DNSRecords") or self._template(row.domain, row.options or {}, row)
            records = records_from_stored(stored)
            fp = verify.fingerprint(records)
            checks = None
            if use_cache:
                cached = self.cache.get(probe_cache_key(row.id))
                if isinstance(cached, dict) and cached.get("Fingerprint") == fp and isinstance(cached.get("Checks"), dict):
                    checks = {h: verify.Check.from_json(c) for h, c in cached["Checks"].items() if isinstance(c, dict)}
            plans.append(VerifyPlan(row, records, fp, checks))
        return plans

    def verify_target(self, plan: VerifyPlan, hints: HostHints):
        """The verifier's input for one plan (core/verify.py)."""
        from core import verify

        return verify.Target(
            plan.row.domain, plan.records, self.settings.platform.spf_include, hints.hint(plan.row.domain), hints.zone(plan.row.domain)
        )

    async def _verify_rows(self, rows: list[SenderDomain]) -> list[VerifyOutcome]:
        """Probe (or take from the probe cache) every row's records at once, then write each row."""
        from core import verify

        prober = self.new_prober()
        hints = HostHints(prober, self.cache)
        plans = await off_loop(self.verify_plans, rows)
        targets = [self.verify_target(plan, hints) for plan in plans if plan.cached is None]
        probed = iter(await verify.check_domains(prober, targets) if targets else [])
        hints.cancel()
        fresh = [(plan, None if plan.cached is not None else next(probed)) for plan in plans]

        def store() -> list[VerifyOutcome]:
            outcomes = []
            for plan, probed_checks in fresh:
                checks = plan.cached if plan.cached is not None else probed_checks
                if probed_checks is not None and all(c.state != verify.COULD_NOT_CHECK for c in checks.values()):  # failures are not kept
                    self.cache.set(
                        probe_cache_key(plan.row.id),
                        {"Fingerprint": plan.fingerprint, "Checks": {h: c.to_json() for h, c in checks.items()}},
                        PROBE_CACHE_TTL,
                    )
                outcome = retry_locked(lambda: self._apply_checks(plan.row.id, plan.records, plan.fingerprint, checks))
                outcome.cached = plan.cached is not None
                outcomes.append(outcome)
            return outcomes

        outcomes = await off_loop(store)
        if self.observer is not None:
            for outcome in outcomes:
                self.observer.verify_outcome(outcome.status, outcome.is_verified)
        return outcomes

    def _apply_checks(self, domain_id: int, records: list[DnsRecord], fp: str, checks: dict) -> VerifyOutcome:
        """Store one probe's flags, evidence and Status (only when changed) and LastVerifiedAt."""
        now = self.clock.now()
        with write_transaction():
            row = for_update(SenderDomain.select().where(SenderDomain.id == domain_id)).first()  # no edit in between
            outcome, _verdict, changes = self._apply_locked(row, domain_id, records, fp, checks, now, None)
            SenderDomain.update({SenderDomain.last_verified_at: now, **changes}).where(SenderDomain.id == domain_id).execute()
        return outcome

    def apply_sweep_checks(self, results: list[tuple[VerifyPlan, dict]], *, demote: bool) -> list[tuple[VerifyOutcome, Any]]:
        """Store a sweep's checks for many domains in one transaction, as verify stores them
        (flags, evidence, Status, LastVerifiedAt) but with the sweep's rule for Enabled
        domains (core/drift.py: a failing record is drift, not an instant demotion).
        Returns (outcome, drift.Verdict or None when the probe went stale) per result.

        One SELECT and one UPDATE for the whole batch (each changed column a CASE over the
        rows that change it): a statement per domain would hand the interpreter lock back and
        forth with the event loop thousands of times, and the DNS would wait."""
        ids = [plan.row.id for plan, _checks in results]

        def work():
            now = self.clock.now()
            out = []
            changed: dict[int, dict] = {}
            with write_transaction():
                S = SenderDomain
                columns = (S.id, S.status, S.verification_meta, S.drift_since, S.drift_streak, S.drift_counted_at, S.drift_records)
                rows = {r.id: r for r in for_update(S.select(*columns).where(S.id.in_(ids)).order_by(S.id))}
                for plan, checks in results:
                    outcome, verdict, changes = self._apply_locked(
                        rows.get(plan.row.id), plan.row.id, plan.records, plan.fingerprint, checks, now, demote
                    )
                    out.append((outcome, verdict))
                    if changes:
                        changed[plan.row.id] = changes
                update: dict = {SenderDomain.last_verified_at: now}
                for column in dict.fromkeys(c for changes in changed.values() for c in changes):
                    cases = [(domain_id, column.db_value(changes[column])) for domain_id, changes in changed.items() if column in changes]
                    update[column] = peewee.Case(SenderDomain.id, cases, column)
                SenderDomain.update(update).where(SenderDomain.id.in_([i for i in ids if i in rows])).execute()
            return out

        return retry_locked(work)

    def _apply_locked(self, row, domain_id, records, fp, checks, now, sweep_demote: bool | None):
        """One domain's probe applied to its locked row: verify's rule (``sweep_demote`` None)
        or the sweep's (``sweep_demote`` says whether a long drift demotes). Returns the
        outcome, the sweep's verdict and the columns to write besides LastVerifiedAt."""
        from core import verify  # loaded with the prober; a no-op here

        meta = dict(row.verification_meta or {}) if row else {}
        stored = meta.get("DNSRecords") or {}
        if row is None or (stored and verify.fingerprint(records_from_stored(stored)) != fp):
            # Deleted, or the records were regenerated while we probed: the probe is stale.
            status = row.status if row else STATUS_DELETED
            return verify.VerifyOutcome(domain_id, False, status, records_from_stored(stored)), None, {}
        base = meta if stored else {**meta, "DNSRecords": records_to_stored(records, with_flag=False)}
        new_meta, probed_status, verified = verify.apply_checks(base, checks, row.status)
        findings = verify.findings(records_from_stored(base["DNSRecords"]), checks)
        current = drift_rules.Drift.from_columns(row.drift_since, row.drift_streak, row.drift_counted_at, row.drift_records)
        if sweep_demote is None:
            verdict = None
            new_status, new_drift = probed_status, drift_rules.after_verify(current, probed_status, findings)
        else:
            verdict = drift_rules.after_sweep(row.status, current, findings, probed_status, now, demote=sweep_demote)
            new_status, new_drift = verdict.status, verdict.drift
        changes: dict = {}
        if new_meta != meta:
            changes[SenderDomain.verification_meta] = new_meta
        if new_status != row.status:
            changes[SenderDomain.status] = new_status
        if new_drift != current:
            columns = new_drift.columns() if new_drift is not None else drift_rules.NO_DRIFT_COLUMNS
            changes.update({getattr(SenderDomain, name): value for name, value in columns.items()})
        outcome = verify.VerifyOutcome(
            domain_id, verified, new_status, records_from_stored(new_meta["DNSRecords"]), new_meta.get("Checks", {})
        )
        return outcome, verdict, changes
