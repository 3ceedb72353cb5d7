"""What the domain list shows instead of the table when there are no domains at all."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

WELCOME = Content.assemble(
    ("No sender domains yet.\n\n", "bold"),
    "Press ",
    (" n ", "reverse"),
    " to add your first domain and see the DNS records to publish,\n",
    "or load demo data from a shell:  ",
    ("senderdeck demo", "bold"),
    "\n\n",
    ("? lists every key · q quits", "dim"),
)


class EmptyList(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(WELCOME, id=id)
