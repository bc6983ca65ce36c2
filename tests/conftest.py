"""Fixtures shared by the tests: a CLI runner and a free loopback port."""

import socket

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
