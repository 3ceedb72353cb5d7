"""The engine never loads the UI: importing core (and running headless commands) loads no
textual module, checked in a fresh interpreter and by import-linter's contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_core_loads_no_textual():
    code = (
        "import sys, importlib, pkgutil, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'): importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.') or m == 'tui' or m.startswith('tui.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_headless_cli_loads_no_textual():
    code = (
        "import sys\n"
        "import tui.__main__ as m\n"
        "m.build_parser()\n"
        "bad = sorted(x for x in sys.modules if x.split('.')[0] in ('textual', 'rich'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_headless_api_command_runs_without_textual(tmp_path):
    code = (
        "import sys\n"
        "import tui.__main__ as m\n"
        f"rc = m.main(['--database', 'sqlite:///{tmp_path / 'h.db'}', 'user', 'add', 'ops'])\n"
        f"rc = m.main(['--database', 'sqlite:///{tmp_path / 'h.db'}', 'api', 'list'])\n"
        "bad = sorted(x for x in sys.modules if x == 'textual' or x.startswith('textual.'))\n"
        "print('loaded:', bad); sys.exit(rc or (1 if bad else 0))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"SenderDomains": []' in result.stdout and "loaded: []" in result.stdout


def test_serve_builds_its_app_without_textual(tmp_path):
    """`senderdeck serve`'s workers build the HTTP app (Starlette, the engine) and no UI."""
    code = (
        "import os, sys\n"
        f"os.environ['SENDERDECK_DATABASE'] = 'sqlite:///{tmp_path / 's.db'}'\n"
        "import tui.__main__ as m\n"
        "m.build_parser()\n"
        "from tui.cli.serve_cmd import app_from_environment\n"
        "app = app_from_environment()\n"
        "bad = sorted(x for x in sys.modules if x.split('.')[0] in ('textual', 'rich'))\n"
        "print('app:', type(app).__name__, 'loaded:', bad); sys.exit(1 if bad else 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {"XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app: Starlette loaded: []" in result.stdout


def test_import_linter_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (
        "core is the engine",
        "the headless command line never loads the UI",
        "core has no import cycles",
        "core.http is the HTTP adapter",
    ):
        assert f"{contract}" in result.stdout, contract
