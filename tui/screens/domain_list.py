"""The first screen: every sender domain, its health at a glance, and the actions on it.

Loading is two-phase so the rows appear quickly even with 10,000+ domains: the rows
(name, status, records, last check) first, then the operational figures. Database calls run
in thread workers, DNS probes in async workers; results come back as small messages and a
result that belongs to an older load is dropped.

DNS hosts are looked up for the rows on screen only, when they are painted: first in the
engine's one-hour DNS-host cache (a thread worker), then, for the rows the cache does not
know, with ``service.detect_dns_host`` in one async worker, at most
``HOST_LOOKUPS_AT_ONCE`` at a time; each answer fills its cell as it arrives.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from core.errors import ApiError
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.views import DomainView
from tui import data
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.text import clean, plain
from tui.widgets.domain_table import COLUMN_KEYS, DomainTable

STATUS_CYCLE: tuple[str | None, ...] = (None, STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED)
BUCKETS = ("excellent", "good", "fair", "poor")
WATCH_FIRST_DELAY = 60.0
WATCH_MAX_DELAY = 15 * 60.0
MAX_CHANGE_LINES = 3
HOST_LOOKUPS_AT_ONCE = 8


async def in_thread(database, fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking database call on a worker thread with its own connection."""

    def call() -> Any:
        with database.connection_context():
            return fn(*args)

    return await asyncio.to_thread(call)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class WatchState:
    """What watch mode shows: when the next try is, and what the last one changed."""

    delay: float = WATCH_FIRST_DELAY
    next_at: float | None = None  # clock.monotonic() of the next try
    running: bool = False  # a try is in progress
    tries: int = 0
    last_try: dt.datetime | None = None
    changes: list[str] = field(default_factory=list)


