"""The DNS records of one domain as a table: host, type, expected, found and a state badge.

Every cell is plain text (``plain``): DNS answers and stored values may hold markup-like
text such as ``[/x]`` or control characters. Long values are cut to the column; the full
value is shown by the detail pane beneath the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

from core.hosthints import relative_name
from core.validation import strip_control
from core.views import RecordState

# badge id -> (label, style)
BADGES = {
    "never": ("· never checked", "dim"),
    "verified": ("✓ verified", "bold green"),
    "failed": ("✗ failed", "bold red"),
    "unknown": ("? could not check", "bold yellow"),
    "unknown_was_verified": ("? could not check (was ✓)", "bold yellow"),
}


def badge_of(record: RecordState) -> str:
    """never / verified / failed / unknown (the probe could not get an answer).

    The engine keeps a record's stored flag when the last probe could not check it, so a
    flag that is still true next to a last check of "unknown" is "unknown_was_verified": the
    latest check did not confirm it, and the badge must say so rather than show ✓.
    """
    state = (record.check or {}).get("State")
    if state == "unknown":
        return "unknown_was_verified" if record.verified is True else "unknown"
    if record.verified is True:
        return "verified"
    if record.verified is None and not record.check:
        return "never"
    return "failed" if record.verified is False or state in ("mismatched", "missing") else "never"


def found_of(record: RecordState) -> str:
    if not record.check:
        return ""
    found = record.check.get("Found") or []
    if isinstance(found, str):
        found = [found]
    if not found:
        return "(nothing)" if record.check.get("State") == "missing" else ""
    return ", ".join(str(f) for f in found)


def _cell(value: str, width: int) -> Text:
    text = strip_control(value)
    if len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return Text(text, no_wrap=True, overflow="ellipsis")


def badge_text(badge: str) -> Text:
    label, style = BADGES[badge]
    return Text(label, style=style, no_wrap=True)


def name_of(host: str, zone: str | None) -> str:
    """The record's name as most DNS panels want it: relative to the apex of its zone (``sl.shop``
    in ``fabrikam.example``), "@" for the apex itself."""
    if not zone:
        return host
    relative = relative_name(host, zone)
    return relative or "@"


@dataclass
class Widths:
    host: int
    type: int
    expected: int
    found: int
    state: int

    @classmethod
    def for_width(cls, total: int, longest_name: int = 16, state: int = 17) -> "Widths":
        """``state``: the longest badge to show (the longer "was ✓" one widens the column)."""
        rtype = 5
        rest = max(total - state - rtype - 2 * 5 - 2, 30)
        host = max(min(longest_name, 24, rest // 3), 6)
        expected = max((rest - host) * 6 // 10, 12)
        found = max(rest - host - expected, 8)
        return cls(host, rtype, expected, found, state)


class RecordTable(DataTable):
    """Rows keyed by record host; ``show(records)`` replaces them keeping the cursor."""

    DEFAULT_CSS = """
    RecordTable {
        height: auto;
        max-height: 12;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.records: list[RecordState] = []
        self.domain: str | None = None  # the zone's apex the names are relative to
        self._widths: Widths | None = None

    def _target_widths(self) -> Widths:
        longest = max((len(name_of(r.host, self.domain)) for r in self.records), default=6)
        state = max((len(BADGES[badge_of(r)][0]) for r in self.records), default=0)
        total = self.size.width or (self.app.size.width if self.is_attached else 80)
        return Widths.for_width(total, max(longest, 4), max(state, 17))

    def _ensure_columns(self) -> Widths:
        widths = self._target_widths()
        if widths != self._widths or not self.columns:
            self.clear(columns=True)
            self.add_column("Name", width=widths.host, key="host")
            self.add_column("Type", width=widths.type, key="type")
            self.add_column("Expected", width=widths.expected, key="expected")
            self.add_column("Found", width=widths.found, key="found")
            self.add_column("State", width=widths.state, key="state")
            self._widths = widths
        return widths

    def show(self, records: list[RecordState], zone: str | None = None) -> None:
        """Replace the rows; names are shown relative to ``zone`` (ASCII: the apex of the zone
        the records go into) when given."""
        row = self.cursor_row
        self.records = list(records)
        self.domain = zone if zone is not None else self.domain
        self.clear()
        widths = self._ensure_columns()
        for record in records:
            self.add_row(
                _cell(name_of(record.host, self.domain), widths.host),
                _cell(record.type, widths.type),
                _cell(record.value, widths.expected),
                _cell(found_of(record), widths.found),
                badge_text(badge_of(record)),
                key=record.host,
            )
        if records:
            self.move_cursor(row=min(max(row, 0), len(records) - 1))

    def on_resize(self) -> None:
        if self.records and self._target_widths() != self._widths:
            self.show(self.records)

    @property
    def current(self) -> RecordState | None:
        if not self.records or self.cursor_row < 0 or self.cursor_row >= len(self.records):
            return None
        return self.records[self.cursor_row]


__all__ = ["RecordTable", "badge_of", "found_of", "BADGES", "Content"]
