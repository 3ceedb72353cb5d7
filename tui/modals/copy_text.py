"""Text to copy by hand: ``CopyTextModal(title, text, why)``, shown when a copy through the
terminal may not reach the clipboard (tui/clipboard.py). The text is in a read-only field to
select with the mouse (shift-drag in most terminals) or tmux's copy mode."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from tui.text import clean, plain
from tui.widgets.key_hints import KeyHints


class CopyTextModal(ModalScreen[None]):
    CSS_PATH = "copy_text.tcss"
    HELP_TITLE = "Copy by hand"
    AUTO_FOCUS = "#text"
    BINDINGS = [Binding("escape", "close", "Close", id="copy.close")]

    def __init__(self, title: str, text: str, why: str) -> None:
        super().__init__()
        self._title = title
        self._text = text
        self._why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(self._title), id="title")
            yield Static(plain(f"{self._why}. Select the text below to copy it."), id="why")
            yield TextArea(clean(self._text), id="text", read_only=True, soft_wrap=True, show_line_numbers=False)
            yield KeyHints(("shift+drag", "select"), ("tmux", "prefix [ to copy"), id="keys")

    def action_close(self):
        return self.dismiss(None)  # awaited by the binding
