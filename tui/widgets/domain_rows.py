"""The rows of the domain list, kept apart from painting them: every row in sort order, and the
ones the filter shows.

Sorting and filtering work on lists of references, so they stay fast with tens of thousands
of rows: a sort is two stable sorts (by name, then by the column), rows without a value go
last whichever the direction, and the filter (words and ``field:value`` tokens, see
``tui/widgets/domain_filter.py``) is a few substring tests on each row's folded words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.stats import Figures
from core.views import DomainView
from tui.widgets.domain_columns import BY_KEY, FIGURE_KEYS, NOT_LOOKED_UP, DomainRow
from tui.widgets.domain_filter import DomainFilter

KEEP = object()  # set_filter(status=KEEP): leave the status filter as it is


class DomainRows:
    def __init__(self) -> None:
        self.all: list[DomainRow] = []  # every row, in sort order
        self.shown: list[DomainRow] = []  # the rows the filter lets through, in sort order
        self.by_id: dict[int, DomainRow] = {}
        self.query = ""  # the filter as typed
        self.filter = DomainFilter()
        self.status: str | None = None
        self.owner_names: dict[int, str] = {}  # user id -> name, for views that carry no owner
        self.sort_key = "domain"
        self.sort_reverse = False

    def index_of(self, domain_id: int | None) -> int | None:
        """Where ``domain_id`` is among the rows shown (None: not shown)."""
        if domain_id is not None:
            for index, row in enumerate(self.shown):
                if row.id == domain_id:
                    return index
        return None

    # ---- changing the rows -------------------------------------------------------------------

    def replace(self, views: Iterable[DomainView]) -> None:
        """Every row anew; a domain listed before keeps its DNS host, and its figures until
        new ones come (``set_figures``), so a reload changes the table in place."""
        old = self.by_id
        rows = []
        empty = Figures()
        for view in views:
            previous = old.get(view.id)
            if previous is not None and view.figures == empty:
                view.figures = previous.view.figures
            rows.append(DomainRow(view, previous.dns_host if previous else NOT_LOOKED_UP, self._owner(view)))
        self.by_id = {row.id: row for row in rows}
        self.all = rows
        self.resort()

    def upsert(self, view: DomainView) -> None:
        """Add or replace one domain, keeping its figures and host when the view has none."""
        previous = self.by_id.get(view.id)
        if previous is not None and view.figures == type(view.figures)() and previous.view.figures != view.figures:
            view.figures = previous.view.figures
        row = DomainRow(view, previous.dns_host if previous else NOT_LOOKED_UP, self._owner(view))
        if previous is not None:
            self.all[self.all.index(previous)] = row
        else:
            self.all.append(row)
        self.by_id[view.id] = row
        self.resort()

    def remove(self, domain_id: int) -> bool:
        row = self.by_id.pop(domain_id, None)
        if row is None:
            return False
        self.all.remove(row)
        self.refilter()
        return True

    def set_figures(self, figures: Mapping[int, Figures]) -> bool:
        """Fill in figures loaded after the rows; True when that changed the order."""
        empty = Figures()
        for row in self.all:
            row.view.figures = figures.get(row.id, empty)
            row.figures_changed()  # its bucket is a filter word now
        if self.sort_key in FIGURE_KEYS:
            self.resort()
            return True
        if not self.filter.empty:
            self.refilter()
        return False

    def set_hosts(self, hosts: Mapping[int, str | None]) -> None:
        for domain_id, host in hosts.items():
            row = self.by_id.get(domain_id)
            if row is not None:
                row.set_host(host)

    # ---- filter and sort -----------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        """The filter as typed, trimmed and case-folded."""
        return self.query.strip().casefold()

    def set_filter(self, text: str | None = None, status: str | None | object = KEEP) -> bool:
        """Show the rows ``text`` matches (tui/widgets/domain_filter.py) whose status is
        ``status`` (None: any); ``text`` None keeps the text filter. False: nothing changed."""
        changed = False
        if text is not None and text != self.query:
            self.query, changed = text, True
            self.filter = DomainFilter.parse(text)
        if status is not KEEP and status != self.status:
            self.status, changed = status, True  # type: ignore[assignment]
        if changed:
            self.refilter()
        return changed

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Sort by column ``key``; ``reverse`` None: the other way when already sorted by it."""
        if key not in BY_KEY:
            raise ValueError(f"unknown column {key!r}")
        if reverse is None:
            reverse = (not self.sort_reverse) if key == self.sort_key else False
        self.sort_key, self.sort_reverse = key, reverse
        self.resort()

    def resort(self) -> None:
        key = BY_KEY[self.sort_key].sort
        valued, missing = [], []
        for row in self.all:
            (missing if key(row) is None else valued).append(row)
        name = BY_KEY["domain"].sort
        valued.sort(key=name)  # ties broken by name, always ascending
        valued.sort(key=key, reverse=self.sort_reverse)
        missing.sort(key=name)
        self.all = valued + missing  # rows without a value last, whichever the direction
        self.refilter()

    def refilter(self) -> None:
        query, status = self.filter, self.status
        rows = self.all
        if status is not None:
            rows = [r for r in rows if r.view.status == status]
        if query.words and not (query.statuses or query.buckets or query.users or query.drifted):
            # Words alone (the usual filter): substring tests inline, no call per row.
            if len(query.words) == 1:
                word = query.words[0]
                rows = [r for r in rows if word in r.haystack]
            else:
                words = query.words
                rows = [r for r in rows if all(w in r.haystack for w in words)]
        elif not query.empty:
            rows = [r for r in rows if r.matches(query)]
        elif rows is self.all:
            rows = list(rows)
        self.shown = rows

    def _owner(self, view: DomainView) -> str:
        return self.owner_names.get(view.user_id, "")
