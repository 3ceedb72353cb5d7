"""Command palette (ctrl+p) entries for the main actions, and "Open <domain>" by name.

Entries run the list screen's actions, so the palette, the keys and the footer share one
implementation and the same ``check_action`` rules (a greyed-out action is not offered).
"""

from __future__ import annotations

from functools import partial
from typing import Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.screens.domain_list import DomainListScreen
from tui.text import plain
from tui.widgets.domain_filter import fold

# (palette label, help, action on the list screen)
LIST_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New sender domain", "Add a domain and see the DNS records to publish (n)", "new"),
    ("Open selected domain", "Records, badges, stats and actions for the highlighted domain (enter)", "open"),
    ("Verify selected domain", "Probe the highlighted domain's DNS records now (v)", "verify"),
    ("Verify all pending domains", "Probe every Approval Pending domain, batch by batch (V)", "verify_all"),
    ("Pause selected domain", "Set the highlighted domain to Disabled (p)", "pause"),
    ("Resume selected domain", "Set the highlighted domain back to Enabled (p)", "resume"),
    ("Delete selected domain", "Soft-delete the highlighted domain, after confirming (d)", "delete"),
    ("Filter domains", "Type to narrow the list by name, status or DNS host (/)", "filter"),
    ("Clear filters", "Show every domain again (escape)", "clear"),
    ("Refresh the list", "Reload domains and figures from the database (r)", "refresh"),
    ("Toggle watch mode", "Re-verify pending domains in the background with backoff (w)", "watch"),
    ("Show only Enabled domains", "Status filter", "show_status('Enabled')"),
    ("Show only Approval Pending domains", "Status filter", "show_status('Approval Pending')"),
    ("Show only Disabled domains", "Status filter", "show_status('Disabled')"),
    ("Show only Suspended domains", "Status filter", "show_status('Suspended')"),
    ("Show domains of every status", "Status filter", "show_status(None)"),
)
SORT_COMMANDS = (
    ("domain", "Domain"),
    ("status", "Status"),
    ("reputation", "Reputation"),
    ("volume", "7-day volume"),
    ("delta", "Volume change"),
    ("delivery", "Delivery rate"),
    ("bounce", "Bounce rate"),
    ("dns", "DNS records verified"),
    ("checked", "Last checked"),
    ("host", "DNS host"),
)
APP_COMMANDS = (
    ("Help: every key", "The keys of the screen you are on (?)", "app.help"),
)
MAX_DOMAIN_HITS = 20


class SenderdeckCommands(Provider):
    """Main actions of the domain list, plus jumping to a domain by name."""

    def _list_screen(self):
        screen = self.screen
        return screen if isinstance(screen, DomainListScreen) else None

    def _entries(self) -> Iterator[tuple[str, str, str]]:
        screen = self._list_screen()
        if screen is not None:
            for label, help_text, action in LIST_COMMANDS:
                if screen.action_available(action):
                    yield label, help_text, action
            for key, label in SORT_COMMANDS:
                yield f"Sort by {label}", "Again to reverse the order (s, S)", f"sort_by('{key}')"
        for label, help_text, action in APP_COMMANDS:
            yield label, help_text, action

    def _runner(self, action: str):
        if action.startswith("app."):
            return partial(self.app.run_action, action[4:])
        return partial(self.screen.run_action, action)

    async def discover(self) -> Hits:
        for label, help_text, action in self._entries():
            yield DiscoveryHit(label, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, action in self._entries():
            score = matcher.match(label)
            if score > 0:
                # Labels are constants above (no untrusted text), so highlighting is safe.
                yield Hit(score, matcher.highlight(label), self._runner(action), help=help_text)
        screen = self._list_screen()
        needle = fold(query.strip())
        if screen is None or len(needle) < 2:
            return
        shown = 0
        for row in screen.table.all_rows:
            if needle in row.haystack:
                # Domain names come from the database: shown as plain text, never markup.
                yield Hit(0.5, plain(f"Open {row.name}"), partial(screen.open_domain, row.id), text=f"Open {row.name}")
                shown += 1
                if shown >= MAX_DOMAIN_HITS:
                    break
