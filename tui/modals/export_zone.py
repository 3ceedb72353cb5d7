"""Export a domain's records as a zone file: ``ExportZoneModal(domain, text)`` asks where
(prefilled ``./<domain>.zone``) and dismisses with the path written, or None.

A file that exists is never replaced silently: the first save says so and a second save
(ctrl+s or enter again, with the same path) replaces it. Writing runs in a thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core.validation import to_unicode
from tui.text import plain
from tui.widgets.key_hints import KeyHints


def default_path(domain: str) -> str:
    return f"./{domain}.zone"


class ExportZoneModal(ModalScreen[Path | None]):
    CSS_PATH = "export_zone.tcss"
    HELP_TITLE = "Export the records"
    AUTO_FOCUS = "#path"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
        Binding("ctrl+s", "save", "Write", id="export.save"),
    ]

    path_input = getters.query_one("#path", Input)
    note = getters.query_one("#note", Static)

    @dataclass
    class Written(Message):
        path: Path

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, domain: str, text: str, *, base: Path | None = None) -> None:
        """``domain``: ASCII (the file's name); ``text``: the zone file; ``base``: where a
        relative path points (default: the working directory)."""
        super().__init__()
        self.domain = domain
        self.text = text
        self.base = base
        self._replace: Path | None = None  # the existing file the user agreed to replace

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(f"Export the records of {to_unicode(self.domain)}"), id="title")
            with Horizontal(classes="field"):
                yield Label("File", classes="label")
                yield Input(default_path(self.domain), id="path", compact=True, select_on_focus=False)
            yield Static("", id="note")
            yield Static("A zone file: $ORIGIN, then one line per record (most DNS hosts import it).", id="about")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Write", id="save", variant="primary", compact=True)
            yield KeyHints(("enter", "write"), id="keys")

    def target(self) -> Path:
        path = Path(self.path_input.value.strip()).expanduser()
        return path if path.is_absolute() else (self.base or Path.cwd()) / path

    def _say(self, text: str, kind: str = "") -> None:
        self.note.update(plain(text))
        self.note.set_classes(kind)

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        self._replace = None
        self._say("")

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if not self.path_input.value.strip():
            self._say("Enter the file to write", "-error")
            return
        path, typed = self.target(), self.path_input.value.strip()
        if path.is_dir():
            self._say(f"{typed} is a directory: add a file name", "-error")
            return
        if path.exists() and self._replace != path:
            self._replace = path
            self._say(f"{typed} exists. Write again (ctrl+s or enter) to replace it, or change the name.", "-warning")
            return
        self._write(path)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _write(self, path: Path) -> None:
        try:
            path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.post_message(self.Failed(f"Could not write {path}: {exc.strerror or exc}"))
            return
        self.post_message(self.Written(path))

    @on(Written)
    def _written(self, message: Written) -> None:
        self.dismiss(message.path)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._replace = None
        self._say(message.text, "-error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self):
        return self.dismiss(None)  # awaited by the binding
