"""The platform operator's actions on any tenant's domain.

Local access to the database is operator access. ``OperatorActions(service, actor)`` acts on
a domain as its owner, through the same service rules a tenant's call meets (a suspended
domain cannot be resumed, an unverified one cannot be enabled, sendtest keeps its limit),
and records every action it takes in the domain's history (``core.history``): who (the OS
user, ``actor``), when, what, and why. Suspension is the operator's alone: no tenant-facing
call sets or lifts it.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping

from core import errors, history
from core import status as status_rules
from core.db import for_update, off_loop, retry_locked, write_transaction
from core.errors import ApiError, not_found
from core.history import DomainEvent
from core.listing import live_domains
from core.models import STATUS_DISABLED, STATUS_PENDING, STATUS_SUSPENDED, SenderDomain, User
from core.plaintext import has_control
from core.service import SenderDomainService, probe_cache_key
from core.validation import normalize_domain
from core.views import DomainView

if TYPE_CHECKING:
    from core.mailer import SendTestOutcome
    from core.verify import BulkVerifyOutcome, VerifyOutcome

MAX_REASON = 500
MAX_ACTOR = 64
BULK_ACTIONS = (history.VERIFY, history.PAUSE, history.RESUME, history.SUSPEND, history.UNSUSPEND)
VERIFY_TOGETHER = 25  # a bulk verify checks this many domains at once (the spec's verifyall batch)


def current_actor() -> str:
    """The OS user running this process (what the CLI and the TUI record as the actor)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


class AmbiguousDomain(ApiError):
    """A domain name several tenants hold: the caller must say whose."""

    def __init__(self, name: str, owners: list[str]) -> None:
        super().__init__(
            errors.INVALID_PARAMETER,
            f"{name} is held by {len(owners)} users ({', '.join(owners)}): name the owner",
            400,
        )
        self.owners = owners


@dataclass(frozen=True)
class ActionResult:
    """One domain's outcome in a bulk action: done, or refused with the coded error's message."""

    domain_id: int
    done: bool
    message: str  # what happened ("Suspended"), or why not
    status: str | None = None  # the Status afterwards, when known
    code: int | None = None  # the error's code when refused


