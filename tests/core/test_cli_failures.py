"""The command line as a careless operator meets it (issue 11.9-11.12): keys kept private,
and every failure one clear line with an exit status, never a traceback, files untouched."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.context import build_context
from core.settings import Settings
from core import users
from tests.backends import free_port
from tests.conftest import shared_dkim_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")}
    return base | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }


def senderdeck(env, *args, prelude: str = "", user: str | None = None, timeout: float = 60):
    """Run the command line in a fresh interpreter (``prelude`` runs first, e.g. to hide a driver)."""
    code = f"import sys\n{prelude}\nfrom tui.cli import main\nsys.argv[0] = 'senderdeck'\nsys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, *args]
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)


def one_line(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("senderdeck: ")
    return lines[0]


def fingerprint(directory: Path) -> dict[str, tuple[str, float, int]]:
    """Every file under ``directory``: content hash, modification time, mode."""
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(directory))] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime, st.st_mode)
    return out


# ---- 11.9: the database and the keys are private ------------------------------------------


def test_a_new_default_database_is_private(env, tmp_path):
    result = senderdeck(env, "user", "add", "alice")
    assert result.returncode == 0, result.stderr
    data_dir = tmp_path / "data" / "senderdeck"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [p for p in data_dir.iterdir() if p.name.startswith("senderdeck.db")]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), {p.name: oct(p.stat().st_mode) for p in files}


def _one_domain(env, tmp_path) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    ctx = build_context(Settings(database=url), keygen=shared_dkim_key)
    try:
        alice, _ = users.create_user("alice", ctx.clock)
        domain_id = ctx.service.create_domain(alice, {"SenderDomain": "example.com"}).id
    finally:
        ctx.close()
    return url, domain_id


def test_dkim_export_never_writes_through_a_planted_symlink(env, tmp_path):
    url, domain_id = _one_domain(env, tmp_path)
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (keys / "example.com.sd1.pem").symlink_to(victim)
    for force in ([], ["--force"]):
        result = senderdeck(env, "--database", url, "dkim", "export", str(domain_id), "--dir", str(keys), *force)
        assert result.returncode == 2 and "symbolic link" in one_line(result)
        assert victim.read_text() == "precious\n"
        assert (keys / "example.com.sd1.pem").is_symlink()
    # A dangling link (the target does not exist yet) is refused the same way.
    (keys / "example.com.sd1.pem").unlink()
    (keys / "example.com.sd1.pem").symlink_to(tmp_path / "would-be-created.pem")
    result = senderdeck(env, "--database", url, "dkim", "export", str(domain_id), "--dir", str(keys))
    assert result.returncode == 2 and not (tmp_path / "would-be-created.pem").exists()


def test_dkim_export_force_replaces_a_file_whole_and_private(env, tmp_path):
    url, domain_id = _one_domain(env, tmp_path)
    keys = tmp_path / "keys"
    keys.mkdir()
    target = keys / "example.com.sd1.pem"
    target.write_text("old key\n")
    target.chmod(0o644)
    other_name = tmp_path / "hardlink.pem"
    os.link(target, other_name)  # another name for the old file must not receive the key
    assert senderdeck(env, "--database", url, "dkim", "export", str(domain_id), "--dir", str(keys)).returncode == 2
    result = senderdeck(env, "--database", url, "dkim", "export", str(domain_id), "--dir", str(keys), "--force")
    assert result.returncode == 0, result.stderr
    assert target.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert other_name.read_text() == "old key\n"
    assert sorted(p.name for p in keys.iterdir()) == ["example.com.sd1.pem"]  # no temp file left


# ---- 11.10: a closed pipe is a quiet exit ----------------------------------------------------


def test_api_list_into_head_exits_quietly(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'many.db'}"
    ctx = build_context(Settings(database=url, domain_limit=0), keygen=shared_dkim_key)
    try:
        alice, _ = users.create_user("alice", ctx.clock)
        for i in range(150):  # about 250 KB of JSON: more than a pipe holds
            ctx.service.create_domain(alice, {"SenderDomain": f"d{i:03d}.example"})
    finally:
        ctx.close()
    code = "import sys\nfrom tui.cli import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--database", url, "api", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )
    assert proc.stdout.readline().strip() == b"{"
    proc.stdout.close()  # what `| head -1` does once it has its line
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""


# ---- 11.11: a database that cannot be used is one line, exit 2, untouched --------------------


def test_a_corrupt_database_file(env, tmp_path):
    (tmp_path / "db").mkdir()
    path = tmp_path / "db" / "corrupt.db"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    before = fingerprint(tmp_path / "db")
    result = senderdeck(env, "--database", f"sqlite:///{path}", "api", "list")
    assert result.returncode == 2 and "not a SQLite database" in one_line(result)
    assert fingerprint(tmp_path / "db") == before


def test_a_database_path_whose_parent_is_a_file(env, tmp_path):
    parent = tmp_path / "notes.txt"
    parent.write_text("mine\n")
    result = senderdeck(env, "--database", f"sqlite:///{parent}/sub/senderdeck.db", "user", "list")
    assert result.returncode == 2 and "is a file, not a directory" in one_line(result)
    assert parent.read_text() == "mine\n"


def test_a_foreign_sqlite_database_is_refused_and_left_alone(env, tmp_path):
    (tmp_path / "db").mkdir()
    path = tmp_path / "db" / "inventory.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item (name) VALUES ('spoon');")
    conn.close()
    before = fingerprint(tmp_path / "db")
    for args in (["user", "add", "alice"], ["api", "list"], ["user", "list"]):
        result = senderdeck(env, "--database", f"sqlite:///{path}", *args)
        assert result.returncode == 2 and "not senderdeck's (item)" in one_line(result)
    assert fingerprint(tmp_path / "db") == before
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["item"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_a_read_only_database(env, tmp_path):
    url, _ = _one_domain(env, tmp_path)
    path = Path(url.removeprefix("sqlite:///"))
    path.chmod(0o444)  # (root could still write it: the mode bits count all the same)
    before = fingerprint(tmp_path)
    result = senderdeck(env, "--database", url, "api", "list")
    assert result.returncode == 2 and "read-only" in one_line(result)
    assert fingerprint(tmp_path) == before


def test_a_database_url_of_another_kind(env):
    result = senderdeck(env, "--database", "mysql://root:pw@127.0.0.1:1/sd", "api", "list")
    assert result.returncode == 2 and "unsupported; use sqlite:///PATH or a postgresql:// URL" in one_line(result)


def test_a_missing_postgresql_driver_names_the_extra(env):
    hide = "sys.modules['psycopg2'] = None"
    result = senderdeck(env, "--database", "postgresql://ops@127.0.0.1:1/sd", "api", "list", prelude=hide)
    assert result.returncode == 2
    line = one_line(result)
    assert "psycopg2" in line and "'.[postgres]'" in line


def test_a_missing_redis_driver_names_the_extra(env, tmp_path):
    hide = "sys.modules['redis'] = None"
    db = f"sqlite:///{tmp_path / 'r.db'}"
    result = senderdeck(env, "--database", db, "--cache-url", "redis://127.0.0.1:1/0", "api", "list", prelude=hide)
    assert result.returncode == 2
    line = one_line(result)
    assert "redis" in line and "'.[redis]'" in line


def test_an_unexpected_error_is_one_line_naming_the_log(env, tmp_path):
    url, domain_id = _one_domain(env, tmp_path)
    bug = "import core.records\ndef boom(*a, **k): raise ValueError('a bug in zone_snippet')\ncore.records.zone_snippet = boom\nimport tui.cli.records_cmd as r\nr.zone_snippet = boom"
    result = senderdeck(env, "--database", url, "zone", str(domain_id), prelude=bug)
    assert result.returncode == 70
    log = tmp_path / "state" / "senderdeck" / "senderdeck.log"
    line = one_line(result)
    assert "ValueError: a bug in zone_snippet" in line and str(log) in line and "--debug" in line
    text = log.read_text()
    assert "Traceback" in text and "a bug in zone_snippet" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    debug = senderdeck(env, "--debug", "--database", url, "zone", str(domain_id), prelude=bug)
    assert debug.returncode == 70
    assert "Traceback (most recent call last)" in debug.stderr and "ValueError: a bug in zone_snippet" in debug.stderr


# ---- 11.12: PostgreSQL down on a fresh call ------------------------------------------------


def test_postgresql_down_is_the_api_code_17_or_one_line_try_again(env):
    url = f"postgresql://ops:Sup3rSecret@127.0.0.1:{free_port()}/sd"
    result = senderdeck(env, "--database", url, "api", "list")
    assert result.returncode == 1 and result.stderr == ""
    body = json.loads(result.stdout)
    [error] = body["Errors"]
    assert error["Code"] == 17 and "try again" in error["Message"] and "Sup3rSecret" not in result.stdout
    result = senderdeck(env, "--database", url, "user", "list")
    assert result.returncode == 75
    line = one_line(result)
    assert "try again" in line and "Sup3rSecret" not in line
