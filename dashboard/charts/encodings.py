"""Altair without the work it repeats for every chart the dashboard builds (issue 7).

Altair's "debug mode" (on by default) turns every schema object into a dict and validates
it against the Vega-Lite schema when it is created, for better tracebacks while a chart is
being written: 37 ms of each Causes heat map. It is switched off here with Altair's own
`disable_debug_mode()`; a chart's spec is still validated whenever `to_dict()` is called
with its default `validate=True` (the chart tests, the report's images).

Encoding conversion:

Every encoding given as text ("rate:Q"), as `alt.value(...)` or as a condition goes
through Altair's `SchemaBase.from_dict`, which builds a `_FromDict`: a table of every
schema class keyed by a hash of the class's JSON schema (json.dumps of about 600
schemas). That took 10-18 ms per channel, 0.2-0.3 s of a Causes & pathways or Compare
run at a million cases (issue 7, cProfile of the script run). The table depends only on
the set of classes, so it is built once per set and shared; a missing key is looked up
in it as before (its lists are only read). The specs are the same with and without
(tests/app/test_unvalidated_charts.py). If a later Altair drops `_FromDict`, nothing is
patched and the charts are merely slower.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from altair.utils import schemapi

_tables: dict[frozenset[type], Any] = {}
_lock = threading.Lock()
_original: Callable[..., None] | None = None


def _shared_table_init(self: Any, wrapper_classes: Iterable[type], /) -> None:
    classes = tuple(wrapper_classes)
    key = frozenset(classes)
    table = _tables.get(key)
    if table is None:
        assert _original is not None
        _original(self, classes)
        with _lock:
            _tables.setdefault(key, self.class_dict)
        return
    self.class_dict = table


def install() -> None:
    """No validation at creation; share `_FromDict`'s class table (idempotent)."""
    global _original
    schemapi.disable_debug_mode()
    from_dict = getattr(schemapi, "_FromDict", None)
    if from_dict is None or _original is not None:
        return
    _original = from_dict.__init__
    from_dict.__init__ = _shared_table_init


def uninstall() -> None:
    """Altair's own behaviour again (the tests compare both)."""
    global _original
    schemapi.enable_debug_mode()
    if _original is not None:
        schemapi._FromDict.__init__ = _original  # type: ignore[method-assign]
        _original = None
        _tables.clear()
