"""A yes/no question: ``ConfirmModal(title, message)`` dismisses with True or False."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.text import plain
from tui.widgets.key_hints import KeyHints


class ConfirmModal(ModalScreen[bool]):
    """Ask before something that cannot be undone. Title and message are shown as plain text."""

    CSS_PATH = "confirm.tcss"
    HELP_TITLE = "Question"
    AUTO_FOCUS = "#no"  # the safe answer, focused as the question is composed
    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n,escape", "cancel", "No", id="confirm.no"),
    ]

    def __init__(
        self, title: str, message: str, *, confirm_label: str = "Yes", cancel_label: str = "No", confirm_variant: str = "error"
    ) -> None:
        """``confirm_variant``: the yes button's look ("error" for what cannot be undone,
        "primary" for an offer such as "Verify now")."""
        super().__init__()
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label
        self._confirm_variant = confirm_variant

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(self._title), id="title")
            yield Static(plain(self._message), id="message")
            with Horizontal(id="buttons"):
                yield Button(self._cancel_label, id="no", compact=True)
                yield Button(self._confirm_label, id="yes", variant=self._confirm_variant, compact=True)
            yield KeyHints(("y", self._confirm_label.lower()), ("n/esc", self._cancel_label.lower()), id="keys", from_bindings=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_confirm(self):
        return self.dismiss(True)  # awaited by the binding: the keys after y are the screen's below

    def action_cancel(self):
        return self.dismiss(False)
