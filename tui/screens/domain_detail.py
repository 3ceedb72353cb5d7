"""One sender domain: status, reputation, DNS records with their check state, stats, actions.

``DomainDetailScreen(domain_id)`` reads ``app.acting`` (tui/acting.py) and ``app.clock``.
Database reads and writes run in thread workers, DNS and SMTP in async workers; results
come back as small messages and a result for an older load than the newest is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from core.errors import ApiError
from core.history import DomainEvent
from core.models import STATUS_DISABLED, STATUS_SUSPENDED
from core.status import can_pause, can_resume, why_not_pausable
from core.records import zone_snippet
from core.validation import to_unicode
from core.views import DomainView
from tui.text import clean
from tui.resume import Resume
from tui.suspension import Suspension
from tui.verify_report import verify_message
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.modals.export_zone import ExportZoneModal
from tui.modals.send_test import SendTestModal
from tui.widgets.context_bar import ContextBar
from tui.widgets.domain_head import DomainHead
from tui.widgets.domain_history import DomainHistory
from tui.widgets.domain_stats import DomainStats
from tui.widgets.drift_note import DriftNote
from tui.widgets.record_detail import RecordDetail
from tui.widgets.record_table import RecordTable, name_of

STATS_DAYS = 30
AGO_REFRESH_SECONDS = 30.0  # "Checked 3m ago" counts in minutes: at most half a minute late


def button_label(key: str, label: str) -> Content:
    """A button's label with its key first (``v Verify``), as the footer shows keys."""
    return Content.assemble((key, "bold $text-accent"), " ", label)


def relabel(button: Button, key: str, label: str) -> None:
    """Change a button's label and lay it out again: Button keeps the width it measured for
    its first label, which would cut a longer one ("p Resume") to its key."""
    content = button_label(key, label)
    if button.label != content:
        button.label = content
        button.clear_cached_dimensions()
        button.refresh(layout=True)


