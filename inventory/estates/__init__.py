"""Estate loaders: seed the simulated vCenter with an inventory (`manage.py load_estate <name>`).

Each loader runs in one transaction and is idempotent: once its datacenter exists, a rerun changes
nothing and only reports what is there.
"""

from __future__ import annotations

from collections.abc import Callable

from inventory.estates import config_max, demo
from inventory.estates.common import LoadResult

ESTATES: dict[str, Callable[..., LoadResult]] = {
    demo.NAME: demo.load,
    config_max.NAME: config_max.load,
}

__all__ = ["ESTATES", "LoadResult"]
