"""The spec's operations on sender domains: ownership, limits, status rules, regeneration.

Every method takes the acting ``User`` and answers ``ApiError`` with the spec's code on bad
input, validating everything before writing anything so stored data never half-changes.
``core.api`` turns results into the spec's JSON; the TUI calls these methods directly.

This file holds the reads, create/update/delete, resume and the TUI list's reads; DNS
verification is core/verifying.py and test sending core/sendtest.py, mixed in below so
every operation stays a method of ``SenderDomainService``.
"""

from __future__ import annotations

from typing import Any, Mapping

import peewee

from core import errors
from core import records as templates
from core import drift as drift_rules
from core import stat_store, stats
from core import status as status_rules
from core.db import database, for_update, retry_locked, write_transaction
from core.errors import ApiError, not_found
from core.dnsrecord import all_verified, records_from_stored
from core.events import DELETE_SENDER_DOMAIN
from core.listing import live_domains, load_views
from core.models import STATUS_DELETED, STATUS_ENABLED, STATUS_PENDING, SenderDomain, User
from core.options import TRACKING_FLAGS, dns_layout, effective_options, param, parse_options
from core.sendtest import SendTestMixin
from core.service_base import ServiceBase
from core.validation import normalize_domain
from core.views import DomainView

# probe_cache_key is also imported from here (core/operator.py, tests): keep it importable.
from core.verifying import VerificationMixin, probe_cache_key

# VerificationMeta keys that describe the current records; dropped when records change.
RECORD_STATE_KEYS = ("DNSRecords", "Checks")


class SenderDomainService(VerificationMixin, SendTestMixin, ServiceBase):
    """Every operation on sender domains; built once per context (core/context.py) from the
    settings, clock, cache, rate limiter, hooks and DKIM key generator (core/service_base.py)."""

    # ---- reading -------------------------------------------------------------------------

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
        # The stored figures (core/stat_store.py: equal to the recomputation, kept in step by
        # every write), computed here only when none are stored for today yet.
        return DomainView.from_row(row, stat_store.figures_of([row.id], self.today()).get(row.id), owner=user.name)

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
