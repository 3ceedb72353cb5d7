"""The first screen: every sender domain, its health at a glance, and the actions on it.

Loading is phased so rows appear at once even with 100,000 domains: the first screen of
rows with their figures (read in the index's order: as quick at 100,000 as at 100), then
every row (name, status, records, last check), then every row's operational figures. Database calls run
in thread workers, DNS probes in async workers; results come back as small messages and a
result that belongs to an older load is dropped.

Around the table: the summary (SummaryBar), the filter line (FilterBar) and the activity
line (ActivityBar). The table looks up the DNS hosts of the rows on screen itself
(tui/widgets/domain_hosts.py). Jobs that run workers on this screen: watch mode
(tui/watch.py), verify all (tui/verify_all.py), pause/resume/delete (tui/list_writes.py),
suspension (tui/suspension.py) and one action on the marked rows (tui/marked.py).

The rows are one tenant's or, in the operator's view (``app.all_tenants``), every tenant's,
with an Owner column; every action acts as the domain's owner (tui/acting.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from core.errors import ApiError
from core.status import can_pause, can_resume, why_not_pausable
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.views import DomainView
from tui.list_writes import ListWrites
from tui.marked import MarkedActions
from tui.suspension import Suspension
from tui.resume import Resume
from tui.modals.domain_form import DomainFormModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.text import clean
from tui.verify_all import VerifyAll
from tui.verify_report import verify_message
from tui.watch import Watch
from tui.widgets.activity_bar import ActivityBar
from tui.widgets.context_bar import ContextBar
from tui.widgets.domain_columns import COLUMN_HELP, COLUMN_KEYS, layout
from tui.widgets.domain_hosts import HostSource
from tui.widgets.domain_table import DomainTable
from tui.widgets.empty_list import EmptyList
from tui.widgets.domain_filter import FILTER_HELP
from tui.widgets.filter_bar import FilterBar
from tui.widgets.summary_bar import SummaryBar

FIRST_SCREEN = 120  # rows shown before the rest are read: more than a terminal holds
STATUS_CYCLE: tuple[str | None, ...] = (None, STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED)


class DomainListScreen(Screen):
    CSS_PATH = "domain_list.tcss"
    HELP_TITLE = "Domain list"
    HELP_WIDGETS = (DomainTable,)
    HELP_NOTES = (("Filter words", FILTER_HELP), ("Columns", COLUMN_HELP))  # besides the keys
    AUTO_FOCUS = "DomainTable"

    BINDINGS = [
        Binding("n", "new", "New", tooltip="New domain: shows the DNS records to publish", id="list.new"),
        Binding("enter,o", "open", "Open", tooltip="Open the domain: records, badges, stats, actions", id="list.open"),
        Binding("v", "verify", "Verify", tooltip="Verify the highlighted domain's DNS records now", id="list.verify"),
        Binding("V", "verify_all", "Verify all", tooltip="Verify every Approval Pending domain, batch after batch", id="list.verify_all"),
        Binding("p", "pause", "Pause", tooltip="Pause: Disabled, sends use the group default", id="list.pause"),
        Binding("p", "resume", "Resume", tooltip="Resume a paused domain (offers to verify it first)", id="list.resume"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete the domain (asks first)", id="list.delete"),
        Binding("u", "suspend", "Suspend", show=False, tooltip="Suspend (the operator's alone; asks for the reason)", id="list.suspend"),
        Binding("u", "unsuspend", "Unsuspend", show=False, tooltip="Lift a suspension: back to Approval Pending", id="list.unsuspend"),
        Binding("space", "mark", "Mark", show=False, tooltip="Mark the domain (v, p, u then act on every marked one)", id="list.mark"),
        Binding("asterisk", "mark_shown", "Mark shown", show=False, tooltip="Mark every domain the filter shows", id="list.mark_shown"),
        Binding("slash", "filter", "Filter", show=False, tooltip="Filter as you type; status: bucket: user: for one field", id="list.filter"),  # the placeholder says so
        Binding("f", "cycle_status", "Status filter", show=False, tooltip="Status filter: all, Enabled, Pending, Disabled, Suspended", id="list.status"),
        Binding("s", "cycle_sort", "Sort", show=False, tooltip="Sort by the next column (or click a header)", id="list.sort"),
        Binding("S", "reverse_sort", "Reverse", show=False, tooltip="Reverse the sort order", id="list.reverse"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Reload domains, figures and DNS hosts", id="list.refresh"),
        Binding("w", "watch", "Watch", tooltip="Watch: re-verify pending domains every 1 to 15 min", id="list.watch"),
        Binding("escape", "clear", "Clear marks, then filters / back to the list", show=False, id="list.clear"),
        # Priority: ahead of the Input's own enter, so the focus is on the table before the next key.
        Binding("enter", "leave_filter", "Done filtering", show=False, priority=True, tooltip="In the filter: keep it, back to the rows", id="list.leave_filter"),
    ]

    table = getters.query_one(DomainTable)
    filter_bar = getters.query_one(FilterBar)
    filter_input = getters.query_one("#filter", Input)
    summary = getters.query_one(SummaryBar)
    activity = getters.query_one(ActivityBar)
    empty = getters.query_one(EmptyList)

    # Not ``loading``: that is Textual's own reactive, which covers the screen with a spinner.
    rows_loaded: reactive[bool] = reactive(False, bindings=True)  # the first load has answered
    reloading: reactive[bool] = reactive(False)  # a load is under way (the rows shown stay)
    bulk_running: reactive[bool] = reactive(False, bindings=True)
    watching: reactive[bool] = reactive(False, bindings=True)

    # ---- messages from workers -----------------------------------------------------------

    @dataclass
    class FirstRows(Message):
        """The first screen of rows, with their figures, while the rest are read."""

        generation: int
        views: list[DomainView]

    @dataclass
    class RowsLoaded(Message):
        generation: int
        views: list[DomainView]

    @dataclass
    class FiguresLoaded(Message):
        generation: int
        figures: dict

    @dataclass
    class DomainRefreshed(Message):
        view: DomainView | None  # None: gone (deleted elsewhere)
        domain_id: int

    def __init__(self, *, watch: bool = False) -> None:
        super().__init__()
        self._generation = 0
        self._start_watching = watch
        self.verifying: set[int] = set()
        self.watcher = Watch(self)
        self.bulk_verify = VerifyAll(self)
        self.writes = ListWrites(self)
        self.resumer = Resume(self, self.refresh_domain)
        self.suspension = Suspension(self, self.refresh_domain)
        self.on_marked = MarkedActions(self, self.refresh_domains)
        self._status_index = 0
        self._gone: set[int] = set()  # deleted (here or elsewhere) since the last full load
        self.partial = False  # the first screen of rows is shown, the rest are being read

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ContextBar(self.app.place, id="context")
        yield SummaryBar(id="summary")
        yield FilterBar(id="filter-bar")
        yield DomainTable(id="domains", now=self.app.clock.now, hosts=HostSource.of_app(self.app))
        yield EmptyList(id="empty")
        yield ActivityBar(id="activity")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p: in help

    def on_mount(self) -> None:
        user = self.app.acting.user
        if user is not None:  # one tenant's list: every row is this user's (user: in the filter)
            self.table.store.owner_names = {user.id: user.name}
        self.table.show_owners = self.app.all_tenants
        remembered = getattr(self.app, "ui_state", None)
        if remembered is not None and remembered.sort_key in COLUMN_KEYS:
            self.table.store.sort_by(remembered.sort_key, remembered.sort_reverse)  # before the rows come
        self.table.empty_message = "Loading…"
        self.app.show_title()
        self.set_interval(1.0, self._tick)
        self._update_view_info()
        self.update_activity()
        self.load()
        self._update_summary()
        if self._start_watching:
            self.action_watch()

    # ---- loading -------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load every row, then the figures; results of an older load are dropped. A
        reload keeps the table as it is (figures included) and says so on the activity line
        until the new rows and figures are in."""
        self._generation += 1
        self.reloading = True
        self.update_activity()
        table = self.table
        # Only the first load, sorted by name: the database reads the first screen in that order.
        first_screen = not self.rows_loaded and table.sort_key == "domain" and not table.sort_reverse
        self._load_rows(self._generation, first_screen)

    @work(thread=True, exclusive=True, group="list-load", exit_on_error=False)
    def _load_rows(self, generation: int, first_screen: bool) -> None:
        acting = self.app.acting
        with self.app.ctx.database.connection_context():
            if first_screen:
                first = acting.domain_rows(first=FIRST_SCREEN)
                if len(first) == FIRST_SCREEN:  # fewer: that was every row, read below as usual
                    figures = acting.figures_of([view.id for view in first])
                    for view in first:
                        view.figures = figures.get(view.id, view.figures)
                    self.post_message(self.FirstRows(generation, first))
            self.post_message(self.RowsLoaded(generation, acting.domain_rows()))
            figures = acting.domain_figures()
        self.post_message(self.FiguresLoaded(generation, figures))

    def on_domain_list_screen_first_rows(self, message: FirstRows) -> None:
        if message.generation != self._generation or self.rows_loaded:
            return
        self.partial = True
        self.table.figures_loaded = True  # these rows' own figures came with them
        self.table.set_views(message.views)
        self._after_filter_changed()

    def on_domain_list_screen_rows_loaded(self, message: RowsLoaded) -> None:
        if message.generation != self._generation:
            return  # a newer load is under way
        table = self.table
        if not self.rows_loaded:
            table.figures_loaded = False  # "…" until they come; a reload keeps the last ones
        table.set_views(message.views)
        self._gone -= {view.id for view in message.views}
        self.partial = False
        self.rows_loaded = True
        self._after_rows_changed()

    def on_domain_list_screen_figures_loaded(self, message: FiguresLoaded) -> None:
        if message.generation != self._generation:
            return
        self.table.set_figures(message.figures)
        self.reloading = False
        self.update_activity()
        self._update_summary()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed list worker becomes a notification (``exit_on_error=False``:
        nothing crashes the app). Expected ``ApiError``s are handled where they happen."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        self.app.notify_error(event.worker.error)
        if event.worker.group == "list-load":
            self.reloading = False
            self.update_activity()
            if not self.rows_loaded:
                self.table.empty_message = "Could not load the domains — press r to try again"
                self.table.refresh()
                self.summary.show_failed()

    def refresh_domain(self, domain_id: int) -> None:
        """Re-read one domain (after a verify, an edit, or coming back from its detail)."""
        self._refresh_one(domain_id)

    @work(thread=True, group="list-refresh-one", exit_on_error=False)
    def _refresh_one(self, domain_id: int) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            try:
                view = app.acting.get_domain(domain_id)
            except ApiError as exc:
                if exc.code != 2:
                    raise
                view = None
        self.post_message(self.DomainRefreshed(view, domain_id))

    def refresh_domains(self, domain_ids: list[int]) -> None:
        """Re-read several domains (after an action on the marked ones)."""
        self._refresh_many(domain_ids)

    @work(thread=True, group="list-refresh-one", exit_on_error=False)
    def _refresh_many(self, domain_ids: list[int]) -> None:
        app = self.app
        with app.ctx.database.connection_context():
            views = {view.id: view for view in app.acting.domain_rows(domain_ids)}
        for domain_id in domain_ids:
            self.post_message(self.DomainRefreshed(views.get(domain_id), domain_id))

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
        self.app.show_title()
        # Back from the detail screen or a modal: that domain may have changed or gone, and
        # its DNS host may have been found there (it is in the cache now).
        row_id = self.table.highlighted_id
        if row_id is not None and self.rows_loaded:
            self.table.recheck_host(row_id)
            self.refresh_domain(row_id)

    # ---- what is shown around the table ----------------------------------------------------

    def _after_rows_changed(self) -> None:
        """Rows came, went or changed: the summary counts them again."""
        self._update_summary()
        self._after_filter_changed()

    def _after_filter_changed(self) -> None:
        """The rows shown changed, not the rows: the summary (over every row) stays as it is,
        which keeps a keystroke in the filter cheap at 10,000 rows."""
        table = self.table
        empty = table.total_count == 0 and self.rows_loaded
        table.display = not empty
        self.filter_bar.display = not empty
        self.empty.display = empty
        if table.total_count and not table.row_count:
            table.empty_message = self.filter_bar.no_match(table.status_filter)
        self._update_view_info()
        self.refresh_bindings()

    def _update_summary(self) -> None:
        if not self.rows_loaded:
            self.summary.show_loading()
        else:
            self.summary.show((row.view for row in self.table.all_rows), self.table.figures_loaded)

    def _update_view_info(self) -> None:
        table = self.table
        if self.partial:
            self.filter_bar.show_reading(table.row_count)
            return
        self.filter_bar.show_counts(table.row_count, table.total_count, table.status_filter, len(table.marked))

    def update_activity(self) -> None:
        if self.bulk_running:
            self.activity.show_progress(*self.bulk_verify.progress)
        elif self.reloading and self.rows_loaded:
            self.activity.show_line(Content.styled("Reloading the domains and their figures…", "$text-accent"))
        elif self.watching:
            self.activity.show_line(self.watcher.line())
        else:
            self.activity.hide()

    def _tick(self) -> None:
        if self.watching:
            self.update_activity()
            self.watcher.tick()
        self.table.refresh()  # "Checked 3m ago" moves on

    # ---- bindings ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._check(action)

    def action_available(self, action: str) -> bool:
        """Whether ``action`` could run now (the palette offers only these)."""
        name = action.split("(", 1)[0]
        return self._check(name) is True

    def _check(self, action: str) -> bool | None:
        if action == "leave_filter":
            return self.is_mounted and self.focused is self.filter_input
        if action in self.ROW_ACTIONS and self.is_mounted:
            self._sync_filter()
        row = self.table.highlighted if self.is_mounted else None
        status = row.view.status if row else None
        if action in ("open", "verify", "delete", "pause", "resume", "suspend", "unsuspend", "mark"):
            if row is None or not self.rows_loaded:
                return None
        if self.table.marked and action in ("verify", "pause", "suspend"):
            return True  # on the marked rows (tui/marked.py)
        if self.table.marked and action in ("resume", "unsuspend"):
            return False  # p and x: one binding shown for the marked rows
        if action == "mark_shown":
            return True if self.rows_loaded and self.table.row_count else None
        if action == "suspend":
            return True if status != STATUS_SUSPENDED else False
        if action == "unsuspend":
            return True if status == STATUS_SUSPENDED else False
        if action == "verify":
            return None if (row.id in self.verifying or self.bulk_running) else True
        if action == "verify_all":
            if self.bulk_running or not self.rows_loaded or self.watcher.state.running:
                return None
            return True if any(r.view.status == STATUS_PENDING for r in self.table.all_rows) else None
        if action == "pause":
            # One key, two bindings: Pause, or Resume when the domain is paused. The rule is
            # the engine's (core/status.py), the same as the detail screen's.
            return True if can_pause(status) else (False if can_resume(status) else None)
        if action == "resume":
            return True if can_resume(status) else False
        if action == "delete":
            return None if row.id in self.verifying else True
        return True

    # ---- actions -------------------------------------------------------------------------

    def action_new(self):
        async def created(view: DomainView | None) -> None:
            if view is not None:
                self._gone.discard(view.id)  # a deleted domain added again keeps its id
                self.table.upsert_view(view)
                self.show_row(view.id)
                self._after_rows_changed()
                self.refresh_domain(view.id)  # with its figures
                # What to do next is publish its records: show them (badges "never checked",
                # and how to enter each one at the DNS host).
                await self.open_domain(view.id)

        return self.app.push_screen(DomainFormModal(), created)  # awaited: keys after n go to the form

    def show_row(self, domain_id: int) -> None:
        """Put the cursor on ``domain_id``, clearing the filters if they hide it (and saying so)."""
        table = self.table
        if table.move_to(domain_id):
            return
        row = table.get_row(domain_id)
        if row is None:
            return
        self._status_index = 0
        self.filter_input.value = ""
        table.set_filter("", None)
        table.move_to(domain_id)
        self.app.notify(clean(f"Filters cleared to show {row.name}"), markup=False)

    def action_open(self):
        row = self.table.highlighted
        return self.open_domain(row.id) if row is not None else None

    def open_domain(self, domain_id: int):
        """Show ``domain_id``'s detail screen (awaitable: mounted and focused)."""
        self.table.move_to(domain_id)
        return self.app.push_screen(DomainDetailScreen(domain_id))

    @on(DomainTable.SortChanged)
    def _sort_changed(self, message: DomainTable.SortChanged) -> None:
        self.app.remember_sort(message.key, message.reverse)

    @on(DomainTable.Selected)
    def _selected(self, message: DomainTable.Selected) -> None:
        self.open_domain(message.domain_id)

    ROW_ACTIONS = ("open", "verify", "delete", "pause", "resume", "suspend", "unsuspend")

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
        self.set_focus(self.filter_input)  # at once, not later: the next keys of a burst are the filter's

    def action_leave_filter(self) -> None:
        """Enter in the filter: back to the table, at once (the next key may be d or enter)."""
        self.set_focus(self.table)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._sync_filter()

    def _sync_filter(self) -> None:
        """Apply the filter as typed so far. Called on each change and before a key acts on
        the highlighted row: in a burst (``/promo⏎d``) the d may be handled before the
        Input's change messages, and must act on the row the typed filter shows."""
        if self.filter_input.value != self.table.store.query:
            self.table.set_filter(self.filter_input.value)
            self._after_filter_changed()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.set_focus(self.table)

    def action_clear(self) -> None:
        table = self.table
        if table.marked and not self.filter_input.has_focus:
            table.clear_marks()  # escape: the marks go first, the filters on the next press
            self._update_view_info()
            self.refresh_bindings()
            return
        if self.filter_input.has_focus and self.filter_input.value == "" and table.status_filter is None:
            self.set_focus(table)
            return
        self._status_index = 0
        self.filter_input.value = ""
        table.set_filter("", None)
        self.set_focus(table)
        self._after_filter_changed()

    def action_cycle_status(self) -> None:
        self._status_index = (self._status_index + 1) % len(STATUS_CYCLE)
        self.action_show_status(STATUS_CYCLE[self._status_index])

    def action_show_status(self, status: str | None) -> None:
        self._status_index = STATUS_CYCLE.index(status) if status in STATUS_CYCLE else 0
        self.table.set_filter(status=status)
        self._after_filter_changed()

    def action_cycle_sort(self) -> None:
        """Sort by the next column on screen (a column too wide for the terminal is skipped)."""
        table = self.table
        shown = [column.key for column, _ in layout(table.scrollable_content_region.width)]
        order = [key for key in COLUMN_KEYS if key in shown or key == table.sort_key]
        key = order[(order.index(table.sort_key) + 1) % len(order)]
        if key not in shown:
            key = shown[0]
        self.action_sort_by(key)

    def action_sort_by(self, key: str) -> None:
        self.table.sort_by(key)  # the header shows the column and direction (▲/▼)

    def action_reverse_sort(self) -> None:
        self.table.sort_by(self.table.sort_key, not self.table.sort_reverse)

    def action_refresh(self) -> None:
        self.table.forget_hosts()
        self.load()

    # pause, resume, delete (tui/list_writes.py) ---------------------------------------------

    def action_pause(self):
        if self.table.marked:
            return self.on_marked.start("p")
        if (row := self.table.highlighted) is not None and can_pause(row.view.status):
            self.writes.pause(row.id)

    def action_resume(self):
        """Enabled when every record is verified; otherwise "Verify now?" (tui/resume.py)."""
        if (row := self.table.highlighted) is not None and can_resume(row.view.status):
            return self.resumer.start(row.view)
        return None

    def key_p(self) -> None:
        """p reached the screen: neither Pause nor Resume applies. Say why rather than nothing."""
        if (row := self.table.highlighted) is not None and self.rows_loaded:
            if reason := why_not_pausable(row.view.status):
                self.notify(reason, title=clean(f"Cannot pause {row.name}"), severity="warning", markup=False)

    # marking rows, and one action on the marked ones (tui/marked.py) ------------------------

    def action_mark(self) -> None:
        """Mark or unmark the highlighted domain, and move to the next one."""
        row = self.table.highlighted
        if row is None:
            return
        self.table.toggle_mark(row.id)
        self.table.action_cursor_down()
        self._update_view_info()
        self.refresh_bindings()

    def action_mark_shown(self) -> None:
        self.table.mark_shown()
        self._update_view_info()
        self.refresh_bindings()

    # suspension, the operator's alone (tui/suspension.py) -----------------------------------

    def action_suspend(self):
        if self.table.marked:
            return self.on_marked.start("u")
        if (row := self.table.highlighted) is not None and row.view.status != STATUS_SUSPENDED:
            return self.suspension.start(row.view)
        return None

    def action_unsuspend(self):
        if (row := self.table.highlighted) is not None and row.view.status == STATUS_SUSPENDED:
            return self.suspension.start(row.view)
        return None

    def action_delete(self):
        if (row := self.table.highlighted) is not None:
            return self.writes.delete(row.id, row.name)  # the question, awaited: y and n go to it
        return None

    # verify one ----------------------------------------------------------------------------

    def action_verify(self):
        if self.table.marked:
            return self.on_marked.start("v")
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
            outcome = await app.acting.verify(domain_id)
        except ApiError as exc:
            app.notify(clean(exc.message), title=f"Verify {name}", severity="error", markup=False)
            return
        finally:
            self.verifying.discard(domain_id)
            self.table.set_busy(domain_id, False)
            self.refresh_bindings()
        self.refresh_domain(domain_id)
        title, text, severity = verify_message(name, before, outcome)
        app.notify(clean(text), title=title, severity=severity, markup=False)

    # verify all pending --------------------------------------------------------------------

    def action_verify_all(self) -> None:
        if not self.bulk_running:
            self.bulk_verify.start()

    def announce_enabled(self, domain_ids: list[int]) -> None:
        """Say which domains turned Enabled (the first five by name)."""
        for domain_id in domain_ids[:5]:
            row = self.table.get_row(domain_id)
            name = row.name if row else f"Domain {domain_id}"
            self.app.notify(clean(f"{name} is now Enabled"), title="Verified", markup=False)
        if len(domain_ids) > 5:
            self.app.notify(f"… and {len(domain_ids) - 5} more are now Enabled", title="Verified", markup=False)

    # watch mode ----------------------------------------------------------------------------

    def action_watch(self) -> None:
        self.watching = not self.watching
        if self.watching:
            self.watcher.start()  # the activity line shows the countdown and what changed
        else:
            self.watcher.stop()
        self.update_activity()

    def watcher_changed(self) -> None:
        """Watch mode started or finished a try, or set its next one."""
        self.refresh_bindings()
        self.update_activity()

    def watcher_found(self, views: list[DomainView], enabled: list[int]) -> None:
        """A watch try re-read these rows; ``enabled``: the ones that turned Enabled."""
        for view in views:
            self.table.upsert_view(view)
        self._after_rows_changed()
        self.update_activity()
        self.announce_enabled(enabled)