class DomainListScreen(Screen):
    CSS_PATH = "domain_list.tcss"
    HELP_TITLE = "Domain list"
    HELP_WIDGETS = (DomainTable,)
    AUTO_FOCUS = "DomainTable"

    BINDINGS = [
        Binding("n", "new", "New", tooltip="New domain: shows the DNS records to publish", id="list.new"),
        Binding("enter,o", "open", "Open", tooltip="Open the domain: records, badges, stats, actions", id="list.open"),
        Binding("v", "verify", "Verify", tooltip="Verify the highlighted domain's DNS records now", id="list.verify"),
        Binding("V", "verify_all", "Verify all", tooltip="Verify every Approval Pending domain, batch after batch", id="list.verify_all"),
        Binding("p", "pause", "Pause", tooltip="Pause: Disabled, sends use the group default", id="list.pause"),
        Binding("p", "resume", "Resume", tooltip="Resume: set a paused domain back to Enabled", id="list.resume"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the domain (asks first)", id="list.delete"),
        Binding("slash", "filter", "Filter", show=False, tooltip="Filter by name, status or DNS host as you type", id="list.filter"),  # the placeholder says so
        Binding("f", "cycle_status", "Status filter", show=False, tooltip="Status filter: all, Enabled, Pending, Disabled, Suspended", id="list.status"),
        Binding("s", "cycle_sort", "Sort", show=False, tooltip="Sort by the next column (or click a header)", id="list.sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, tooltip="Reverse the sort order", id="list.reverse"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Reload domains, figures and DNS hosts", id="list.refresh"),
        Binding("w", "watch", "Watch", tooltip="Watch: re-verify pending domains every 1 to 15 min", id="list.watch"),
        Binding("escape", "clear", "Clear filters / back to the list", show=False, id="list.clear"),
    ]

    loading: reactive[bool] = reactive(True, bindings=True)
    bulk_running: reactive[bool] = reactive(False, bindings=True)
    watching: reactive[bool] = reactive(False, bindings=True)

    # ---- messages from workers -----------------------------------------------------------

    @dataclass
    class RowsLoaded(Message):
        generation: int
        views: list[DomainView]

    @dataclass
    class FiguresLoaded(Message):
        generation: int
        figures: dict

    @dataclass
    class HostsLoaded(Message):
        """DNS hosts for ``table.host_generation == generation`` (older: dropped)."""

        generation: int
        hosts: dict[int, str | None]  # None: looked up, no answer
        missing: list[int] = field(default_factory=list)  # not in the cache: detect them

    @dataclass
    class DomainRefreshed(Message):
        view: DomainView | None  # None: gone (deleted elsewhere)
        domain_id: int

    def __init__(self, *, watch: bool = False) -> None:
        super().__init__()
        self._generation = 0
        self._start_watching = watch
        self.verifying: set[int] = set()
        self.watch_state = WatchState()
        self._watch_wake = asyncio.Event()
        self.watch_tried = asyncio.Event()  # set after every watch try (tests wait on it)
        self._status_index = 0
        self._host_queue: dict[int, int] = {}  # domain id -> host generation, oldest first
        self._detecting_hosts = False  # a host worker is running (it clears this itself)
        self._host_run = 0  # which host worker is the current one
        self._gone: set[int] = set()  # deleted (here or elsewhere) since the last full load

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        with Horizontal(id="filter-bar"):
            yield Input(placeholder="/ filter by name, status or DNS host", id="filter", compact=True)
            yield Static(id="view-info")
        yield DomainTable(id="domains", now=self.app.clock.now)
        yield Static(self._empty_content(), id="empty")
        with Horizontal(id="activity"):
            yield Static(id="activity-text")
            yield ProgressBar(id="activity-progress", show_eta=False, show_percentage=False)
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p: in help

    @property
    def table(self) -> DomainTable:
        return self.query_one(DomainTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        self.table.empty_message = "Loading…"
        self.set_interval(1.0, self._tick)
        self._update_view_info()
        self._update_activity()
        self.load()
        if self._start_watching:
            self.action_watch()

    def _empty_content(self) -> Content:
        return Content.assemble(
            ("No sender domains yet.\n\n", "bold"),
            "Press ",
            (" n ", "reverse"),
            " to add your first domain and see the DNS records to publish,\n",
            "or load demo data from a shell:  ",
            ("senderdeck demo", "bold"),
            "\n\n",
            ("? lists every key · q quits", "dim"),
        )

    # ---- loading -------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load every row, then the figures; results of an older load are dropped."""
        self._generation += 1
        self.loading = True
        self._load_rows(self._generation)

    @work(thread=True, exclusive=True, group="list-load", exit_on_error=False)
    def _load_rows(self, generation: int) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            views = data.load_views(app.ctx.database, app.user)
            self.post_message(self.RowsLoaded(generation, views))
            figures = data.load_figures([v.id for v in views], app.clock.now().date())
        self.post_message(self.FiguresLoaded(generation, figures))

    def on_domain_list_screen_rows_loaded(self, message: RowsLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer load is under way
        table = self.table
        table.figures_loaded = False
        table.set_views(message.views)
        self._gone -= {view.id for view in message.views}
        self.loading = False
        self._after_rows_changed()

    def on_domain_list_screen_figures_loaded(self, message: FiguresLoaded) -> None:
        if message.generation != self._generation:
            return
        self.table.set_figures(message.figures)
        self._update_summary()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed list worker becomes a notification (``exit_on_error=False``:
        nothing crashes the app). Expected ``ApiError``s are handled where they happen."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        self.app.notify_error(event.worker.error)
        if event.worker.group == "list-load":
            self.loading = False
            self.table.empty_message = "Could not load the domains — press r to try again"
            self.table.refresh()
            self.query_one("#summary", Static).update(plain("Could not load the domains"))

    # ---- DNS hosts -------------------------------------------------------------------------

    @on(DomainTable.HostsWanted)
    def _hosts_wanted(self, message: DomainTable.HostsWanted) -> None:
        table = self.table
        pairs = [(row.id, row.view.domain) for row in map(table.get_row, message.domain_ids) if row is not None]
        if pairs:
            self._load_hosts(pairs, table.host_generation)

    @work(thread=True, group="list-hosts", exit_on_error=False)
    def _load_hosts(self, pairs: list[tuple[int, str]], generation: int) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            cached = data.cached_dns_hosts(app.service.cache, pairs)
        hosts = {domain_id: host for domain_id, host in cached.items() if host is not None}
        missing = [domain_id for domain_id, host in cached.items() if host is None]
        self.post_message(self.HostsLoaded(generation, hosts, missing))

    def on_domain_list_screen_hosts_loaded(self, message: HostsLoaded) -> None:
        table = self.table
        if message.generation != table.host_generation:
            return  # asked for before a refresh
        if message.hosts:
            table.set_hosts(message.hosts)
        for domain_id in message.missing:
            self._host_queue[domain_id] = message.generation
        if self._host_queue and not self._detecting_hosts:
            self._detecting_hosts = True
            self._host_run += 1
            self._detect_hosts(self._host_run)

    @work(exclusive=True, group="list-dnshost", exit_on_error=False)
    async def _detect_hosts(self, run: int) -> None:
        """Detect the queued rows' DNS hosts, ``HOST_LOOKUPS_AT_ONCE`` at a time.

        A queued row that has scrolled off screen (or belongs to an older generation) is
        skipped and asked for again when it is painted. Runs until the queue is empty; the
        handler above adds to the queue while it runs.
        """
        table = self.table
        running: set[asyncio.Task] = set()
        try:
            while True:
                if self._host_queue and len(running) < HOST_LOOKUPS_AT_ONCE:
                    visible = table.visible_ids()
                    while self._host_queue and len(running) < HOST_LOOKUPS_AT_ONCE:
                        domain_id = next(iter(self._host_queue))
                        generation = self._host_queue.pop(domain_id)
                        if generation != table.host_generation:
                            continue
                        if domain_id not in visible:
                            table.release_host(domain_id)
                            continue
                        running.add(asyncio.create_task(self._detect_host(domain_id, generation)))
                if not running:
                    break  # nothing in flight and nothing queued (no await since the check)
                _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if run == self._host_run:  # not replaced by a newer one (after a refresh)
                self._detecting_hosts = False
            for task in running:
                task.cancel()

    async def _detect_host(self, domain_id: int, generation: int) -> None:
        app = self.app
        try:
            found = await app.service.detect_dns_host(app.user, domain_id)
            # No nameservers found: no answer ("—"). Nameservers of no known provider keep
            # the engine's "unknown" label, as the cache path shows them.
            host = found.dns_host if found.nameservers else None
        except Exception:  # a nice-to-have column: any failure is shown as no answer
            host = None
        self.post_message(self.HostsLoaded(generation, {domain_id: host}))

    def refresh_domain(self, domain_id: int) -> None:
        """Re-read one domain (after a verify, an edit, or coming back from its detail)."""
        self._refresh_one(domain_id)

    @work(thread=True, group="list-refresh-one", exit_on_error=False)
    def _refresh_one(self, domain_id: int) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            try:
                view = app.service.get_domain(app.user, domain_id)
            except ApiError as exc:
                if exc.code != 2:
                    raise
                view = None
        self.post_message(self.DomainRefreshed(view, domain_id))

    def on_domain_list_screen_domain_refreshed(self, message: DomainRefreshed) -> None:
        if message.view is None:
            self._gone.add(message.domain_id)
            self.table.remove(message.domain_id)
        elif message.domain_id in self._gone:
            return  # read before the delete, answered after it: the domain stays gone
        else:
            self.table.upsert_view(message.view)
        self._after_rows_changed()

    def on_screen_resume(self) -> None:
        # Back from the detail screen or a modal: that domain may have changed or gone, and
        # its DNS host may have been found there (it is in the cache now).
        row_id = self.table.highlighted_id
        if row_id is not None and not self.loading:
            self.table.recheck_host(row_id)
            self.refresh_domain(row_id)

    # ---- what is shown around the table ----------------------------------------------------

    def _after_rows_changed(self) -> None:
        table = self.table
        empty = table.total_count == 0 and not self.loading
        table.display = not empty
        self.query_one("#filter-bar").display = not empty
        self.query_one("#empty").display = empty
        if table.total_count and not table.row_count:
            shown = clean(self.filter_input.value.strip())
            status = table.status_filter
            what = f"“{shown}”" if shown else ""
            if status:
                what = f"{what} with status {status}".strip()
            table.empty_message = f"No domains match {what} — escape clears the filters"
        self._update_summary()
        self._update_view_info()
        self.refresh_bindings()

    def _update_summary(self) -> None:
        rows = self.table.all_rows
        summary = self.query_one("#summary", Static)
        if self.loading:
            summary.update("Loading sender domains…")
            return
        counts = {status: 0 for status in (STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED)}
        buckets = {bucket: 0 for bucket in BUCKETS}
        unscored = 0
        for row in rows:
            counts[row.view.status] = counts.get(row.view.status, 0) + 1
            bucket = row.view.figures.reputation_bucket
            if bucket in buckets:
                buckets[bucket] += 1
            else:
                unscored += 1
        if not rows:
            summary.update(Content.styled("No sender domains yet", "bold"))
            return
        parts: list[Content | str | tuple[str, str]] = [(f"{len(rows):,} domains", "bold")]
        labels = {STATUS_ENABLED: ("enabled", "$text-success"), STATUS_PENDING: ("pending", "$text-warning"),
                  STATUS_DISABLED: ("disabled", "$text-muted"), STATUS_SUSPENDED: ("suspended", "$text-error")}
        for status, count in counts.items():
            if status in labels and (count or status in (STATUS_ENABLED, STATUS_PENDING)):
                label, style = labels[status]
                parts += ["  ", (f"{count:,} {label}", style)]
        line = Content.assemble(*parts)
        if self.table.figures_loaded and unscored < len(rows):
            colours = {"excellent": "$text-success", "good": "$text-primary", "fair": "$text-warning", "poor": "$text-error"}
            rep: list[Content | str | tuple[str, str]] = ["reputation"]
            for bucket in BUCKETS:
                if buckets[bucket]:
                    rep += ["  ", (f"{buckets[bucket]:,} {bucket}", colours[bucket])]
            if unscored:
                rep += ["  ", (f"{unscored:,} unscored", "$text-muted")]
            second = Content.assemble(*rep)
            width = summary.content_region.width or self.size.width - 2
            joiner = "  │  " if line.cell_length + second.cell_length + 5 <= width else "\n"
            line = Content.assemble(line, joiner, second)
        summary.update(line)

    def on_resize(self) -> None:
        self._update_summary()

    def _update_view_info(self) -> None:
        table = self.table
        text = f"{table.row_count:,} of {table.total_count:,}"
        if table.status_filter:
            text += f" · {table.status_filter}"
        self.query_one("#view-info", Static).update(plain(text))

    def _update_activity(self) -> None:
        line = self.query_one("#activity-text", Static)
        bar = self.query_one("#activity-progress", ProgressBar)
        bar.display = self.bulk_running
        if self.bulk_running:
            line.update(self._bulk_text)
        elif self.watching:
            line.update(self._watch_content())
        self.query_one("#activity").display = self.bulk_running or self.watching

    _bulk_text = ""

    def _watch_content(self) -> Content:
        state = self.watch_state
        if state.running:
            head = Content.styled("Watch: verifying pending domains…", "bold $text-accent")
        elif state.next_at is not None:
            remaining = state.next_at - self.app.clock.monotonic()
            head = Content.assemble(
                ("Watch: ", "bold $text-accent"),
                f"next try in {_duration(remaining)} (every {int(state.delay // 60)} min)",
            )
        else:
            head = Content.styled("Watch: starting…", "bold $text-accent")
        if state.last_try is not None:
            changed = "; ".join(state.changes[:MAX_CHANGE_LINES]) if state.changes else "no change"
            if len(state.changes) > MAX_CHANGE_LINES:
                changed += f"; +{len(state.changes) - MAX_CHANGE_LINES} more"
            head = Content.assemble(head, f" · {state.last_try:%H:%M}: ", plain(changed))
        return head

    def _tick(self) -> None:
        if self.watching:
            self._update_activity()
            state = self.watch_state
            if state.next_at is not None and not state.running and self.app.clock.monotonic() >= state.next_at:
                self._watch_wake.set()
        self.table.refresh()  # "Checked 3m ago" moves on

    # ---- bindings ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._check(action)

    def action_available(self, action: str) -> bool:
        """Whether ``action`` could run now (the palette offers only these)."""
        name = action.split("(", 1)[0]
        return self._check(name) is True

    def _check(self, action: str) -> bool | None:
        row = self.table.highlighted if self.is_mounted else None
        status = row.view.status if row else None
        if action in ("open", "verify", "delete", "pause", "resume"):
            if row is None or self.loading:
                return None
        if action == "verify":
            return None if (row.id in self.verifying or self.bulk_running) else True
        if action == "verify_all":
            if self.bulk_running or self.loading or self.watch_state.running:
                return None
            return True if any(r.view.status == STATUS_PENDING for r in self.table.all_rows) else None
        if action == "pause":
            # One key, two bindings: "Pause" shows unless the domain is paused.
            if status == STATUS_DISABLED:
                return False
            return None if status == STATUS_SUSPENDED else True
        if action == "resume":
            return True if status == STATUS_DISABLED else False
        if action == "delete":
            return None if row.id in self.verifying else True
        return True

    # ---- actions -------------------------------------------------------------------------

    def action_new(self) -> None:
        def created(view: DomainView | None) -> None:
            if view is not None:
                self._gone.discard(view.id)  # a deleted domain added again keeps its id
                self.table.upsert_view(view)
                self.table.move_to(view.id)
                self._after_rows_changed()
                self.refresh_domain(view.id)  # with its figures

        self.app.push_screen(DomainFormModal(), created)

    def action_open(self) -> None:
        row = self.table.highlighted
        if row is not None:
            self.open_domain(row.id)

    def open_domain(self, domain_id: int) -> None:
        self.table.move_to(domain_id)
        self.app.push_screen(DomainDetailScreen(domain_id))

    @on(DomainTable.Selected)
    def _selected(self, message: DomainTable.Selected) -> None:
        self.open_domain(message.domain_id)

    ROW_ACTIONS = ("open", "verify", "delete", "pause", "resume")

    @on(DomainTable.Highlighted)
    def _highlighted(self) -> None:
        # Refreshing bindings rebuilds the footer: only when moving the cursor changed what
        # the keys can do (e.g. from an Enabled domain to a paused one), not on every row.
        if self._row_state() != getattr(self, "_row_binding_state", None):
            self.refresh_bindings()

    def _row_state(self) -> tuple | None:
        try:
            return tuple(self._check(action) for action in self.ROW_ACTIONS)
        except NoMatches:  # not composed yet
            return None

    def refresh_bindings(self) -> None:
        self._row_binding_state = self._row_state()
        super().refresh_bindings()

    def action_filter(self) -> None:
        self.filter_input.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._after_rows_changed()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_clear(self) -> None:
        table = self.table
        if self.filter_input.has_focus and self.filter_input.value == "" and table.status_filter is None:
            table.focus()
            return
        self._status_index = 0
        self.filter_input.value = ""
        table.set_filter("", None)
        table.focus()
        self._after_rows_changed()

    def action_cycle_status(self) -> None:
        self._status_index = (self._status_index + 1) % len(STATUS_CYCLE)
        self.action_show_status(STATUS_CYCLE[self._status_index])

    def action_show_status(self, status: str | None) -> None:
        self._status_index = STATUS_CYCLE.index(status) if status in STATUS_CYCLE else 0
        self.table.set_filter(status=status)
        self._after_rows_changed()

    def action_cycle_sort(self) -> None:
        table = self.table
        key = COLUMN_KEYS[(COLUMN_KEYS.index(table.sort_key) + 1) % len(COLUMN_KEYS)]
        self.action_sort_by(key)

    def action_sort_by(self, key: str) -> None:
        self.table.sort_by(key)  # the header shows the column and direction (▲/▼)

    def action_reverse_sort(self) -> None:
        self.table.sort_by(self.table.sort_key, not self.table.sort_reverse)

    def action_refresh(self) -> None:
        self.workers.cancel_group(self, "list-dnshost")  # its answers would be stale
        self._host_queue.clear()
        self._host_run += 1
        self._detecting_hosts = False
        self.table.forget_hosts()
        self.load()

    # pause / resume ------------------------------------------------------------------------

    def action_pause(self) -> None:
        row = self.table.highlighted
        if row is not None:
            self._set_status(row.id, "Disabled")

    def action_resume(self) -> None:
        row = self.table.highlighted
        if row is not None:
            self._set_status(row.id, "Enabled")

    @work(thread=True, group="list-write", exit_on_error=False)
    def _set_status(self, domain_id: int, status: str) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            try:
                view, _ = app.service.update_domain(app.user, domain_id, {"status": status})
                view = app.service.get_domain(app.user, domain_id)
            except ApiError as exc:
                app.call_from_thread(app.notify, clean(exc.message), title="Not changed", severity="error", markup=False)
                return
        self.post_message(self.DomainRefreshed(view, domain_id))
        verb = "paused" if status == "Disabled" else "resumed"
        app.call_from_thread(app.notify, clean(f"{view.display_name} {verb}: {view.status}"), markup=False)

    # delete --------------------------------------------------------------------------------

    def action_delete(self) -> None:
        row = self.table.highlighted
        if row is None:
            return
        domain_id, name = row.id, row.name

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(domain_id, name)

        self.app.push_screen(
            ConfirmModal(
                f"Delete {name}?",
                f"{name} stops sending and disappears from the list. Its DNS records and stats are kept; "
                "adding the same domain again brings it back as Approval Pending.",
            ),
            confirmed,
        )

    @work(thread=True, group="list-write", exit_on_error=False)
    def _delete(self, domain_id: int, name: str) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            try:
                app.service.delete_domain(app.user, domain_id)
            except ApiError as exc:
                app.call_from_thread(app.notify, clean(exc.message), title="Not deleted", severity="error", markup=False)
                if exc.code != 2:
                    return
        self.post_message(self.DomainRefreshed(None, domain_id))
        app.call_from_thread(app.notify, clean(f"Deleted {name}"), markup=False)

    # verify one ----------------------------------------------------------------------------

    def action_verify(self) -> None:
        row = self.table.highlighted
        if row is None or row.id in self.verifying:
            return
        self.verifying.add(row.id)
        self.table.set_busy(row.id, True)
        self.refresh_bindings()
        self._verify_one(row.id, row.name, row.view.status)

    @work(group="list-verify", exit_on_error=False)
    async def _verify_one(self, domain_id: int, name: str, before: str) -> None:
        app = self.app
        try:
            outcome = await app.service.verify_domain(app.user, domain_id)
        except ApiError as exc:
            app.notify(clean(exc.message), title=f"Verify {name}", severity="error", markup=False)
            return
        finally:
            self.verifying.discard(domain_id)
            self.table.set_busy(domain_id, False)
            self.refresh_bindings()
        self.refresh_domain(domain_id)
        records = outcome.records
        good = sum(1 for r in records if r.verified is True)
        if outcome.is_verified:
            if before != outcome.status and outcome.status == STATUS_ENABLED:
                app.notify(clean(f"{name} is now Enabled: every record verified"), title="Verified", markup=False)
            else:
                app.notify(clean(f"{name}: every record verified ({outcome.status})"), title="Verified", markup=False)
        else:
            app.notify(
                clean(f"{name}: {good}/{len(records)} records verified, still {outcome.status}"),
                title="Not verified yet",
                severity="warning",
                markup=False,
            )

    # verify all pending --------------------------------------------------------------------

    def action_verify_all(self) -> None:
        if self.bulk_running:
            return
        pending_ids = [r.id for r in self.table.all_rows if r.view.status == STATUS_PENDING]
        pending = len(pending_ids)
        for domain_id in pending_ids:  # "checking" until their batch answers
            self.table.busy_ids.add(domain_id)
        self.table.refresh()
        # Greyed out from the key press on, not from when the worker gets going.
        self.bulk_running = True
        self.query_one("#activity-progress", ProgressBar).update(total=max(1, pending), progress=0)
        self._bulk_text = f"Verifying {pending:,} pending domains…"
        self._update_activity()
        self._verify_all(pending)

    @work(exclusive=True, group="list-verify-all", exit_on_error=False)
    async def _verify_all(self, pending: int) -> None:
        bar = self.query_one("#activity-progress", ProgressBar)

        def progress(done: int, verified: int, total: int, answered: list[int]) -> None:
            self.table.busy_ids.difference_update(answered)
            self.table.refresh()
            bar.update(total=max(total, done, 1), progress=done)
            self._bulk_text = f"Verifying pending domains: {done:,}/{max(total, done):,} · {verified:,} verified"
            self._update_activity()

        try:
            results = await self._verify_pending_batches(pending, progress)
        except ApiError as exc:
            self.app.notify(clean(exc.message), title="Verify all", severity="error", markup=False)
            return
        finally:
            self.bulk_running = False
            self.table.busy_ids.difference_update(self.table.busy_ids - self.verifying)
            self.table.refresh()
            self._update_activity()
            self.refresh_bindings()
        verified = [r for r in results if r.is_verified]
        enabled = [r for r in verified if r.status == STATUS_ENABLED]
        self.app.notify(
            f"{len(results):,} checked · {len(verified):,} verified · {len(results) - len(verified):,} still pending",
            title="Verify all pending",
            markup=False,
        )
        self._announce_enabled([r.domain_id for r in enabled])
        self.load()

    async def _verify_pending_batches(self, pending: int, progress: Callable[[int, int, int, list[int]], None] | None = None) -> list:
        """``service.verify_pending`` again while it answers ``truncated``.

        Stops when a batch brings no domain not already seen (the engine may keep answering
        the same still-pending ones), so a stuck batch can never loop forever.
        """
        app = self.app
        seen: dict[int, Any] = {}
        limit = pending // 25 + 3
        for _ in range(max(limit, 2)):
            bulk = await app.service.verify_pending(app.user)
            fresh = [d for d in bulk.domains if d.domain_id not in seen]
            for d in bulk.domains:
                seen[d.domain_id] = d
            if progress is not None:
                progress(len(seen), sum(1 for d in seen.values() if d.is_verified), pending, [d.domain_id for d in bulk.domains])
            if not bulk.truncated or not fresh:
                break
        return list(seen.values())

    def _announce_enabled(self, domain_ids: list[int]) -> None:
        for domain_id in domain_ids[:5]:
            row = self.table.get_row(domain_id)
            name = row.name if row else f"Domain {domain_id}"
            self.app.notify(clean(f"{name} is now Enabled"), title="Verified", markup=False)
        if len(domain_ids) > 5:
            self.app.notify(f"… and {len(domain_ids) - 5} more are now Enabled", title="Verified", markup=False)

    # watch mode ----------------------------------------------------------------------------

    def action_watch(self) -> None:
        if self.watching:
            self.watching = False
            self.workers.cancel_group(self, "list-watch")
            self.watch_state = WatchState()
        else:
            self.watching = True
            self.watch_state = WatchState()
            self._watch()  # the activity line shows the countdown and what changed
        self._update_activity()

    def watch_try_now(self) -> None:
        """Run the next watch try at once (tests, and a future "try now" key)."""
        self._watch_wake.set()

    @work(exclusive=True, group="list-watch", exit_on_error=False)
    async def _watch(self) -> None:
        state = self.watch_state
        clock = self.app.clock
        while self.watching:
            state.next_at = clock.monotonic() + state.delay
            self._update_activity()
            self._watch_wake.clear()
            while clock.monotonic() < state.next_at and not self._watch_wake.is_set():
                try:
                    await asyncio.wait_for(self._watch_wake.wait(), timeout=1.0)
                except asyncio.TimeoutError:
                    pass
            if not self.watching:
                return
            if self.bulk_running:
                continue  # the user is verifying everything already; try again later
            changed = await self._watch_try()
            state.delay = WATCH_FIRST_DELAY if changed else min(state.delay * 2, WATCH_MAX_DELAY)
            self.watch_tried.set()

    async def _watch_try(self) -> bool:
        """One try: verify every pending domain, report what changed. True if anything did."""
        state = self.watch_state
        app = self.app
        before = {r.id: (r.view.status, r.verified, r.total, r.name) for r in self.table.all_rows if r.view.status == STATUS_PENDING}
        state.running = True
        self.refresh_bindings()
        self._update_activity()
        try:
            results = await self._verify_pending_batches(len(before))
            ids = [r.domain_id for r in results]
            views = await in_thread(app.ctx.database, data.load_views, app.ctx.database, app.user, ids) if ids else []
        except ApiError as exc:
            app.notify(clean(exc.message), title="Watch", severity="error", markup=False)
            return False
        finally:
            state.running = False
            state.tries += 1
            state.last_try = app.clock.now()
            self.refresh_bindings()
        changes: list[str] = []
        enabled: list[int] = []
        for view in views:
            old = before.get(view.id)
            verified, total = view.verified_count()
            self.table.upsert_view(view)
            if old is None:
                continue
            status, old_verified, old_total, name = old
            if view.status != status:
                changes.append(f"{name} {status} → {view.status}")
                if view.status == STATUS_ENABLED:
                    enabled.append(view.id)
            elif (verified, total) != (old_verified, old_total):
                changes.append(f"{name} {old_verified}/{old_total} → {verified}/{total}")
        state.changes = changes
        self._after_rows_changed()
        self._update_activity()
        self._announce_enabled(enabled)
        return bool(changes)
