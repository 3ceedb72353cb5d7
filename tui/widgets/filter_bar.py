"""The line over the domain list's table: the filter as typed, and how many rows it shows."""

from __future__ import annotations

from textual import getters
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from tui.text import clean, plain


PLACEHOLDER = "/ filter: name, status, bucket, DNS host, drift · status:… bucket:… user:…"


class FilterBar(Horizontal):
    input = getters.child_by_id("filter", Input)
    counts = getters.child_by_id("view-info", Static)

    def compose(self) -> ComposeResult:
        yield Input(placeholder=PLACEHOLDER, id="filter", compact=True)
        yield Static(id="view-info")

    def show_counts(self, shown: int, total: int, status: str | None, marked: int = 0) -> None:
        text = f"{shown:,} of {total:,}"
        if status:
            text += f" · {status}"
        if marked:
            text += f" · {marked:,} marked"
        self.counts.update(plain(text))

    def show_reading(self, shown: int) -> None:
        """The first rows are shown while the rest are read (the counts come with them)."""
        self.counts.update(plain(f"{shown:,} shown · reading the rest…"))

    def no_match(self, status: str | None) -> str:
        """What the empty table says when the filters match nothing."""
        shown = clean(self.input.value.strip())
        what = f"“{shown}”" if shown else ""
        if status:
            what = f"{what} with status {status}".strip()
        return f"No domains match {what} — escape clears the filters"
