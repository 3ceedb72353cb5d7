"""The domain list's columns, as a model with no painting in it: a row as the list sees it,
each column's label, width, sort key and cell (text and tone), and which columns fit a width.

``tui/widgets/domain_table.py`` paints what this describes: it turns a cell's tone ("good",
"warn", …) into its component class. Every string comes from ``tui.text.clean`` (control
characters stripped) and is painted as a Segment, never parsed as markup.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len, set_cell_size

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.views import DomainView
from tui.drifted import is_drifted
from tui.text import ago, clean
from tui.widgets.domain_filter import DomainFilter, fold


class HostLookup(enum.Enum):
    NOT_LOOKED_UP = "not looked up"


# A row's DNS host before anyone looked it up (shown "…", asked for when painted); None is
# "looked up, no answer" (shown "—"), a str is the host's label.
NOT_LOOKED_UP = HostLookup.NOT_LOOKED_UP

Tone = Literal["good", "ok", "warn", "bad", "muted", "busy", "marked"]
Cell = tuple[str, "Tone | None"]

STATUS_TEXT = {STATUS_PENDING: "Pending"}
STATUS_TONES: dict[str, Tone] = {
    STATUS_ENABLED: "good",
    STATUS_PENDING: "warn",
    STATUS_DISABLED: "muted",
    STATUS_SUSPENDED: "bad",
}
STATUS_ORDER = {STATUS_ENABLED: 0, STATUS_PENDING: 1, STATUS_DISABLED: 2, STATUS_SUSPENDED: 3}
# An Enabled domain a sweep found drifted (tui/drifted.py): its own badge, sorted right after Enabled.
DRIFTED_CELL: Cell = ("Drifted", "bad")
DRIFTED_ORDER = 0.5
BUCKET_TONES: dict[str, Tone] = {"excellent": "good", "good": "ok", "fair": "warn", "poor": "bad"}
BUCKET_SHORT = {"excellent": "exc", "good": "good", "fair": "fair", "poor": "poor"}
MIN_DOMAIN_WIDTH = 26  # room for most names in full: the delivery rate and the change go first
NEVER = dt.datetime.min  # the "last checked" of a domain never checked
MAX_DOMAIN_SHARE = 36  # beyond this, extra width goes to the DNS host column
MAX_HOST_WIDTH = 24


@functools.lru_cache(maxsize=64)
def _folded_status(status: str) -> str:
    return fold(status)


@functools.lru_cache(maxsize=4096)
def _owner_names(owner: str) -> tuple[str, str]:
    """An owner's name as shown and as matched (a list has few owners and many rows)."""
    shown = clean(owner)
    return shown, fold(shown)


class DomainRow:
    """One domain as the table sees it: the view plus what filtering and sorting need.

    ``owner``: the owner's name — ``view.owner`` when the view carries it, else the name the
    list knows for ``view.user_id``."""

    __slots__ = ("view", "id", "name", "owner", "haystack", "_words", "_status", "_owner", "dns_host", "_counts", "drifted")

    def __init__(self, view: DomainView, dns_host: str | None | HostLookup = NOT_LOOKED_UP, owner: str = "") -> None:
        self.view = view
        self.id = view.id
        self.name = clean(view.display_name)
        self.owner, self._owner = _owner_names(getattr(view, "owner", None) or owner)
        self._counts: tuple[int, int] | None = None  # computed when first shown or sorted on
        self.dns_host = dns_host
        self.drifted = is_drifted(view)  # the `drift` filter word's flag, the Drifted badge
        # What never changes for this view, folded once (tui/widgets/domain_filter.py).
        self._status = _folded_status(view.status)
        self._words = f"{fold(self.name)}\n{view.domain}\n{self._status}\n{self._owner}"
        self._index()

    @property
    def verified(self) -> int:
        return self.counts[0]

    @property
    def total(self) -> int:
        return self.counts[1]

    @property
    def counts(self) -> tuple[int, int]:
        """(records verified, records) — "n/m" in the DNS column."""
        if self._counts is None:
            self._counts = self.view.verified_count()
        return self._counts

    def _index(self) -> None:
        """The folded words a bare filter word is looked for in (figures and host change)."""
        host = fold(self.dns_host) if isinstance(self.dns_host, str) else ""
        self.haystack = f"{self._words}\n{self.bucket or ''}\n{host}"

    @property
    def bucket(self) -> str | None:
        return self.view.figures.reputation_bucket

    def matches(self, query: DomainFilter) -> bool:
        return query.matches(self.haystack, self._status, self.bucket, self._owner, self.drifted)

    def figures_changed(self) -> None:
        self._index()

    def set_host(self, host: str | None) -> None:
        """The host label ("unknown": nameservers found, provider not known); None: no answer."""
        self.dns_host = clean(host) if host else None
        self._index()


