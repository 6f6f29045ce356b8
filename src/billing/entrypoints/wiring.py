"""The views' ``Provide[Container.…]`` parameters, served by the app handling the request.

dependency-injector wires a module's functions to one container instance for the whole
process: with two apps in a process (two hosts, or tests), the last one wired would serve both.
So the views are wired once, to a container whose every provider forwards to the same provider
of the current app's own container (``mounting.current_container()``); it holds nothing itself.
"""

from __future__ import annotations

import threading
from typing import Any

from dependency_injector import providers

from .container import Container
from .mounting import current_container

VIEWS = "billing.entrypoints.views"
_lock = threading.Lock()
_wired: list[Container] = []


def _from_current_app(name: str) -> Any:
    return getattr(current_container(), name)()


def _forwarding_container() -> Container:
    forwarding = Container()
    for name, provider in forwarding.providers.items():
        provider.override(providers.Callable(_from_current_app, name))
    return forwarding


def wire_views() -> None:
    """Wire the views once per process (later calls do nothing)."""
    with _lock:
        if not _wired:
            forwarding = _forwarding_container()
            forwarding.wire(packages=[VIEWS])
            _wired.append(forwarding)
