"""Attribution: which sender domain a name from a log belongs to.

A log names a domain in a From header or an envelope sender; ``Attribution.resolve`` maps
it to a sender domain id (or says it is unknown, or not a domain at all), remembering the
answers so a busy file resolves each distinct name once.
"""

from __future__ import annotations

import re

from core.errors import ApiError
from core.models import STATUS_DELETED, STATUS_ENABLED, SenderDomain
from core.validation import normalize_domain

MAX_CACHE = 200_000  # resolved sender strings kept

_DOMAIN_CHARS = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


class DomainResolver:
    """Maps a name from a log (a From or envelope-sender domain) to a sender domain id.

    A name matches a sender domain exactly, or as its MFROM / return-path host
    ``<CustomSubdomain or settings.mfrom_subdomain>.<domain>`` (and, for logs written before
    a CustomSubdomain change, ``<settings.mfrom_subdomain>.<domain>``). When several users
    have the same domain, the Enabled one wins (it is the one mail is sent from), then the
    oldest; deleted domains only when nothing else matches.
    """

    def __init__(self, mfrom_default: str) -> None:
        exact: dict[str, tuple] = {}
        mfrom: dict[str, tuple] = {}
        fallback: dict[str, tuple] = {}
        rows = SenderDomain.select(SenderDomain.id, SenderDomain.domain, SenderDomain.status, SenderDomain.options).where(
            SenderDomain.id > 0
        ).tuples()
        for domain_id, name, status, options in rows:
            rank = (0 if status == STATUS_ENABLED else 2 if status == STATUS_DELETED else 1, domain_id)
            sub = (options or {}).get("CustomSubdomain") or mfrom_default
            for table, key in ((exact, name), (mfrom, f"{sub.lower()}.{name}"), (fallback, f"{mfrom_default}.{name}")):
                if key not in table or rank < table[key]:
                    table[key] = rank
        self._map: dict[str, int] = {k: v[1] for k, v in fallback.items()}
        self._map.update({k: v[1] for k, v in mfrom.items()})
        self._map.update({k: v[1] for k, v in exact.items()})

    def lookup(self, ascii_name: str) -> int | None:
        return self._map.get(ascii_name)


class Attribution:
    """Resolves names from a log, with a bounded memory of the answers.

    ``cache`` maps a raw text (a domain, or a whole From value when a parser stores it
    there) to its answer; parsers may read it inline on their hot path."""

    def __init__(self, resolver: DomainResolver) -> None:
        self.resolver = resolver
        self.cache: dict[str, int | str | None] = {}

    def resolve(self, sender: str) -> int | str | None:
        """A sender domain id for a domain text; a str (the ASCII name) when unknown; None when no domain."""
        hit = self.cache.get(sender, False)
        if hit is not False:
            return hit
        name = normalize_name(sender)
        result = None if name is None else (self.resolver.lookup(name) or name)
        self.remember(sender, result)
        return result

    def remember(self, text: str, result: int | str | None) -> None:
        if len(self.cache) >= MAX_CACHE:
            self.cache.clear()
        self.cache[text] = result


def normalize_name(text: str) -> str | None:
    """A domain from a log as stored (ASCII, lower case, no trailing dot), or None."""
    name = text.strip().rstrip(".").lower()
    if not name:
        return None
    if not name.isascii():
        try:
            name = normalize_domain(name)
        except (ApiError, UnicodeError, ValueError):
            return None
    if len(name) > 253 or "." not in name or ".." in name or not _DOMAIN_CHARS.match(name):
        return None
    return name


def address_domain(value: str) -> str:
    """The domain part of an address or a From header (``"Name" <a@b.example>``)."""
    if "<" in value:
        start = value.rfind("<")
        end = value.find(">", start)
        value = value[start + 1 : end if end >= 0 else None]
    return value.rpartition("@")[2]