@dataclass(frozen=True)
class CellContext:
    """What a cell shows besides its row: whether figures have arrived, the rows being
    checked now, and the time "Checked 3m ago" counts from."""

    figures_loaded: bool
    busy: Container[int]
    now: dt.datetime
    marked: Container[int] = frozenset()  # rows marked (space) for an action on all of them


# ---- cells ------------------------------------------------------------------------------------


def human_count(value: int) -> str:
    if value < 1000:
        return str(value)
    for unit, size in (("M", 1_000_000), ("k", 1000)):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            if text.endswith(".0"):
                text = text[:-2]
            if unit == "k" and text == "1000":
                return "1M"
            return text + unit
    return str(value)


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return "100" if value >= 99.95 else f"{value:.1f}"


def delta_value(delta: str | None) -> float | None:
    """A volume change ("+12%", "-3%", "new") as a number to sort by ("new" first)."""
    if delta is None:
        return None
    if delta == "new":
        return float("inf")
    try:
        return float(delta.rstrip("%"))
    except ValueError:
        return None


NO_VALUE: Cell = ("—", "muted")
NOT_YET: Cell = ("…", "muted")  # the figures have not arrived yet


MARK = "● "


def _domain(row: DomainRow, context: CellContext) -> Cell:
    if row.id in context.marked:
        return MARK + row.name, "marked"
    return row.name, None


def _owner(row: DomainRow, context: CellContext) -> Cell:
    return (row.owner, None) if row.owner else NO_VALUE


def _status(row: DomainRow, context: CellContext) -> Cell:
    if row.drifted:
        return DRIFTED_CELL
    status = row.view.status
    return STATUS_TEXT.get(status, clean(status)), STATUS_TONES.get(status)


def _reputation(row: DomainRow, context: CellContext) -> Cell:
    if not context.figures_loaded:
        return NOT_YET
    figures = row.view.figures
    if figures.reputation is None:
        return NO_VALUE
    bucket = figures.reputation_bucket or ""
    return f"{figures.reputation:>3} {BUCKET_SHORT.get(bucket, bucket)}", BUCKET_TONES.get(bucket)


def _volume(row: DomainRow, context: CellContext) -> Cell:
    if not context.figures_loaded:
        return NOT_YET
    volume = row.view.figures.volume_7d
    return human_count(volume), None if volume else "muted"


def _delta(row: DomainRow, context: CellContext) -> Cell:
    if not context.figures_loaded:
        return NOT_YET
    delta = row.view.figures.volume_delta
    if delta is None:
        return NO_VALUE
    if delta.startswith("-"):
        return delta.replace("-", "−", 1), "warn"
    value = delta_value(delta)
    if value is not None and value != float("inf") and value >= 1000:
        return f"×{value / 100 + 1:.0f}", None  # "+1540%" does not fit: "×16"
    return delta, None


def _delivery(row: DomainRow, context: CellContext) -> Cell:
    if not context.figures_loaded:
        return NOT_YET
    rate = row.view.figures.delivery_rate
    return percent(rate), None if rate is not None else "muted"


def _bounce(row: DomainRow, context: CellContext) -> Cell:
    if not context.figures_loaded:
        return NOT_YET
    rate = row.view.figures.bounce_rate
    if rate is None:
        return NO_VALUE
    return percent(rate), "bad" if rate >= 5 else ("warn" if rate >= 2 else None)


def _dns(row: DomainRow, context: CellContext) -> Cell:
    if row.total == 0:
        return NO_VALUE
    return f"{row.verified}/{row.total}", "good" if row.verified == row.total else "warn"


def _checked(row: DomainRow, context: CellContext) -> Cell:
    if row.id in context.busy:
        return "checking", "busy"
    if row.view.last_verified_at is None:
        return "never", "muted"
    return ago(row.view.last_verified_at, context.now), None


def _host(row: DomainRow, context: CellContext) -> Cell:
    if isinstance(row.dns_host, str):
        return row.dns_host, None
    return ("…" if row.dns_host is NOT_LOOKED_UP else "—"), "muted"


# ---- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: flexible (the Domain column)
    cell: Callable[[DomainRow, CellContext], Cell]
    sort: Callable[[DomainRow], object]  # None sorts last, whichever the direction
    right: bool = False
    priority: int = 0  # columns with the highest priority number are dropped first
    about: str = ""  # what the column shows, for the help screen
    every_tenant: bool = False  # shown only in the every-tenant view


