"""Test-session set-up shared by the tests and the docstring examples."""

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="kg-test-cache-")


def pytest_configure(config):
    # The projection cache goes to a throwaway folder, never the user's ~/.cache.
    os.environ["KG_CACHE_DIR"] = _CACHE
    config.addinivalue_line("filterwarnings", "ignore:Code. _mock_name is not defined:UserWarning")


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE, ignore_errors=True)
