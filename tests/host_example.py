"""``examples/host_app/app.py`` loaded as a module: the host application tests drive (its unit
test with Flask's client, the browser test served live)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

EXAMPLE = Path(__file__).parents[1] / "examples" / "host_app" / "app.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("host_app_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module