def parse_reason(raw: object, *, required: bool) -> str | None:
    """A reason an operator gave: one line of text (code 12 otherwise), at most 500
    characters; required for a suspension (code 1 when missing)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise errors.missing("reason")
        return None
    if not isinstance(raw, str) or has_control(raw):
        raise ApiError(errors.INVALID_PARAMETER, "Invalid reason: one line of text, without control characters", 400)
    text = raw.strip()
    if len(text) > MAX_REASON:
        raise ApiError(errors.INVALID_PARAMETER, f"Invalid reason: {len(text)} characters; the limit is {MAX_REASON}", 400)
    return text


class OperatorActions:
    def __init__(self, service: SenderDomainService, actor: str, tenant: User | None = None) -> None:
        """``tenant``: act on that user's domains only (the TUI opened with ``--user NAME``);
        None: on every tenant's."""
        text = actor.strip() if isinstance(actor, str) else ""
        if not text or has_control(text):
            raise ApiError(errors.INVALID_PARAMETER, "Invalid operator name: one line of text", 400)
        self.service = service
        self.actor = text[:MAX_ACTOR]
        self.tenant = tenant

    # ---- finding a domain and its owner ----------------------------------------------------

    def _live(self, domain_id: int) -> tuple[SenderDomain, User]:
        row = (
            SenderDomain.select(SenderDomain, User)
            .join(User)
            .where((SenderDomain.id == domain_id) & live_domains(self.tenant))
            .first()
        )
        if row is None:
            raise not_found()
        return row, row.user

    def owner_of(self, domain_id: int) -> User:
        """The live domain's owner (code 2 for a missing or deleted domain)."""
        return self._live(domain_id)[1]

    def find(self, ref: str, owner: str | None = None) -> DomainView:
        """A live domain of any tenant by DomainID or by name (any form); ``owner`` (a user
        name) narrows a name several tenants hold, which is ``AmbiguousDomain`` otherwise."""
        text = str(ref).strip()
        query = SenderDomain.select(SenderDomain, User).join(User).where(live_domains(self.tenant))
        if text.isascii() and text.isdigit():
            query = query.where(SenderDomain.id == int(text))
        else:
            query = query.where(SenderDomain.domain == normalize_domain(text))
        if owner is not None:
            query = query.where(User.name == owner)
        rows = list(query.order_by(User.name))
        if not rows:
            raise not_found()
        if len(rows) > 1:
            raise AmbiguousDomain(rows[0].domain, [r.user.name for r in rows])
        return DomainView.from_row(rows[0], owner=rows[0].user.name)

    # ---- actions as the owner, each recorded --------------------------------------------------

    def _record(self, domain_id: int, action: str, reason: str | None, detail: dict) -> DomainEvent:
        now = self.service.clock.now()
        return retry_locked(lambda: history.record(domain_id, self.actor, action, now, reason, detail))

    async def verify(self, domain_id: int, reason: str | None = None) -> VerifyOutcome:
        """Check the domain's records now, as its owner's verify does (a suspended or paused
        domain keeps its Status)."""
        reason = parse_reason(reason, required=False)
        row, user = await off_loop(self._live, domain_id)
        outcome = await self.service.verify_domain(user, domain_id)
        detail = {"StatusBefore": row.status, "Status": outcome.status, "Verified": outcome.is_verified}
        await off_loop(self._record, domain_id, history.VERIFY, reason, detail)
        return outcome

    def pause(self, domain_id: int, reason: str | None = None) -> DomainView:
        """Status Disabled, as the owner's update ``status=Disabled`` (a suspended domain: code 9)."""
        return self._set_status(domain_id, STATUS_DISABLED, history.PAUSE, reason)

    def resume(self, domain_id: int, reason: str | None = None) -> DomainView:
        """Resume a paused domain as its owner's resume does (core/status.py): Enabled when
        every record is verified, else Approval Pending; code 9 for a domain not paused."""
        reason = parse_reason(reason, required=False)
        row, user = self._live(domain_id)
        view = self.service.resume_domain(user, domain_id)
        self._record(domain_id, history.RESUME, reason, {"StatusBefore": row.status, "Status": view.status})
        return view

    def _set_status(self, domain_id: int, status: str, action: str, reason: str | None) -> DomainView:
        reason = parse_reason(reason, required=False)
        row, user = self._live(domain_id)
        view, _ = self.service.update_domain(user, domain_id, {"status": status})
        self._record(domain_id, action, reason, {"StatusBefore": row.status, "Status": view.status})
        return view

    def edit(self, domain_id: int, params: Mapping[str, Any], reason: str | None = None) -> tuple[DomainView, bool]:
        """The owner's update with ``params`` (options, status); returns the domain and
        whether its DNS records were regenerated."""
        reason = parse_reason(reason, required=False)
        row, user = self._live(domain_id)
        view, regenerated = self.service.update_domain(user, domain_id, params)
        detail = {
            "Changed": {str(k): v for k, v in params.items() if isinstance(v, (str, int, float, bool)) or v is None},
            "DnsRegenerated": regenerated,
            "StatusBefore": row.status,
            "Status": view.status,
        }
        self._record(domain_id, history.EDIT, reason, detail)
        return view, regenerated

    def delete(self, domain_id: int, reason: str | None = None) -> None:
        """The owner's delete (soft: re-creating it keeps a suspension)."""
        reason = parse_reason(reason, required=False)
        row, user = self._live(domain_id)
        self.service.delete_domain(user, domain_id)
        self._record(domain_id, history.DELETE, reason, {"StatusBefore": row.status})

    async def send_test(self, domain_id: int, to: object, subject: object = None, reason: str | None = None) -> SendTestOutcome:
        """The owner's sendtest: the same checks and the owner's 10-per-5-minutes limit; a
        suspended domain is refused (code 18)."""
        reason = parse_reason(reason, required=False)
        _row, user = await off_loop(self._live, domain_id)
        outcome = await self.service.send_test(user, domain_id, to, subject)
        detail = {"To": outcome.to, "Subject": outcome.subject, "MessageID": outcome.message_id}
        await off_loop(self._record, domain_id, history.SEND_TEST, reason, detail)
        return outcome

    def suspend(self, domain_id: int, reason: object) -> DomainView:
        """Status Suspended, with the reason (required) recorded: skipped by verify-all,
        refused by sendtest, never lifted by the tenant (code 9 if already suspended)."""
        return self._suspension(domain_id, history.SUSPEND, parse_reason(reason, required=True), status_rules.after_suspend)

    def unsuspend(self, domain_id: int, reason: object = None) -> DomainView:
        """Lift a suspension: Approval Pending, so the next verify decides (code 9 if the
        domain is not suspended)."""
        return self._suspension(domain_id, history.UNSUSPEND, parse_reason(reason, required=False), status_rules.after_unsuspend)

    def _suspension(self, domain_id: int, action: str, reason: str | None, rule) -> DomainView:
        now = self.service.clock.now()

        def work() -> tuple[SenderDomain, str]:
            with write_transaction():  # the change and its record together, or neither
                row = for_update(SenderDomain.select().where((SenderDomain.id == domain_id) & live_domains(self.tenant))).first()
                if row is None:
                    raise not_found()
                status = rule(row.status)
                SenderDomain.update(status=status).where(SenderDomain.id == domain_id).execute()
                history.record(domain_id, self.actor, action, now, reason, {"StatusBefore": row.status, "Status": status})
                return row, status

        row, status = retry_locked(work)
        self.service.cache.delete(probe_cache_key(domain_id))  # the next verify checks afresh
        row.status = status
        return DomainView.from_row(row)

    # ---- reading what was done ---------------------------------------------------------------

    def history(self, domain_id: int) -> list[DomainEvent]:
        """The domain's recorded actions, newest first (a deleted domain's too)."""
        if not SenderDomain.select().where(SenderDomain.id == domain_id).exists():
            raise not_found()
        return history.history(domain_id)

    def suspension_reason(self, domain_id: int) -> str | None:
        """Why the domain is suspended: the reason of its latest suspension (None when it is
        not suspended, or was suspended before reasons were recorded)."""
        row, _user = self._live(domain_id)
        if row.status != STATUS_SUSPENDED:
            return None
        return history.latest_reasons([domain_id], history.SUSPEND).get(domain_id)

    # ---- every pending domain, and bulk actions -------------------------------------------------

    async def verify_all_pending(self) -> AsyncIterator[BulkVerifyOutcome]:
        """Every tenant's Approval Pending domains, each tenant's through its own verify-all
        rounds (suspended and paused domains are never among them); every domain checked is
        recorded in its history."""

        def tenants() -> list[User]:
            pending = SenderDomain.select(SenderDomain.user).where(live_domains(self.tenant) & (SenderDomain.status == STATUS_PENDING))
            return list(User.select().where(User.id.in_(pending)).order_by(User.id))

        for user in await off_loop(tenants):
            async for bulk in self.service.verify_all_pending(user):
                for outcome in bulk.domains:
                    detail = {"StatusBefore": STATUS_PENDING, "Status": outcome.status, "Verified": outcome.is_verified}
                    await off_loop(self._record, outcome.domain_id, history.VERIFY, None, detail)
                yield bulk

    async def apply(self, action: str, domain_ids: list[int], reason: object = None) -> list[ActionResult]:
        """``action`` (verify, pause, resume, suspend, unsuspend) on each domain, each through
        the same rules as alone: one result per domain, in the order given; a refusal of one
        never stops the others."""
        if action not in BULK_ACTIONS:
            raise ApiError(errors.INVALID_PARAMETER, f"Unknown bulk action {action!r}; expected one of {', '.join(BULK_ACTIONS)}", 400)
        reason = parse_reason(reason, required=action == history.SUSPEND)  # refused once, before any domain
        if action == history.VERIFY:
            results: list[ActionResult] = []
            for start in range(0, len(domain_ids), VERIFY_TOGETHER):
                chunk = domain_ids[start : start + VERIFY_TOGETHER]
                results += await asyncio.gather(*(self._verify_one(d, reason) for d in chunk))
            return results
        act = {
            history.PAUSE: self.pause,
            history.RESUME: self.resume,
            history.SUSPEND: self.suspend,
            history.UNSUSPEND: self.unsuspend,
        }[action]
        results = []
        for domain_id in domain_ids:
            try:
                view = await off_loop(act, domain_id, reason)
            except ApiError as exc:
                results.append(ActionResult(domain_id, False, exc.message, code=exc.code))
            else:
                results.append(ActionResult(domain_id, True, view.status, view.status))
        return results

    async def _verify_one(self, domain_id: int, reason: str | None) -> ActionResult:
        try:
            outcome = await self.verify(domain_id, reason)
        except ApiError as exc:
            return ActionResult(domain_id, False, exc.message, code=exc.code)
        message = "all records verified" if outcome.is_verified else "not every record verified"
        return ActionResult(domain_id, True, f"{message}: {outcome.status}", outcome.status)
