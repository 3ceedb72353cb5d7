"""What the domain list's filter line means: free words and ``field:value`` tokens.

    /poor pending user:acme      bare words: anywhere in the row
    /status:pending bucket:poor  tokens: that field only

A **bare word** matches a row when it occurs in any of the row's words: its name (Unicode and
ASCII, with or without accents: ``cafe`` finds ``café-lumière``), its status, its reputation
bucket, its DNS host and its owner. So ``poor`` finds the domains in the poor bucket (and
``poorman.example``), ``pending`` the Approval Pending ones. A **token** narrows to one field:

- ``status:VALUE``: a word of the status starts with VALUE (``status:pend`` is Approval
  Pending, not Suspended; ``status:disabled``);
- ``bucket:VALUE``: the reputation bucket starts with VALUE (``bucket:exc``); ``bucket:none``
  (or ``unscored``) is the domains without a score;
- ``user:VALUE``: the owner's name contains VALUE.

The word ``drift`` (or ``drifted``) on its own is a flag, not a word to look for: it narrows
to the drifted domains (Enabled, and a sweep found a record no longer matching:
``tui/drifted.py``), so ``driftwood.example`` shows for ``drift`` only when it is drifted
(``driftwood`` finds it by name as ever).

Every word and every field must match; several tokens of one field are alternatives
(``status:pending status:disabled``). A token with nothing after the colon yet (``status:``,
as it is being typed) narrows nothing; an unknown field (``foo:bar``) is a plain word. Matching
is case-insensitive and ignores accents. Pure functions: no painting, no app.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FIELDS = ("status", "bucket", "user")
FILTER_HELP = [  # the help screen's "Filter words" section
    ("word", "name (accents optional), status, bucket, host, owner"),
    ("status:pend", "that field only; also bucket:poor, user:NAME"),
    ("drift", "only the drifted domains (DNS changed since Enabled)"),
    ("poor pending", "every word must match"),
]
UNSCORED = ("none", "unscored")
DRIFT_WORDS = frozenset({"drift", "drifted"})  # the drifted flag, never looked for in names


def fold(text: str) -> str:
    """``text`` for matching: case-folded, accents removed (``Café`` and ``cafe`` are one)."""
    folded = text.casefold()
    if folded.isascii():
        return folded  # the common case, and the fast one
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class DomainFilter:
    words: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    drifted: bool = False  # only the drifted domains (the word ``drift``)

    @classmethod
    def parse(cls, text: str) -> "DomainFilter":
        words: list[str] = []
        drifted = False
        fields: dict[str, list[str]] = {name: [] for name in FIELDS}
        for term in fold(text).split():
            name, colon, value = term.partition(":")
            if colon and name in fields:
                if value:
                    fields[name].append(value)
            elif term in DRIFT_WORDS:
                drifted = True
            else:
                words.append(term)
        return cls(tuple(words), tuple(fields["status"]), tuple(fields["bucket"]), tuple(fields["user"]), drifted)

    @property
    def empty(self) -> bool:
        return not (self.words or self.statuses or self.buckets or self.users or self.drifted)

    def matches(self, haystack: str, status: str, bucket: str | None, owner: str, drifted: bool = False) -> bool:
        """``haystack``: the row's folded words; ``status``, ``bucket``, ``owner`` folded;
        ``drifted``: whether the row is drifted."""
        if self.drifted and not drifted:
            return False
        for word in self.words:
            if word not in haystack:
                return False
        # A word of the status starts with it: status:pend is Approval Pending, not Suspended.
        if self.statuses and not any(status.startswith(value) or f" {value}" in status for value in self.statuses):
            return False
        if self.buckets:
            if bucket is None:
                if not any(word.startswith(value) for value in self.buckets for word in UNSCORED):
                    return False
            elif not any(bucket.startswith(value) for value in self.buckets):
                return False
        if self.users and not any(value in owner for value in self.users):
            return False
        return True
