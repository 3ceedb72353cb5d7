"""Resume a paused domain, the one way the list and the detail screen both offer it.

The rule is the engine's (core/status.py): a paused domain whose records are all verified
goes back to Enabled at once; one whose records are not asks first — in the UI's words,
"Verify now?" — then goes back to Approval Pending and is verified straight away (it turns
Enabled if every record now checks out; Verify all and watch mode keep trying otherwise).
Never the API's "run user.senderdomain.verify first".

``Resume`` runs one worker on its screen (group ``resume``) and calls ``after(domain_id)``
when the domain has changed, so the screen re-reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import ApiError
from core.models import STATUS_ENABLED, STATUS_PENDING
from core.views import DomainView
from tui.modals.confirm import ConfirmModal
from tui.text import clean
from tui.verify_report import verify_message

if TYPE_CHECKING:
    from textual.screen import Screen

WORKER_GROUP = "resume"


def question(view: DomainView) -> ConfirmModal:
    """The question asked before resuming a domain whose records are not all verified."""
    name = view.display_name
    verified, total = view.verified_count()
    return ConfirmModal(
        f"Resume {name}?",
        f"{name} can send as itself only once every DNS record is verified ({verified} of {total} are now). "
        "Verify now? It goes back to Approval Pending and is checked at once: it turns Enabled if every "
        "record is right, and Verify all and watch mode keep checking it if not.",
        confirm_label="Verify now",
        cancel_label="Not now",
        confirm_variant="primary",
    )


class Resume:
    def __init__(self, screen: Screen, after: Callable[[int], None]) -> None:
        self.screen = screen
        self.after = after

    def start(self, view: DomainView):
        """Resume ``view``'s domain; returns the question's AwaitMount when one is asked (the
        binding awaits it: the next keys answer it)."""
        verified, total = view.verified_count()
        if total and verified == total:
            self._run(view.id, view.display_name, verify=False)
            return None

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(view.id, view.display_name, verify=True)

        return self.screen.app.push_screen(question(view), answered)

    def _run(self, domain_id: int, name: str, *, verify: bool) -> None:
        self.screen.run_worker(self._resume(domain_id, name, verify), group=WORKER_GROUP, exit_on_error=False)

    async def _resume(self, domain_id: int, name: str, verify: bool) -> None:
        app = self.screen.app

        def resume() -> DomainView:
            with app.ctx.database.connection_context():
                return app.acting.resume(domain_id)

        try:
            view = await asyncio.to_thread(resume)
        except ApiError as exc:
            app.notify(clean(exc.message), title="Not resumed", severity="error", markup=False)
            self.after(domain_id)
            return
        if view.status == STATUS_ENABLED or not verify:
            app.notify(clean(f"Resumed {name}: {view.status}"), markup=False)
            self.after(domain_id)
            return
        app.notify(clean(f"{name} is Approval Pending again; checking its DNS records now…"), title="Resumed", markup=False)
        self.after(domain_id)
        try:
            outcome = await app.acting.verify(domain_id)
        except ApiError as exc:
            app.notify(clean(exc.message), title=f"Verify {name}", severity="error", markup=False)
        else:
            title, text, severity = verify_message(name, STATUS_PENDING, outcome)
            app.notify(clean(text), title=title, severity=severity, markup=False)
        self.after(domain_id)
