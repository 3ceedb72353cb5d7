"""Watch mode of the domain list: re-verify the pending domains in the background, backing
off from 1 to 15 minutes while nothing changes, and say what changed.

``Watch`` belongs to the list screen and runs one worker on it (group ``list-watch``). A try
verifies every pending domain once through ``service.verify_all_pending``, re-reads those
rows and hands them back to the screen, which shows them and announces the ones now Enabled.
Time is ``app.clock``, so tests move it by hand; ``try_now`` runs the next try at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from textual.content import Content

from core.errors import ApiError
from core.models import STATUS_ENABLED, STATUS_PENDING
from core.views import DomainView
from tui.text import clean, plain

if TYPE_CHECKING:
    from tui.screens.domain_list import DomainListScreen

FIRST_DELAY = 60.0
MAX_DELAY = 15 * 60.0
MAX_CHANGE_LINES = 3
WORKER_GROUP = "list-watch"


@dataclass
class WatchState:
    """What watch mode shows: when the next try is, and what the last one changed."""

    delay: float = FIRST_DELAY
    next_at: float | None = None  # clock.monotonic() of the next try
    running: bool = False  # a try is in progress
    tries: int = 0
    last_try: dt.datetime | None = None
    changes: list[str] = field(default_factory=list)


class Before(NamedTuple):
    """A pending row as the list showed it before a try."""

    status: str
    verified: int
    total: int
    name: str


def next_delay(delay: float, changed: bool) -> float:
    """Back to a minute after a change, else twice as long, at most 15 minutes."""
    return FIRST_DELAY if changed else min(delay * 2, MAX_DELAY)


def changes_between(before: Mapping[int, Before], views: Iterable[DomainView]) -> tuple[list[str], list[int]]:
    """What a try changed: a line per domain whose status or verified count moved, and the
    ids of the domains that turned Enabled."""
    changes: list[str] = []
    enabled: list[int] = []
    for view in views:
        old = before.get(view.id)
        if old is None:
            continue
        verified, total = view.verified_count()
        if view.status != old.status:
            changes.append(f"{old.name} {old.status} → {view.status}")
            if view.status == STATUS_ENABLED:
                enabled.append(view.id)
        elif (verified, total) != (old.verified, old.total):
            changes.append(f"{old.name} {old.verified}/{old.total} → {verified}/{total}")
    return changes, enabled


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60}:{seconds % 60:02d}"


def status_line(state: WatchState, now: float) -> Content:
    """The activity line while watching (``now``: the clock's monotonic time)."""
    if state.running:
        head = Content.styled("Watch: verifying pending domains…", "bold $text-accent")
    elif state.next_at is not None:
        head = Content.assemble(
            ("Watch: ", "bold $text-accent"),
            f"next try in {_duration(state.next_at - now)} (every {int(state.delay // 60)} min)",
        )
    else:
        head = Content.styled("Watch: starting…", "bold $text-accent")
    if state.last_try is not None:
        changed = "; ".join(state.changes[:MAX_CHANGE_LINES]) if state.changes else "no change"
        if len(state.changes) > MAX_CHANGE_LINES:
            changed += f"; +{len(state.changes) - MAX_CHANGE_LINES} more"
        head = Content.assemble(head, f" · {state.last_try:%H:%M}: ", plain(changed))
    return head


async def _in_thread(database, fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking database call on a worker thread with its own connection."""

    def call() -> Any:
        with database.connection_context():
            return fn(*args)

    return await asyncio.to_thread(call)


class Watch:
    """Watch mode for one list screen: ``start``, ``stop``, ``tick`` once a second."""

    def __init__(self, screen: DomainListScreen) -> None:
        self.screen = screen
        self.state = WatchState()
        self.tried = asyncio.Event()  # set after every try (tests wait on it)
        self._wake = asyncio.Event()

    def start(self) -> None:
        self.state = WatchState()
        self.screen.run_worker(self._run(), group=WORKER_GROUP, exclusive=True, exit_on_error=False)

    def stop(self) -> None:
        self.screen.workers.cancel_group(self.screen, WORKER_GROUP)
        self.state = WatchState()

    def try_now(self) -> None:
        """Run the next try at once (tests, and a future "try now" key)."""
        self._wake.set()

    def tick(self) -> None:
        """Wake the worker when the next try is due (the clock may be a test's, moved by hand)."""
        state = self.state
        if state.next_at is not None and not state.running and self.screen.app.clock.monotonic() >= state.next_at:
            self._wake.set()

    def line(self) -> Content:
        return status_line(self.state, self.screen.app.clock.monotonic())

    async def _run(self) -> None:
        state = self.state
        clock = self.screen.app.clock
        while True:  # until stop() cancels the worker
            state.next_at = clock.monotonic() + state.delay
            self.screen.watcher_changed()
            self._wake.clear()
            while clock.monotonic() < state.next_at and not self._wake.is_set():
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                except asyncio.TimeoutError:
                    pass
            if self.screen.bulk_running:
                continue  # the user is verifying everything already; try again later
            changed = await self._try()
            state.delay = next_delay(state.delay, changed)
            self.tried.set()

    async def _try(self) -> bool:
        """One try: verify every pending domain, report what changed. True if anything did."""
        screen, state = self.screen, self.state
        app = screen.app
        before = {
            row.id: Before(row.view.status, row.verified, row.total, row.name)
            for row in screen.table.all_rows
            if row.view.status == STATUS_PENDING
        }
        state.running = True
        screen.watcher_changed()
        try:
            checked: dict[int, None] = {}  # the domains checked, in order, once each
            async for bulk in app.acting.verify_all_pending():
                checked.update(dict.fromkeys(d.domain_id for d in bulk.domains))
            views = await _in_thread(app.ctx.database, app.acting.domain_rows, list(checked)) if checked else []
        except ApiError as exc:
            app.notify(clean(exc.message), title="Watch", severity="error", markup=False)
            return False
        finally:
            state.running = False
            state.tries += 1
            state.last_try = app.clock.now()
            screen.watcher_changed()
        state.changes, enabled = changes_between(before, views)
        screen.watcher_found(views, enabled)
        return bool(state.changes)
