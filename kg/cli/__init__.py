"""The ``kg`` command: a thin layer that parses, calls the library and prints.

Each command lives in one module of this package, imported when it runs (:data:`kg.cli.app.COMMANDS`).
"""

import os
import sys

from kg.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``kg`` console script.

    Ends with ``os._exit`` once the output is flushed: on a large graph,
    letting the interpreter free millions of objects one by one at exit
    takes longer than answering the question did.
    """
    try:
        app()
        code = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            sys.stderr.write(e.code + "\n")
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # `kg ... | head` closed the pipe (and the command closed stderr)
        pass
    os._exit(code)
