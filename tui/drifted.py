"""Which domains the TUI shows as drifted (issue 15): Enabled domains a sweep found with a
record no longer matching (``core/drift.py``, ``DomainView.drift``).

A paused or suspended domain may still carry the drift a sweep stored before it was paused;
it does not send as itself, so it is not flagged — the rule of the metrics'
``senderdeck_domains_drifted``. The list's badge, the summary's count, the ``drift`` filter
word and the detail screen's drift section all ask this one function.
"""

from __future__ import annotations

from core.models import STATUS_ENABLED
from core.views import DomainView


def is_drifted(view: DomainView) -> bool:
    return view.drift is not None and view.status == STATUS_ENABLED
