"""Send one test message from a domain: ``SendTestModal(view)`` shows the outcome in place.

The send runs in an async worker (``service.send_test``); the modal stays open with the
Message-ID or the error so the user can read it, and dismisses with the outcome (or None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from core.errors import ApiError
from core.validation import to_unicode
from core.views import DomainView
from tui.text import clean, plain
from tui.widgets.key_hints import KeyHints

DEMO_NOTE = "Demo mode: no mail leaves this machine, so Send is off. Run senderdeck on your own database to send tests."


class SendTestModal(ModalScreen[Any]):
    CSS_PATH = "send_test.tcss"
    HELP_TITLE = "Send a test message"
    AUTO_FOCUS = "#to"
    BINDINGS = [
        Binding("escape", "close", "Close", id="sendtest.close"),
        Binding("ctrl+s", "send", "Send", id="sendtest.send"),
    ]

    to_input = getters.query_one("#to", Input)
    subject_input = getters.query_one("#subject", Input)
    send_button = getters.query_one("#send", Button)
    outcome_line = getters.query_one("#outcome", Static)

    sending: reactive[bool] = reactive(False, bindings=True)

    @dataclass
    class Sent(Message):
        outcome: Any

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, view: DomainView) -> None:
        super().__init__()
        self.view = view
        self.outcome: Any = None

    @property
    def demo(self) -> bool:
        return bool(getattr(self.app.service.settings, "demo", False))

    def compose(self) -> ComposeResult:
        name = to_unicode(self.view.domain)
        with Vertical(id="dialog"):
            yield Static(plain(f"Send a test message from {name}"), id="title")
            if self.demo:
                # Said before anything is typed: in demo mode nothing can be sent.
                yield Static(DEMO_NOTE, id="demo-note")
            with Horizontal(classes="field"):
                yield Label("To", classes="label")
                # The placeholders describe the fields; an address there would look filled in.
                yield Input(placeholder="recipient's address (required)", id="to", compact=True)
            with Horizontal(classes="field"):
                yield Label("Subject", classes="label")
                yield Input(placeholder="optional; blank: a standard test subject", id="subject", compact=True)
            yield Static("", id="outcome")
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", compact=True)
                yield Button("Send", id="send", variant="primary", compact=True, disabled=self.demo)
            yield KeyHints(("enter", "send"), ("tab", "next field"), id="keys")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send" and (self.sending or self.demo):
            return None
        return True

    def watch_sending(self, sending: bool) -> None:
        if self.is_mounted:
            self.send_button.disabled = sending or self.demo

    def _outcome(self, text: str | list[str], kind: str) -> None:
        lines = [text] if isinstance(text, str) else text
        widget = self.outcome_line
        widget.update(Content("\n").join(plain(line) for line in lines))
        widget.set_classes(kind)

    def action_send(self) -> None:
        if self.sending:
            return
        if self.demo:
            self._outcome(DEMO_NOTE, "-error")
            return
        to = self.to_input.value.strip()
        if not to:
            self._outcome("Enter the address to send the test message to", "-error")
            self.set_focus(self.to_input)
            return
        subject = self.subject_input.value.strip() or None
        self.sending = True
        self._outcome(f"Sending to {to}…", "-busy")
        self._send(to, subject)

    @work(exclusive=True, group="send-test", exit_on_error=False)
    async def _send(self, to: str, subject: str | None) -> None:
        try:
            outcome = await self.app.acting.send_test(self.view.id, to, subject)
        except ApiError as exc:
            self.post_message(self.Failed(exc.message))
            return
        except NotImplementedError:
            self.post_message(self.Failed("Test sending is not available in this build"))
            return
        self.post_message(self.Sent(outcome))

    @on(Sent)
    def _sent(self, message: Sent) -> None:
        self.sending = False
        self.outcome = message.outcome
        o = message.outcome
        self._outcome([f"Sent to {o.to}", f"Subject: {o.subject}", f"Message-ID: {o.message_id}"], "-ok")
        self.app.notify(markup=False, message=clean(f"Test message sent to {o.to}"), title="Sent")

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.sending = False
        self._outcome(message.text, "-error")
        self.app.notify(markup=False, message=clean(message.text), title="Not sent", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "send-test" and event.state == WorkerState.ERROR:
            self.post_message(self.Failed(f"Unexpected error: {event.worker.error}"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in either field sends (the subject may stay blank)."""
        event.stop()
        self.action_send()

    @on(Input.Changed)
    def _edited(self) -> None:
        """An error no longer applies once the fields change; a result stays until the next send."""
        if self.outcome_line.has_class("-error") and not self.sending:
            self._outcome("", "")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_close()

    def action_close(self):
        return self.dismiss(self.outcome)  # awaited by the binding