COLUMNS: tuple[Column, ...] = (
    Column("domain", "Domain", 0, _domain, lambda r: r.name.casefold(), about="the sender domain, in Unicode (● marked)"),
    Column("owner", "Owner", 10, _owner, lambda r: r.owner.casefold() or None, about="the tenant the domain belongs to (every tenant's list)", every_tenant=True),
    Column("status", "Status", 9, _status, lambda r: DRIFTED_ORDER if r.drifted else STATUS_ORDER.get(r.view.status, 4), about="Enabled, Drifted (Enabled, but a sweep found its DNS changed), Pending (Approval Pending), Disabled (paused) or Suspended"),
    Column("reputation", "Reputation", 11, _reputation, lambda r: r.view.figures.reputation, about="score 0-100 over the last 30 days, and its bucket"),
    Column("volume", "Sent 7d", 8, _volume, lambda r: r.view.figures.volume_7d, right=True, about="messages sent in the last 7 days"),
    Column("delta", "Change", 7, _delta, lambda r: delta_value(r.view.figures.volume_delta), right=True, priority=2, about="the last 7 days' volume against the 7 days before"),
    Column("delivery", "Delivery", 9, _delivery, lambda r: r.view.figures.delivery_rate, right=True, priority=2, about="% of the last 30 days' mail delivered"),
    Column("bounce", "Bounce", 7, _bounce, lambda r: r.view.figures.bounce_rate, right=True, priority=1, about="% of the last 30 days' mail bounced"),
    Column("dns", "DNS", 4, _dns, lambda r: (r.verified / r.total) if r.total else None, right=True, about="DNS records verified, of those to publish"),
    # Never checked sorts as the oldest check of all: first under Checked▲ (least recently checked first).
    Column("checked", "Checked", 8, _checked, lambda r: r.view.last_verified_at or NEVER, right=True, about="when the records were last checked"),
    Column("host", "DNS host", 14, _host, lambda r: r.dns_host.casefold() if isinstance(r.dns_host, str) else None, priority=3, about="who serves the domain's DNS (from its nameservers)"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
COLUMN_HELP = [(c.label, c.about) for c in COLUMNS]  # the help screen's "Columns" section
BY_KEY = {c.key: c for c in COLUMNS}
FIGURE_KEYS = frozenset({"reputation", "volume", "delta", "delivery", "bounce"})  # sorted again when figures arrive


def layout(width: int, owners: bool = False) -> list[tuple[Column, int]]:
    """The columns that fit ``width`` cells, with their widths (gaps of one cell);
    ``owners``: the every-tenant list, with the Owner column."""
    columns = [c for c in COLUMNS if owners or not c.every_tenant]
    while True:
        fixed = sum(c.width for c in columns if c.width) + len(columns) - 1
        if width - fixed >= MIN_DOMAIN_WIDTH or len(columns) <= 3:
            break
        drop = max(columns, key=lambda c: c.priority)
        if drop.priority == 0:
            break
        columns.remove(drop)
    fixed = sum(c.width for c in columns if c.width) + len(columns) - 1
    flexible = max(8, width - fixed)
    widths = {c.key: c.width or flexible for c in columns}
    if "host" in widths and flexible > MAX_DOMAIN_SHARE:
        # Wide terminals: provider names ("Google Cloud DNS") get room before the domain does.
        spare = min(flexible - MAX_DOMAIN_SHARE, MAX_HOST_WIDTH - widths["host"])
        widths["host"] += spare
        widths["domain"] -= spare
    return [(c, widths[c.key]) for c in columns]


def fit(text: str, width: int, right: bool) -> str:
    """``text`` padded or cut (with an ellipsis) to exactly ``width`` cells."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - length)
    return pad + text if right else text + pad


def header_line(width: int, sort_key: str, reverse: bool, owners: bool = False) -> str:
    """The header row at ``width`` cells: every label in full, and the sort arrow (▲ ascending,
    ▼ descending) beside the sorted column's label. Every column is one cell wider than its
    label, so the arrow sits inside it; a label that fills its column (none today) would have
    the arrow in the gap next to it (after a left-aligned label, before a right-aligned one)."""
    columns = layout(width, owners)
    arrow = "▼" if reverse else "▲"
    cells: list[str] = []  # column, gap, column, gap, …
    for n, (column, cell_width) in enumerate(columns):
        label = column.label
        if column.key == sort_key and cell_len(label) < cell_width:
            label = arrow + label if column.right else label + arrow
        cells.append(fit(label, cell_width, column.right))
        if n < len(columns) - 1:
            cells.append(" ")
    for n, (column, cell_width) in enumerate(columns):
        if column.key == sort_key and cell_len(column.label) >= cell_width:
            at = 2 * n
            if column.right and at > 0:
                cells[at - 1] = arrow
            elif at + 1 < len(cells):
                cells[at + 1] = arrow
            else:
                cells[at] = set_cell_size(cells[at], cell_width - 1) + arrow
    line = "".join(cells)
    return line + " " * max(0, width - cell_len(line))
