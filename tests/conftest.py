"""Fixtures shared by several test files."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def procs():
    """Processes started by a test; whatever is still running at teardown is killed."""
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
