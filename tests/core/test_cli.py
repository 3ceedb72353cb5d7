"""`senderdeck` as a subprocess against a temp database: users, api, config, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")
    } | {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    database = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args, extra_env=None, check=None):
        result = subprocess.run(
            [sys.executable, "-m", "tui", "--database", database, *args],
            capture_output=True, text=True, env=env | (extra_env or {}), cwd=ROOT, timeout=60,
        )
        if check is not None:
            assert result.returncode == check, result.stdout + result.stderr
        return result

    return run


def test_user_add_prints_key_once_and_api_uses_it(run):
    out = run("user", "add", "alice", "--domain-limit", "3", check=0).stdout
    key = re.search(r"(sdk_\S+)", out).group(1)
    assert "alice" in run("user", "list", check=0).stdout
    assert key not in run("user", "list", check=0).stdout  # never shown again

    created = json.loads(run("--api-key", key, "api", "user.senderdomain.create", "SenderDomain=Example.com", check=0).stdout)
    assert created["Success"] is True and created["SenderDomain"]["SenderDomain"] == "example.com"
    domain_id = created["DomainID"]

    # With exactly one user and no key, that user acts; the short command name works too.
    listed = json.loads(run("api", "list", check=0).stdout)
    assert [d["DomainID"] for d in listed["SenderDomains"]] == [str(domain_id)]

    missing = run("api", "get", "DomainID=999", check=1)
    assert json.loads(missing.stdout) == {"Errors": [{"Code": 2, "Message": "Sender domain not found"}]}

    bad_key = run("api", "list", extra_env={"SENDERDECK_API_KEY": "sdk_nope"}, check=1)
    assert json.loads(bad_key.stdout)["Errors"][0]["Code"] == 0


def test_several_users_need_a_choice(run):
    run("user", "add", "alice", check=0)
    run("user", "add", "bob", check=0)
    result = run("api", "list", check=2)
    assert "--api-key" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(run("--user", "bob", "api", "list", check=0).stdout)["SenderDomains"] == []


def test_global_options_are_accepted_after_the_command_too(run, tmp_path):
    run("user", "add", "alice", check=0)
    run("user", "add", "bob", check=0)
    made = json.loads(run("api", "create", "--user", "bob", "SenderDomain=bob.example", check=0).stdout)
    # After the command, between its parameters: the option is read, the parameters kept.
    got = json.loads(run("api", "get", "--user", "bob", f"DomainID={made['DomainID']}", check=0).stdout)
    assert got["SenderDomain"]["SenderDomain"] == "bob.example"
    assert json.loads(run("api", "list", "--user", "alice", check=0).stdout)["SenderDomains"] == []
    # An action's options too (``user list``), and the one after the command wins.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    run("user", "add", "carol", "--database", other, check=0)
    assert "carol" in run("user", "list", "--database", other, check=0).stdout
    assert "carol" not in run("user", "list", check=0).stdout
    # ``domains --user`` stays that command's own (one tenant's domains), not the acting user.
    assert [line.split(",")[1] for line in run("domains", "--user", "bob", "--format", "csv", check=0).stdout.splitlines()[1:]] == ["bob.example"]
    # Still refused: an option nobody knows, anywhere.
    assert "unrecognized arguments: --bogus" in run("api", "list", "--user", "bob", "--bogus", check=2).stderr


def test_bad_arguments_are_one_line_errors(run, tmp_path):
    run("user", "add", "alice", check=0)
    assert "Key=Value" in run("api", "list", "oops", check=2).stderr
    duplicate = run("user", "add", "alice", check=1)
    assert "already exists" in duplicate.stderr and "Traceback" not in duplicate.stderr
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("domain_limit = 'x'\n")
    result = run("--config", str(bad_config), "api", "list", check=2)
    assert "domain_limit" in result.stderr and "Traceback" not in result.stderr


def test_hostile_text_is_escaped_for_the_terminal(run):
    run("user", "add", "alice", check=0)
    out = run("api", "create", "SenderDomain=\u202eevil.com", check=1).stdout
    assert "\u202e" not in out and "\x1b" not in out
    assert json.loads(out)["Errors"][0]["Code"] == 7


def test_config_hides_secrets(run):
    out = run("config", extra_env={"SENDERDECK_SMTP_PASSWORD": "hunter2"}, check=0).stdout
    assert "hunter2" not in out and json.loads(out)["smtp"]["password"] == "********"


def test_zone_snippet_and_dkim_export(run, tmp_path):
    import stat

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    run("user", "add", "alice", check=0)
    created = json.loads(run("api", "create", "SenderDomain=bücher.example", check=0).stdout)
    records = created["SenderDomain"]["VerificationMeta"]["DNSRecords"]

    zone = run("zone", "bücher.example", "--ttl", "300", "--origin", "bücher.example", check=0).stdout
    lines = [line for line in zone.splitlines() if not line.startswith(";")]
    assert lines[0] == "$ORIGIN xn--bcher-kva.example."
    assert [line.split("\t")[0] for line in lines[1:]] == ["sl", "track-sl", "@", "sd1._domainkey", "_dmarc"]
    assert all(line.split("\t")[1:3] == ["300", "IN"] for line in lines[1:])
    assert lines[1].endswith("CNAME\trp.senderdeck.example.")
    assert len(lines) == len(records) + 1

    keys = tmp_path / "keys"
    out = run("dkim", "export", str(created["DomainID"]), "--dir", str(keys), check=0).stdout.strip()
    path = keys / "xn--bcher-kva.example.sd1.pem"
    assert out == f"domain-key sd1,xn--bcher-kva.example,{path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = load_pem_private_key(path.read_bytes(), password=None)
    p_tag = records["sd1._domainkey.xn--bcher-kva.example"][1].split("p=", 1)[1]
    from base64 import b64encode

    from cryptography.hazmat.primitives import serialization

    public_der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert b64encode(public_der).decode() == p_tag  # the exported key signs for the published p=

    again = run("dkim", "export", "bücher.example", "--dir", str(keys), check=2)
    assert "--force" in again.stderr
    assert "no sender domain other.example" in run("zone", "other.example", "--origin", "other.example", check=1).stderr


def test_zone_names_every_missing_domain_and_prints_nothing(run):
    """Issue 14.14: `senderdeck zone a.example nope.example` names the missing one."""
    run("user", "add", "alice", check=0)
    run("api", "create", "SenderDomain=a.example", check=0)
    result = run("zone", "a.example", "nope.example", "999", "--origin", "a.example", check=1)
    assert result.stdout == ""
    assert "no sender domains nope.example, 999" in result.stderr and "Traceback" not in result.stderr
    single = run("zone", "a.example", "nope", "--origin", "a.example", check=1)
    assert "no sender domain nope (" in single.stderr
    assert "not in that zone" in run("zone", "a.example", "--origin", "other.example", check=2).stderr
    export = run("dkim", "export", "a.example", "gone.example", "--dir", "/nonexistent/keys", check=1)
    assert "no sender domain gone.example" in export.stderr


def test_zone_below_its_parent_is_named_relative_to_the_parent(run):
    """Issue 14.1: shop.fabrikam.example in the zone fabrikam.example (found in DNS, from the
    SOA of a loopback server): $ORIGIN fabrikam.example., names sl.shop, shop, …"""
    from core.localdns import LocalDNS

    run("user", "add", "alice", check=0)
    run("api", "create", "SenderDomain=shop.fabrikam.example", check=0)
    with LocalDNS() as silent:  # serves no zone: every lookup refused
        without_dns = run("--nameserver", silent.address, "zone", "shop.fabrikam.example", check=0).stdout
    assert "its zone was not found in DNS" in without_dns and "$ORIGIN shop.fabrikam.example." in without_dns
    cloudflare = [("NS", "ada.ns.cloudflare.com."), ("NS", "bob.ns.cloudflare.com.")]
    with LocalDNS({"fabrikam.example": {"@": [*cloudflare, ("TXT", "v=spf1 include:_spf.fabrikam.example -all")]}}) as dns:
        out = run("--nameserver", dns.address, "zone", "shop.fabrikam.example", check=0).stdout
    lines = out.splitlines()
    assert lines[0] == "; shop.fabrikam.example (Approval Pending), in the zone fabrikam.example"
    assert lines[1] == "$ORIGIN fabrikam.example."
    names = [line.split("\t")[0] for line in lines[2:]]
    assert names == ["sl.shop", "track-sl.shop", "shop", "sd1._domainkey.shop", "_dmarc.shop"]
    assert "@" not in names  # the parent's apex, whose own SPF record a second one would break


def test_two_api_processes_in_a_row_share_the_probe_cache(run):
    """The 60 s probe cache lives in the database: a second `senderdeck api verify` process
    answers from it without asking DNS again, even though DNS changed in between."""
    from core.localdns import LocalDNS
    from tests.core.dnskit import publish

    run("user", "add", "alice", check=0)
    created = json.loads(run("api", "create", "SenderDomain=cached.example", check=0).stdout)
    records = created["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    with LocalDNS() as dns:
        publish(dns, "cached.example", records)
        first = json.loads(run("--nameserver", dns.address, "api", "verify", f"DomainID={created['DomainID']}", check=0).stdout)
        assert first["IsVerified"] is True and first["Status"] == "Enabled"
        asked = len(dns.queries)
        assert asked > 0
        dns.remove_zone("cached.example")  # now every record would be missing
        second = json.loads(run("--nameserver", dns.address, "api", "verify", f"DomainID={created['DomainID']}", check=0).stdout)
        assert second == first
        assert len(dns.queries) == asked  # answered from the cache: DNS was not asked again


@pytest.mark.parametrize("name", ["APIKey", "apikey", "APIKEY", "ApiKey"])
def test_an_api_key_given_as_a_parameter_is_authenticated(run, name):
    # Issue 11.7: `apikey=WRONG` in a one-user database ran as that user.
    key = re.search(r"(sdk_\S+)", run("user", "add", "alice", check=0).stdout).group(1)
    wrong = run("api", "list", f"{name}=WRONG", check=1)
    assert json.loads(wrong.stdout) == {"Errors": [{"Code": 0, "Message": "Authentication failed"}]}
    right = run("api", "list", f"{name}={key}", check=0)
    assert json.loads(right.stdout)["Success"] is True


SECRET = "Sup3rSecretPW"


@pytest.mark.parametrize(
    "flags",
    [
        ["--cache-url", f"redis://:{SECRET}@127.0.0.1:1/0"],
        ["--cache-url", f"redis://default:{SECRET}@127.0.0.1:1/0"],
        ["--database", f"postgresql://127.0.0.1:1/sd?password={SECRET}"],
        ["--database", f"postgresql://ops:{SECRET}@127.0.0.1:1/sd"],
    ],
)
def test_config_never_prints_a_password(run, flags):
    # Issue 11.8: `config` printed redis://:PW@… and postgresql://…?password=PW.
    result = run(*flags, "config", check=0)
    assert SECRET not in result.stdout + result.stderr
    assert "***" in result.stdout


@pytest.mark.parametrize(
    "flags",
    [
        ["--cache-url", f"memcache://:{SECRET}@127.0.0.1:1/0"],
        ["--cache-url", f"redis://:{SECRET}@127.0.0.1:1/0"],
        ["--database", f"postgresql://127.0.0.1:1/sd?password={SECRET}"],
        ["--database", f"postgresql://ops:{SECRET}@127.0.0.1:1/sd"],
        ["--database", f"mysql://root:{SECRET}@127.0.0.1:1/sd"],
    ],
)
def test_errors_never_print_a_password(run, flags):
    run("user", "add", "alice", check=0)
    result = run(*flags, "api", "list")
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
