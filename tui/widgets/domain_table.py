"""A virtual table of sender domains that stays fast with tens of thousands of rows.

Textual's DataTable measures every cell of every row before the first paint (about a second
at 10,000 rows). This widget is a Line API ``ScrollView``: it keeps the rows as plain
objects, renders only the lines on screen, sorts and filters lists of references, and
computes each visible cell when it is painted. Column widths are fixed per column, so nothing
is measured up front; the Domain column takes what is left and less important columns drop
out on narrow terminals (80 columns shows everything except the DNS host).

What each column shows, sorts by and how wide it is: ``tui/widgets/domain_columns.py``.
This widget keeps the rows, the filter, the sort and the cursor, and paints. Every string
is drawn as a Segment, never parsed as markup.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, ClassVar, Iterable

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.views import DomainView
from tui.widgets.domain_columns import NOT_LOOKED_UP, CellContext, DomainRow, fit, header_line, layout
from tui.widgets.domain_hosts import HostLookups, HostSource, HostsLoaded
from tui.widgets.domain_rows import KEEP, DomainRows

TONE_CLASSES = {tone: f"domain-table--{tone}" for tone in ("good", "ok", "warn", "bad", "muted", "busy", "marked")}


class DomainTable(ScrollView, can_focus=True):
    """Sender domains, one per line, with a cursor, sorting and filtering."""

    HELP_TITLE = "Moving in the list"

    DEFAULT_CSS = """
    DomainTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
        background: $surface;
    }
    DomainTable > .domain-table--header { text-style: bold; color: $text-accent; background: $panel; }
    DomainTable > .domain-table--cursor { background: $block-cursor-blurred-background; }
    DomainTable:focus > .domain-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: $block-cursor-text-style;
    }
    DomainTable > .domain-table--good { color: $text-success; }
    DomainTable > .domain-table--ok { color: $text-primary; }
    DomainTable > .domain-table--warn { color: $text-warning; }
    DomainTable > .domain-table--bad { color: $text-error; }
    DomainTable > .domain-table--muted { color: $text-muted; }
    DomainTable > .domain-table--busy { color: $text-accent; text-style: italic; }
    DomainTable > .domain-table--marked { color: $text-accent; text-style: bold; }
    DomainTable > .domain-table--empty { color: $text-muted; text-style: italic; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "domain-table--header",
        "domain-table--cursor",
        "domain-table--good",
        "domain-table--ok",
        "domain-table--warn",
        "domain-table--bad",
        "domain-table--muted",
        "domain-table--busy",
        "domain-table--marked",
        "domain-table--empty",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to another domain (``domain_id`` None: no rows)."""

        def __init__(self, table: "DomainTable", domain_id: int | None) -> None:
            super().__init__()
            self.table = table
            self.domain_id = domain_id

        @property
        def control(self) -> "DomainTable":
            return self.table

    class Selected(Message):
        """A double click on a domain (enter is the screen's own binding, so it acts in order
        with the keys after it)."""

        def __init__(self, table: "DomainTable", domain_id: int) -> None:
            super().__init__()
            self.table = table
            self.domain_id = domain_id

        @property
        def control(self) -> "DomainTable":
            return self.table

    class SortChanged(Message):
        def __init__(self, table: "DomainTable", key: str, reverse: bool) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.reverse = reverse

    def __init__(
        self,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        hosts: HostSource | None = None,
    ) -> None:
        """``hosts``: where the DNS host column's answers come from (None: no lookups)."""
        super().__init__(name=name, id=id, classes=classes)
        self.now = now
        self._hosts = HostLookups(self, hosts) if hosts is not None else None
        self.store = DomainRows()
        self.busy_ids: set[int] = set()  # rows with a probe running: shown as "checking…"
        self.marked: set[int] = set()  # rows marked (space) for one action on all of them
        self.show_owners = False  # the every-tenant list: an Owner column
        self.figures_loaded = True
        self.empty_message = "No domains."

    # ---- data ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows shown (after filtering)."""
        return len(self.store.shown)

    @property
    def total_count(self) -> int:
        return len(self.store.all)

    @property
    def rows(self) -> list[DomainRow]:
        """The rows shown, in order (do not modify)."""
        return self.store.shown

    @property
    def all_rows(self) -> list[DomainRow]:
        return self.store.all

    def get_row(self, domain_id: int) -> DomainRow | None:
        return self.store.by_id.get(domain_id)

    @property
    def highlighted(self) -> DomainRow | None:
        shown = self.store.shown
        return shown[self.cursor_row] if 0 <= self.cursor_row < len(shown) else None

    @property
    def highlighted_id(self) -> int | None:
        row = self.highlighted
        return row.id if row else None

    def set_views(self, views: Iterable[DomainView], *, keep: int | None = None) -> None:
        """Replace every row; the cursor stays on ``keep`` (default: the current domain)."""
        keep = self.highlighted_id if keep is None else keep
        self.store.replace(views)
        self.marked &= set(self.store.by_id)  # a domain gone (deleted elsewhere) is no longer marked
        if self._hosts is not None:
            self._hosts.keep_only(set(self.store.by_id))
        self._shown_changed(keep)

    def set_figures(self, figures: dict) -> None:
        """Fill in operational figures loaded after the rows (``{domain_id: Figures}``)."""
        keep = self.highlighted_id
        self.figures_loaded = True
        if self.store.set_figures(figures):
            self._shown_changed(keep)
        else:
            self.refresh()

    def upsert_view(self, view: DomainView) -> None:
        """Add or replace one domain, keeping its figures and host when the view has none."""
        keep = self.highlighted_id
        self.store.upsert(view)
        self._shown_changed(keep)

    def remove(self, domain_id: int) -> None:
        index = self.cursor_row
        self.marked.discard(domain_id)
        if self.store.remove(domain_id):
            self._shown_changed(None)
            self._move_cursor(min(index, max(0, self.row_count - 1)))

    def set_hosts(self, hosts: dict[int, str | None]) -> None:
        self.store.set_hosts(hosts)
        self.refresh()

    def toggle_mark(self, domain_id: int) -> None:
        (self.marked.discard if domain_id in self.marked else self.marked.add)(domain_id)
        self.refresh()

    def mark_shown(self) -> None:
        """Mark every row the filter shows."""
        self.marked.update(row.id for row in self.store.shown)
        self.refresh()

    def clear_marks(self) -> None:
        self.marked.clear()
        self.refresh()

    @property
    def marked_rows(self) -> list[DomainRow]:
        """The marked rows still in the list, in the list's order (hidden by a filter too)."""
        if not self.marked:
            return []
        return [row for row in self.store.all if row.id in self.marked]

    def set_busy(self, domain_id: int, busy: bool) -> None:
        (self.busy_ids.add if busy else self.busy_ids.discard)(domain_id)
        self.refresh()

    # ---- filter and sort -----------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.store.filter_text

    @property
    def status_filter(self) -> str | None:
        return self.store.status

    @property
    def sort_key(self) -> str:
        return self.store.sort_key

    @property
    def sort_reverse(self) -> bool:
        return self.store.sort_reverse

    def set_filter(self, text: str | None = None, status: str | None | object = KEEP) -> None:
        """Show the rows ``text`` matches (words and ``field:value`` tokens,
        tui/widgets/domain_filter.py) whose status is ``status`` (None: any).

        A new filter puts the cursor on its first row, never on a row the user did not pick;
        clearing every filter keeps the domain that was highlighted, scrolled into view."""
        keep = self.highlighted_id
        if not self.store.set_filter(text, status):
            return
        cleared = self.store.filter.empty and self.store.status is None
        self._shown_changed(keep if cleared else None)

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        keep = self.highlighted_id
        self.store.sort_by(key, reverse)
        self._shown_changed(keep)
        self.post_message(self.SortChanged(self, self.sort_key, self.sort_reverse))

    def _shown_changed(self, keep: int | None) -> None:
        """The rows shown changed: the cursor stays on ``keep`` if it is still shown, else it
        goes to the first row; either way it is scrolled into view."""
        self.virtual_size = Size(self.size.width, self.row_count + 1)
        self._move_cursor(self.store.index_of(keep) or 0, force=True)
        self.refresh()

    # ---- cursor --------------------------------------------------------------------------

    def _move_cursor(self, index: int, force: bool = False) -> None:
        index = max(0, min(index, len(self.store.shown) - 1)) if self.store.shown else 0
        before = self.highlighted_id
        self.set_reactive(DomainTable.cursor_row, index)
        self._scroll_cursor_into_view()
        self.refresh()
        if force or self.highlighted_id != before:
            self.post_message(self.Highlighted(self, self.highlighted_id))

    def move_to(self, domain_id: int) -> bool:
        for i, row in enumerate(self.store.shown):
            if row.id == domain_id:
                self._move_cursor(i)
                return True
        return False

    def watch_cursor_row(self, value: int) -> None:
        self._move_cursor(value)

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._keep_cursor_in_view()

    def _keep_cursor_in_view(self) -> None:
        """Scrolled by the mouse wheel or the scrollbar: the cursor comes along, so a key never
        acts on a row that is off screen."""
        height = self.scrollable_content_region.height
        if height <= 1 or not self.store.shown:
            return
        top = round(self.scroll_y)
        bottom = top + height - 2  # the header takes the first line
        if not top <= self.cursor_row <= bottom:
            self._move_cursor(min(max(self.cursor_row, top), bottom))

    @property
    def cursor_on_screen(self) -> bool:
        """Whether the highlighted row is on screen (it always is once the table is sized)."""
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        return self.highlighted is not None and (height <= 1 or top <= self.cursor_row < top + height - 1)

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 1:
            return
        top = round(self.scroll_y)
        visible = height - 1  # the header takes the first line
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self._move_cursor(self.cursor_row + self._page)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(len(self.store.shown) - 1)

    def action_select(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Selected(self, row.id))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.store.shown) + 1)
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            key = self._column_at(event.x)
            if key:
                self.sort_by(key)
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.store.shown):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self._move_cursor(index)

    # ---- layout and painting -------------------------------------------------------------

    def _column_at(self, x: int) -> str | None:
        position = 0
        for column, width in layout(self.scrollable_content_region.width, self.show_owners):
            if position <= x < position + width:
                return column.key
            position += width + 1
        return None

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        index = round(self.scroll_y) + y - 1
        if not self.store.shown:
            if y == 2:
                text = set_cell_size("  " + self.empty_message, width)
                return Strip([Segment(text, base + self._style("domain-table--empty"))], width)
            return Strip.blank(width, base)
        if index >= len(self.store.shown):
            return Strip.blank(width, base)
        row = self.store.shown[index]
        if row.dns_host is NOT_LOOKED_UP and self._hosts is not None:
            self._hosts.painted(row.id)
        row_style = base
        if index == self.cursor_row:
            row_style = base + self._style("domain-table--cursor")
        segments: list[Segment] = []
        columns = layout(width, self.show_owners)
        context = CellContext(self.figures_loaded, self.busy_ids, self.now(), self.marked)
        for n, (column, cell_width) in enumerate(columns):
            text, tone = column.cell(row, context)
            text = fit(text, cell_width, column.right)
            style = row_style
            if tone:
                style = base + self._style(TONE_CLASSES[tone])
                if index == self.cursor_row:
                    style += self._style("domain-table--cursor")
            segments.append(Segment(text, style))
            if n < len(columns) - 1:
                segments.append(Segment(" ", row_style))
        used = sum(w for _, w in columns) + len(columns) - 1
        if used < width:
            segments.append(Segment(" " * (width - used), row_style))
        return Strip(segments, width)

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self._style("domain-table--header")
        return Strip([Segment(header_line(width, self.sort_key, self.sort_reverse, self.show_owners), style)], width)

    # ---- DNS hosts, looked up lazily for the rows on screen --------------------------------

    @property
    def host_generation(self) -> int:
        """Bumped by ``forget_hosts``: host answers asked for before are stale."""
        return self._hosts.generation if self._hosts is not None else 0

    @on(HostsLoaded)
    def _hosts_loaded(self, message: HostsLoaded) -> None:
        if self._hosts is not None:
            self._hosts.loaded(message)

    def forget_hosts(self) -> None:
        """Ask again for every row's host the next time it is painted (answers still out are dropped)."""
        if self._hosts is not None:
            self._hosts.forget()
        for row in self.store.all:
            row.dns_host = NOT_LOOKED_UP
        self.refresh()

    def recheck_host(self, domain_id: int) -> None:
        """Ask again for one row's host when it is next painted, unless a host is known
        (e.g. back from its detail screen, which may have found it)."""
        row = self.store.by_id.get(domain_id)
        if row is not None and not isinstance(row.dns_host, str):
            row.dns_host = NOT_LOOKED_UP
            if self._hosts is not None:
                self._hosts.again(domain_id)
            self.refresh()

    def visible_ids(self) -> set[int]:
        """The domains of the rows on screen now."""
        if not self.display:
            return set()
        top = round(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - 1)  # the header takes a line
        return {row.id for row in self.store.shown[top : top + height]}
