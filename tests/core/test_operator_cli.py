"""The operator's command line as an operator runs it (real processes, a real SQLite file):
``senderdeck domains`` (the cross-tenant dump), ``senderdeck domain suspend|unsuspend|history``
and ``senderdeck dkim export --all`` for PowerMTA."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core import users
from core.clock import FixedClock
from core.context import build_context
from core.models import STATUS_DISABLED, STATUS_ENABLED, SenderDomain
from core.operator import OperatorActions
from core.settings import Settings
from core.stat_store import store_counts
from tests.conftest import shared_dkim_key

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)  # the command line's clock


@pytest.fixture
def fleet(tmp_path):
    """Three tenants; acme and beta both hold shared.example; stats for two domains."""
    database = f"sqlite:///{tmp_path / 'ops.db'}"
    ctx = build_context(Settings(database=database), clock=FixedClock(NOW), keygen=shared_dkim_key)
    acme, _ = users.create_user("acme", ctx.clock)
    beta, _ = users.create_user("beta", ctx.clock)
    gamma, _ = users.create_user("gamma", ctx.clock)
    ids = {}
    for user, name in ((acme, "shop.example"), (acme, "shared.example"), (beta, "shared.example"), (beta, "bücher.example"), (gamma, "news.example")):
        ids[(user.name, name)] = ctx.service.create_domain(user, {"SenderDomain": name}).id
    enabled = [ids[("acme", "shop.example")], ids[("beta", "shared.example")], ids[("gamma", "news.example")]]
    SenderDomain.update(status=STATUS_ENABLED).where(SenderDomain.id.in_(enabled)).execute()
    today = NOW.date()
    store_counts([(ids[("acme", "shop.example")], today - dt.timedelta(days=d), 1000, 990, 10, 0) for d in range(10)])
    store_counts([(ids[("gamma", "news.example")], today, 200, None, 40, 1)])
    ctx.close()
    return database, ids


@pytest.fixture
def run(tmp_path, fleet):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    database, _ids = fleet

    def run(*args, check=None, shell_tail=None):
        command = [sys.executable, "-m", "tui", "--database", database, *args]
        if shell_tail:  # e.g. "| head -2": as an operator pipes it
            line = " ".join(f"'{c}'" for c in command) + " " + shell_tail + "; exit ${PIPESTATUS[0]}"
            result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        else:
            result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        if check is not None:
            assert result.returncode == check, result.stdout + result.stderr
        return result

    return run


def open_engine(fleet):
    return build_context(Settings(database=fleet[0]), clock=FixedClock(NOW), keygen=shared_dkim_key)


# ---- the dump ---------------------------------------------------------------------------


def test_the_dump_lists_every_tenant_with_owner_status_records_and_figures(run, fleet):
    _db, ids = fleet
    rows = json.loads(run("domains", "--format", "json", check=0).stdout)
    assert [(r["SenderDomain"], r["Owner"], r["Status"]) for r in rows] == [
        ("news.example", "gamma", STATUS_ENABLED),
        ("shared.example", "acme", "Approval Pending"),
        ("shared.example", "beta", STATUS_ENABLED),
        ("shop.example", "acme", STATUS_ENABLED),
        ("bücher.example", "beta", "Approval Pending"),  # by ASCII name: xn--bcher-kva.example
    ]
    shop = rows[3]
    assert shop["DomainID"] == ids[("acme", "shop.example")] and shop["Volume7d"] == 7000 and shop["Reputation"] == 92
    assert (shop["RecordsVerified"], shop["RecordsTotal"], len(shop["NotVerified"])) == (0, 5, 5)
    assert shop["MfromDomain"] == "sl.shop.example" and shop["DkimSelector"] == "sd1"
    ctx = open_engine(fleet)
    figures = ctx.service.domain_figures(None)
    ctx.close()
    assert all(r["Volume7d"] == figures[r["DomainID"]].volume_7d and r["BounceRate"] == figures[r["DomainID"]].bounce_rate for r in rows)

    lines = run("domains", "--format", "jsonl", "--user", "beta", check=0).stdout.splitlines()
    assert [json.loads(line)["Owner"] for line in lines] == ["beta", "beta"]
    pending = json.loads(run("domains", "--format", "json", "--status", "pending", "--status", "Suspended", check=0).stdout)
    assert {r["Status"] for r in pending} == {"Approval Pending"} and len(pending) == 2
    assert json.loads(run("domains", "--format", "json", "--status", "suspended", check=0).stdout) == []
    table = run("domains", check=0).stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "DOMAIN", "OWNER", "STATUS"] and table[-1] == "5 domains"
    assert "bücher.example" in table[5] and "92 excellent" in table[4] and "7,000" in table[4]
    assert run("domains", "--user", "nobody", check=2).stderr.startswith("senderdeck: no user named 'nobody'")
    assert "invalid status value" in run("domains", "--status", "lost", check=2).stderr


def test_the_dump_is_safe_to_pipe_and_never_runs_tenant_text(run, fleet):
    _db, ids = fleet
    head = run("domains", "--format", "csv", shell_tail="| head -2")
    assert head.returncode in (0, 141) and head.stderr == "" and len(head.stdout.splitlines()) == 2
    ctx = open_engine(fleet)
    OperatorActions(ctx.service, "ops").suspend(ids[("gamma", "news.example")], '=HYPERLINK("http://evil.example","click")')
    # A name written before names were checked (or by hand): control characters and all.
    SenderDomain.update(domain="\x1b[2J\x1b]0;owned\x07evil.example").where(SenderDomain.id == ids[("beta", "bücher.example")]).execute()
    ctx.close()
    rows = list(csv.DictReader(io.StringIO(run("domains", "--format", "csv", check=0).stdout)))
    news = next(r for r in rows if r["ASCII"] == "news.example")
    assert news["SuspensionReason"] == '\'=HYPERLINK("http://evil.example","click")' and news["Status"] == "Suspended"
    assert next(r for r in rows if r["ASCII"] == "shop.example")["VolumeDelta"] == "+133%"  # a number: left as it is
    table = run("domains", check=0).stdout
    assert "\x1b" not in table and "\x07" not in table and "\\x1b[2J\\x1b]0;owned\\x07evil.exa…" in table
    assert "suspended: =HYPERLINK" in table
    dumped = run("domains", "--format", "json", check=0).stdout
    assert "\x1b" not in dumped and any(r["ASCII"].startswith("\x1b[2J") for r in json.loads(dumped))


# ---- suspension and history ---------------------------------------------------------------


def test_suspend_unsuspend_and_history_as_an_operator(run, fleet):
    _db, ids = fleet
    shop = ids[("acme", "shop.example")]
    done = run("domain", "suspend", "shop.example", "--reason", "phishing reported by abuse desk", check=0).stdout
    assert done.strip() == f"shop.example (DomainID {shop}, user acme): Suspended — phishing reported by abuse desk"
    again = run("domain", "suspend", str(shop), "--reason", "twice", check=1)
    assert again.stderr.startswith("senderdeck: error 9: This domain is already Suspended")
    assert "required: --reason" in run("domain", "suspend", "shop.example", check=2).stderr
    ambiguous = run("domain", "suspend", "shared.example", "--reason", "spam", check=2)
    assert "shared.example is held by 2 users (acme, beta): name the owner with --user NAME" in ambiguous.stderr
    run("domain", "suspend", "shared.example", "--user", "beta", "--reason", "spam", check=0)
    run("--user", "acme", "domain", "history", "shared.example", check=0)  # the global --user works too
    assert run("domain", "unsuspend", "shop.example", check=0).stdout.startswith(f"shop.example (DomainID {shop}, user acme): Approval Pending")
    history = run("domain", "history", "shop.example", check=0).stdout.splitlines()
    actor = getpass.getuser()
    assert history[0] == f"shop.example (DomainID {shop}, user acme): Approval Pending"
    assert f" UTC  {actor}  unsuspend  Suspended -> Approval Pending" in history[1]
    assert history[2].endswith(f" UTC  {actor}  suspend  Enabled -> Suspended  reason: phishing reported by abuse desk")
    events = json.loads(run("domain", "history", str(shop), "--json", check=0).stdout)["History"]
    assert [(e["Action"], e["Actor"]) for e in events] == [("unsuspend", actor), ("suspend", actor)]
    missing = run("domain", "history", "missing.example", check=1).stderr
    assert missing.startswith("senderdeck: error 2: Sender domain not found: missing.example (no tenant has it live")
    listed = json.loads(run("domains", "--format", "json", "--status", "suspended", check=0).stdout)
    assert [(r["Owner"], r["SuspensionReason"]) for r in listed] == [("beta", "spam")]


# ---- PowerMTA provisioning ----------------------------------------------------------------


def test_dkim_export_all_keeps_a_directory_in_step_and_exits_like_diff(run, fleet, tmp_path):
    _db, ids = fleet
    keys = tmp_path / "pmta" / "dkim"
    first = run("dkim", "export", "--all", "--dir", str(keys), check=1)
    names = sorted(p.name for p in keys.iterdir())
    assert names == ["domain-keys.conf", "news.example.sd1.pem", "shared.example.sd1.pem", "shop.example.sd1.pem"]
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((keys / n).stat().st_mode) == 0o600 for n in names if n.endswith(".pem"))
    assert (keys / "shop.example.sd1.pem").read_text() == shared_dkim_key().private_pem
    include = (keys / "domain-keys.conf").read_text().splitlines()
    assert include[1:] == [f"domain-key sd1,{n},{keys.resolve() / f'{n}.sd1.pem'}" for n in ("news.example", "shared.example", "shop.example")]
    assert first.stdout.count("\n+ ") + first.stdout.startswith("+ ") == 4 and "3 keys: 3 new" in first.stdout
    assert f"+ {keys.resolve() / 'domain-keys.conf'}" in first.stdout and "domain-keys.conf written" in first.stdout

    stamps = {p.name: p.stat().st_mtime_ns for p in keys.iterdir()}
    second = run("dkim", "export", "--all", "--dir", str(keys), check=0)
    assert second.stdout.strip() == "3 keys, nothing changed"
    assert {p.name: p.stat().st_mtime_ns for p in keys.iterdir()} == stamps  # nothing rewritten

    ctx = open_engine(fleet)
    SenderDomain.update(status=STATUS_DISABLED).where(SenderDomain.id == ids[("gamma", "news.example")]).execute()
    ctx.close()
    (keys / "shop.example.sd1.pem").write_text("tampered")
    (keys / "operator-notes.pem").write_text("not senderdeck's")
    third = run("dkim", "export", "--all", "--dir", str(keys), check=1)
    assert f"- {keys.resolve() / 'news.example.sd1.pem'}" in third.stdout and f"~ {keys.resolve() / 'shop.example.sd1.pem'}" in third.stdout
    assert f"~ {keys.resolve() / 'domain-keys.conf'}" in third.stdout and "domain-keys.conf rewritten" in third.stdout
    assert not (keys / "news.example.sd1.pem").exists() and (keys / "operator-notes.pem").exists()
    assert (keys / "shop.example.sd1.pem").read_text() == shared_dkim_key().private_pem
    assert "news.example" not in (keys / "domain-keys.conf").read_text()
    run("dkim", "export", "--all", "--dir", str(keys), check=0)


def test_dkim_export_all_never_writes_through_a_symlink(run, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (keys / "shop.example.sd1.pem").symlink_to(victim)
    refused = run("dkim", "export", "--all", "--dir", str(keys), check=2)
    assert "symbolic link" in refused.stderr and victim.read_text() == "precious"
    assert sorted(p.name for p in keys.iterdir()) == ["shop.example.sd1.pem"]  # nothing written
    assert "give DOMAIN… or --all" in run("dkim", "export", "shop.example", "--all", "--dir", str(keys), check=2).stderr
    spaced = tmp_path / "with space"
    assert "PowerMTA" in run("dkim", "export", "--all", "--dir", str(spaced), check=2).stderr
