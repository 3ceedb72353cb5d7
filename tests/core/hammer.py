"""Worker processes for the concurrency tests: each opens its own database connection and
cache (as a second ``senderdeck`` on another host would), waits at a barrier so they all
start together, does its share of work and reports what it did — or its traceback.

Functions here are module-level so ``multiprocessing``'s spawn start method can import them.
"""

from __future__ import annotations

import multiprocessing
import traceback
from typing import Any, Callable

SPAWN = multiprocessing.get_context("spawn")


def run_workers(target: Callable | None, jobs: list[tuple], timeout: float = 180.0) -> list[Any]:
    """Start one process per job, all at once; their results in job order.

    With a ``target``, each job is its arguments; with ``target=None`` each job is
    ``(function, *arguments)``. Every function is called as ``function(*arguments, barrier)``.
    """
    calls = [(target, job) if target is not None else (job[0], job[1:]) for job in jobs]
    barrier = SPAWN.Barrier(len(calls))
    queue = SPAWN.Queue()
    procs = [SPAWN.Process(target=_guarded, args=(fn, i, args, barrier, queue)) for i, (fn, args) in enumerate(calls)]
    for proc in procs:
        proc.start()
    results: dict[int, Any] = {}
    try:
        for _ in procs:
            index, ok, value = queue.get(timeout=timeout)
            if not ok:
                raise AssertionError(f"worker {index} failed:\n{value}")
            results[index] = value
    finally:
        for proc in procs:
            proc.join(timeout=timeout)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return [results[i] for i in range(len(calls))]


def _guarded(target: Callable, index: int, job: tuple, barrier, queue) -> None:
    try:
        queue.put((index, True, target(*job, barrier)))
    except BaseException:
        queue.put((index, False, traceback.format_exc()))


def _open(database: str, cache_url: str, clock=None):
    from core.clock import SystemClock
    from core.context import build_context
    from tests.conftest import shared_dkim_key

    return build_context(_settings(database, cache_url), clock=clock or SystemClock(), keygen=shared_dkim_key)


def _settings(database: str, cache_url: str, nameservers: list[str] | None = None):
    from core.settings import Settings

    settings = Settings(database=database, cache_url=cache_url, nameservers=nameservers or ["127.0.0.1:1"])
    settings.dns.timeout, settings.dns.deadline, settings.dns.retries = 0.5, 5.0, 1
    return settings


# ---- rate limits ---------------------------------------------------------------------------


def rate_hits(database: str, cache_url: str, key: str, hits: int, limit: int, barrier) -> int:
    """How many of ``hits`` the shared limiter allowed."""
    import datetime as dt

    from core.clock import FixedClock

    ctx = _open(database, cache_url, FixedClock(dt.datetime(2026, 5, 23, 9, 11)))
    try:
        barrier.wait()
        return sum(1 for _ in range(hits) if ctx.limiter.hit(key, limit, 3600.0) is None)
    finally:
        ctx.close()


# ---- verify, edit, import on one domain ----------------------------------------------------


def verifier(database: str, cache_url: str, nameserver: str, user_id: int, domain_id: int, rounds: int, barrier) -> dict:
    """Verify the domain ``rounds`` times; the probe cache is bypassed so every call writes."""
    import asyncio

    from core.clock import SystemClock
    from core.context import build_context
    from core.models import User
    from core.service import probe_cache_key
    from tests.conftest import shared_dkim_key

    ctx = build_context(_settings(database, cache_url, [nameserver]), clock=SystemClock(), keygen=shared_dkim_key)
    try:
        user = User.get_by_id(user_id)
        barrier.wait()
        statuses = []
        started = None
        for _ in range(rounds):
            ctx.cache.delete(probe_cache_key(domain_id))
            started = ctx.clock.now()
            outcome = asyncio.run(ctx.service.verify_domain(user, domain_id))
            statuses.append(outcome.status)
        return {"statuses": statuses, "last_started": started.isoformat()}
    finally:
        ctx.close()


def editor(database: str, cache_url: str, user_id: int, domain_id: int, flag: str, rounds: int, barrier) -> dict:
    """Toggle one tracking flag ``rounds`` times (an edit that does not touch DNS)."""
    from core.models import User

    ctx = _open(database, cache_url)
    try:
        user = User.get_by_id(user_id)
        barrier.wait()
        value = 0
        statuses = []
        for i in range(rounds):
            value = i % 2
            view, regenerated = ctx.service.update_domain(user, domain_id, {flag: value})
            assert not regenerated
            statuses.append(view.status)
        return {"last": value, "statuses": statuses}
    finally:
        ctx.close()


def importer(database: str, cache_url: str, paths: list[str], barrier) -> list[tuple[str, str, int, str | None]]:
    """Import each daily CSV; (path, status, rows imported, error) per file."""
    from core.importers import import_file

    ctx = _open(database, cache_url)
    try:
        barrier.wait()
        done = []
        for path in paths:
            summary = import_file(path, "csv", settings=ctx.settings, clock=ctx.clock)
            done.append((path, summary.status, summary.rows_imported, summary.error))
        return done
    finally:
        ctx.close()


def creator(database: str, cache_url: str, user_id: int, names: list[str], barrier) -> list[tuple[str, int | None, int | None]]:
    """Create each name for the user; report (name, DomainID or None, error code or None)."""
    from core.errors import ApiError
    from core.models import User

    ctx = _open(database, cache_url)
    try:
        user = User.get_by_id(user_id)
        barrier.wait()
        done = []
        for name in names:
            try:
                done.append((name, ctx.service.create_domain(user, {"SenderDomain": name}).id, None))
            except ApiError as exc:
                done.append((name, None, exc.code))
        return done
    finally:
        ctx.close()


def pmta_importer(database: str, cache_url: str, paths: list[str], barrier) -> list[tuple[str, str, int, str | None]]:
    """Import each PowerMTA file; (path, status, rows read, error or note) per file."""
    from core.importers import import_file

    ctx = _open(database, cache_url)
    try:
        barrier.wait()
        done = []
        for path in paths:
            summary = import_file(path, "pmta", settings=ctx.settings, clock=ctx.clock)
            done.append((path, summary.status, summary.rows_read, summary.error or summary.note))
        return done
    finally:
        ctx.close()
