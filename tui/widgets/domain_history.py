"""The detail screen's History tab: what operators did to the domain, newest first — when,
who (the OS user), what, why, and what changed (core/history.py).

Every value is untrusted text (an operator's reason, a tenant's test address): control
characters stripped, and every cell a ``Text`` (a str cell would be parsed as markup).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.history import DomainEvent
from tui.text import clean

COLUMNS = (("When (UTC)", 16), ("Who", 12), ("Action", 10), ("Why, and what changed", None))
ACTION_NAMES = {"send_test": "send test"}


def what_changed(event: DomainEvent) -> str:
    """The event's detail as a short phrase: ``Enabled → Disabled``, the test's recipient…"""
    detail = event.detail or {}
    parts = []
    before, after = detail.get("StatusBefore"), detail.get("Status")
    if before and after and before != after:
        parts.append(f"{before} → {after}")
    elif after and event.action == "verify":
        parts.append(f"still {after}")
    changed = detail.get("Changed")
    if isinstance(changed, dict) and changed:
        parts.append(", ".join(f"{k}={v}" for k, v in changed.items()))
    if detail.get("To"):
        parts.append(f"to {detail['To']}")
    return "; ".join(str(p) for p in parts)


def describe(event: DomainEvent) -> str:
    why = f"“{event.reason}”" if event.reason else ""
    changed = what_changed(event)
    return clean(" · ".join(p for p in (why, changed) if p) or "—")


class DomainHistory(DataTable):
    """The events as rows; the last column takes the width left and wraps, so a long reason is
    read whole at 80 columns rather than cut at the screen's edge."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.events: list[DomainEvent] = []
        self._why_width = 0

    def on_mount(self) -> None:
        self.show([])

    def on_resize(self) -> None:
        if self._fitting_width() != self._why_width:
            self.show(self.events)

    def _fitting_width(self) -> int:
        fixed = sum(width for _, width in COLUMNS if width) + 2 * self.cell_padding * len(COLUMNS)
        return max(24, self.scrollable_content_region.width - fixed - 1)

    def show(self, events: list[DomainEvent]) -> None:
        self.events = events
        self._why_width = self._fitting_width()
        self.clear(columns=True)
        for label, width in COLUMNS:
            self.add_column(label, width=width or self._why_width)
        if not events:
            self.add_row(Text("—"), Text(""), Text(""), Text("No operator has acted on this domain yet", style="dim"))
            return
        for event in events:
            self.add_row(
                Text(event.at.strftime("%Y-%m-%d %H:%M")),
                Text(clean(event.actor)),
                Text(ACTION_NAMES.get(event.action, clean(event.action))),
                Text(describe(event)),
                height=None,
            )
