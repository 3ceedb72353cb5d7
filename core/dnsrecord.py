"""One DNS record a sender domain must publish: its host, type, value and verified flag.

VerificationMeta stores the records in the spec's shape, ``{host: [Type, Value]}`` in a
fresh template and ``{host: [Type, Value, flag]}`` once a verify has run (the flag is
``true``, ``false`` or ``null`` for never checked). Everything in ``core`` reads and writes
that shape through this class; ``core.api`` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class DnsRecord:
    host: str  # ASCII, no trailing dot
    type: str
    value: str
    verified: bool | None = None  # None: never checked since the records were (re)generated

    @classmethod
    def from_stored(cls, host: str, stored: Any) -> "DnsRecord":
        """A record from its stored list; a malformed entry reads as an empty, unchecked one."""
        items = list(stored) if isinstance(stored, (list, tuple)) else []
        rtype = str(items[0]) if len(items) > 0 and items[0] is not None else ""
        value = str(items[1]) if len(items) > 1 and items[1] is not None else ""
        flag = items[2] if len(items) > 2 and isinstance(items[2], bool) else None
        return cls(str(host), rtype, value, flag)

    def to_stored(self, *, with_flag: bool = True) -> list:
        """The spec's stored list: ``[Type, Value, flag]``, or ``[Type, Value]`` for a fresh template."""
        return [self.type, self.value, self.verified] if with_flag else [self.type, self.value]


def records_from_stored(stored: Mapping[str, Any] | None) -> list[DnsRecord]:
    """VerificationMeta's ``DNSRecords`` map as records, in their stored order."""
    return [DnsRecord.from_stored(host, entry) for host, entry in (stored or {}).items()]


def records_to_stored(records: Iterable[DnsRecord], *, with_flag: bool = True) -> dict[str, list]:
    return {r.host: r.to_stored(with_flag=with_flag) for r in records}


def all_verified(records: Iterable[DnsRecord]) -> bool:
    """There is at least one record, and every one was verified by the last check."""
    records = list(records)
    return bool(records) and all(r.verified is True for r in records)
