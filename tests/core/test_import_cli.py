"""`senderdeck import pmta|csv FILE…` as a subprocess against a temp SQLite database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli.import_cmd import ProgressBar, _plain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    database = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args, check=None):
        result = subprocess.run(
            [sys.executable, "-m", "tui", "--database", database, *args],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
        )
        if check is not None:
            assert result.returncode == check, result.stdout + result.stderr
        return result

    run("user", "add", "alice", check=0)
    run("--user", "alice", "api", "create", "SenderDomain=example.com", check=0)
    return run


def test_import_pmta_prints_a_summary_and_counts_once(cli, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text(
        "type,timeLogged,orig,header_From\n"
        "d,2026-05-22 10:00:00+0000,b@sl.example.com,\n"
        "b,2026-05-22 10:00:00+0000,b@sl.example.com,\n"
        "t,2026-05-22 10:00:00+0000,b@sl.example.com,\n"
        "d,2026-05-22 10:00:00+0000,b@x.example,\"Evil\x1b[2J <a@\u202eevil.example>\"\n"
        "d,2026-05-22 10:00:00+0000,b@unknown.example,\n"
        "d,oops,b@sl.example.com,\n"
    )
    result = cli("import", "pmta", str(path), check=0)
    out = result.stdout
    assert "acct.csv: imported" in out
    assert "rows read" in out and "6" in out
    assert "ignored record type 't'" in out and "unknown.example" in out
    assert "line 7: timeLogged" in out
    assert "\x1b" not in out and "\u202e" not in out
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    again = cli("import", "pmta", str(path), check=0).stdout
    assert "already imported" in again and "nothing counted again" in again
    body = json.loads(cli("--user", "alice", "api", "get", "DomainID=1", "days=365", check=0).stdout)
    assert body["Stats"]["2026-05-22"] == {"Period": "2026-05-22", "Sent": 2, "Delivered": 1, "Bounced": 1, "Complaints": 0}


def test_import_csv_json_and_a_failing_file(cli, tmp_path):
    good = tmp_path / "daily.csv"
    good.write_text("date,domain,sent,delivered,bounced,complaints\n2026-05-22,example.com,100,99,1,0\n")
    result = cli("import", "csv", "--json", str(tmp_path / "missing.csv"), str(good), check=1)
    body = json.loads(result.stdout)
    first, second = body["Files"]
    assert first["Status"] == "failed" and "cannot read" in first["Error"]
    assert second["Status"] == "imported" and second["RowsImported"] == 1 and second["SkippedByReason"] == {}


def test_import_needs_files_and_a_known_kind(cli):
    assert cli("import", "pmta").returncode == 2
    assert cli("import", "postfix", "x").returncode == 2


def test_import_never_loads_textual(tmp_path):
    path = tmp_path / "daily.csv"
    path.write_text("2026-05-22,example.com,1,1,0,0\n")
    code = (
        "import sys; from tui.__main__ import main\n"
        f"rc = main(['--database', 'sqlite:///{tmp_path / 'x.db'}', 'import', 'csv', {str(path)!r}])\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {"XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_progress_bar_draws_in_place():
    stream = io.StringIO()
    bar = ProgressBar("acct\x1b.csv", stream)
    bar(50, 100, 1234)
    bar(100, 100, 2000)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\racct\\x1b.csv [###############---------------]  50%        1,234 rows")
    assert "100%" in text and text.endswith("\r\x1b[K")


def test_plain_escapes_controls_and_bidi():
    assert _plain("a\x00b\u202ec\u00e9") == "a\\x00b\\u202ec\u00e9"


def _sent_on(cli, day: str) -> int:
    body = json.loads(cli("--user", "alice", "api", "get", "DomainID=1", "days=365", check=0).stdout)
    return body.get("Stats", {}).get(day, {}).get("Sent", 0)


def _wait_for(condition, timeout: float = 60.0) -> bool:
    """Poll until ``condition()``; a generous bound, not a timing assertion."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _spawn(cli_env, tmp_path, *args, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "--database", f"sqlite:///{tmp_path / 'cli.db'}", *args],
        env=cli_env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )


