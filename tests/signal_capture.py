"""Collect what zns_notify's outgoing signals send during a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def _signal_and_kwargs(signal, kwargs: dict) -> Any:
    return (signal, kwargs)


@contextmanager
def listening(*watched, record: Callable[[Any, dict], Any] = _signal_and_kwargs) -> Iterator[list]:
    """A list that fills, while inside, with ``record(signal, kwargs)`` for every send of
    the ``watched`` signals (``kwargs`` includes ``sender``)."""
    seen: list = []

    def receiver(signal, **kwargs):
        seen.append(record(signal, kwargs))

    uid = f"tests-listening-{id(seen)}"
    for signal in watched:
        signal.connect(receiver, weak=False, dispatch_uid=uid)
    try:
        yield seen
    finally:
        for signal in watched:
            signal.disconnect(dispatch_uid=uid)
