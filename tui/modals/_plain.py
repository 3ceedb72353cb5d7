"""``plain`` for the modals and screens: the shared helper when present, a local fallback until then."""

from __future__ import annotations

try:
    from tui.text import plain  # noqa: F401
except ImportError:  # pragma: no cover - until tui/text.py lands
    from textual.content import Content

    from core.validation import strip_control

    def plain(value: object) -> Content:
        return Content(strip_control("" if value is None else str(value)))
