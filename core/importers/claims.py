"""Which files an import is reading right now: leases in ``import_claim``.

Two imports of the same file at once (cron overlapping itself, two hosts on one PostgreSQL)
must not both read it: the first claims it (by the SHA-256 of its first block, so a renamed
or gzipped copy is the same claim), the second waits for the claim to go, then counts only
what the first left, or gives up after ``wait`` seconds and says who holds it. A claim is a
lease, renewed while its import runs: one left by a crashed import lapses after
LEASE_SECONDS (at once when its process is known dead on this host). Correctness does not
rest on claims: each commit checks that no other import moved the file's cursor meanwhile.
Leases run on the wall clock (``time.time``), not the engine's injected clock.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Callable

from peewee import EXCLUDED

from core.db import retry_locked, write_transaction
from core.models import ImportClaim

LEASE_SECONDS = 30.0
RENEW_EVERY = 5.0
POLL_SECONDS = 0.25

WaitFn = Callable[[ImportClaim], None]  # told once when an import starts waiting, with the holder


FOLLOWER = "follow"  # the role a follow loop's claims carry: nobody waits for those


def new_owner(role: str = "import") -> str:
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{secrets.token_hex(4)}:{role}"


def is_follower(owner: str) -> bool:
    return owner.endswith(f":{FOLLOWER}")


def describe(owner: str) -> str:
    """``host:pid:token:role`` as people say it: ``pid 123 on host`` (``the follower …``)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if not pid:
        return owner
    return f"{'the follower ' if is_follower(owner) else ''}pid {pid} on {host}"


def _dead_here(owner: str) -> bool:
    """Whether ``owner`` is a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:200] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Claims:
    """The claims of one importing process (or one follow loop)."""

    def __init__(self, owner: str | None = None, role: str = "import") -> None:
        self.owner = owner or new_owner(role)
        self.held: set[str] = set()
        self._renewed = 0.0

    def try_claim(self, key: str, name: str) -> ImportClaim | None:
        """Claim ``key``; None when claimed, else the live claim of another import."""

        def attempt() -> ImportClaim:
            now = time.time()
            with write_transaction():
                ImportClaim.insert(key=key, owner=self.owner, name=name[:255], expires_at=now + LEASE_SECONDS).on_conflict(
                    conflict_target=[ImportClaim.key],
                    update={
                        ImportClaim.owner: EXCLUDED.owner,
                        ImportClaim.name: EXCLUDED.name,
                        ImportClaim.expires_at: EXCLUDED.expires_at,
                    },
                    where=(ImportClaim.expires_at < now) | (ImportClaim.owner == self.owner),
                ).execute()
                return ImportClaim.get(ImportClaim.key == key)

        holder = retry_locked(attempt)
        if holder.owner == self.owner:
            self.held.add(key)
            self._renewed = time.time()
            return None
        if _dead_here(holder.owner):
            retry_locked(
                lambda: ImportClaim.delete().where((ImportClaim.key == key) & (ImportClaim.owner == holder.owner)).execute()
            )
            return self.try_claim(key, name)
        return holder

    def claim(self, key: str, name: str, wait: float, on_wait: WaitFn | None = None) -> tuple[ImportClaim | None, float]:
        """Claim ``key``, waiting up to ``wait`` seconds for another import to let go.

        Returns (None, seconds waited) once claimed, or (the holder's claim, seconds waited)."""
        started = time.monotonic()
        told = False
        while True:
            holder = self.try_claim(key, name)
            waited = time.monotonic() - started
            if holder is None or waited >= wait or is_follower(holder.owner):
                return holder, waited  # a follower holds its files for good: no use waiting
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            time.sleep(min(POLL_SECONDS, max(0.0, wait - waited)))

    def renew(self, force: bool = False) -> None:
        """Push the held leases' expiry on; cheap to call often (writes every RENEW_EVERY s)."""
        now = time.time()
        if not self.held or (not force and now - self._renewed < RENEW_EVERY):
            return
        self._renewed = now
        keys = list(self.held)

        def write() -> None:
            with write_transaction():
                ImportClaim.update(expires_at=now + LEASE_SECONDS).where(
                    ImportClaim.key.in_(keys) & (ImportClaim.owner == self.owner)
                ).execute()

        retry_locked(write)

    def release(self, key: str) -> None:
        if key not in self.held:
            return
        self.held.discard(key)
        retry_locked(lambda: ImportClaim.delete().where((ImportClaim.key == key) & (ImportClaim.owner == self.owner)).execute())

    def release_all(self) -> None:
        for key in list(self.held):
            self.release(key)