@pytest.fixture
def cli_env(tmp_path):
    return {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


def test_the_accounting_pipe_commits_as_it_reads_and_on_exit(cli, cli_env, tmp_path):
    proc = _spawn(cli_env, tmp_path, "import", "pmta", "-", "--every", "0.5", stdin=subprocess.PIPE)
    proc.stdin.write("type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@sl.example.com\n")
    proc.stdin.flush()
    assert _wait_for(lambda: _sent_on(cli, "2026-05-22") == 1), "a row sent down the pipe never reached the stats"
    proc.stdin.write("b,2026-05-22 10:00:01+0000,a@sl.example.com\nd,2026-05-22 10:00:02+0000,a@sl.example.com")
    proc.stdin.close()  # PowerMTA closing the pipe: the last line counts without its line end
    proc.stdin = None
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "rows read                 3" in out
    assert _sent_on(cli, "2026-05-22") == 3


def test_follow_counts_rows_as_they_are_written_and_commits_on_sigterm(cli, cli_env, tmp_path):
    import signal

    logs = tmp_path / "pmta"
    logs.mkdir()
    current = logs / "acct.csv"
    current.write_text("type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@sl.example.com\n")
    proc = _spawn(cli_env, tmp_path, "import", "pmta", "--follow", str(logs), "--every", "0.5")
    try:
        assert _wait_for(lambda: _sent_on(cli, "2026-05-22") == 1)
        with open(current, "a") as f:
            f.write("d,2026-05-22 10:00:01+0000,a@sl.example.com\n")
        assert _wait_for(lambda: _sent_on(cli, "2026-05-22") == 2), "an appended row never reached the stats"
        # PowerMTA rotates: the old file is renamed (and grows a last row), a new one starts.
        current.rename(logs / "acct-1.csv")
        with open(logs / "acct-1.csv", "a") as f:
            f.write("d,2026-05-22 10:00:02+0000,a@sl.example.com\n")
        current.write_text("type,timeLogged,orig\nb,2026-05-23 10:00:00+0000,a@sl.example.com\n")
        assert _wait_for(lambda: _sent_on(cli, "2026-05-23") == 1 and _sent_on(cli, "2026-05-22") == 3)
        with open(current, "a") as f:
            f.write("d,2026-05-23 10:00:01+0000,a@sl.example.com\n")
        proc.send_signal(signal.SIGTERM)  # what was written before it is committed first
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert _sent_on(cli, "2026-05-22") == 3 and _sent_on(cli, "2026-05-23") == 2
    # A cron import of the same files afterwards counts nothing again.
    again = cli("import", "pmta", str(logs / "acct-1.csv"), str(current), check=0).stdout
    assert again.count("already imported") == 2


def test_a_cron_import_skips_at_once_what_a_follower_holds(cli, cli_env, tmp_path):
    current = tmp_path / "acct.csv"
    current.write_text("type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@sl.example.com\n")
    proc = _spawn(cli_env, tmp_path, "import", "pmta", "--follow", str(current), "--every", "0.5")
    try:
        assert _wait_for(lambda: _sent_on(cli, "2026-05-22") == 1)
        result = cli("import", "pmta", "--json", str(current), check=0)
        (entry,) = json.loads(result.stdout)["Files"]
        assert entry["Status"] == "skipped" and "the follower pid" in entry["Note"]
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert _sent_on(cli, "2026-05-22") == 1


def test_a_non_utf8_file_name_is_imported_and_printed_escaped(cli, tmp_path):
    raw = os.fsencode(tmp_path) + b"/acct-\xff.csv"
    with open(raw, "wb") as f:
        f.write(b"type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@sl.example.com\n")
    good = tmp_path / "good.csv"
    good.write_text("type,timeLogged,orig\nd,2026-05-22 10:00:01+0000,a@sl.example.com\n")
    result = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"tui", b"--database", os.fsencode(f"sqlite:///{tmp_path / 'cli.db'}"),
         b"import", b"pmta", b"--json", raw, os.fsencode(good)],
        capture_output=True, cwd=ROOT, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {"XDG_CONFIG_HOME": str(tmp_path / "cfg")},
    )
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["Files"]
    assert [f["Status"] for f in files] == ["imported", "imported"]
    assert files[0]["File"].endswith("acct-\\xff.csv")
    assert _sent_on(cli, "2026-05-22") == 2
