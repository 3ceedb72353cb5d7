"""Verify all (``V`` on the domain list): every pending domain checked once, batch after batch.

The batching is the engine's (``service.verify_all_pending``); this shows it: the pending rows
say "checking" until their batch answers, the activity line counts them, and at the end one
notification says how it went (and which domains turned Enabled). ``VerifyAll`` runs one
worker on the list screen (group ``list-verify-all``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import ApiError
from core.models import STATUS_ENABLED, STATUS_PENDING
from tui.text import clean, count

if TYPE_CHECKING:
    from tui.screens.domain_list import DomainListScreen

WORKER_GROUP = "list-verify-all"


class VerifyAll:
    def __init__(self, screen: DomainListScreen) -> None:
        self.screen = screen
        self.progress: tuple[str, int, int] = ("", 0, 0)  # the activity line: text, done, total

    def start(self) -> None:
        screen = self.screen
        table = screen.table
        pending_ids = [row.id for row in table.all_rows if row.view.status == STATUS_PENDING]
        table.busy_ids.update(pending_ids)  # "checking" until their batch answers
        table.refresh()
        # Greyed out from the key press on, not from when the worker gets going.
        screen.bulk_running = True
        self._show(f"Verifying {count(len(pending_ids), 'pending domain')}…", 0, len(pending_ids))
        screen.run_worker(self._run(len(pending_ids)), group=WORKER_GROUP, exclusive=True, exit_on_error=False)

    def _show(self, text: str, done: int, total: int) -> None:
        self.progress = (text, done, total)
        self.screen.update_activity()

    async def _run(self, pending: int) -> None:
        screen = self.screen
        app, table = screen.app, screen.table
        seen: dict[int, Any] = {}  # domain id -> its latest outcome (a batch may repeat one)
        try:
            async for bulk in app.acting.verify_all_pending():
                for outcome in bulk.domains:
                    seen[outcome.domain_id] = outcome
                done, verified = len(seen), sum(1 for d in seen.values() if d.is_verified)
                table.busy_ids.difference_update(d.domain_id for d in bulk.domains)  # no longer "checking"
                table.refresh()
                self._show(f"Verifying pending domains: {done:,}/{max(pending, done):,} · {verified:,} verified", done, pending)
        except ApiError as exc:
            app.notify(clean(exc.message), title="Verify all", severity="error", markup=False)
            return
        finally:
            screen.bulk_running = False
            table.busy_ids.difference_update(table.busy_ids - screen.verifying)  # a single verify keeps its own
            table.refresh()
            screen.update_activity()
            screen.refresh_bindings()
        results = list(seen.values())
        verified = [r for r in results if r.is_verified]
        enabled = [r for r in verified if r.status == STATUS_ENABLED]
        app.notify(
            f"{count(len(results), 'domain')} checked · {len(verified):,} verified · {len(results) - len(verified):,} still pending",
            title="Verify all pending",
            markup=False,
        )
        screen.announce_enabled([r.domain_id for r in enabled])
        screen.load()
