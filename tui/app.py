"""The Textual app: small on purpose. Screens do the work; this wires in the services.

``make_app`` is the one factory the CLI and the tests share: the engine context, the tenant
shown (None: every tenant's domains, the operator's view) and the clock are handed in, never
looked up from globals. Screens reach them as ``app.ctx``, ``app.acting`` (whose domains,
and every change as the operator: tui/acting.py) and ``app.clock``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.keys import _character_to_key
from textual.screen import Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from core.clock import Clock
from core.errors import ApiError
from tui import ui_state
from tui.clipboard import clipboard_blocked
from tui.modals.copy_text import CopyTextModal
from tui.palette import SenderdeckCommands
from tui.screens.domain_list import DomainListScreen
from tui.screens.help import HelpScreen
from tui.acting import Acting
from tui.text import clean
from tui.ui_state import UiState
from tui.widgets.context_bar import Place, place, terminal_title

DEFAULT_THEME = "textual-dark"
SAVE_TITLE, RESTORE_TITLE = "\x1b[22;0t", "\x1b[23;0t"
NOT_CHECKED = object()


def escape_then_key(event: events.Key) -> tuple[events.Key, events.Key] | None:
    """Escape and a letter read as one Alt key (alt+v), as the two keys they were.

    A terminal sends Alt+v as escape then v; tmux (its escape-time) and a burst over SSH join
    an escape and the key typed right after it the same way, so "escape v" (clear the marks,
    then verify) would do nothing. senderdeck binds no Alt key: an unbound one is split.
    """
    if not event.key.startswith("alt+"):
        return None
    rest = event.key.removeprefix("alt+")
    char = event.character or (rest.removeprefix("shift+").upper() if rest.startswith("shift+") else rest)
    if len(char) != 1 or not char.isprintable():
        return None
    return events.Key("escape", "\x1b"), events.Key(_character_to_key(char), char)


class SenderdeckApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "senderdeck"
    COMMANDS = App.COMMANDS | {SenderdeckCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Quit senderdeck", id="app.quit"),
        # Priority: modals (the forms) pass only priority bindings on. A text field keeps ? for
        # itself (Textual leaves keys a focused Input takes out of the chain); f1 works anywhere.
        Binding("question_mark,f1", "help", "Help", tooltip="Every key of this screen", priority=True, id="app.help"),
    ]

    def __init__(
        self,
        ctx,
        user,
        *,
        clock: Clock | None = None,
        theme: str | None = None,
        cursor_blink: bool = True,
        watch: bool = False,
        database_label: str | None = None,
        state_path: Path | None = None,
        actor: str | None = None,
    ) -> None:
        """``actor``: the operator's name in the domains' history (None: the OS user).
        ``database_label``: the database as the header shows it (None: from the settings;
        the screenshots and snapshot tests fix it, their databases live in temp paths).
        ``state_path``: where the theme and the sort are remembered (None: nowhere)."""
        super().__init__()
        self.ctx = ctx
        self.service = ctx.service
        self.user = user
        self.clock = clock or ctx.clock
        self.cursor_blink = cursor_blink
        self.start_watching = watch
        self.state_path = state_path
        self.ui_state = UiState.load(state_path)
        remembered = self.ui_state.theme if self.ui_state.theme in self.available_themes else None
        self.theme = theme or remembered or DEFAULT_THEME
        self.acting = Acting(ctx.service, user, actor)
        self.sub_title = clean(getattr(user, "name", ""))
        # user None: every tenant's domains (the header and the terminal title say "all tenants").
        self.all_tenants = user is None
        self.database_label = database_label
        self.terminal_title = ""
        self._clipboard_blocked: str | None | object = NOT_CHECKED  # looked up on the first copy
        self._title_saved = False

    @property
    def place(self) -> Place:
        """The database, the tenant and demo mode, as the header and the title show them."""
        where = place(self)
        return replace(where, database=self.database_label) if self.database_label else where

    def show_title(self, screen: str | None = None) -> None:
        """Set the terminal's title (``screen``: what is open, e.g. a domain's name)."""
        title = terminal_title(self.place, screen)
        if title == self.terminal_title:
            return
        self.terminal_title = title
        driver = self._driver
        if driver is None:
            return
        if not self._title_saved:
            driver.write(SAVE_TITLE)  # xterm's title stack: the shell's title comes back on quit
            self._title_saved = True
        driver.write(f"\x1b]2;{title}\x07")

    def watch_theme(self, theme: str) -> None:
        if theme != self.ui_state.theme and self.state_path is not None:
            self.ui_state.theme = theme
            self.ui_state.save(self.state_path)

    def remember_sort(self, key: str, reverse: bool) -> None:
        """The list's sort, for the next start."""
        if (key, reverse) != (self.ui_state.sort_key, self.ui_state.sort_reverse) and self.state_path is not None:
            self.ui_state.sort_key, self.ui_state.sort_reverse = key, reverse
            self.ui_state.save(self.state_path)

    def on_unmount(self) -> None:
        if self._title_saved and self._driver is not None:
            self._driver.write(RESTORE_TITLE)

    def on_mount(self) -> None:
        # Pushed rather than returned from get_default_screen(): Textual loads a screen's
        # CSS_PATH only for screens it pushes or switches to.
        first = self.first_screen()
        if first is not None:
            self.push_screen(first)

    def first_screen(self) -> Screen | None:
        """The screen the app opens on: the domain list."""
        return DomainListScreen(watch=self.start_watching)

    async def on_event(self, event: events.Event) -> None:
        """Keys act in the order they came, even in a burst (a paste, or SSH delivering
        several at once).

        Textual hands a key to the focused widget and resolves its bindings only after it
        has bubbled back up; by then the next keys of a burst have been handed to the same
        widget, so ``n`` then ``acme.com`` typed at once loses letters to the list, and
        ``enter escape`` leaves the escape with the list. Resolving bindings here, one key
        at a time, with actions that await the screen they open or close (and screens that
        focus their first field as they are composed, AUTO_FOCUS), sends every key after a
        screen change to the new screen. Keys a text field takes (letters into an Input) are
        left out of the binding chain by Textual and still go to the field.
        """
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.app_focus = True
            if await self._check_bindings(event.key, priority=True) or await self._check_bindings(event.key):
                return
            if (keys := escape_then_key(event)) is not None:
                for key in keys:
                    await self.on_event(key)
                return
            target = self.focused
            if isinstance(target, Input) and event.is_printable and event.character:
                # Typed into the field now, as Input does on its own key event, so the next
                # key's binding sees it (``/promo`` then ``enter d``: d acts on the match).
                selection = target.selection
                if selection.is_empty:
                    target.insert_text_at_cursor(event.character)
                else:
                    target.replace(event.character, *selection)
                return
        await super().on_event(event)

    def action_help(self):
        if isinstance(self.screen, HelpScreen):
            return self.screen.dismiss()  # ? again closes it
        return self.push_screen(HelpScreen())  # awaited by the binding: keys after ? go to help

    def copy_text(self, text: str, what: str):
        """Copy ``text`` (``what`` it is, for the message) through the terminal; when that may
        not reach the clipboard (tui/clipboard.py), show it to select by hand instead."""
        if self._clipboard_blocked is NOT_CHECKED:
            self._clipboard_blocked = clipboard_blocked()
        self.copy_to_clipboard(text)
        why = self._clipboard_blocked
        if why:
            return self.push_screen(CopyTextModal(f"Copy {what}", text, why))  # awaited by the binding
        self.notify(clean(f"Copied {what} to the clipboard"), title="Copied", markup=False)
        return None

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Deterministic screenshots: no blinking cursors when the factory asked for none.
        if not self.cursor_blink and isinstance(event.widget, (Input, TextArea)):
            event.widget.cursor_blink = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Failures of the app's own workers become a notification.

        ``Worker.StateChanged`` does not bubble, so each screen handles its own workers (the
        list screen through ``notify_error`` below); workers run with ``exit_on_error=False``,
        so a failure never crashes the app.
        """
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.notify_error(event.worker.error)

    def notify_error(self, error: BaseException, title: str = "Error") -> None:
        if isinstance(error, ApiError):
            message = error.message
        elif isinstance(error, NotImplementedError):
            message = f"Not available yet: {error}"
        else:
            message = f"{type(error).__name__}: {error}"
        self.notify(clean(message), title=title, severity="error", markup=False)


def make_app(
    ctx,
    user,
    *,
    clock: Clock | None = None,
    theme: str | None = None,
    cursor_blink: bool = True,
    watch: bool = False,
    database_label: str | None = None,
    state_path: Path | None = None,
    actor: str | None = None,
) -> SenderdeckApp:
    """Build the app from injected services (the CLI and the tests both call this)."""
    return SenderdeckApp(
        ctx,
        user,
        clock=clock,
        theme=theme,
        cursor_blink=cursor_blink,
        watch=watch,
        database_label=database_label,
        state_path=state_path,
        actor=actor,
    )


def run_app(ctx, user, *, watch: bool = False) -> int:
    """Run the app until it quits (``watch``: the list opens with watch mode on). The theme
    and the sort are remembered in the XDG state directory (tui/ui_state.py)."""
    app = make_app(ctx, user, watch=watch, state_path=ui_state.default_path())
    app.run()
    return app.return_code or 0
