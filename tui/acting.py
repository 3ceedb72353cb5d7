"""Whose domains the terminal UI shows, and as whom it changes them.

Local access to the database is operator access. The list shows one tenant's domains
(``--user NAME``, or the only user of the database) or every tenant's (``user`` None: the
operator's view). Either way every change made here goes through ``core.operator``: it acts
as the domain's owner, under the same service rules as the owner's own API call, and is
recorded in the domain's history with the operator's name (the OS user).

Screens and widgets call this instead of ``app.service`` with a user, so no screen needs to
know which of the two views it is in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from core import errors, users
from core.errors import ApiError
from core.history import DomainEvent
from core.models import User
from core.operator import ActionResult, OperatorActions, current_actor
from core.stats import Figures
from core.views import DomainView

if TYPE_CHECKING:
    from core.service import SenderDomainService
    from core.verify import BulkVerifyOutcome


class Acting:
    def __init__(self, service: SenderDomainService, user: User | None, actor: str | None = None) -> None:
        self.service = service
        self.user = user
        self.operator = OperatorActions(service, actor or current_actor(), tenant=user)

    @property
    def all_tenants(self) -> bool:
        return self.user is None

    @property
    def actor(self) -> str:
        return self.operator.actor

    def owner(self, domain_id: int) -> User:
        """The domain's owner: the tenant shown, or (every tenant's view) looked up."""
        return self.user if self.user is not None else self.operator.owner_of(domain_id)

    # ---- reads (thread workers) -------------------------------------------------------------

    def domain_rows(self, ids: list[int] | None = None, first: int | None = None) -> list[DomainView]:
        return self.service.domain_rows(self.user, ids, first)

    def figures_of(self, domain_ids: list[int]) -> dict[int, Figures]:
        return self.service.figures_of(domain_ids)

    def domain_figures(self) -> dict[int, Figures]:
        return self.service.domain_figures(self.user)

    def cached_dns_hosts(self, domain_ids: list[int]) -> dict[int, str | None]:
        return self.service.cached_dns_hosts(self.user, domain_ids)

    def get_domain(self, domain_id: int) -> DomainView:
        return self.service.get_domain(self.owner(domain_id), domain_id)

    def domain_stats(self, domain_id: int, days: int) -> dict[str, dict]:
        return self.service.domain_stats(self.owner(domain_id), domain_id, days)

    def history(self, domain_id: int) -> list[DomainEvent]:
        return self.operator.history(domain_id)

    def suspension_reason(self, domain_id: int) -> str | None:
        return self.operator.suspension_reason(domain_id)

    def find_user(self, name: str) -> User | None:
        return users.find_user(name)

    # ---- DNS (async workers) ----------------------------------------------------------------

    async def detect_dns_host(self, domain_id: int):
        from core.db import off_loop

        owner = self.user if self.user is not None else await off_loop(self.owner, domain_id)
        return await self.service.detect_dns_host(owner, domain_id)

    # ---- changes, each recorded (core/operator.py) ------------------------------------------

    def create(self, params: Mapping[str, Any], owner: User | None = None) -> DomainView:
        """A new domain of ``owner`` (the tenant shown when None). A name the owner already
        holds is refused here: the API's create would reset that live domain to Approval
        Pending with new records, which an operator adding a domain never means."""
        owner = owner or self.user
        if owner is None:
            raise ValueError("a new domain needs its owner")
        try:
            existing = self.service.find_domain(owner, str(params.get("SenderDomain") or ""))
        except ApiError:
            existing = None  # not theirs yet (or not a name: create says why)
        if existing is not None:
            raise ApiError(
                errors.INVALID_PARAMETER,
                f"{owner.name} already has {existing.display_name} ({existing.status}): open it from the list; "
                "creating it again would reset it to Approval Pending with new records",
                400,
            )
        return self.service.create_domain(owner, params)

    def edit(self, domain_id: int, params: Mapping[str, Any]) -> tuple[DomainView, bool]:
        return self.operator.edit(domain_id, params)

    def pause(self, domain_id: int) -> DomainView:
        return self.operator.pause(domain_id)

    def resume(self, domain_id: int) -> DomainView:
        return self.operator.resume(domain_id)

    def delete(self, domain_id: int) -> None:
        self.operator.delete(domain_id)

    def suspend(self, domain_id: int, reason: str) -> DomainView:
        return self.operator.suspend(domain_id, reason)

    def unsuspend(self, domain_id: int, reason: str | None = None) -> DomainView:
        return self.operator.unsuspend(domain_id, reason)

    async def verify(self, domain_id: int):
        return await self.operator.verify(domain_id)

    async def send_test(self, domain_id: int, to: object, subject: object = None):
        return await self.operator.send_test(domain_id, to, subject)

    def verify_all_pending(self) -> AsyncIterator[BulkVerifyOutcome]:
        return self.operator.verify_all_pending()

    async def apply(self, action: str, domain_ids: list[int], reason: object = None) -> list[ActionResult]:
        return await self.operator.apply(action, domain_ids, reason)
