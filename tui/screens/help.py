"""Every key of the screen underneath, the app's keys and the command palette, in one list.

Built from the BINDINGS themselves (never a hand-kept copy), so a new binding shows up here
by being declared.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def words_of(class_name: str) -> str:
    """A class name as a title a person reads: ``DomainDetailScreen`` -> "Domain detail"."""
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", class_name)
    while len(words) > 1 and words[-1] in ("Screen", "Modal"):
        words.pop()
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else class_name


def _key_names(app, bindings: list[Binding]) -> str:
    return ", ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help.close")]
    AUTO_FOCUS = "#help-body"

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys", id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._help_content(), id="help-keys")
            yield Static("escape closes · ctrl+p opens the command palette", id="help-hint")

    def action_close(self):
        return self.dismiss()  # awaited by the binding: the keys after escape are the screen's below

    def _underneath(self) -> Screen | None:
        stack = self.app.screen_stack
        for screen in reversed(stack):
            if screen is not self:
                return screen
        return None

    def _sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        sections: list[tuple[str, list[tuple[str, str]]]] = []
        screen = self._underneath()
        if screen is not None:
            title = getattr(screen, "HELP_TITLE", None) or words_of(type(screen).__name__)
            sections.append((title, self._rows(screen.BINDINGS)))
            for widget_class in getattr(screen, "HELP_WIDGETS", ()):
                title = getattr(widget_class, "HELP_TITLE", None) or words_of(widget_class.__name__)
                sections.append((title, self._rows(widget_class.BINDINGS)))
            # What a screen explains besides its keys (the list: its columns and filter words).
            sections += list(getattr(screen, "HELP_NOTES", ()))
        sections.append(
            (
                "Everywhere",
                self._rows(type(self.app).BINDINGS)
                + [("ctrl+p", "Command palette: actions, and open a domain by name"), ("tab", "Next field or panel")],
            )
        )
        return [(title, rows) for title, rows in sections if rows]

    def _rows(self, bindings) -> list[tuple[str, str]]:
        by_action: dict[tuple[str, str], list[Binding]] = {}
        for binding in BindingsMap(bindings).key_to_bindings.values():
            for b in binding:
                label = b.tooltip or b.description or b.action
                by_action.setdefault((b.action, label), []).append(b)
        return [(_key_names(self.app, group), label) for (_, label), group in by_action.items()]

    def _help_content(self) -> Content:
        lines: list[Content] = []
        for title, rows in self._sections():
            if lines:
                lines.append(Content(""))
            lines.append(Content.styled(title, "bold $text-accent"))
            width = max(len(keys) for keys, _ in rows)
            for keys, label in rows:
                lines.append(Content.assemble((f"  {keys:<{width}}", "bold"), "  ", label))
        return Content("\n").join(lines)
