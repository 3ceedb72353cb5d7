"""Ask for an operator's reason: ``ReasonModal(title, message, action)`` dismisses with the
reason typed (stripped; "" when it may be left blank) or None when cancelled.

The reason goes into the domains' history (core/history.py) and, for a suspension, onto the
detail screen. It is checked as typed with the engine's own rule (``core.operator.parse_reason``:
one line, no control characters, at most 500 characters), so the form never sends what the
engine would refuse.
"""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from core.errors import ApiError
from core.operator import parse_reason
from tui.text import plain
from tui.widgets.key_hints import KeyHints


class ReasonModal(ModalScreen[str | None]):
    CSS_PATH = "reason.tcss"
    HELP_TITLE = "Reason"
    AUTO_FOCUS = "#reason"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="reason.cancel")]

    reason_input = getters.query_one("#reason", Input)
    error = getters.query_one("#reason-msg", Static)

    def __init__(self, title: str, message: str, action: str, *, required: bool = True) -> None:
        """``action``: the confirm button's label ("Suspend"); ``required``: a blank reason is refused."""
        super().__init__()
        self._title = title
        self._message = message
        self._action = action
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(self._title), id="title")
            yield Static(plain(self._message), id="message")
            placeholder = "why (shown in the domain's history)" + ("" if self.required else " — optional")
            yield Input(placeholder=placeholder, id="reason", compact=True, max_length=500)
            yield Static("", id="reason-msg")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(self._action, id="ok", variant="error", compact=True)
            yield KeyHints(("enter", self._action.lower()), ("esc", "cancel"), id="keys", from_bindings=False)

    def _checked(self) -> str | None:
        """The reason, or None after showing why it cannot be used."""
        if self.required and not self.reason_input.value.strip():
            self.error.update("A reason is required: it is kept in the domain's history")
            return None
        try:
            reason = parse_reason(self.reason_input.value, required=self.required)
        except ApiError as exc:
            self.error.update(plain(exc.message))
            return None
        return reason or ""

    @on(Input.Changed, "#reason")
    def _typed(self) -> None:
        self.error.update("")

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        reason = self._checked()
        if reason is not None:
            self.dismiss(reason)

    def action_cancel(self):
        return self.dismiss(None)
