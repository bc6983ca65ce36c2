"""The exceptions the library raises, each with the CLI exit code it maps to."""

__all__ = [
    "clip",
    "KGError",
    "BadInput",
    "DataError",
    "NotFound",
    "UnknownEntity",
    "AmbiguousEntity",
    "NoPath",
    "QueryError",
    "QueryRefused",
    "QueryTimeout",
    "DataWarning",
]


def clip(text, limit: int = 80) -> str:
    """Shorten text from the user for an error message: its start, an ellipsis and its length.

    Examples
    --------
    >>> clip("Nvidia")
    'Nvidia'
    >>> clip("x" * 100_000)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (100,000 characters)'
    """
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit - 20]}… ({len(text):,} characters)"


class KGError(Exception):
    """Base class of every error the library raises on purpose.

    ``exit_code`` is what the ``kg`` command exits with: 1 for "nothing
    found / does not conform", 2 for bad input.
    """

    exit_code = 2


class BadInput(KGError):
    """The caller asked for something malformed: a bad option, file or value."""


class DataError(BadInput):
    """A data file cannot be read or parsed; the message names file and line."""


class NotFound(KGError):
    """The request was well formed but nothing answers it."""

    exit_code = 1


class UnknownEntity(NotFound):
    """No entity has the given name; ``suggestions`` holds close names."""

    def __init__(self, name, suggestions=()):
        self.name = name
        self.suggestions = list(suggestions)
        self.brief = f"no entity named {clip(name)!r}"  # without the suggestions, for a page that links them
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(self.brief + hint)


class AmbiguousEntity(NotFound):
    """Several entities match the name equally well; ``candidates`` lists them."""

    def __init__(self, name, candidates):
        self.name = name
        self.candidates = list(candidates)
        self.brief = f"{clip(name)!r} is ambiguous"  # without the candidates, for a page that links them
        super().__init__(f"{self.brief}; it could be: {', '.join(self.candidates)}")


class NoPath(NotFound):
    """Two entities are not connected under the given constraints."""


class QueryError(BadInput):
    """A SPARQL query is malformed; the message gives line and column."""


class QueryRefused(BadInput):
    """A SPARQL query asks for something a read-only, offline engine won't do."""


class QueryTimeout(KGError):
    """A SPARQL query ran past its time limit or row cap."""

    exit_code = 1


class DataWarning(UserWarning):
    """A value in a data file was left out; the message names file, line and value.

    Issued with :func:`warnings.warn`; the ``kg`` command prints each as one line on stderr.
    """
