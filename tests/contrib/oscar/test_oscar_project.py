"""The django-oscar adapter, tested in a real Oscar project: its tests (the other modules of
this folder) run in a pytest process of their own, with the Oscar shop's settings
(tests/contrib/oscar/project/), on this run's database backend and Redis.

Without django-oscar installed (`pip install -e '.[test]'` installs it) the test is skipped,
or fails under CI (ZNS_REQUIRE_SERVICES=1), where a skip would hide the adapter's tests.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contrib.oscar.conftest import OSCAR_SETTINGS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
#: The whole Oscar run, migrations included, takes well under a minute on a laptop.
TIMEOUT = 240


def require_oscar() -> None:
    """Skip without django-oscar; fail instead under CI (ZNS_REQUIRE_SERVICES=1)."""
    if importlib.util.find_spec("oscar") is not None:
        return
    reason = "django-oscar is not installed (pip install -e '.[test]')"
    if os.environ.get("ZNS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (ZNS_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


# Its live server and sandbox threads wait with timeouts, which libfaketime breaks: the
# shifted-clock run takes it under time-machine (ZNS_TEST_CLOCK reaches the inner process).
@pytest.mark.timed_waits
def test_the_oscar_shop_passes_its_tests():
    require_oscar()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(HERE),
        f"--ds={OSCAR_SETTINGS}",
        f"--confcutdir={HERE}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfEs",
    ]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    output = result.stdout[-20000:] + result.stderr[-5000:]
    assert result.returncode == 0, f"the Oscar project's tests failed:\n{output}"
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"skipped|xfail|deselected", summary), f"none may be left out:\n{output}"


def without_oscar(monkeypatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "oscar" else find_spec(name, *a),
    )


def test_without_oscar_a_newcomer_s_run_skips(monkeypatch):
    without_oscar(monkeypatch)
    monkeypatch.delenv("ZNS_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="django-oscar is not installed"):
        require_oscar()


def test_without_oscar_ci_fails(monkeypatch):
    without_oscar(monkeypatch)
    monkeypatch.setenv("ZNS_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="ZNS_REQUIRE_SERVICES=1"):
        require_oscar()
