"""Fixtures shared by the tests: a CLI runner, a free loopback port, a fresh Python for fork tests."""

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner():
    """A typer CliRunner for ``kg.cli.app``; stdout and stderr kept apart."""
    return CliRunner()


@pytest.fixture
def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def alone():
    """Run test code in a fresh Python, where no other test's threads run, so :class:`kg.parallel.Forked` forks.

    ``alone(code, name=value, ...)`` binds each name to its value (by ``repr``) before ``code``; the code
    fails the test by raising. ``forks`` counts the forks made: a test asserts it, so it cannot pass
    by comparing a computation with itself.
    """
    def run(code: str, **names) -> None:
        prelude = "".join(f"{name} = {value!r}\n" for name, value in names.items())
        counting = ("import os\nforks, _fork = [], os.fork\n"
                    "def _counted():\n    forks.append(1)\n    return _fork()\nos.fork = _counted\n")
        done = subprocess.run([sys.executable, "-c", counting + prelude + textwrap.dedent(code)],
                              capture_output=True, text=True, timeout=600, cwd=Path(__file__).parent.parent)
        assert done.returncode == 0, done.stderr[-3000:]
    return run
