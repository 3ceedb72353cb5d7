"""Command palette (ctrl+p): the app's commands on every screen, and "Open <domain>" by name.

Entries run the screen's own actions, so the palette, the keys and the footer share one
implementation and the same ``check_action`` rules (an action that cannot run now is not
offered). The list offers its actions and sorts; a domain's detail screen its actions on
the domain (verify, send test, edit, pause or resume, delete, copy, export); every screen
offers opening a domain by name (from the detail screen it goes back to the list first).
"""

from __future__ import annotations

from functools import partial
from typing import Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.domain_list import DomainListScreen
from tui.text import plain
from tui.widgets.domain_filter import fold

Command = tuple[str, str, str]  # (palette label, help, action on the screen)

LIST_COMMANDS: tuple[Command, ...] = (
    ("New sender domain", "Add a domain and see the DNS records to publish (n)", "new"),
    ("Open selected domain", "Records, badges, stats and actions for the highlighted domain (enter)", "open"),
    ("Verify selected domain", "Probe the highlighted domain's DNS records now (v)", "verify"),
    ("Verify all pending domains", "Probe every Approval Pending domain, batch by batch (V)", "verify_all"),
    ("Pause selected domain", "Set the highlighted domain to Disabled (p)", "pause"),
    ("Resume selected domain", "Set the highlighted domain back to Enabled (p)", "resume"),
    ("Delete selected domain", "Soft-delete the highlighted domain, after confirming (d)", "delete"),
    ("Filter domains", "Type to narrow the list: name, status, bucket, DNS host; status: bucket: user: (/)", "filter"),
    ("Clear filters", "Show every domain again (escape)", "clear"),
    ("Refresh the list", "Reload domains and figures from the database (r)", "refresh"),
    ("Toggle watch mode", "Re-verify pending domains in the background with backoff (w)", "watch"),
    ("Show only Enabled domains", "Status filter", "show_status('Enabled')"),
    ("Show only Approval Pending domains", "Status filter", "show_status('Approval Pending')"),
    ("Show only Disabled domains", "Status filter", "show_status('Disabled')"),
    ("Show only Suspended domains", "Status filter", "show_status('Suspended')"),
    ("Show domains of every status", "Status filter", "show_status(None)"),
)
DETAIL_COMMANDS: tuple[Command, ...] = (
    ("Verify this domain", "Probe its DNS records now (v)", "verify"),
    ("Send a test message", "From this domain, through the configured relay (t)", "send_test"),
    ("Edit this domain", "Subdomain, tracking prefix and tracking options (e)", "edit"),
    ("Pause this domain", "Set it to Disabled: its mail uses the group default (p)", "pause"),
    ("Resume this domain", "Set it back to Enabled (p)", "resume"),
    ("Delete this domain", "Soft-delete it, after confirming (d)", "delete"),
    ("Copy the record's value", "The highlighted record's value, to paste at your DNS host (c)", "copy_value"),
    ("Copy the record's name", "The highlighted record's name, as your DNS host wants it (C)", "copy_name"),
    ("Export the records as a zone file", "Asks where; never replaces a file without asking (x)", "export"),
    ("Show the records or the stats", "Switch tabs (s)", "toggle_tab"),
    ("Refresh this domain", "Read it again from the database (r)", "refresh"),
    ("Back to the list", "(escape)", "back"),
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
APP_COMMANDS: tuple[Command, ...] = (("Help: every key", "The keys of the screen you are on (?, f1)", "app.help"),)
MAX_DOMAIN_HITS = 20


class SenderdeckCommands(Provider):
    """The screen's commands, and jumping to a domain by name."""

    def _list_screen(self) -> DomainListScreen | None:
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, DomainListScreen):
                return screen
        return None

    def _entries(self) -> Iterator[Command]:
        screen = self.screen
        if isinstance(screen, DomainListScreen):
            for label, help_text, action in LIST_COMMANDS:
                if screen.action_available(action):
                    yield label, help_text, action
            for key, label in SORT_COMMANDS:
                yield f"Sort by {label}", "Again to reverse the order (s, S)", f"sort_by('{key}')"
        elif isinstance(screen, DomainDetailScreen):
            for label, help_text, action in DETAIL_COMMANDS:
                if screen.action_available(action):
                    yield label, help_text, action
        yield from APP_COMMANDS

    def _runner(self, action: str):
        if action.startswith("app."):
            return partial(self.app.run_action, action[4:])
        return partial(self.screen.run_action, action)

    async def _open(self, domain_id: int) -> None:
        """Open ``domain_id`` from wherever the palette was opened: back to the list first."""
        app = self.app
        list_screen = self._list_screen()
        if list_screen is None:
            return
        while app.screen is not list_screen and len(app.screen_stack) > 1:
            await app.pop_screen()
        await list_screen.open_domain(domain_id)

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
        list_screen = self._list_screen()
        needle = fold(query.strip())
        if list_screen is None or len(needle) < 2:
            return
        shown = 0
        for row in list_screen.table.all_rows:
            if needle in row.haystack:
                # Domain names come from the database: shown as plain text, never markup.
                text = f"Open {row.name}"
                yield Hit(0.5, plain(text), partial(self._open, row.id), text=text, help="The domain's records, stats and actions")
                shown += 1
                if shown >= MAX_DOMAIN_HITS:
                    break
