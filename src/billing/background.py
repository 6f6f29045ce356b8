"""``StoppableThread``: a daemon thread that an adapter owns and anyone holding it can stop.

The embedded default runs two loops in the serving process (the inline job relay and the
sandbox's deliveries). Each is a ``StoppableThread`` whose ``stop`` asks its owner to finish
and waits, so a shutdown — or a test ending — can end every such loop it finds in
``threading.enumerate()`` without knowing which adapter started it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class StoppableThread(threading.Thread):
    def __init__(self, name: str, run: Callable[[], None], stop: Callable[[], None]) -> None:
        super().__init__(target=run, name=name, daemon=True)
        self._ask_owner_to_stop = stop

    def stop(self) -> None:
        """End the loop through its owner (which joins it with its own timeout)."""
        self._ask_owner_to_stop()
