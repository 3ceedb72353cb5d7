"""Pause and delete from the domain list (resume: tui/resume.py, shared with the detail screen).

Each runs a thread worker on the list screen (group ``list-write``) that writes through the
service, says how it went, and hands the row back to the screen: re-read, or gone. Delete
asks first.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from core.errors import ApiError
from tui.modals.confirm import ConfirmModal
from tui.text import clean

if TYPE_CHECKING:
    from tui.screens.domain_list import DomainListScreen

WORKER_GROUP = "list-write"


class ListWrites:
    def __init__(self, screen: DomainListScreen) -> None:
        self.screen = screen

    def pause(self, domain_id: int) -> None:
        """Disabled: the domain's mail uses the group default (resuming: tui/resume.py)."""
        self._run(partial(self._pause, domain_id))

    def delete(self, domain_id: int, name: str):
        """Ask, then delete; returns the question's AwaitMount (the binding awaits it)."""

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(partial(self._delete, domain_id, name))

        return self.screen.app.push_screen(
            ConfirmModal(
                f"Delete {name}?",
                f"{name} stops sending and disappears from the list. Its DNS records and stats are kept; "
                "adding the same domain again brings it back as Approval Pending.",
            ),
            confirmed,
        )

    def _run(self, work) -> None:
        self.screen.run_worker(work, thread=True, group=WORKER_GROUP, exit_on_error=False)

    def _pause(self, domain_id: int) -> None:
        screen = self.screen
        app = screen.app
        with app.ctx.database.connection_context():
            try:
                app.acting.pause(domain_id)
                view = app.acting.get_domain(domain_id)  # with its figures and owner, as the list shows it
            except ApiError as exc:
                app.call_from_thread(app.notify, clean(exc.message), title="Not changed", severity="error", markup=False)
                return
        screen.post_message(screen.DomainRefreshed(view, domain_id))
        app.call_from_thread(app.notify, clean(f"{view.display_name} paused: {view.status}"), markup=False)

    def _delete(self, domain_id: int, name: str) -> None:
        screen = self.screen
        app = screen.app
        with app.ctx.database.connection_context():
            try:
                app.acting.delete(domain_id)
            except ApiError as exc:
                app.call_from_thread(app.notify, clean(exc.message), title="Not deleted", severity="error", markup=False)
                if exc.code != 2:
                    return
        screen.post_message(screen.DomainRefreshed(None, domain_id))
        app.call_from_thread(app.notify, clean(f"Deleted {name}"), markup=False)