class DomainDetailScreen(Screen):
    CSS_PATH = "domain_detail.tcss"
    HELP_TITLE = "Domain detail"
    AUTO_FOCUS = "#records"  # focused as the screen is composed: keys typed right after enter land here
    # The actions on the domain are buttons that show their keys (v, t, e, p, d): the footer
    # keeps to the rest, so it fits a terminal 80 columns wide.
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the list", id="detail.back"),
        Binding("v", "verify", "Verify", show=False, tooltip="Verify the DNS records now", id="detail.verify"),
        Binding("t", "send_test", "Send test", show=False, tooltip="Send a test message from this domain", id="detail.send_test"),
        Binding("e", "edit", "Edit", show=False, tooltip="Edit subdomain, tracking prefix and tracking options", id="detail.edit"),
        Binding("p", "pause", "Pause", show=False, tooltip="Pause: Disabled, its mail uses the group default", id="detail.pause"),
        Binding("p", "resume", "Resume", show=False, tooltip="Resume a paused domain (offers to verify it first)", id="detail.resume"),
        Binding("d", "delete", "Delete", show=False, tooltip="Delete the domain (asks first)", id="detail.delete"),
        Binding("c", "copy_value", "Copy value", tooltip="Copy the highlighted record's value", id="detail.copy"),
        Binding("C", "copy_name", "Copy name", tooltip="Copy the highlighted record's name (as your DNS host wants it)", id="detail.copy_name"),
        Binding("x", "export", "Export", tooltip="Export the records as a zone file (asks where)", id="detail.export"),
        Binding("u", "suspend", "Suspend", show=False, tooltip="Suspend (the operator's alone; asks for the reason)", id="detail.suspend"),
        Binding("u", "unsuspend", "Unsuspend", show=False, tooltip="Lift the suspension: back to Approval Pending", id="detail.unsuspend"),
        Binding("s", "toggle_tab", "Stats", tooltip="Switch between the records and the 30-day stats", id="detail.tab"),
        Binding("h", "history_tab", "History", show=False, tooltip="Who did what to this domain, and why", id="detail.history"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Read the domain again", id="detail.refresh"),
    ]
    ACTION_BUTTONS = (("verify", "v", "Verify"), ("send_test", "t", "Send test"), ("edit", "e", "Edit"), ("toggle_pause", "p", "Pause"), ("toggle_suspend", "u", "Suspend"), ("delete", "d", "Delete"))

    head = getters.query_one(DomainHead)
    record_table = getters.query_one(RecordTable)
    record_detail = getters.query_one(RecordDetail)
    domain_stats = getters.query_one(DomainStats)
    history_table = getters.query_one(DomainHistory)

    verifying: reactive[bool] = reactive(False, bindings=True)
    busy: reactive[bool] = reactive(False, bindings=True)
    view: reactive[DomainView | None] = reactive(None, bindings=True, always_update=True)
    dns_host: reactive[str | None] = reactive(None)

    # ---- messages ----------------------------------------------------------------------

    @dataclass
    class Loaded(Message):
        generation: int
        view: DomainView
        stats: dict = field(default_factory=dict)
        history: list[DomainEvent] = field(default_factory=list)
        suspension_reason: str | None = None

    @dataclass
    class LoadFailed(Message):
        generation: int
        error: ApiError

    @dataclass
    class Verified(Message):
        domain_id: int
        outcome: Any

    @dataclass
    class DnsHostFound(Message):
        domain_id: int
        dns_host: str
        nameservers: list
        zone: str | None = None

    @dataclass
    class ActionDone(Message):
        """A write finished: say ``text``; ``gone`` when the domain was deleted."""

        text: str
        gone: bool = False
        reload: bool = True

    @dataclass
    class ActionFailed(Message):
        title: str
        text: str

    def __init__(self, domain_id: int, *, export_dir: Path | None = None) -> None:
        super().__init__()
        self.domain_id = int(domain_id)
        self.export_dir = export_dir
        self.stats: dict = {}
        self.nameservers: list = []
        self.found_zone: str | None = None  # the apex of the domain's zone, once DNS has said
        self._generation = 0
        self._loaded_generation = -1
        self.resumer = Resume(self, lambda domain_id: self.load())
        self.suspension = Suspension(self, lambda domain_id: self.load())
        self.suspension_reason: str | None = None

    # ---- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ContextBar(self.app.place, id="context")
        yield DomainHead(id="head")
        yield DriftNote(id="drift")  # shown for a drifted domain only
        with TabbedContent(id="tabs", initial="records-tab"):
            with TabPane("Records", id="records-tab"):
                yield RecordTable(id="records")
                with VerticalScroll(id="record-info"):
                    yield RecordDetail(id="record-detail")
            with TabPane("Stats (30 days)", id="stats-tab"):
                yield DomainStats()
            with TabPane("History", id="history-tab"):
                yield DomainHistory(id="history")
        with Horizontal(id="actions"):
            for action, key, label in self.ACTION_BUTTONS:
                variant = {"verify": "primary", "delete": "error"}.get(action, "default")
                yield Button(button_label(key, label), id=action, variant=variant, compact=True)
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p: in help

    def on_mount(self) -> None:
        self.head.show_loading(self.domain_id)
        self.app.show_title(f"domain #{self.domain_id}")
        self._sync_buttons()
        self.set_interval(AGO_REFRESH_SECONDS, self._refresh_ago)
        self.load()
        self.detect_host()

    # ---- loading -----------------------------------------------------------------------

    def load(self) -> None:
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, group="detail-load", exit_on_error=False)
    def _load(self, generation: int) -> None:
        acting = self.app.acting
        try:
            view = acting.get_domain(self.domain_id)
            stats = acting.domain_stats(self.domain_id, STATS_DAYS)
            events = acting.history(self.domain_id)
            reason = acting.suspension_reason(self.domain_id) if view.status == STATUS_SUSPENDED else None
        except ApiError as exc:
            self.post_message(self.LoadFailed(generation, exc))
            return
        self.post_message(self.Loaded(generation, view, stats, events, reason))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.generation < self._loaded_generation or message.view.id != self.domain_id:
            return  # an older load answered after a newer one
        self._loaded_generation = message.generation
        self.stats = message.stats
        self.suspension_reason = message.suspension_reason
        self.history_table.show(message.history)
        self.view = message.view

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if message.generation < self._loaded_generation:
            return
        self._loaded_generation = message.generation
        self.view = None
        self.head.show_error(message.error.message)
        self.app.notify(markup=False, message=clean(message.error.message), title="Cannot show domain", severity="error")

    @work(exclusive=True, group="detail-dnshost", exit_on_error=False)
    async def detect_host(self) -> None:
        try:
            found = await self.app.acting.detect_dns_host(self.domain_id)
        except (ApiError, NotImplementedError):
            return  # "DNS via" is a nice-to-have: say nothing rather than something wrong
        self.post_message(self.DnsHostFound(self.domain_id, found.dns_host, list(found.nameservers or []), getattr(found, "zone", None)))

    @on(DnsHostFound)
    def _host_found(self, message: DnsHostFound) -> None:
        if message.domain_id != self.domain_id:
            return
        self.nameservers = message.nameservers
        self.found_zone = message.zone
        if self.view is not None and message.zone and self.zone != self.view.domain:
            self.record_table.show(self.view.records(), self.zone)  # names relative to the zone
        self.dns_host = message.dns_host

    # ---- rendering ---------------------------------------------------------------------

    def watch_view(self, view: DomainView | None) -> None:
        if view is None:
            self._sync_buttons()
            return
        self._render_head()
        self.query_one(DriftNote).show(view, self.app.clock.now())
        if self.app.screen is self:
            self.app.show_title(view.display_name)
        self.record_table.show(view.records(), self.zone)
        self._render_record_detail()
        self._render_stats()
        relabel(self.query_one("#toggle_pause", Button), "p", "Resume" if view.status == STATUS_DISABLED else "Pause")
        relabel(self.query_one("#toggle_suspend", Button), "u", "Unsuspend" if view.status == STATUS_SUSPENDED else "Suspend")
        self._sync_buttons()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.app.show_title(self.view.display_name)

    def watch_dns_host(self) -> None:
        if self.view is not None:
            self._render_head()
            self._render_record_detail()

    def watch_verifying(self) -> None:
        self._sync_buttons()
        if self.view is not None:
            self._render_head()

    def watch_busy(self) -> None:
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        if not self.is_mounted:
            return
        for button in self.query("#actions Button").results(Button):
            button.disabled = not self.check_action(button.id or "", ())

    def _render_head(self) -> None:
        assert self.view is not None
        self.head.show(
            self.view, now=self.app.clock.now(), verifying=self.verifying, dns_host=self.dns_host,
            nameservers=self.nameservers, zone=self.zone,
            owner=self.view.owner if self.app.all_tenants else None,
        )
        self.head.show_suspension(self.view.status == STATUS_SUSPENDED, self.suspension_reason)

    def _refresh_ago(self) -> None:
        """Redraw the head, so "Checked X ago" follows ``app.clock`` (no database read)."""
        if self.view is not None:
            self._render_head()

    def _render_record_detail(self) -> None:
        view = self.view
        self.record_detail.show(self.record_table.current if view is not None else None, self.zone, self.dns_host)

    def _render_stats(self) -> None:
        self.domain_stats.show(self.stats, self.app.clock.now().date(), STATS_DAYS)

    @on(DataTable.RowHighlighted, "#records")
    def _record_highlighted(self) -> None:
        self._render_record_detail()

    # ---- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needs_view = {
            "verify", "send_test", "edit", "toggle_pause", "pause", "resume", "delete", "copy_value", "copy_name", "export",
            "toggle_suspend", "suspend", "unsuspend",
        }
        if action in needs_view and self.view is None:
            return None if self.is_mounted else True
        if action == "verify" and self.verifying:
            return None
        if action in ("toggle_pause", "pause", "resume", "delete", "edit", "toggle_suspend", "suspend", "unsuspend") and self.busy:
            return None
        status = self.view.status if self.view is not None else None
        if action == "suspend":
            return status != STATUS_SUSPENDED
        if action == "unsuspend":
            return status == STATUS_SUSPENDED
        if action == "pause":
            # One key, two bindings: Pause unless the domain is paused, then Resume.
            return True if can_pause(status) else (False if can_resume(status) else None)
        if action == "resume":
            return True if can_resume(status) else False
        if action == "toggle_pause":
            return True if (can_pause(status) or can_resume(status)) else None
        return True

    def action_available(self, action: str) -> bool:
        """Whether ``action`` could run now (the palette offers only these)."""
        return self.check_action(action.split("(", 1)[0], ()) is True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id:
            self.run_action(event.button.id)

    def action_back(self):
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            return self.app.pop_screen()  # awaited by the binding: the keys after escape are the list's
        return None

    def action_refresh(self) -> None:
        self.load()
        self.detect_host()

    def action_toggle_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        # Focus follows the tab: TabbedContent brings back the pane that holds the focus.
        if tabs.active == "records-tab":
            tabs.active = "stats-tab"
            self.set_focus(self.domain_stats.table)
        else:
            tabs.active = "records-tab"
            self.set_focus(self.record_table)

    def action_verify(self) -> None:
        if self.verifying:
            return
        self.verifying = True
        self._verify()

    @work(exclusive=True, group="detail-verify", exit_on_error=False)
    async def _verify(self) -> None:
        try:
            outcome = await self.app.acting.verify(self.domain_id)
        except ApiError as exc:
            self.post_message(self.ActionFailed("Verify failed", exc.message))
            return
        except NotImplementedError:
            self.post_message(self.ActionFailed("Verify failed", "DNS verification is not available in this build"))
            return
        self.post_message(self.Verified(self.domain_id, outcome))

    @on(Verified)
    def _verified(self, message: Verified) -> None:
        self.verifying = False
        if message.domain_id != self.domain_id:
            return
        outcome = message.outcome
        before = self.view.status if self.view is not None else outcome.status
        name = self.view.display_name if self.view is not None else f"Domain #{self.domain_id}"
        title, text, severity = verify_message(name, before, outcome)
        self.app.notify(markup=False, message=clean(text), title=title, severity=severity)
        self.load()

    def action_send_test(self):
        return self.app.push_screen(SendTestModal(self.view)) if self.view is not None else None

    def action_edit(self):
        if self.view is None:
            return None

        def edited(result: DomainView | None) -> None:
            if result is not None:
                self.load()

        return self.app.push_screen(DomainFormModal(self.view), edited)

    def action_history_tab(self) -> None:
        self.query_one(TabbedContent).active = "history-tab"
        self.set_focus(self.history_table)

    def action_toggle_suspend(self):
        """The Suspend/Unsuspend button: asks for the reason (tui/suspension.py)."""
        if self.view is None or self.busy:
            return None
        return self.suspension.start(self.view)

    action_suspend = action_unsuspend = action_toggle_suspend

    def action_toggle_pause(self):
        """The Pause/Resume button: whichever the domain's status allows."""
        if self.view is not None and can_resume(self.view.status):
            return self.action_resume()
        return self.action_pause()

    def action_pause(self) -> None:
        if self.view is None or self.busy or not can_pause(self.view.status):
            return
        self.busy = True
        self._pause()

    def action_resume(self):
        """Enabled when every record is verified; otherwise "Verify now?" (tui/resume.py)."""
        if self.view is None or self.busy or not can_resume(self.view.status):
            return None
        return self.resumer.start(self.view)

    def key_p(self) -> None:
        """p reached the screen: neither Pause nor Resume applies. Say why rather than nothing."""
        if self.view is not None and not self.busy and (reason := why_not_pausable(self.view.status)):
            self.notify(reason, title=clean(f"Cannot pause {self.view.display_name}"), severity="warning", markup=False)

    @work(thread=True, exclusive=True, group="detail-write", exit_on_error=False)
    def _pause(self) -> None:
        try:
            view = self.app.acting.pause(self.domain_id)
        except ApiError as exc:
            self.post_message(self.ActionFailed("Cannot pause", exc.message))
            return
        self.post_message(self.ActionDone(f"Paused {to_unicode(view.domain)}: status {view.status}"))

    def action_delete(self):
        if self.view is None or self.busy:
            return None
        name = self.view.display_name

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._delete()

        return self.app.push_screen(
            ConfirmModal(
                f"Delete {name}?",
                f"{name} stops sending as its own domain; its stats are kept. "
                "Creating it again later brings it back as Approval Pending.",
                confirm_label="Delete",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="detail-write", exit_on_error=False)
    def _delete(self) -> None:
        try:
            self.app.acting.delete(self.domain_id)
        except ApiError as exc:
            self.post_message(self.ActionFailed("Cannot delete", exc.message))
            return
        name = self.view.display_name if self.view else f"#{self.domain_id}"
        self.post_message(self.ActionDone(f"Deleted {name}", gone=True))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        if message.reload or message.gone:
            self.busy = False
        self.app.notify(markup=False, message=clean(message.text))
        if message.gone:
            self.view = None
            self.action_back()
        elif message.reload:
            self.load()

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.busy = False
        self.verifying = False
        self.app.notify(markup=False, message=clean(message.text), title=message.title, severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or not (event.worker.group or "").startswith("detail-"):
            return
        if event.worker.group == "detail-dnshost":
            return
        self.post_message(self.ActionFailed("Unexpected error", f"{type(event.worker.error).__name__}: {event.worker.error}"))

    def action_copy_value(self):
        record = self.record_table.current
        if record is None:
            return None
        return self.app.copy_text(record.value, f"the {record.type} value of {name_of(record.host, self.zone)}")

    def action_copy_name(self):
        """The record's name as the Name column shows it: relative to the zone, @ for its apex."""
        record = self.record_table.current
        if record is None:
            return None
        name = name_of(record.host, self.zone)
        return self.app.copy_text(name, f"the name of the {record.type} record {name}")

    @property
    def zone(self) -> str | None:
        """The apex of the DNS zone the records go into (ASCII): the one DNS names (the SOA
        owner, e.g. fabrikam.example for shop.fabrikam.example), else the domain itself."""
        if self.view is None:
            return None
        domain, zone = self.view.domain, self.found_zone
        if zone and (domain == zone or domain.endswith("." + zone)):
            return zone
        return domain

    def action_export(self):
        if self.view is None:
            return None
        records = {r.host: [r.type, r.value] for r in self.view.records()}
        modal = ExportZoneModal(self.view.domain, zone_snippet(records, origin=self.zone), base=self.export_dir)

        def written(path: Path | None) -> None:
            if path is not None:
                self.app.notify(markup=False, message=clean(f"Wrote {len(records)} records to {path}"), title="Exported")

        return self.app.push_screen(modal, written)  # awaited by the binding
