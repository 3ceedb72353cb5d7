"""Named hooks other code can subscribe to (the spec's ``Delete.SenderDomain`` plugin hook)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger(__name__)

DELETE_SENDER_DOMAIN = "Delete.SenderDomain"


class Hooks:
    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[..., Any]]] = defaultdict(list)

    def subscribe(self, name: str, listener: Callable[..., Any]) -> Callable[[], None]:
        """Call ``listener(**payload)`` whenever ``name`` fires; returns an unsubscribe."""
        self._listeners[name].append(listener)
        return lambda: self._listeners[name].remove(listener)

    def fire(self, name: str, **payload: Any) -> None:
        # A failing listener is logged, never undoes the operation that fired the hook.
        for listener in list(self._listeners.get(name, ())):
            try:
                listener(**payload)
            except Exception:
                log.exception("hook %s listener %r failed", name, listener)
