"""The keys of a modal, on its last line: ``ctrl+s save · esc cancel · tab next field``.

Built from the modal's own BINDINGS (those shown in a footer), so a key added there shows
up here; ``extra`` adds keys that belong to widgets (tab between fields, enter in a field).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static


class KeyHints(Static):
    DEFAULT_CSS = """
    KeyHints {
        height: 1;
        color: $text-muted;
    }
    """

    def __init__(self, *extra: tuple[str, str], id: str | None = None, from_bindings: bool = True) -> None:
        """``from_bindings`` False: only ``extra`` (a question whose buttons say more than its
        bindings' "Yes" and "No")."""
        super().__init__(id=id)
        self.extra = extra
        self.from_bindings = from_bindings

    def on_mount(self) -> None:
        self.update(self.hints())

    def hints(self) -> Content:
        app = self.app
        pairs: list[tuple[str, str]] = []
        seen: set[str] = set()
        for binding in self.screen.BINDINGS if self.from_bindings else ():
            if not isinstance(binding, Binding) or not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys = "/".join(app.get_key_display(Binding(key, binding.action)) for key in binding.key.split(","))
            pairs.append((keys, binding.description.lower()))
        pairs += list(self.extra)
        parts: list[Content | tuple[str, str] | str] = []
        for n, (keys, what) in enumerate(pairs):
            if n:
                parts.append(("  ·  ", "dim"))
            parts += [(keys, "bold"), " ", what]
        return Content.assemble(*parts)
