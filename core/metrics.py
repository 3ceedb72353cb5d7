"""Prometheus metrics for ``GET /metrics`` (``senderdeck serve``), via prometheus_client.

Two kinds of figures, each kept where it can be right however many processes there are:

- **State that lives in the database is read at scrape time** (``DatabaseCollector``): domains
  by status, by reputation bucket and drifted (with each drifted domain's streak), what the
  sweeps found (``sweep_run``: written by ``senderdeck sweep`` from cron, any host), their DNS
  latency, and the rows imports counted (``import_cursor``, ``imported_file``). Every
  worker answers the same, and a cron sweep or import on another host shows up at the next
  scrape: nothing to aggregate, nothing lost when a process exits.
- **What the server itself does is counted per process**, in prometheus_client's
  multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, which ``senderdeck serve`` sets up for its
  uvicorn workers): API requests by command and code, tenants' verify outcomes and their
  DNS query latency. Each worker writes its counts to a file there; a scrape, whichever
  worker answers it, sums every file, including those of workers that exited. Without the
  variable (the app built in-process, e.g. by tests) they live in a registry of this process.

Reputation buckets need the figures query over every live domain: at most once per
``FIGURES_TTL`` seconds per process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from typing import Iterator

import peewee

from core import stats
from core.db import database
from core.models import STATUS_DELETED, STATUS_ENABLED, ImportCursor, ImportedFile, SenderDomain, SweepRun, User

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FIGURES_TTL = 60.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SWEEP_OUTCOMES = ("checked", "enabled", "drifted", "recovered", "demoted", "could_not_check")
BUCKETS = ("excellent", "good", "fair", "poor", "none")


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


# ---- per-process counters (the server's own work) ---------------------------------------------


class ServerMetrics:
    """The counters a server process adds to; one per process (``server_metrics()``)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        # In multiprocess mode values go to files whatever the registry; the scrape reads the
        # files, so the metrics are registered nowhere (registering them would export twice).
        self.registry = None if multiprocess_dir() else CollectorRegistry()
        self.requests = Counter(
            "senderdeck_api_requests",
            "API requests answered, by command and the API's code (ok: success)",
            ["command", "code"],
            registry=self.registry,
        )
        self.verifies = Counter(
            "senderdeck_verify_outcomes",
            "Domains verified through the API (user.senderdomain.verify), by the status they were left in and whether every record matched",
            ["status", "verified"],
            registry=self.registry,
        )
        self.dns_latency = Histogram(
            "senderdeck_verify_dns_query_duration_seconds",
            "Latency of each DNS query the API's verifies sent",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def request(self, command: str, body: dict) -> None:
        errors = body.get("Errors") if isinstance(body, dict) else None
        code = str(errors[0].get("Code")) if errors and isinstance(errors[0], dict) else "ok"
        self.requests.labels(command, code).inc()

    # core.verifying.VerifyObserver
    def verify_outcome(self, status: str, verified: bool) -> None:
        self.verifies.labels(status, "true" if verified else "false").inc()

    def observe_dns(self, seconds: float) -> None:
        self.dns_latency.observe(seconds)


_server_metrics: ServerMetrics | None = None
_lock = threading.Lock()


def server_metrics() -> ServerMetrics:
    global _server_metrics
    with _lock:
        if _server_metrics is None:
            _server_metrics = ServerMetrics()
        return _server_metrics


class ServiceObserver:
    """Adapts ``ServerMetrics`` to the service's ``VerifyObserver``."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self.metrics = metrics

    def verify_outcome(self, status: str, verified: bool) -> None:
        self.metrics.verify_outcome(status, verified)

    def dns_latency(self, seconds: float) -> None:
        self.metrics.observe_dns(seconds)


# ---- state read from the database at scrape time ----------------------------------------------


class DatabaseCollector:
    """A prometheus_client collector that reads the database on every scrape."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self._figures: tuple[float, dict[str, int]] | None = None

    def describe(self):
        return []  # no describe-time queries: register without touching the database

    def collect(self) -> Iterator:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        S = SenderDomain
        by_status = GaugeMetricFamily("senderdeck_domains", "Live sender domains by status", labels=["status"])
        counts = dict(S.select(S.status, peewee.fn.COUNT(S.id)).where((S.status != STATUS_DELETED) & (S.id > 0)).group_by(S.status).tuples())
        for status in ("Enabled", "Approval Pending", "Disabled", "Suspended"):
            by_status.add_metric([status], counts.pop(status, 0))
        for status, count in counts.items():
            by_status.add_metric([str(status)], count)
        yield by_status

        by_bucket = GaugeMetricFamily(
            "senderdeck_domains_by_reputation", "Live sender domains by 30-day reputation bucket (none: no volume)", labels=["bucket"]
        )
        for bucket, count in self._buckets().items():
            by_bucket.add_metric([bucket], count)
        yield by_bucket

        drifted_rows = list(
            S.select(S.domain, User.name, S.drift_streak, S.drift_since)
            .join(User)
            .where((S.status == STATUS_ENABLED) & S.drift_since.is_null(False))
            .order_by(S.domain)
            .tuples()
        )
        yield GaugeMetricFamily(
            "senderdeck_domains_drifted", "Enabled domains a sweep found with a record no longer matching", value=len(drifted_rows)
        )
        streak = GaugeMetricFamily(
            "senderdeck_domain_drift_streak",
            "Each drifted domain: sweeps at least 24 h apart that found it drifted",
            labels=["domain", "user"],
        )
        for domain, user, count, _since in drifted_rows:
            streak.add_metric([domain, user], count or 0)
        yield streak

        yield from self._sweeps(CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily)
        yield from self._imports(CounterMetricFamily)

    def _buckets(self) -> dict[str, int]:
        now = time.monotonic()
        if self._figures is not None and now - self._figures[0] < FIGURES_TTL:
            return self._figures[1]
        S = SenderDomain
        live = S.select(S.id).where((S.status != STATUS_DELETED) & (S.id > 0))
        total = live.count()
        figures = stats.figures_for(live, self.clock.now().date())
        out = dict.fromkeys(BUCKETS, 0)
        for f in figures.values():
            out[f.reputation_bucket or "none"] += 1
        out["none"] += total - len(figures)
        self._figures = (now, out)
        return out

    def _sweeps(self, Counter, Gauge, Histogram) -> Iterator:
        R = SweepRun
        finished = R.finished_at.is_null(False)
        sums = R.select(
            peewee.fn.COUNT(R.id),
            *(peewee.fn.COALESCE(peewee.fn.SUM(getattr(R, name)), 0) for name in SWEEP_OUTCOMES),
            peewee.fn.COALESCE(peewee.fn.SUM(R.queries), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(R.dns_seconds), 0),
        ).where(finished).tuples().first()
        runs, *outcome_sums, queries, seconds = sums
        yield Counter("senderdeck_sweep_runs", "Sweeps that finished (senderdeck sweep)", value=runs)
        domains = Counter("senderdeck_sweep_domains", "Domains sweeps checked, and what they found", labels=["outcome"])
        for name, value in zip(SWEEP_OUTCOMES, outcome_sums):
            domains.add_metric([name], value)
        yield domains
        last = R.select().where(finished).order_by(R.finished_at.desc(), R.id.desc()).first()
        yield Gauge(
            "senderdeck_sweep_last_finished_timestamp_seconds",
            "When the last sweep finished (Unix time; 0: never)",
            value=last.finished_at.replace(tzinfo=dt.timezone.utc).timestamp() if last else 0,
        )
        yield Gauge(
            "senderdeck_sweep_last_platform_problems",
            "Platform records (return-path, tracking, SPF include, DMARC report authorisation) the last sweep found broken",
            value=last.platform_problems if last else 0,
        )
        buckets = dict.fromkeys([f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"], 0)
        for (stored,) in R.select(R.dns_buckets).where(finished & R.dns_buckets.is_null(False)).tuples():
            data = stored if isinstance(stored, dict) else json.loads(stored)
            for key, value in data.items():
                if key in buckets:
                    buckets[key] += int(value)
        cumulative, running = [], 0
        for key, value in buckets.items():
            running += value
            cumulative.append((key, running))
        yield Histogram(
            "senderdeck_sweep_dns_query_duration_seconds",
            "Latency of each DNS query sweeps sent",
            buckets=cumulative,
            sum_value=float(seconds),
        )
        yield Counter("senderdeck_sweep_dns_queries", "DNS queries sweeps sent", value=queries)

    def _imports(self, Counter) -> Iterator:
        rows = Counter(
            "senderdeck_import_rows", "Rows read from imported files and rows counted into the figures, by kind", labels=["kind", "stage"]
        )
        totals: dict[tuple[str, str], int] = {}
        for model in (ImportCursor, ImportedFile):
            query = model.select(
                model.kind, peewee.fn.COALESCE(peewee.fn.SUM(model.rows_read), 0), peewee.fn.COALESCE(peewee.fn.SUM(model.rows_imported), 0)
            ).group_by(model.kind)
            for kind, read, imported in query.tuples():
                totals[(kind, "read")] = totals.get((kind, "read"), 0) + int(read)
                totals[(kind, "imported")] = totals.get((kind, "imported"), 0) + int(imported)
        for kind in ("pmta", "csv"):
            for stage in ("read", "imported"):
                totals.setdefault((kind, stage), 0)
        for (kind, stage), value in sorted(totals.items()):
            rows.add_metric([kind, stage], value)
        yield rows


# ---- the exposition ----------------------------------------------------------------------------


class Exposition:
    """Builds the ``/metrics`` text: the per-process counters (summed over every worker in
    multiprocess mode) and the database's state."""

    def __init__(self, clock) -> None:
        from prometheus_client import CollectorRegistry

        self.metrics = server_metrics()
        self.registry = CollectorRegistry(auto_describe=False)
        directory = multiprocess_dir()
        if directory:
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(self.registry, path=directory)
        else:
            self.registry.register(_RegistryCollector(self.metrics.registry))
        self.registry.register(DatabaseCollector(clock))
        self._lock = threading.Lock()

    def render(self) -> tuple[bytes, str]:
        """(body, content type); runs database queries: call it off the event loop."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        with self._lock:  # one scrape at a time per process: the figures memo is shared
            try:
                body = generate_latest(self.registry)
            finally:
                if database.obj is not None and not database.is_closed():
                    database.close()
        return body, CONTENT_TYPE_LATEST


class _RegistryCollector:
    """Another registry's metrics, collected into this one."""

    def __init__(self, registry) -> None:
        self.inner = registry

    def describe(self):
        return []

    def collect(self):
        return self.inner.collect()
