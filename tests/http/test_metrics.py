"""``GET /metrics`` through a real ``senderdeck serve``: Prometheus's text format, state read
from the database (including what a cron sweep in another process found), and per-process
counters that add up across two uvicorn workers whichever worker answers the scrape."""

from __future__ import annotations

import datetime as dt
import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
from prometheus_client.parser import text_string_to_metric_families

from core import users
from core.clock import SystemClock
from core.localdns import records_zone
from core.models import STATUS_DISABLED, ImportCursor, SenderDomain
from tests.http.conftest import bind, open_engine
from tests.http.serve import SENDERDECK
from tests.http.test_workers import served_by

PLATFORM_ZONE = {
    "rp": [("A", "192.0.2.10")],
    "track": [("A", "192.0.2.11")],
    "spf": [("TXT", "v=spf1 ip4:192.0.2.0/24 -all")],
    "*._report._dmarc": [("TXT", "v=DMARC1")],
}


def scrape(server) -> dict[tuple[str, tuple], float]:
    response = httpx.get(server.url("/metrics"), trust_env=False, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def fresh_connections(urls, headers=None, clients=8):
    def one(url):
        with httpx.Client(trust_env=False, timeout=60) as client:
            return client.get(url, headers=headers or {})

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, urls))


def test_metrics_show_domains_drift_sweeps_and_imports_from_the_database(start_server, dns_server, tmp_path):
    server = start_server()
    engine = bind(open_engine(server))
    try:
        user, key = users.create_user("metrics-db", SystemClock())
        views = [engine.service.create_domain(user, {"SenderDomain": f"m{i}.example"}) for i in range(3)]
        for view in views:
            dns_server.set_zone(view.domain, records_zone(view.domain, view.verification_meta["DNSRecords"]))
        dns_server.set_zone("senderdeck.example", PLATFORM_ZONE)
        SenderDomain.update(status=STATUS_DISABLED).where(SenderDomain.id == views[2].id).execute()
        ImportCursor.create(
            kind="pmta", name="acct.csv", head_digest="a" * 64, head_len=10, offset=10, tail_digest="b" * 64, tail_len=10,
            rows_read=12, rows_imported=10, first_imported_at=dt.datetime(2026, 1, 1), imported_at=dt.datetime(2026, 1, 1),
        )
        before = scrape(server)
        assert value(before, "senderdeck_domains", status="Approval Pending") == 2
        assert value(before, "senderdeck_domains", status="Disabled") == 1
        assert value(before, "senderdeck_domains_by_reputation", bucket="none") == 3
        assert value(before, "senderdeck_import_rows_total", kind="pmta", stage="imported") == 10
        assert value(before, "senderdeck_sweep_runs_total") == 0

        # A cron sweep in another process: it enables the two, then one drifts.
        sweep = [str(SENDERDECK), "--database", server.database, "--nameserver", dns_server.address, "sweep", "--older-than", "0"]
        environment = server.environment()
        assert subprocess.run(sweep, capture_output=True, text=True, env=environment, timeout=120).returncode == 0
        records = dict(views[0].verification_meta["DNSRecords"])
        dkim = next(h for h in records if "._domainkey." in h)
        del records[dkim]
        dns_server.set_zone(views[0].domain, records_zone(views[0].domain, records))
        result = subprocess.run(sweep, capture_output=True, text=True, env=environment, timeout=120)
        assert result.returncode == 1, result.stdout + result.stderr

        after = scrape(server)
        assert value(after, "senderdeck_domains", status="Enabled") == 2
        assert value(after, "senderdeck_domains_drifted") == 1
        assert value(after, "senderdeck_domain_drift_streak", domain="m0.example", user="metrics-db") == 1
        assert value(after, "senderdeck_sweep_runs_total") == 2
        assert value(after, "senderdeck_sweep_domains_total", outcome="enabled") == 2
        assert value(after, "senderdeck_sweep_domains_total", outcome="drifted") == 1
        queries = value(after, "senderdeck_sweep_dns_queries_total")
        assert queries > 0 and value(after, "senderdeck_sweep_dns_query_duration_seconds_count") == queries
        assert value(after, "senderdeck_sweep_dns_query_duration_seconds_bucket", le="+Inf") == queries
        assert value(after, "senderdeck_sweep_last_platform_problems") == 0
        assert value(after, "senderdeck_sweep_last_finished_timestamp_seconds") > 0
    finally:
        engine.close()
        server.stop()


def test_two_workers_count_every_request_whichever_worker_answers_the_scrape(start_server, dns_server):
    server = start_server(workers=2)
    engine = bind(open_engine(server))
    try:
        user, key = users.create_user("metrics-workers", SystemClock())
        view = engine.service.create_domain(user, {"SenderDomain": "workers-metrics.example"})
        dns_server.set_zone(view.domain, records_zone(view.domain, view.verification_meta["DNSRecords"]))
        auth = {"Authorization": f"Bearer {key}"}
        listed = fresh_connections([server.url("/api/v1/user.senderdomains")] * 40, auth)
        assert {r.status_code for r in listed} == {200}
        refused = fresh_connections([server.url("/api/v1/user.senderdomains")] * 6, {"Authorization": "Bearer sdk_wrong"})
        assert {r.status_code for r in refused} == {401}
        missing = fresh_connections([server.url("/api/v1/nothing-here")] * 3)
        assert {r.status_code for r in missing} == {404}
        verified = httpx.post(
            server.url("/api/v1/user.senderdomain.verify"), json={"DomainID": view.id}, headers=auth, trust_env=False, timeout=60
        )
        assert verified.json()["IsVerified"] is True
        assert len(served_by(server, "/api/v1/user.senderdomains")) == 2, server.stdout()[-2000:]

        scrapes = [scrape_once for scrape_once in (scrape(server) for _ in range(6))]
        for samples in scrapes:  # the same totals, whichever worker answered
            assert value(samples, "senderdeck_api_requests_total", command="user.senderdomain.list", code="ok") == 40
            assert value(samples, "senderdeck_api_requests_total", command="user.senderdomain.list", code="0") == 6
            assert value(samples, "senderdeck_api_requests_total", command="unknown", code="13") == 3
            assert value(samples, "senderdeck_api_requests_total", command="user.senderdomain.verify", code="ok") == 1
            assert value(samples, "senderdeck_verify_outcomes_total", status="Enabled", verified="true") == 1
            assert value(samples, "senderdeck_verify_dns_query_duration_seconds_count") >= 5
            assert value(samples, "senderdeck_domains", status="Enabled") == 1
        scraped_by = served_by(server, "/metrics")
        assert sum(scraped_by.values()) == 6
    finally:
        engine.close()
        server.stop()
