"""Child processes of ``rundemo``: start ``manage.py`` commands, wait for them, stop them.

Each child gets its own session, so a Ctrl-C in the terminal reaches only the supervisor,
which then stops the children in order instead of all of them dying at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

STOP_GRACE_SECONDS = 10.0


class ChildFailed(RuntimeError):
    """A child exited, or did not come up in time."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the child (qcluster then stops its workers itself); SIGKILL its whole
        process group if it is still there after ``grace`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            # Also reaps grandchildren (qcluster's workers) a killed leader left behind.
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()


class ManagePy:
    """Runs ``manage.py`` subcommands with one environment, and keeps track of them.

    ``output``: a file that takes the commands' output and errors (a benchmark's log);
    by default they share this process's terminal."""

    def __init__(
        self, manage_py: Path, env: Mapping[str, str], output: IO[str] | None = None
    ) -> None:
        self.manage_py = manage_py
        self.env = dict(env)
        self.children: list[Child] = []
        self.streams = {"stdout": output, "stderr": subprocess.STDOUT} if output else {}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(self.manage_py), *args]

    def start(self, name: str, *args: str) -> Child:
        process = subprocess.Popen(
            self.command(*args), env=self.env, start_new_session=True, **self.streams
        )
        child = Child(name, process)
        self.children.append(child)
        return child

    def run(self, *args: str) -> int:
        """Run a command to completion in the foreground; return its exit code."""
        done = subprocess.run(self.command(*args), env=self.env, check=False, **self.streams)
        return done.returncode

    def first_exited(self) -> Child | None:
        return next((child for child in self.children if child.exit_code is not None), None)

    def stop_all(self) -> None:
        # Reverse start order: the worker and the web server go before the sandbox they call.
        for child in reversed(self.children):
            child.stop()


def wait_for_http(url: str, child: Child, *, timeout: float, interval: float = 0.2) -> None:
    """Return once ``url`` answers with a status below 500; raise ChildFailed if ``child``
    exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if child.exit_code is not None:
            raise ChildFailed(f"{child.name} exited with code {child.exit_code} while starting.")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        if time.monotonic() >= deadline:
            raise ChildFailed(f"{child.name} did not answer at {url} within {timeout:g} s.")
        time.sleep(interval)


def wait_for_any_exit(manage: ManagePy, *, interval: float = 0.5) -> Child:
    """Block until one child exits; return it."""
    while (exited := manage.first_exited()) is None:
        time.sleep(interval)
    return exited


def process_env(overrides: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    env.update(overrides)
    # Children's output interleaves with ours in the terminal; unbuffered keeps it in order.
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
