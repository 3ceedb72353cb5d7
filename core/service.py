"""The spec's operations on sender domains: ownership, limits, status rules, regeneration.

Every method takes the acting ``User`` and answers ``ApiError`` with the spec's code on bad
input, validating everything before writing anything so stored data never half-changes.
``core.api`` turns results into the spec's JSON; the TUI calls these methods directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

import peewee

from core import errors
from core import records as templates
from core import drift as drift_rules
from core import stat_store, stats
from core import status as status_rules
from core.cache import Cache, RateLimiter
from core.clock import Clock
from core.db import database, for_update, off_loop, retry_locked, write_transaction
from core.errors import ApiError, SettingsError, not_found
from core.dnsrecord import DnsRecord, all_verified, records_from_stored, records_to_stored
from core.events import DELETE_SENDER_DOMAIN, Hooks
from core.listing import live_domains, load_views
from core.models import (
    STATUS_DELETED,
    STATUS_ENABLED,
    STATUS_PENDING,
    STATUS_SUSPENDED,
    SenderDomain,
    User,
)
from core.options import TRACKING_FLAGS, dns_layout, effective_options, param, parse_options
from core.prepared import Prepared, slot
from core.settings import Settings
from core.validation import normalize_domain, to_unicode
from core.views import DomainView

if TYPE_CHECKING:
    from core.dnshost import DnsHostOutcome
    from core.mailer import SendTestOutcome
    from core.probe import Prober
    from core.verify import BulkVerifyOutcome, Check, VerifyOutcome

PROBE_CACHE_TTL = 60.0
VERIFY_BATCH = 25  # the spec: verifyall checks at most 25 domains per call
VERIFY_ROUND_IDLE_TTL = 3600.0  # a verify-all round not continued for an hour starts over
SENDTEST_RATE_LIMIT = (10, 300.0)  # the spec: 10 test messages per 5 minutes per user
# VerificationMeta keys that describe the current records; dropped when records change.
RECORD_STATE_KEYS = ("DNSRecords", "Checks")


# Every command on one domain reads it first: compiled once (core/prepared.py).
_OWNED = Prepared(
    lambda: SenderDomain.select()
    .where((SenderDomain.id == slot("id")) & (SenderDomain.user == slot("user")) & (SenderDomain.status != STATUS_DELETED))
    .limit(1)
)


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


class SenderDomainService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        cache: Cache,
        limiter: RateLimiter,
        hooks: Hooks | None = None,
        keygen: Callable[[], templates.DkimKey] = templates.generate_dkim_key,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.cache = cache
        self.limiter = limiter
        self.hooks = hooks or Hooks()
        self.keygen = keygen
        self.observer: VerifyObserver | None = None  # set by `senderdeck serve` for /metrics

    # ---- reading -------------------------------------------------------------------------

    def _owned(self, user: User, domain_id: int, *, lock: bool = False) -> SenderDomain:
        """The caller's live domain, or code 2 (the same answer for someone else's domain).

        ``lock`` (inside a write transaction) holds the row until commit on PostgreSQL; SQLite's
        IMMEDIATE transaction already holds the whole database.
        """
        if lock:
            query = SenderDomain.select().where(
                (SenderDomain.id == domain_id)
                & (SenderDomain.user == user.id)
                & (SenderDomain.status != STATUS_DELETED)
            )
            row = for_update(query).first()
        else:
            row = _OWNED.first(SenderDomain, id=domain_id, user=user.id)
        if row is None:
            raise not_found()
        return row

    def _live_rows(self, user: User):
        return SenderDomain.select().where(live_domains(user))

    def today(self) -> dt.date:
        return self.clock.now().date()

    def list_domains(self, user: User) -> list[DomainView]:
        """The caller's live domains by name, with their figures (the stored ones: two
        queries in all, once the day's figures are stored)."""
        views = load_views(database, user)
        figures = stat_store.current_figures(user.id, self.today())
        for view in views:
            view.figures = figures.get(view.id) or view.figures
        return views

    def get_domain(self, user: User, domain_id: int) -> DomainView:
        row = self._owned(user, domain_id)
        return DomainView.from_row(row, stats.figures_for([row.id], self.today()).get(row.id), owner=user.name)

    def domain_stats(self, user: User, domain_id: int, days: int) -> dict[str, dict]:
        row = self._owned(user, domain_id)
        return stats.daily_stats(row.id, self.today(), days)

    def dns_records(self, user: User, domain_id: int) -> DomainView:
        """The stored records; when none are stored, the template for display (not saved)."""
        row = self._owned(user, domain_id)
        view = DomainView.from_row(row, owner=user.name)
        if not (view.verification_meta.get("DNSRecords") or {}):
            view.verification_meta = {**view.verification_meta, "DNSRecords": self._template(row.domain, row.options, row)}
        return view

    def find_domain(self, user: User, ref: str) -> DomainView:
        """A domain of the caller's by DomainID or by name (any form: Unicode, ASCII, with a dot)."""
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            return DomainView.from_row(self._owned(user, int(text)), owner=user.name)
        name = normalize_domain(text)
        row = self._live_rows(user).where(SenderDomain.domain == name).first()
        if row is None:
            raise not_found()
        return DomainView.from_row(row, owner=user.name)

    def dkim_key(self, user: User, domain_id: int) -> templates.DkimExport:
        """The domain's DKIM selector and private key, for the MTA's signing configuration."""
        row = self._owned(user, domain_id)
        return templates.DkimExport(row.domain, row.dkim_selector, row.dkim_private_key)

    def resolve_for_email(self, user: User, from_domain: str) -> DomainView | None:
        """The send-time resolver: the caller's Enabled domain, or None for the group default.

        Paused (Disabled), pending and suspended domains fall back to the group default.
        """
        try:
            name = normalize_domain(from_domain)
        except ApiError:
            return None
        row = self._live_rows(user).where((SenderDomain.domain == name) & (SenderDomain.status == STATUS_ENABLED)).first()
        return DomainView.from_row(row, owner=user.name) if row else None

    # ---- writing -------------------------------------------------------------------------

    def _template(self, domain: str, options: Mapping, row: SenderDomain | None = None, key: templates.DkimKey | None = None) -> dict:
        return templates.build_records(
            domain,
            options,
            self.settings.platform,
            dkim_selector=row.dkim_selector if row else self.settings.platform.dkim_selector,
            dkim_public_b64=row.dkim_public_key if row else key.public_b64,
            default_subdomain=self.settings.mfrom_subdomain,
            default_prefix=self.settings.track_prefix,
        )

    def _check_names_fit(self, domain: str, options: Mapping, selector: str) -> None:
        sub = templates.mfrom_subdomain(options, self.settings.mfrom_subdomain)
        track = templates.tracking_host(domain, options, self.settings.mfrom_subdomain, self.settings.track_prefix)
        if track and len(track.split(".", 1)[0]) > 63:
            raise ApiError(
                6,
                f"Invalid CustomTrackPrefix: '{templates.track_prefix(options, self.settings.track_prefix)}-{sub}' "
                "is longer than the 63 characters a DNS label may have; shorten the prefix or the subdomain",
                400,
            )
        longest = templates.longest_record_name(domain, options, selector, self.settings.mfrom_subdomain, self.settings.track_prefix)
        if len(longest) > 253:
            raise ApiError(errors.CREATE_FAILED, f"Invalid sender domain: its DNS record {longest} would be longer than 253 characters", 400)

    def _limit_reached(self, user: User) -> bool:
        limit = user.domain_limit if user.domain_limit is not None else self.settings.domain_limit
        return limit > 0 and self._live_rows(user).count() >= limit

    def create_domain(self, user: User, params: Mapping[str, Any]) -> DomainView:
        """Create a domain, or refresh an existing / soft-deleted pair (ON DUPLICATE KEY UPDATE).

        The limit check, the lookup of an existing pair and the write happen in one
        transaction with the user's row locked, so racing creates can neither pass the limit
        together nor write back a stale row.
        """
        present, raw = param(params, "SenderDomain")
        domain = normalize_domain(raw if present else None)
        pair = (SenderDomain.domain == domain) & (SenderDomain.user == user.id)
        parse_options(params, TRACKING_FLAGS)  # reject bad options before any work
        # Key generation takes a while: do it before taking locks, and only for a new pair.
        key = None if SenderDomain.select().where(pair).exists() else self.keygen()

        def work() -> tuple[int, bool]:
            with write_transaction():
                for_update(User.select().where(User.id == user.id)).first()
                existing = for_update(SenderDomain.select().where(pair)).first()
                if existing is None and key is None:
                    raise ApiError(errors.CREATE_FAILED, "Sender domain create process failed", 400)
                # Options not given take the create defaults, also when the pair exists.
                options = parse_options(params, TRACKING_FLAGS)
                selector = existing.dkim_selector if existing else self.settings.platform.dkim_selector
                self._check_names_fit(domain, options, selector)
                if (existing is None or existing.status == STATUS_DELETED) and self._limit_reached(user):
                    raise ApiError(errors.LIMIT_REACHED, "Sender domain limit reached for your account", 403)
                if existing is not None:
                    meta = {k: v for k, v in (existing.verification_meta or {}).items() if k not in RECORD_STATE_KEYS}
                    meta["DNSRecords"] = self._template(domain, options, existing)
                    deleted = existing.status == STATUS_DELETED
                    previous = existing.status_before_delete if deleted else existing.status
                    SenderDomain.update(
                        status=status_rules.after_recreate(previous or STATUS_PENDING),
                        status_before_delete=None,
                        options=options,
                        verification_meta=meta,
                        **drift_rules.NO_DRIFT_COLUMNS,  # new records: the old drift is void
                    ).where(SenderDomain.id == existing.id).execute()
                    return existing.id, True
                row = SenderDomain.create(
                    user=user.id,
                    domain=domain,
                    status=STATUS_PENDING,
                    verification_meta={"DNSRecords": self._template(domain, options, key=key)},
                    policy_meta=[],
                    options=options,
                    created_at=self.clock.now(),
                    dkim_selector=selector,
                    dkim_public_key=key.public_b64,
                    dkim_private_key=key.private_pem,
                )
                return row.id, False

        try:
            domain_id, revived = retry_locked(work)
        except peewee.IntegrityError:
            # Another process inserted the same pair between our check and our insert: that
            # row now exists, so this call becomes the refresh it would have been.
            return self.create_domain(user, params)
        if revived:
            self.cache.delete(probe_cache_key(domain_id))
        fresh = SenderDomain.get_or_none(SenderDomain.id == domain_id)
        if fresh is None:
            raise ApiError(errors.NOT_RETRIEVED_AFTER_CREATE, "Sender domain could not be retrieved after creation", 500)
        return DomainView.from_row(fresh, owner=user.name)

    def update_domain(self, user: User, domain_id: int, params: Mapping[str, Any]) -> tuple[DomainView, bool]:
        """Partial update; returns the domain and whether its DNS records were regenerated.

        Reading the row, checking and writing happen in one transaction with the row locked,
        so a verify or another edit landing meanwhile is built upon, never overwritten.
        """

        def work() -> bool:
            with write_transaction():
                row = self._owned(user, domain_id, lock=True)
                options = parse_options(params, row.options or {})
                present_status, raw_status = param(params, "status")
                requested = status_rules.parse_requested(raw_status) if present_status else None

                old_records = (row.verification_meta or {}).get("DNSRecords") or {}
                # Only the DNS-affecting options decide (CustomSubdomain, CustomTrackPrefix,
                # UseTrackingSubdomain): a changed platform setting must not turn a tracking
                # toggle or a resume into a regeneration that discards verification.
                regenerated = self._dns_layout(row.options or {}) != self._dns_layout(options)
                new_records = self._template(row.domain, options, row) if regenerated else old_records
                if regenerated:
                    self._check_names_fit(row.domain, options, row.dkim_selector)
                status = status_rules.after_update(
                    row.status, requested, regenerated=regenerated, records_verified=all_verified(records_from_stored(new_records))
                )

                meta = dict(row.verification_meta or {})
                if regenerated:
                    meta = {k: v for k, v in meta.items() if k not in RECORD_STATE_KEYS}
                    meta["DNSRecords"] = new_records

                drift = drift_rules.NO_DRIFT_COLUMNS if regenerated else {}  # new records: the old drift is void
                SenderDomain.update(status=status, options=options, verification_meta=meta, **drift).where(
                    SenderDomain.id == row.id
                ).execute()
                return regenerated

        regenerated = retry_locked(work)
        if regenerated:
            self.cache.delete(probe_cache_key(domain_id))
        fresh = SenderDomain.get_or_none(SenderDomain.id == domain_id)
        if fresh is None:
            raise ApiError(errors.NOT_RETRIEVED_AFTER_UPDATE, "Sender domain could not be retrieved after update", 500)
        return DomainView.from_row(fresh, owner=user.name), regenerated

    def effective_options(self, options: Mapping) -> dict:
        """Every option with the defaults filled in, in the spec's order (List and Get show these)."""
        return effective_options(options, default_subdomain=self.settings.mfrom_subdomain, default_prefix=self.settings.track_prefix)

    def _dns_layout(self, options: Mapping) -> tuple[str, str | None]:
        return dns_layout(options, default_subdomain=self.settings.mfrom_subdomain, default_prefix=self.settings.track_prefix)

    def delete_domain(self, user: User, domain_id: int) -> None:
        """Soft delete: Status='Deleted', then the Delete.SenderDomain hook fires."""
        row = self._owned(user, domain_id)

        def write() -> int:
            with write_transaction():
                return SenderDomain.update(
                    {SenderDomain.status_before_delete: SenderDomain.status, SenderDomain.status: STATUS_DELETED}
                ).where(
                    (SenderDomain.id == row.id) & (SenderDomain.status != STATUS_DELETED)
                ).execute()

        if retry_locked(write) == 0:
            raise not_found()  # deleted by someone else in between
        self.cache.delete(probe_cache_key(row.id))
        self.hooks.fire(DELETE_SENDER_DOMAIN, domain_id=row.id, user_id=user.id, domain=row.domain)

    # ---- DNS verification and host detection (core/verify.py, core/probe.py) --------------

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

    # ---- test sending (core/mailer.py) -----------------------------------------------------

    async def send_test(self, user: User, domain_id: int, to: object, subject: object = None) -> SendTestOutcome:
        """Send one synthetic test message from the domain (10 per 5 minutes per user).

        Checks in order: demo mode (99), ownership (2), suspension (18), ``to`` (3, 8),
        ``subject``, the rate limit; only a request that passes them all counts against the limit and is sent.
        Any delivery failure is code 11 (HTTP 502) with the relay's reason.
        """
        from core import mailer  # aiosmtplib loads only when a test message is sent

        if self.settings.demo:
            raise ApiError(errors.DEMO_MODE, "Not available in demo mode", 403)
        row = await off_loop(self._owned, user, domain_id)
        if row.status == STATUS_SUSPENDED:
            raise ApiError(errors.SUSPENDED, "This sender domain is Suspended by the platform: no test messages can be sent from it", 403)
        recipient = mailer.parse_recipient(to)
        display = DomainView.from_row(row, owner=user.name).display_name
        subject_text = mailer.parse_subject(subject, mailer.default_subject(display))
        limit, window = SENDTEST_RATE_LIMIT
        wait = await off_loop(self.limiter.hit, f"sendtest:{user.id}", limit, window)
        if wait is not None:
            raise ApiError(
                errors.RATE_LIMITED,
                f"Rate limit exceeded: {limit} test messages per {int(window // 60)} minutes; try again in {math.ceil(wait)} s",
                429,
            )
        options = row.options or {}
        test = mailer.build_test_message(
            domain=row.domain,
            display_domain=display,
            mfrom_domain=templates.mfrom_host(row.domain, options, self.settings.mfrom_subdomain),
            tracking_domain=templates.tracking_host(
                row.domain, options, self.settings.mfrom_subdomain, self.settings.track_prefix
            ),
            from_prefix=self.settings.smtp.from_prefix,
            recipient=recipient,
            subject=subject_text,
            clock=self.clock,
        )
        try:
            await mailer.deliver(self.settings.smtp, test)
        except mailer.DeliveryError as exc:
            raise ApiError(errors.DELIVERY_FAILED, f"Test message delivery failed: {exc.reason}", 502) from None
        return mailer.SendTestOutcome(row.id, display, recipient, subject_text, test.message_id)

    # ---- resuming a paused domain (core/status.py) ------------------------------------------

    def resume_domain(self, user: User, domain_id: int) -> DomainView:
        """Resume a paused (Disabled) domain: Enabled when every record is verified, else back
        to Approval Pending (verify, Verify all and watch mode then take it from there), never
        stuck Disabled. Code 9 for a domain that is not paused."""

        def work() -> None:
            with write_transaction():
                row = self._owned(user, domain_id, lock=True)
                if not status_rules.can_resume(row.status):
                    raise ApiError(
                        errors.INVALID_STATUS, f"Only a paused (Disabled) domain can be resumed; this one is {row.status}", 400
                    )
                stored = (row.verification_meta or {}).get("DNSRecords") or {}
                status = status_rules.after_resume(records_verified=all_verified(records_from_stored(stored)))
                SenderDomain.update(status=status).where(SenderDomain.id == row.id).execute()

        retry_locked(work)
        return self.get_domain(user, domain_id)

    # ---- reads for the terminal UI's list: rows first, figures and DNS hosts after ---------
    # ``user=None`` reads every tenant's domains (the operator's view; local access to the
    # database is operator access). The API never passes None.

    def domain_rows(self, user: User | None, ids: list[int] | None = None, first: int | None = None) -> list[DomainView]:
        """The live domains of ``user`` (None: of every tenant) without figures, ordered
        like ``list_domains`` (only ``ids``, when given; only the ``first`` so many, when
        given — a first screen of rows before the rest): the fast read, so a list can show
        rows before figures."""
        return load_views(database, user, ids, first)

    def figures_of(self, domain_ids: list[int]) -> dict[int, stats.Figures]:
        """The operational figures of the domains ``domain_ids`` (ids the caller read from
        its own rows), as ``domain_figures`` gives them."""
        return stat_store.figures_of(domain_ids, self.today())

    def domain_figures(self, user: User | None) -> dict[int, stats.Figures]:
        """The operational figures of every live domain of ``user`` (None: of every tenant):
        the stored ones, and those not stored for today computed now and stored (the first
        list of a UTC day refreshes them). Absent or ``Figures()``: no mail in the windows."""
        return stat_store.current_figures(user.id if user is not None else None, self.today(), store=True)

    def cached_dns_hosts(self, user: User | None, domain_ids: list[int]) -> dict[int, str | None]:
        """The DNS host labels the one-hour DNS-host cache holds for the domains
        ``domain_ids`` of ``user`` (None: of any tenant); never looks anything up (None: not
        cached, or the cache failed)."""
        from core import dnshost  # dnspython stays off the CLI's list/get path

        rows = SenderDomain.select(SenderDomain.id, SenderDomain.domain).where(live_domains(user))
        out: dict[int, str | None] = {}
        for start in range(0, len(domain_ids), 500):
            chunk = rows.where(SenderDomain.id.in_(domain_ids[start : start + 500]))
            for domain_id, domain in chunk.tuples():
                try:
                    info = dnshost.HostInfo.from_json(self.cache.get(dnshost.cache_key(domain)))
                except Exception:  # a cache hiccup must not break a list: the host is just not known
                    info = None
                out[domain_id] = info.dns_host if info is not None and info.dns_host else None
        return out

    def user_count(self) -> int:
        """How many users (tenants) the database has: more than one opens the operator's view."""
        return User.select().count()
