"""Snapshots of a drifted domain (issue 15.2): the list with its Drifted badge and the
summary's count, and its detail screen's drift section. The drift is made by the real sweep
on loopback DNS (tests/tui/drift_support.py); fixed clock and theme as in conftest.py."""

from __future__ import annotations

from tests.tui.conftest import SIZE_SMALL, settle
from tests.tui.drift_support import drift_app, drifted  # noqa: F401 (fixtures)


def test_list_with_a_drifted_domain(snap_compare, drift_app):
    assert snap_compare(drift_app, terminal_size=SIZE_SMALL, run_before=settle)
