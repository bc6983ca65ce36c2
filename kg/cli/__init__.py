"""The ``kg`` command: a thin layer that parses, calls the library and prints."""

from kg.cli.app import app
from kg.cli import core  # noqa: F401  (registers commands)

__all__ = ["app", "main"]

for _module in ("network", "sparql", "views", "scale"):
    try:
        __import__(f"kg.cli.{_module}")
    except ModuleNotFoundError as e:  # a command group not written yet
        if e.name != f"kg.cli.{_module}":
            raise


def main() -> None:
    """Entry point of the ``kg`` console script."""
    app()
