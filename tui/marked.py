"""One action on every marked row of the domain list (``space`` marks, ``*`` marks every row
shown): verify (``v``), pause or resume (``p``), suspend or unsuspend (``u``), after one
question for the whole set.

Each domain goes through the same rules as alone (``core.operator.OperatorActions.apply``):
a domain the action does not apply to (pausing one that is not Enabled) is left out and
said so in the question; one the engine refuses is named in the outcome and never stops the
others. Every change is recorded in its domain's history. The marks are cleared once the
action has run; the rows are re-read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import history
from core.errors import ApiError
from core.models import STATUS_SUSPENDED
from core.status import can_pause, can_resume
from tui.modals.confirm import ConfirmModal
from tui.suspension import suspend_question, unsuspend_question
from tui.text import clean, count

if TYPE_CHECKING:
    from tui.screens.domain_list import DomainListScreen
    from tui.widgets.domain_columns import DomainRow

WORKER_GROUP = "marked"
NAMED = 3  # the question names this many domains, then "and N more"


@dataclass(frozen=True)
class Plan:
    """What an action on the marked rows will do: to which domains, and which it leaves out."""

    action: str  # core/history.py's names: verify, pause, resume, suspend, unsuspend
    rows: list[DomainRow]
    left_out: list[DomainRow]

    @property
    def verb(self) -> str:
        return {history.UNSUSPEND: "Unsuspend"}.get(self.action, self.action.capitalize())


def plan_for(key: str, marked: list[DomainRow]) -> Plan:
    """The plan for ``key`` (v, p, u) on the ``marked`` rows. ``p`` resumes when every marked
    domain is paused, else pauses the Enabled ones; ``u`` lifts when every marked domain is
    suspended, else suspends the others."""
    if key == "v":
        return Plan(history.VERIFY, marked, [])
    if key == "p":
        if all(can_resume(row.view.status) for row in marked):
            return Plan(history.RESUME, marked, [])
        return Plan(history.PAUSE, [r for r in marked if can_pause(r.view.status)], [r for r in marked if not can_pause(r.view.status)])
    if all(row.view.status == STATUS_SUSPENDED for row in marked):
        return Plan(history.UNSUSPEND, marked, [])
    suspended = [r for r in marked if r.view.status == STATUS_SUSPENDED]
    return Plan(history.SUSPEND, [r for r in marked if r.view.status != STATUS_SUSPENDED], suspended)


def _names(rows: list[DomainRow]) -> str:
    names = ", ".join(row.name for row in rows[:NAMED])
    return names + (f" and {len(rows) - NAMED:,} more" if len(rows) > NAMED else "")


WHY_LEFT_OUT = {
    history.PAUSE: "not Enabled",
    history.SUSPEND: "already Suspended",
}


class MarkedActions:
    def __init__(self, screen: DomainListScreen, after: Callable[[list[int]], None]) -> None:
        self.screen = screen
        self.after = after  # re-reads the rows that changed

    def start(self, key: str):
        """Ask, then act on the marked rows; returns the question's AwaitMount."""
        marked = self.screen.table.marked_rows
        if not marked:
            return None
        plan = plan_for(key, marked)
        if not plan.rows:
            why = WHY_LEFT_OUT.get(plan.action, "")
            self.screen.app.notify(
                f"None of the {count(len(marked), 'marked domain')} can be {plan.action}d ({why})", severity="warning", markup=False
            )
            return None
        names = [row.name for row in plan.rows]
        left_out = f"Left as they are ({WHY_LEFT_OUT.get(plan.action, '')}): {_names(plan.left_out)}." if plan.left_out else ""
        if plan.action == history.SUSPEND:
            question = suspend_question(names, plan.rows[0].owner or None, clean(left_out))
        elif plan.action == history.UNSUSPEND:
            question = unsuspend_question(names)
        else:
            message = f"{plan.verb} {_names(plan.rows)}."
            if left_out:
                message += f" {left_out}"
            message += " Each is recorded in its domain's history."
            question = ConfirmModal(
                clean(f"{plan.verb} {count(len(plan.rows), 'marked domain')}?"),
                clean(message),
                confirm_label=plan.verb,
                cancel_label="Cancel",
                confirm_variant="error" if plan.action in (history.PAUSE, history.SUSPEND) else "primary",
            )

        def answered(answer: bool | str | None) -> None:
            if answer is None or answer is False:
                return
            reason = answer if isinstance(answer, str) else None
            self.screen.run_worker(self._run(plan, reason), group=WORKER_GROUP, exit_on_error=False)

        return self.screen.app.push_screen(question, answered)

    async def _run(self, plan: Plan, reason: str | None) -> None:
        screen = self.screen
        app = screen.app
        ids = [row.id for row in plan.rows]
        names = {row.id: row.name for row in plan.rows}
        for domain_id in ids:
            screen.table.set_busy(domain_id, True)
        try:
            results = await app.acting.apply(plan.action, ids, reason or None)
        except ApiError as exc:
            app.notify(clean(exc.message), title=f"{plan.verb}: nothing done", severity="error", markup=False)
            return
        finally:
            for domain_id in ids:
                screen.table.set_busy(domain_id, False)
        screen.table.clear_marks()
        done = [r for r in results if r.done]
        refused = [r for r in results if not r.done]
        text = f"{plan.verb}: {len(done):,} of {len(results):,} done"
        if refused:
            first = refused[0]
            text += f"; {len(refused):,} refused — {names.get(first.domain_id, first.domain_id)}: {first.message}"
        app.notify(clean(text), title=f"{plan.verb} marked", severity="warning" if refused else "information", markup=False)
        self.after(ids)
