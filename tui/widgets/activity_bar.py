"""The line under the domain list that says what runs in the background: verify all's
progress (text and bar) or watch mode's countdown and last changes; hidden when neither runs."""

from __future__ import annotations

from textual import getters
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static


class ActivityBar(Horizontal):
    text = getters.child_by_id("activity-text", Static)
    bar = getters.child_by_id("activity-progress", ProgressBar)

    def compose(self) -> ComposeResult:
        yield Static(id="activity-text")
        yield ProgressBar(id="activity-progress", show_eta=False, show_percentage=False)

    def show_progress(self, text: str | Content, done: int, total: int) -> None:
        self.bar.update(total=max(total, done, 1), progress=done)
        self._show(text, with_bar=True)

    def show_line(self, text: str | Content) -> None:
        self._show(text, with_bar=False)

    def hide(self) -> None:
        self.bar.display = False
        self.display = False

    def _show(self, text: str | Content, with_bar: bool) -> None:
        self.bar.display = with_bar
        self.text.update(text)
        self.display = True
