"""Untrusted text, made safe to show.

Everything that comes from DNS, the database or an imported file goes through ``plain``
before it reaches a widget: control and invisible formatting characters (bidi overrides,
zero-width, escape sequences) are stripped, and the result is a ``Content`` that is never
parsed as markup, so ``[/x]`` or ``[bold]`` is shown literally instead of crashing or styling.
"""

from __future__ import annotations

import datetime as dt

from textual.content import Content

from core.validation import strip_control

__all__ = ["plain", "clean", "ago", "count"]


def clean(value: object) -> str:
    """``value`` as a str with control/invisible characters removed ("" for None)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Tabs and newlines are control characters too: a cell or a label is one line.
    return strip_control(text)


def plain(value: object, style: str = "") -> Content:
    """A ``Content`` showing ``value`` literally (never markup), optionally in one style."""
    text = clean(value)
    return Content.styled(text, style) if style else Content(text)


def ago(then: "dt.datetime | None", now: "dt.datetime") -> str:
    """How long ago ``then`` was, compactly: "just now", "3m ago", "5h ago", "12d ago", "never"."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"  # also a little in the future: clocks on two hosts disagree
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h ago"
    return f"{hours // 24}d ago"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 domain``, ``2 domains``, ``10,000 domains``."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
