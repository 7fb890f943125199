"""Who answers a push: its own HTTP response or, after the time budget, the outbox."""

from __future__ import annotations

import threading


class PassiveSlot:
    """Whether the HTTP response can still carry the reply, settled once.

    The route gives the dispatcher `reply_budget` seconds. Whichever comes first wins:
    the dispatcher `take()`s the slot when it plans (just before commit), or the route
    `close()`s it when the budget runs out and answers "success". Once taken, the route
    waits for the commit (a WeChat retry would get the stored reply anyway); once
    closed, the dispatcher plans for the outbox or the next message. Called from the
    event loop and from database threads, hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "open"

    def take(self) -> bool:
        """Dispatcher: True if the passive reply is ours to fill (also on a re-run)."""
        with self._lock:
            if self._state == "open":
                self._state = "taken"
            return self._state == "taken"

    def close(self) -> bool:
        """Route: True if the reply will go elsewhere (answer "success" now)."""
        with self._lock:
            if self._state == "open":
                self._state = "closed"
            return self._state == "closed"
