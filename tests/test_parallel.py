"""A piece of work computed in a forked child: the same answer as here, errors raised here, no fork beside threads.

Each test runs in a fresh Python (conftest's ``alone``): in the full suite other tests' threads are alive,
and :class:`kg.parallel.Forked` then rightly does not fork.
"""

from __future__ import annotations


def test_the_answer_comes_from_a_child_process(alone):
    alone("""
        from kg.parallel import Forked

        with Forked(lambda: (os.getpid(), sorted({"b", "a"}))) as child:
            pid, answer = child.result()
        assert pid != os.getpid() and answer == ["a", "b"] and len(forks) == 1
        assert Forked(os.getpid, fork=False).result() == os.getpid() and len(forks) == 1
    """)


def test_a_failing_child_raises_its_error_here(alone):
    alone("""
        from kg.parallel import Forked

        with Forked(lambda: 1 / 0) as child:
            try:
                child.result()
            except ZeroDivisionError:
                pass
            else:
                raise AssertionError("no error")
        assert forks
    """)


def test_no_fork_past_the_memory_ceiling(alone):
    alone("""
        import kg.parallel
        from kg.parallel import Forked

        assert 0 < kg.parallel._resident_mb() < kg.parallel.MOST_RESIDENT_MB
        kg.parallel.MOST_RESIDENT_MB = kg.parallel._resident_mb() / 2
        assert Forked(os.getpid).result() == os.getpid() and not forks
    """)


def test_no_fork_while_another_thread_runs(alone):
    alone("""
        import threading

        from kg.parallel import Forked

        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        try:
            assert Forked(os.getpid).result() == os.getpid() and not forks
        finally:
            stop.set()
            thread.join()
    """)


def test_leaving_without_the_answer_ends_the_child(alone):
    alone("""
        from kg.parallel import Forked

        with Forked(lambda: list(range(1_000_000))) as child:  # more than a pipe holds: the child blocks writing
            pid = child._pid
        assert forks and pid
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # already reaped
        else:
            raise AssertionError("the child was left running")
    """)
