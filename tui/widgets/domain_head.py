"""The lines at the top of the detail screen: the domain, its status and DNS count (and its
owner, in the every-tenant view); then its reputation, when it was last checked and who hosts
its DNS; for a suspended domain, a third line: why (the operator's reason).

Untrusted text (names, nameservers) has its control characters stripped and is never markup.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING
from core.validation import strip_control, to_unicode
from core.views import DomainView
from tui.text import ago, plain
from tui.verify_report import Tally

STATUS_STYLES = {
    STATUS_ENABLED: "bold green",
    STATUS_PENDING: "bold yellow",
    STATUS_DISABLED: "bold blue",
    "Suspended": "bold red",
}
BUCKET_STYLES = {"excellent": "green", "good": "cyan", "fair": "yellow", "poor": "red"}


class DomainHead(Vertical):
    title_line = getters.child_by_id("title", Static)
    subtitle = getters.child_by_id("subtitle", Static)
    notice = getters.child_by_id("notice", Static)

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="subtitle")
        yield Static(id="notice")

    def show_suspension(self, suspended: bool, reason: str | None) -> None:
        """The third line: why the domain is suspended (none when it is not)."""
        self.notice.display = suspended
        if suspended:
            line = Text("Suspended by an operator: ", style="bold red")
            line.append(strip_control(reason) if reason else "no reason was recorded", style="" if reason else "dim")
            line.append(" · the History tab (h) says who and when", style="dim")
            self.notice.update(line)

    def show_loading(self, domain_id: int) -> None:
        self.title_line.update(plain(f"Domain #{domain_id}"))
        self.subtitle.update("Loading…")

    def show_error(self, text: str) -> None:
        self.subtitle.update(plain(text))

    def show(
        self, view: DomainView, *, now: dt.datetime, verifying: bool, dns_host: str | None, nameservers: list,
        zone: str | None = None, owner: str | None = None,
    ) -> None:
        """``dns_host`` None: still looking; "unknown": nameservers of no known provider.
        ``zone``: the apex of the domain's zone, said when it is not the domain itself.
        ``owner``: the tenant's name (the every-tenant view; None in one tenant's)."""
        title = Text()
        title.append(strip_control(view.display_name), style="bold")
        if view.display_name != view.domain:
            title.append(f"  ({strip_control(view.domain)})", style="dim")
        title.append("  ")
        title.append(strip_control(view.status), style=STATUS_STYLES.get(view.status, "bold"))
        verified, total = view.verified_count()
        title.append(f"  DNS {verified}/{total}", style="green" if total and verified == total else "yellow")
        if zone and zone != view.domain:
            # Records go into the parent's zone: say so, since every name below is relative to it.
            title.append("  in the zone ", style="dim")
            title.append(strip_control(to_unicode(zone)), style="bold")
        if owner:
            title.append("  owner ", style="dim")
            title.append(strip_control(owner), style="bold")
        self.title_line.update(title)

        sub = Text()
        f = view.figures
        if f.reputation is None:
            sub.append("Reputation –", style="dim")
        else:
            sub.append(f"Reputation {f.reputation} ")
            sub.append(str(f.reputation_bucket), style=BUCKET_STYLES.get(f.reputation_bucket or "", ""))
        sub.append(" · ")
        checks = view.verification_meta.get("Checks") or {}
        tally = Tally.of(checks, [r.host for r in view.records()]) if checks else None
        if verifying:
            sub.append("Checking DNS…", style="bold yellow")
        elif tally is not None and tally.nothing_checked:
            # The last try got no answer at all: it checked nothing, so do not say "Checked".
            sub.append(f"Last try {ago(view.last_verified_at, now)}: {tally.why_unchecked}", style="bold yellow")
        else:
            sub.append(f"Checked {ago(view.last_verified_at, now)}")
        sub.append(" · ")
        if dns_host is None:
            sub.append("DNS host: looking…", style="dim")
        elif dns_host.lower() == "unknown":
            ns = ", ".join(strip_control(n).rstrip(".") for n in nameservers[:2])
            sub.append(f"DNS via unknown host ({ns})" if ns else "DNS host unknown", style="dim")
        else:
            sub.append(f"DNS via {strip_control(dns_host)}")
        self.subtitle.update(sub)
