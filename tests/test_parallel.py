"""A piece of work computed in a forked child: the same answer as here, errors raised here, no fork beside threads."""

from __future__ import annotations

import os
import threading

import pytest

from kg.parallel import Forked


def test_the_answer_comes_from_a_child_process():
    assert threading.active_count() == 1
    with Forked(lambda: (os.getpid(), sorted({"b", "a"}))) as child:
        pid, answer = child.result()
    assert pid != os.getpid() and answer == ["a", "b"]
    assert Forked(os.getpid, fork=False).result() == os.getpid()


def test_a_failing_child_raises_its_error_here():
    with Forked(lambda: 1 / 0) as child:
        with pytest.raises(ZeroDivisionError):
            child.result()


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert Forked(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        thread.join()


def test_leaving_without_the_answer_ends_the_child():
    with Forked(lambda: list(range(1_000_000))) as child:  # more than a pipe holds: the child blocks writing
        pid = child._pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # already reaped
