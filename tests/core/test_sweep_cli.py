"""``senderdeck sweep`` as cron and a monitor run it: real processes, a real DNS server on
loopback, the exit statuses 0 / 1 / 2, ``--json``, and two overlapping runs that share the
work without checking a domain twice (on every backend: SQLite's lock and PostgreSQL's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.localdns import LocalDNS, records_zone
from core.models import STATUS_ENABLED, SenderDomain
from tests.conftest import shared_dkim_key  # noqa: F401
from tests.core.test_sweep import PLATFORM_ZONE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")}
    return base | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }


@pytest.fixture
def server():
    with LocalDNS({"senderdeck.example": PLATFORM_ZONE}) as dns:
        yield dns


def command(settings, server, *args):
    code = "import sys\nfrom tui.cli import main\nsys.argv[0] = 'senderdeck'\nsys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, "--database", settings.database, "--nameserver", server.address, *args]


def run(env, settings, server, *args, timeout=120):
    return subprocess.run(command(settings, server, *args), capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)


def add_domains(ctx, user, server, names, *, publish=True):
    ids = {}
    for name in names:
        view = ctx.service.create_domain(user, {"SenderDomain": name})
        ids[name] = view.id
        if publish:
            server.set_zone(name, records_zone(name, view.verification_meta["DNSRecords"]))
    return ids


def test_exit_0_when_all_is_well_then_1_on_drift_with_the_record_and_what_was_found(ctx, alice, server, env, settings):
    ids = add_domains(ctx, alice, server, ["good.example", "drifty.example"])
    first = run(env, settings, server, "sweep", "--json")
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert (body["Checked"], body["NewlyEnabled"], body["ExitCode"]) == (2, 2, 0)
    assert {p["State"] for p in body["Platform"]} == {"ok"}
    records = SenderDomain.get_by_id(ids["drifty.example"]).verification_meta["DNSRecords"]
    zone = records_zone("drifty.example", {h: r for h, r in records.items() if h != "sl.drifty.example"})
    zone["sl"] = [("CNAME", "elsewhere.example.net.")]
    server.set_zone("drifty.example", zone)
    server.set_zone("example.net", {"elsewhere": [("A", "192.0.2.1")]})
    second = run(env, settings, server, "sweep", "--older-than", "0")
    assert second.returncode == 1, second.stderr
    assert "drifted: 1" in second.stdout
    assert "DRIFTED drifty.example (user alice" in second.stdout
    assert "sl.drifty.example CNAME mismatched: found elsewhere.example.net." in second.stdout
    assert SenderDomain.get_by_id(ids["drifty.example"]).status == STATUS_ENABLED
    as_json = run(env, settings, server, "sweep", "--older-than", "0", "--json")
    assert as_json.returncode == 1
    (domain,) = json.loads(as_json.stdout)["Domains"]
    assert domain["Outcome"] == "drifted" and domain["Drift"]["Records"]["sl.drifty.example"]["Found"] == ["elsewhere.example.net."]
    # Not due again, but still drifted: a monitor keeps seeing it until it is fixed.
    quiet = run(env, settings, server, "sweep", "--json")
    assert quiet.returncode == 1 and json.loads(quiet.stdout)["StillDrifted"] == 1


def test_exit_2_for_a_broken_platform_record_and_for_errors(ctx, alice, server, env, settings):
    add_domains(ctx, alice, server, ["good.example"])
    server.set_zone("senderdeck.example", {k: v for k, v in PLATFORM_ZONE.items() if k != "spf"})
    broken = run(env, settings, server, "sweep", "--platform-only")
    assert broken.returncode == 2, broken.stderr
    assert "PLATFORM BROKEN spf_include spf.senderdeck.example" in broken.stdout
    assert SenderDomain.select().where(SenderDomain.last_verified_at.is_null(False)).count() == 0
    bad_age = run(env, settings, server, "sweep", "--older-than", "soon")
    assert bad_age.returncode == 2 and bad_age.stderr.startswith("senderdeck: --older-than")
    nobody = run(env, settings, server, "sweep", "--user", "nobody")
    assert nobody.returncode == 2 and "no user named 'nobody'" in nobody.stderr and "Traceback" not in nobody.stderr


@pytest.mark.sqlite_only
def test_exit_2_when_the_database_cannot_be_opened(tmp_path, env, server):
    from core.settings import Settings

    (tmp_path / "not-a-db").write_bytes(b"this is not sqlite" * 100)
    settings = Settings(database=f"sqlite:///{tmp_path / 'not-a-db'}")
    result = run(env, settings, server, "sweep")
    assert result.returncode == 2 and result.stderr.startswith("senderdeck: ") and "Traceback" not in result.stderr


def test_two_overlapping_sweeps_share_the_work_and_never_check_a_domain_twice(ctx, alice, env, settings):
    names = [f"d{i:02d}.example" for i in range(60)]
    with LocalDNS({"senderdeck.example": PLATFORM_ZONE}, delay=0.15) as slow:
        add_domains(ctx, alice, slow, names)
        args = ("sweep", "--json", "--older-than", "0")
        env_small = env | {"SENDERDECK_DNS_MAX_IN_FLIGHT": "8"}  # slow enough that the runs overlap
        first = subprocess.Popen(command(settings, slow, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_small, cwd=ROOT)
        second = subprocess.Popen(command(settings, slow, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_small, cwd=ROOT)
        outputs = [p.communicate(timeout=180) for p in (first, second)]
    reports = []
    for (out, err), process in zip(outputs, (first, second)):
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    checked = [{d["SenderDomain"] for d in r["Domains"]} for r in reports]
    assert not checked[0] & checked[1]  # no domain in both runs
    assert checked[0] | checked[1] == set(names)
    assert [r["Checked"] for r in reports] == [len(c) for c in checked]
    assert all(r["Checked"] > 0 for r in reports), [r["Checked"] for r in reports]  # they overlapped and shared
    assert SenderDomain.select().where(SenderDomain.status == STATUS_ENABLED).count() == len(names)


def test_the_progress_line_is_rewritten_in_place_and_cleared_at_the_end():
    import io

    from core import drift
    from core.sweep import SweepReport
    from tui.cli.sweep_cmd import ProgressLine

    stream = io.StringIO()
    progress = ProgressLine(stream)
    report = SweepReport(started_at=None, due=2500, checked=1200, counts={drift.DRIFTED: 3, drift.ENABLED: 7})
    progress(report)
    progress(report)  # within PROGRESS_EVERY of the first: not written again
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\r\x1b[K")
    assert "sweep: 1,200/2,500 domains · 3 drifted · 7 newly Enabled · 0 could not check" in text
