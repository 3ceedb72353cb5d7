"""Suspend and unsuspend, the operator's alone, the one way the list and the detail screen
offer it: ``u`` asks for the reason (required to suspend, optional to lift), then the engine
(core/operator.py) changes the Status and records who, when and why in the domain's history.

A suspended domain is skipped by verify all, refused by send test, and never lifted by its
tenant; lifting it makes it Approval Pending, so the next verify decides.

``Suspension`` runs one worker on its screen (group ``suspension``) and calls
``after(domain_id)`` when the domain has changed, so the screen re-reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import ApiError
from core.models import STATUS_SUSPENDED
from core.views import DomainView
from tui.modals.reason import ReasonModal
from tui.text import clean

if TYPE_CHECKING:
    from textual.screen import Screen

WORKER_GROUP = "suspension"


def suspend_question(names: list[str], owner: str | None = None, left_out: str = "") -> ReasonModal:
    """The question before suspending ``names`` (one domain, or the marked ones);
    ``left_out``: a sentence naming the marked domains it leaves as they are."""
    if len(names) == 1:
        whose = f" ({owner}'s)" if owner else ""
        title = f"Suspend {names[0]}{whose}?"
        what = "It stops sending as itself at once"
    else:
        title = f"Suspend {len(names):,} marked domains?"
        what = "They stop sending as themselves at once"
    return ReasonModal(
        title,
        f"{what}: verify all skips it, send test refuses it, and its tenant cannot lift it. "
        "Why? The reason is recorded with your name and shown on the domain's screen." + (f" {left_out}" if left_out else ""),
        "Suspend",
    )


def unsuspend_question(names: list[str]) -> ReasonModal:
    title = f"Lift the suspension of {names[0]}?" if len(names) == 1 else f"Lift the suspension of {len(names):,} marked domains?"
    return ReasonModal(
        title,
        "Lifted, a domain is Approval Pending: the next verify makes it Enabled once every record checks out.",
        "Unsuspend",
        required=False,
    )


class Suspension:
    def __init__(self, screen: Screen, after: Callable[[int], None]) -> None:
        self.screen = screen
        self.after = after

    def start(self, view: DomainView):
        """Suspend ``view``'s domain, or lift its suspension; returns the question's
        AwaitMount (the binding awaits it: the next keys are the reason)."""
        name = view.display_name
        lifting = view.status == STATUS_SUSPENDED
        question = unsuspend_question([name]) if lifting else suspend_question([name], clean(view.owner) or None)

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.screen.run_worker(
                    self._change(view.id, name, lifting, reason), group=WORKER_GROUP, exit_on_error=False
                )

        return self.screen.app.push_screen(question, answered)

    async def _change(self, domain_id: int, name: str, lifting: bool, reason: str) -> None:
        app = self.screen.app
        acting = app.acting

        def change() -> DomainView:
            with app.ctx.database.connection_context():
                if lifting:
                    return acting.unsuspend(domain_id, reason or None)
                return acting.suspend(domain_id, reason)

        try:
            view = await asyncio.to_thread(change)
        except ApiError as exc:
            title = "Not unsuspended" if lifting else "Not suspended"
            app.notify(clean(exc.message), title=title, severity="error", markup=False)
        else:
            verb = "Lifted the suspension of" if lifting else "Suspended"
            app.notify(clean(f"{verb} {name}: {view.status}"), markup=False)
        self.after(domain_id)
