"""Tells the pytest adapter when a registry builds a model on its default ledger (``get_model``
without ``ledger=``): per-test usage counting, and its cost, starts only then.

Outside the models package and import-light: the adapter loads it in every run.
"""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[], object]] = []
"""Who is told, in the order they asked: the runs in progress in this process."""


def listen(listener: Callable[[], object]) -> None:
    _listeners.append(listener)


def forget(listener: Callable[[], object]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def model_built() -> None:
    for listener in list(_listeners):
        listener()
