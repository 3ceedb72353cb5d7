"""The top line of every screen: where am I? The database (password masked, home as ``~``),
whose domains these are (a user's name, or "all tenants" when the list shows every
tenant's), and a DEMO badge in demo mode.

``place(app)`` reads those from the app; ``terminal_title`` says the same in the terminal's
title. Every part is cleaned of control characters and shown as plain text, never markup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

from core.db import redact_url
from tui.text import clean

ALL_TENANTS = "all tenants"


@dataclass(frozen=True)
class Place:
    database: str  # redacted, for a person to read
    tenant: str | None  # the user whose domains are listed; None: every tenant's
    demo: bool

    @property
    def who(self) -> str:
        return ALL_TENANTS if self.tenant is None else self.tenant


def database_label(url: str, home: str | None = None) -> str:
    """``url`` as a person reads it: the password masked; a SQLite file as its path, the home
    directory as ``~``."""
    shown = redact_url(url or "")
    if shown.startswith("sqlite:///"):
        path = shown[len("sqlite:///") :]  # sqlite:///relative.db, sqlite:////absolute/path.db
        home = os.path.expanduser("~") if home is None else home
        if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
            path = "~" + path[len(home.rstrip("/")) :]
        return clean(path)
    return clean(shown)


def place(app) -> Place:
    """Where ``app`` is: its database, its tenant (``app.all_tenants``: every tenant's), demo mode."""
    settings = app.ctx.settings
    user = getattr(app, "user", None)
    every = bool(getattr(app, "all_tenants", False)) or user is None
    return Place(database_label(settings.database), None if every else clean(user.name), bool(settings.demo))


def terminal_title(where: Place, screen: str | None = None) -> str:
    """The terminal's title: ``senderdeck — shop.example — alice @ ~/demo.db [DEMO]``."""
    parts = ["senderdeck"]
    if screen:
        parts.append(clean(screen))
    parts.append(f"{where.who} @ {where.database}")
    title = " — ".join(parts)
    return f"{title} [DEMO]" if where.demo else title


def _middle_cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, its middle replaced by an ellipsis (the file name
    at the end of a path is what tells databases apart)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    head, tail = keep // 3, keep - keep // 3
    return text[:head] + "…" + text[len(text) - tail :]


def fit_database(label: str, width: int) -> str:
    """The database label in ``width`` cells: whole if it fits, else without the URL's user
    (``postgresql://db.internal:5432/senderdeck``), else cut in the middle."""
    if cell_len(label) <= width:
        return label
    scheme, sep, rest = label.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        label = f"{scheme}://{rest.split('@', 1)[1]}"
    return _middle_cut(label, width)


class ContextBar(Static):
    """One line: senderdeck · database · whose domains · DEMO."""

    DEFAULT_CSS = """
    ContextBar {
        height: 1;
        padding: 0 1;
        background: $boost;
        color: $text-muted;
    }
    """

    def __init__(self, where: Place, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.where = where

    def on_mount(self) -> None:
        self._paint()

    def on_resize(self) -> None:
        self._paint()

    def show(self, where: Place) -> None:
        self.where = where
        self._paint()

    def _paint(self) -> None:
        where = self.where
        width = self.content_region.width or (self.app.size.width - 2)
        demo = Content.styled(" DEMO ", "bold reverse $text-warning") if where.demo else Content("")
        if where.tenant is None:
            who = Content.styled(ALL_TENANTS, "bold")
        else:
            who = Content.assemble(("user ", "dim"), (where.tenant, "bold"))
        app_name = Content.styled("senderdeck", "bold $text-accent")
        fixed = app_name.cell_length + who.cell_length + demo.cell_length + 2 * 3 + (1 if where.demo else 0)
        database = fit_database(where.database, max(8, width - fixed))
        line = Content.assemble(app_name, "   ", Content(database), "   ", who)
        if where.demo:
            line = Content.assemble(line, "  ", demo)
        self.update(line)
