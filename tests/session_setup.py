"""Session set-up shared by the main suite (tests/conftest.py) and the test projects that
run in pytest processes of their own (tests/contrib/oscar/): fresh catalogues, and the
clock ZNS_TEST_CLOCK moves. Imports nothing of the project, so any settings can use it.

Its functions are pytest's hooks: a conftest imports them by name and pytest calls them,
so each process runs the same set-up."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: ZNS_TEST_CLOCK=<ISO 8601 instant with its offset>: the whole run starts at that instant.
SHIFTED_CLOCK = "ZNS_TEST_CLOCK"
_shifted_clock = []


def pytest_configure(config):
    _compile_catalogues()
    _shift_the_clock()


def pytest_unconfigure(config):
    while _shifted_clock:
        _shifted_clock.pop().stop()


def pytest_report_header(config):
    if _shifted_clock:
        return f"clock moved by {SHIFTED_CLOCK} to {os.environ[SHIFTED_CLOCK]} (time-machine)"


def _shift_the_clock():
    """Python's clock in this process starts at ZNS_TEST_CLOCK and ticks (time-machine):
    how the tests that start servers run at another date, which faketime cannot do for them
    (docs/development.md, "Tests at another date and hour"). Subprocesses keep real time."""
    instant = os.environ.get(SHIFTED_CLOCK, "").strip()
    if not instant:
        return
    import time_machine

    try:
        moment = dt.datetime.fromisoformat(instant)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise pytest.UsageError(
            f"{SHIFTED_CLOCK}={instant!r}: give an ISO 8601 instant with its offset, "
            "e.g. 2027-12-31T19:30:00+00:00"
        )
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    _shifted_clock.append(traveller)


def _compile_catalogues():
    """Compile stale .mo catalogues (make does it too), so `pytest` alone sees current
    translations after a .po edit."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in [
        *ROOT.glob("zns_notify/locale/*/LC_MESSAGES/django.po"),
        *ROOT.glob("demo_shop/*/locale/*/LC_MESSAGES/django.po"),
    ]:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
