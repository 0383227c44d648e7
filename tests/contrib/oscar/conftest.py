"""This folder serves two pytest processes.

In the main suite (tests/settings.py), only :mod:`.test_oscar_project` is collected: it runs
this folder again in a pytest process of its own with the Oscar shop's settings
(pytest-django configures one settings module per process). In that process, every other
module here is collected, with the fixtures of :mod:`.fixtures`.
"""

from __future__ import annotations

import os
from pathlib import Path

OSCAR_SETTINGS = "tests.contrib.oscar.project.settings"
RUNNER = "test_oscar_project.py"
HERE = Path(__file__).resolve().parent

if os.environ.get("DJANGO_SETTINGS_MODULE") == OSCAR_SETTINGS:
    # The main suite's conftest is below this process's --confcutdir: its session hooks
    # (fresh catalogues, ZNS_TEST_CLOCK's moved clock) are taken over here.
    from tests.contrib.oscar.fixtures import *  # noqa: F403
    from tests.session_setup import (  # noqa: F401  (pytest's hooks, by their names)
        pytest_configure,
        pytest_report_header,
        pytest_unconfigure,
    )

    collect_ignore = [RUNNER, "project"]  # the runner would start this process again
else:
    collect_ignore = [p.name for p in HERE.iterdir() if p.name != RUNNER]
