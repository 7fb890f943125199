"""The worker's heap after start-up: moved out of the garbage collector's way.

A worker imports SQLAlchemy, jinja2, the flows and the templates: some hundred thousand
long-lived objects that every full collection would walk again, and that survive
every one. `gc.freeze()` (the CPython documentation's advice for servers that build
their state once at start) moves them to a permanent generation once the app is built,
so collections only walk what requests allocate. A larger first threshold lets a push's
short-lived objects (parsed XML, the engine's state, rendered texts) die before a
collection looks at them, instead of a young collection every ~700 allocations.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def settle_heap() -> None:
    """Call once, when the worker is built and before it takes requests."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
