"""Compute one CPU-bound piece in a forked child while this process goes on: the second core, no input handed over.

A child made by ``fork`` starts with the parent's memory (copy-on-write),
so it reads a big in-memory graph at no cost; only its answer travels
back, pickled through a pipe.
"""

from __future__ import annotations

import os
import pickle
import threading

__all__ = ["Forked"]

_FAILED = object()
#: No fork once this process holds more (MB): a child's copy-on-write pages grow toward what it reads of
#: this process (at 1M triples parent and child hold about 1.45x the parent alone), and at 10M a second
#: copy would cost more memory than the time it saves is worth (the 8 GB goal of issue 12).
MOST_RESIDENT_MB = 2048


class Forked:
    """``function()`` computed in a forked child, its answer fetched by :meth:`result`; use it as a context manager.

    Parameters
    ----------
    function : callable
        Takes no argument; its answer must pickle. It must only read what
        the parent holds: what it changes stays in the child.
    fork : bool
        False computes ``function()`` in this process, at :meth:`result`
        (for work too small to pay for a fork).

    Nothing is forked when ``os.fork`` is missing, other Python threads
    run (forking a threaded process can deadlock) or this process holds
    more than :data:`MOST_RESIDENT_MB`. When the child fails,
    :meth:`result` computes ``function()`` here, so its error is raised here.
    Leaving the ``with`` block without :meth:`result` stops the child.

    Examples
    --------
    >>> with Forked(lambda: sum(range(10))) as child:
    ...     mine = sum(range(5))
    ...     mine, child.result()
    (10, 45)
    """

    def __init__(self, function, *, fork: bool = True):
        self._function = function
        self._pid = self._pipe = None
        if not (fork and hasattr(os, "fork") and threading.active_count() == 1 and _resident_mb() <= MOST_RESIDENT_MB):
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    pickle.dump(function(), out, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._pipe = pid, os.fdopen(read, "rb")

    def result(self):
        """The answer of ``function()``: the child's, or computed here when there is no child or it failed."""
        if self._pid is None:
            return self._function()
        try:
            answer = pickle.load(self._pipe)
        except (EOFError, pickle.UnpicklingError):
            answer = _FAILED
        if self._end() != 0 or answer is _FAILED:
            return self._function()
        return answer

    def _end(self) -> int:
        self._pipe.close()  # a child still writing gets a broken pipe and exits
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._pid is not None:
            self._end()


def _resident_mb() -> float:
    """This process's resident memory now (MB); 0 where ``/proc`` does not tell."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
