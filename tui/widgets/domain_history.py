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
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for label, width in COLUMNS:
            self.add_column(label, width=width)
        self.show([])

    def show(self, events: list[DomainEvent]) -> None:
        self.clear()
        if not events:
            self.add_row(Text("—"), Text(""), Text(""), Text("No operator has acted on this domain yet", style="dim"))
            return
        for event in events:
            self.add_row(
                Text(event.at.strftime("%Y-%m-%d %H:%M")),
                Text(clean(event.actor)),
                Text(ACTION_NAMES.get(event.action, clean(event.action))),
                Text(describe(event)),
            )
