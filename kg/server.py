"""A read-only SPARQL 1.1 Protocol endpoint over the loaded graph, with an offline query page.

The web side is Starlette served by uvicorn; queries run in a small pool of
worker processes, each holding its own copy of the graph, so that a slow
query never holds up the others and can be stopped at its time limit:

* the worker stops the query itself at the limit (see :func:`kg.sparql.run_query`);
* should it not answer within a grace period after that, the parent kills the
  worker and starts a fresh one while the other workers go on serving.

What the endpoint refuses (with 400 and a one-line message, never a
traceback): SPARQL Update, ``SERVICE``, ``FROM``/``FROM NAMED`` and the
protocol's ``default-graph-uri``/``named-graph-uri``. Workers also carry an
audit hook that refuses any outbound network connection.

Examples
--------
>>> negotiate("select", "text/csv, application/sparql-results+json;q=0.5")
'csv'
>>> negotiate("construct", "*/*")
'turtle'
>>> negotiate("ask", None, fmt="xml")
'xml'
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import multiprocessing
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple

from kg.errors import BadInput, DataError, KGError, QueryTimeout
from kg.sparql import MAX_QUERY_CHARS, MEDIA_TYPES, NotAcceptable, TooManyRows, resolve_format

__all__ = [
    "Reply",
    "WorkerPool",
    "answer",
    "looks_heavy",
    "create_app",
    "negotiate",
    "allowed_hosts",
    "guarded_protocol",
    "serve",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_WORKERS",
    "DEFAULT_BUDGET",
    "DEFAULT_MEMORY_MB",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_WORKERS = 3
#: Seconds after which a query counts as long (see :class:`WorkerPool`).
DEFAULT_BUDGET = 0.25
#: Megabytes of address space a worker may add for a query.
DEFAULT_MEMORY_MB = 1024
#: Largest request body accepted, in bytes (a query itself may have MAX_QUERY_CHARS characters).
MAX_QUERY_SIZE = 100_000
#: Host names a browser may use to reach a server on this machine (the Host header).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_MAX_CONNECTIONS = 256
#: Seconds a client has to send a whole request (headers and body) once it starts one.
DEFAULT_REQUEST_TIMEOUT = 10.0

log = logging.getLogger("kg.server")

TEXT = "text/plain; charset=utf-8"

# Media types a client may ask for, and the format each gives, by kind of result.
_RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n3": "turtle",
    "application/ld+json": "jsonld",
    "application/x-json+ld": "jsonld",
    "application/json": "jsonld",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
_FORMAT_ALIASES = {"n3": "turtle", "rdf": "rdfxml"}


class Reply(NamedTuple):
    """An HTTP answer: status, media type and body."""

    status: int
    media_type: str
    body: bytes


def negotiate(kind: str, accept: str | None, fmt=None) -> str:
    """Choose the format of a ``kind`` result from ``format`` parameters or an Accept header.

    ``fmt`` (the ``format`` request parameter: a name such as ``csv`` or a
    media type, or a list of them) wins over ``accept``. With
    neither, or ``*/*``, SELECT and ASK get SPARQL JSON, CONSTRUCT and
    DESCRIBE get Turtle. Raises :class:`kg.sparql.NotAcceptable` when nothing
    acceptable fits.
    """
    graph = kind in ("construct", "describe")
    table = _GRAPH_TYPES if graph else _RESULT_TYPES
    wanted = [f.strip().lower() for f in ([fmt] if isinstance(fmt, str) else fmt or []) if f and f.strip()]
    if wanted:
        # Some clients send several (SPARQLWrapper: format=tsv&format=text/tab-separated-values):
        # the first one that fits the kind of query wins.
        for value in wanted:
            if "/" in value:
                if value.split(";")[0].strip() in table:
                    return table[value.split(";")[0].strip()]
                continue
            try:
                return resolve_format(kind, _FORMAT_ALIASES.get(value, value))
            except NotAcceptable:
                continue
        first = wanted[0]
        if "/" not in first:
            resolve_format(kind, _FORMAT_ALIASES.get(first, first))  # raises, naming the formats that fit
        raise NotAcceptable(f"format {wanted[0]!r} does not fit a {kind.upper()} query; "
                            f"acceptable: {', '.join(dict.fromkeys(table.values()))}")
    default = "turtle" if graph else "json"
    if not accept or not accept.strip():
        return default
    ranges = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((-q, -specificity, position, media, q))
    for _, _, _, media, q in sorted(ranges):
        if q <= 0:
            continue
        if media == "*/*":
            return default
        if media.endswith("/*"):
            for known, name in table.items():
                if known.startswith(media[:-1]):
                    return name
            continue
        if media in table:
            return table[media]
    offered = ", ".join(dict.fromkeys(t for t in table))
    raise NotAcceptable(f"cannot answer a {kind.upper()} query as {accept!r}; acceptable: {offered}")


def _status(error: Exception) -> int:
    if isinstance(error, NotAcceptable):
        return 406
    if isinstance(error, TooManyRows):
        return 400
    if isinstance(error, QueryTimeout):
        return 503
    if isinstance(error, KGError):
        return 400
    return 500


def _error(status: int, message: str) -> Reply:
    return Reply(status, TEXT, f"Error: {message}\n".encode("utf-8"))


def answer(kg, text: str, *, accept: str | None = None, fmt=None,
           timeout: float | None = None, max_rows: int | None = None, stop=None) -> Reply:
    """Run one protocol request against ``kg`` and return the reply (never raises).

    Checking and parsing the query count against ``timeout`` as much as running
    it; ``stop``, a function polled while the query runs, stops it by returning
    True. With ``stop``, a query that does not stop within a quarter of a second
    (Oxigraph cannot be interrupted) is left running in its thread: the caller
    should then retire the process. A query that runs out of memory gets 503.

    Examples
    --------
    >>> from kg import load
    >>> reply = answer(load(), "ASK { ?s ?p ?o }", accept="text/csv")
    >>> reply.status, reply.media_type, reply.body
    (200, 'text/csv; charset=utf-8', b'_askResult\\r\\ntrue\\r\\n')
    >>> answer(load(), "CLEAR ALL").status
    400
    """
    from kg.sparql import _call_with_timeout, check_query, execute, serialize
    from kg.sparql.formats import select_json

    def work() -> Reply:
        checked = check_query(text)
        chosen = negotiate(checked.kind, accept, fmt)
        body = select_json(kg, checked, max_rows=max_rows) if chosen == "json" else None
        if body is None:
            body = serialize(execute(kg, checked, max_rows=max_rows), chosen)
        return Reply(200, MEDIA_TYPES[chosen], body)

    try:
        if timeout is None:
            return work()
        return _call_with_timeout(work, timeout, stop=stop, linger=5.0 if stop is None else 0.25)
    except KGError as e:
        return _error(_status(e), str(e))
    except MemoryError:
        return _error(503, "the query needed more than the worker's memory limit; narrow it or add LIMIT")
    except Exception as e:  # a bug or an rdflib failure: one line to the client, the trace to the log
        traceback.print_exc(file=sys.stderr)
        return _error(500, f"internal error while running the query ({type(e).__name__})")


# ---------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------


def _refuse_network(event: str, args) -> None:
    """Audit hook of a worker: no outbound connections, whatever a query asks for."""
    if event == "urllib.Request" or event == "http.client.connect":
        raise PermissionError("outbound requests are disabled in the SPARQL worker")
    if event == "socket.connect":
        address = args[1] if len(args) > 1 else None
        if isinstance(address, tuple):  # an IP address; Unix sockets are strings or bytes
            raise PermissionError("outbound connections are disabled in the SPARQL worker")


def _network_guard(endpoint: str | None):
    """The worker's audit hook: :func:`_refuse_network`, or with ``endpoint`` one that lets through only its host and port.

    Examples
    --------
    >>> hook = _network_guard("http://127.0.0.1:8890/sparql")
    >>> hook("socket.connect", (None, ("127.0.0.1", 8890)))
    >>> hook("socket.connect", (None, ("10.0.0.1", 80)))
    Traceback (most recent call last):
    PermissionError: outbound connections are disabled in the SPARQL worker (only the endpoint 127.0.0.1:8890)
    """
    if not endpoint:
        return _refuse_network
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    allowed = {(url.hostname, port)} | {(info[4][0], port) for info in socket.getaddrinfo(url.hostname, port,
                                                                                          type=socket.SOCK_STREAM)}

    def hook(event: str, args) -> None:
        if event == "urllib.Request":
            asked = urlsplit(str(args[0]))
            where = (asked.hostname, asked.port or (443 if asked.scheme == "https" else 80))
        elif event == "http.client.connect":
            where = (args[1], args[2])
        elif event == "socket.connect" and len(args) > 1 and isinstance(args[1], tuple):
            where = tuple(args[1][:2])
        else:
            return
        if where not in allowed:
            raise PermissionError(f"outbound connections are disabled in the SPARQL worker (only the endpoint "
                                  f"{url.hostname}:{port})")

    return hook


def _memory_mb() -> tuple[float, float]:
    """This process's (address space, resident set) in MB, from /proc."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmSize", "VmRSS"):
                fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmSize", 0.0), fields.get("VmRSS", 0.0)


def _limit_memory(memory_mb: int | None) -> None:
    """Cap this process's address space at its present size plus ``memory_mb``."""
    import resource

    if not memory_mb:
        return
    size, _ = _memory_mb()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = int((size + memory_mb) * 2**20)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


def _at_low_priority(func):
    """``func()`` run in a thread at the lowest CPU priority (Linux sets it per thread); its result or error."""
    import os
    import threading

    box: dict = {}

    def target():
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            box["value"] = func()
        except BaseException as e:
            box["error"] = e

    thread = threading.Thread(target=target, name="kg-worker-load")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _warm_explorer(kg, entity: str | None) -> None:
    """Read now what an explorer's first entity page would pay for: the sources table and, given an
    ``entity`` to describe, the shortcut rules, the ontology's parts and the query parser (about
    0.3 s of CPU on the bundled data, 1 s with the server time around it)."""
    from kg.explorer.api import call, sources_of

    sources_of(kg, ())
    if entity is not None:
        call(kg, {"fn": "entity_page", "args": {"name": entity}})


def _worker_main(conn, data, timeout, max_rows, store=None, memory_mb=None,
                 budget=DEFAULT_BUDGET, quiet=False, endpoint=None) -> None:  # pragma: no cover - runs in a child process
    """A worker: open the graph once (files, an Oxigraph store or a SPARQL endpoint), then answer requests until told to stop.

    Messages in: a job ``(text, accept, fmt, heavy)`` (a heavy one runs at the
    lowest CPU priority from its start, others once past the budget), an explorer question
    ``{"fn", "args"}`` (:func:`kg.explorer.api.call`), ``"cancel"`` (stop the running
    query) or None (exit). Out: ``"over"`` once a query has used ``budget`` seconds
    of CPU time, then ``(status, media_type, body, retire)``, where
    ``retire`` asks the parent to replace this worker: a query hit the memory
    limit and the memory did not come back, or a query could not be stopped
    (Oxigraph is not interruptible) and still runs. ``quiet`` (a replacement) loads
    the graph at the lowest CPU priority.
    """
    import gc
    import os
    import signal
    import threading

    from kg.sparql import QUERY_THREAD

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    # A query over the memory limit aborts Oxigraph: one line on stderr, not a slow symbolised backtrace.
    os.environ["RUST_BACKTRACE"] = "0"
    def open_graph():
        if endpoint:  # the graph stays there: questions are forwarded as queries (kg.remote)
            from kg.remote import RemoteKnowledgeGraph

            kg = RemoteKnowledgeGraph(endpoint, timeout=timeout)
            kg.endpoint.ask("ASK {}")  # reachable now, or the server does not start
            kg.vocabulary  # the ontology, read locally: now, not on the first request
            _warm_explorer(kg, None)
            return kg, None
        if store:
            from kg.store import StoreKnowledgeGraph

            kg = StoreKnowledgeGraph(store)  # queries run inside Oxigraph
            size = len(kg.store)
        else:
            from kg.loader import load

            kg = load(data)
            size = len(kg.graph)
        len(kg.names)  # build the name index now, not on the first request
        answer(kg, "ASK {}", timeout=timeout)  # import the query machinery now, not on the first request
        adjacency = kg.adjacency  # and the projection the explorer's pages ask: at scale, building it outlasts a request
        _warm_explorer(kg, adjacency.iris[0] if len(adjacency.iris) else None)
        return kg, size

    try:
        # A replacement loads at the lowest CPU priority, so that the other workers' queries go first.
        kg, size = _at_low_priority(open_graph) if quiet else open_graph()
    except KGError as e:
        conn.send(("failed", str(e)))
        return
    except Exception as e:
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    # What the worker loaded lasts as long as it does: frozen out of the collector's reach, so that a full
    # collection, paid by whichever request sets it off, walks only what requests made (an --endpoint
    # worker: about 100 ms -> 20 ms of CPU on this VM, the worst of an entity page's times).
    gc.collect()
    gc.freeze()
    sys.addaudithook(_network_guard(endpoint))
    _limit_memory(memory_mb)
    resident = _memory_mb()[1]
    try:
        conn.send(("ready", {"triples": size, "files": [str(p) for p in kg.files], "endpoint": endpoint}))
    except OSError:  # the server stopped while this worker started
        return

    class Running:
        """The query being answered: is it heavy, its thread and that thread's CPU clock, what was done."""

        heavy = demoted = over = False
        thread = clock = None

        def cpu(self) -> float:
            """CPU seconds the query's thread has used (parsing, evaluating, serialising)."""
            if self.clock is None:
                self.thread = next((t for t in threading.enumerate() if t.name == QUERY_THREAD and t.is_alive()),
                                   None)
                if self.thread is None:
                    return 0.0
                self.clock = time.pthread_getcpuclockid(self.thread.ident)
            try:
                return time.clock_gettime(self.clock)
            except OSError:  # the thread has just ended
                return 0.0

    def cancelled() -> bool:
        """True once the parent asks to stop the running query.

        Past the budget of CPU time, tell the parent (which finds the query a slot
        for long queries or stops it) and lower the query's CPU priority, so that
        short queries in the other workers get the CPU first; a heavy query has
        the lowest priority from its start.
        """
        used = running.cpu()
        if not running.demoted and running.thread is not None and (running.heavy or used > budget):
            running.demoted = True
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, running.thread.native_id, 19)
        if not running.over and used > budget:
            running.over = True
            conn.send("over")
        while conn.poll():
            if conn.recv() == "cancel":
                return True
        return False


    def stuck() -> bool:
        """True while a query thread runs on after its answer (one Oxigraph would not stop)."""
        return any(t.name == QUERY_THREAD and t.is_alive() for t in threading.enumerate())

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        if isinstance(job, dict):  # a question from the explorer's pages (kg.explorer.api)
            from kg.explorer.api import call

            conn.send((*call(kg, job, timeout=timeout, max_rows=max_rows), False))
            continue
        if job == "cancel":  # arrived after its query had already been answered
            continue
        text, accept, fmt, heavy = job
        running = Running()
        running.heavy = heavy
        reply = answer(kg, text, accept=accept, fmt=fmt, timeout=timeout, max_rows=max_rows, stop=cancelled)
        retire = stuck()
        if reply.status == 503 and b"memory limit" in reply.body:
            gc.collect()
            retire = retire or _memory_mb()[1] > 2 * resident + 64  # what the query took did not come back
        conn.send((*reply, retire))


@dataclass(eq=False)
class _Worker:
    process: object
    conn: object
    info: dict = field(default_factory=dict)

    def stop(self, kill: bool = False) -> None:
        try:
            if not kill:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(0 if kill else 2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        try:
            self.conn.close()
        except OSError:
            pass


def _receive(conn, timeout: float):
    """Wait up to ``timeout`` seconds for a worker's message (while it starts); None if none comes."""
    if conn.poll(timeout):
        return conn.recv()
    return None


#: Half-life, in seconds, of the worker time a client is remembered to have used.
_DEBT_HALF_LIFE = 10.0
#: Worker time charged to a client whose query brought its worker down (the restart it causes).
_RESTART_COST = 5.0


@dataclass(eq=False)
class _Client:
    """What the pool remembers of one client (a peer address): its share of the workers."""

    gate: asyncio.Semaphore
    debt: float = 0.0  # worker seconds used, decaying
    costly: float = 0.0  # of which, by queries past the budget or that brought a worker down
    stamp: float = 0.0
    long: int = 0  # queries of this client running past the budget
    barred_until: float = 0.0  # after one of its queries brought a worker down

    def owed(self, now: float, costly: bool = False) -> float:
        return (self.costly if costly else self.debt) * 0.5 ** ((now - self.stamp) / _DEBT_HALF_LIFE)

    def charge(self, now: float, seconds: float, costly: bool) -> None:
        self.debt, self.costly = self.owed(now) + seconds, self.owed(now, costly=True) + (seconds if costly else 0)
        self.stamp = now


_PENDING = object()  # no reply yet
_GONE = object()  # the worker died

#: A query with more tokens than this counts as heavy before it runs (the saved questions have under 700).
_HEAVY_TOKENS = 1_000
_TOKEN = None


def looks_heavy(text: str, python_regex: bool = False) -> bool:
    """A static guess, from the text alone, that a query is costly to run.

    True for a query of more than 1,000 tokens, with more than 12 ``BIND``\\ s,
    or joining two or more triple patterns made of variables only (``?a ?p ?x .
    ?b ?q ?y``: every triple against every triple). With ``python_regex`` (files:
    rdflib evaluates ``REGEX`` and ``REPLACE`` with Python's ``re``, whose match
    holds the interpreter, so a worker cannot stop it at its CPU budget), any
    regular expression too; Oxigraph's stay linear. A heavy query is not refused,
    only kept off the workers held back for light ones (see :class:`WorkerPool`).

    Examples
    --------
    >>> looks_heavy("SELECT ?p ?o WHERE { <http://example.org/a> ?p ?o } LIMIT 10")
    False
    >>> looks_heavy("SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    False
    >>> looks_heavy("SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y } ORDER BY ?a")
    True
    >>> looks_heavy("SELECT ?a ?b ?c WHERE { ?a <http://example.org/p> ?b . ?b ?q ?c } GROUP BY ?a ?b ?c")
    False
    >>> looks_heavy("SELECT ?x WHERE { FILTER(?x IN (" + ",".join(map(str, range(600))) + ")) }")
    True
    >>> q = 'SELECT ?l WHERE { ?s rdfs:label ?l FILTER regex(?l, "^(a|a)*$") }'
    >>> looks_heavy(q), looks_heavy(q, python_regex=True)
    (False, True)

    An IRI counts as one token, however long (200 of them are 400 tokens here):

    >>> looks_heavy("SELECT ?p ?o WHERE { VALUES ?s { " + " ".join(
    ...     f"<https://w3id.org/chipskg/resource/company-{i}>" for i in range(200)) + " } ?s ?p ?o }")
    False
    """
    import re

    global _TOKEN
    if _TOKEN is None:
        _TOKEN = (re.compile(r"<[^<>\s]*>|[\w:]+|\S"),
                  re.compile(r"[{.]\s*\?\w+\s+\?\w+\s+\?\w+\s*(?=[.}])"),  # a triple pattern of variables
                  re.compile(r"\bBIND\s*\(", re.I), re.compile(r"\b(?:REGEX|REPLACE)\s*\(", re.I))
    token, all_variables, bind, regex = _TOKEN
    if len(token.findall(text, 0, 20 * _HEAVY_TOKENS)) > _HEAVY_TOKENS or len(bind.findall(text)) > 12:
        return True
    if python_regex and regex.search(text):
        return True
    return len(all_variables.findall(text)) >= 2  # whole triple patterns, not SELECT or GROUP BY lists


class WorkerPool:
    """Processes that each hold the graph and answer queries one at a time, shared fairly.

    How a query is scheduled, so that cheap queries never wait behind expensive ones:

    * a query is *heavy* when its client's long queries used more than 4 budgets
      of worker time lately (halving every 10 s; a query past the budget counts as
      the whole time limit, one that brought its worker down 5 s more) or when its text looks
      costly (:func:`looks_heavy`). Heavy queries run at the lowest CPU priority
      and never hold more than a third of the workers (at least one), counting
      the workers being restarted, so the other ``reserve`` workers are always
      there for light queries;
    * a client (a peer address) runs at most ``workers - 1`` queries at once
      (at least 1); queries waiting for a worker go lightest client first, light
      before heavy;
    * a query, parsing included, has ``budget`` seconds of CPU time (an explorer
      question, of the clock), so a cheap query slowed down by a busy machine is
      not taken for a long one; past it, it goes on only
      in one of the ``long_slots`` slots for long queries (one per client, and
      counted as heavy), at the lowest CPU priority, and is stopped with 503 when
      no slot is free;
    * every query stops at ``timeout`` seconds; a worker whose query cannot be
      stopped (Oxigraph cannot be interrupted), that does not answer ``grace``
      seconds after being asked to stop, or whose query exhausts its
      ``memory_mb``, is replaced, and the client whose query it was gets 429
      for the next 10 s.

    Parameters
    ----------
    data : list of str, optional
        Data files or folders, as ``kg --data`` (default: ``KG_DATA`` or the bundled data).
    store : str, optional
        An Oxigraph store built by ``kg load --store`` to serve instead of files.
    workers : int
        Number of processes, so many queries run at once. At least 1.
    timeout : float
        Seconds a query may run.
    max_rows : int
        Most rows (or triples) a result may have.
    budget : float
        Seconds after which a query counts as long.
    memory_mb : int
        Megabytes of address space a worker may add to what it holds after loading.
    endpoint : str, optional
        A SPARQL endpoint to serve instead of local data (``kg serve --endpoint``): the workers
        forward each question to it and may connect to it, and to nothing else.
    """

    def __init__(self, data=None, *, store=None, workers: int = DEFAULT_WORKERS, timeout: float = DEFAULT_TIMEOUT,
                 max_rows: int = DEFAULT_MAX_ROWS, budget: float = DEFAULT_BUDGET, memory_mb: int = DEFAULT_MEMORY_MB,
                 grace: float = 1.0, start_timeout: float = 300.0, endpoint: str | None = None):
        if workers < 1:
            raise BadInput(f"--workers must be at least 1, not {workers}")
        if timeout <= 0:
            raise BadInput(f"--timeout must be more than 0 seconds, not {timeout:g}")
        if max_rows < 1:
            raise BadInput(f"--max-rows must be at least 1, not {max_rows}")
        if not 0 < budget <= timeout:
            raise BadInput(f"--budget must be more than 0 and at most --timeout ({timeout:g} s), not {budget:g}")
        if memory_mb < 64:
            raise BadInput(f"--memory must be at least 64 (MB), not {memory_mb}")
        self.data = [str(p) for p in data] if data else None
        if store:  # every worker opens the build current now, so a later `kg load --force` never mixes answers
            from kg.store import pin_store

            store = pin_store(store)
        self.store = str(store) if store else None
        self.endpoint = endpoint
        self.size = workers
        self.timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.budget = float(budget)
        self.memory_mb = int(memory_mb)
        self.long_slots = max(1, (workers - 1) // 2)
        self.per_client = max(1, workers - 1)
        self.reserve = workers - max(1, workers // 3) if workers > 1 else 0  # workers kept for light queries
        self.grace = grace
        self.start_timeout = start_timeout
        self.info: dict = {}
        self.replaced = 0
        # Workers fork from a server process that has imported the query machinery once, so that
        # replacing one (after a memory bomb, or a query Oxigraph cannot stop) is quick.
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["kg.server", "kg.sparql", "kg.store", "kg.loader", "kg.explorer.api",
                                          "rdflib.plugins.sparql"])
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        # heaps of (debt, order, future) waiting for a worker: light queries, heavy ones
        self._waiting: tuple[list, list] = ([], [])
        self._order = itertools.count()
        self._clients: dict[str, _Client] = {}
        self._long = 0
        self._heavy_running = 0  # workers running a heavy query or one past the budget
        self._restarting = 0
        self._tasks: set = set()
        self._closed = False

    # -- starting and stopping ----------------------------------------------

    def _launch(self, quiet: bool = False):
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.data, self.timeout, self.max_rows, self.store, self.memory_mb, self.budget, quiet,
                  self.endpoint),
            name="kg-sparql-worker", daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _ready(self, worker: _Worker) -> _Worker:
        try:
            message = _receive(worker.conn, self.start_timeout)
        except (EOFError, OSError):
            message = ("failed", "a query worker process stopped while starting (its error is printed above)")
        if message is None:
            worker.stop(kill=True)
            raise KGError(f"a query worker did not load the data within {self.start_timeout:g} s")
        status, payload = message
        if status != "ready":
            worker.stop(kill=True)
            raise DataError(payload)
        worker.info = payload
        self.info = payload
        return worker

    def start(self) -> "WorkerPool":
        """Start the workers and wait until each has loaded the data.

        Raises :class:`kg.errors.DataError` when the data cannot be loaded.
        """
        launched = [self._launch() for _ in range(self.size)]
        try:
            for worker in launched:
                self._workers.append(self._ready(worker))
        except BaseException:
            for worker in launched:
                worker.stop(kill=True)
            self._workers.clear()
            raise
        self._idle = list(self._workers)
        return self

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
        self._idle.clear()

    def __enter__(self):
        return self.start() if not self._workers else self

    def __exit__(self, *exc):
        self.close()

    def pids(self) -> list[int]:
        """Process ids of the live workers (to watch their memory)."""
        return [w.process.pid for w in self._workers]

    def _room_for_heavy(self) -> bool:
        """True while heavy queries (and restarts) hold fewer than ``workers - reserve`` workers."""
        return self._heavy_running + self._restarting < self.size - self.reserve

    def _release(self, worker: _Worker) -> None:
        """Hand ``worker`` to the waiting query of the least indebted light client (else heavy), or mark it idle."""
        light, heavy = self._waiting
        for queue in (light, heavy):
            while queue and queue[0][2].done():
                heapq.heappop(queue)
        if light or (heavy and self._room_for_heavy()):
            queue = light or heavy
            future = heapq.heappop(queue)[2]
            if queue is heavy:
                self._heavy_running += 1
            future.set_result(worker)
            return
        self._idle.append(worker)

    def _heavy(self, client: _Client, now: float) -> bool:
        """True for a client whose long queries (or restarts) used more than 4 budgets of worker time lately.

        Many cheap queries never make a client heavy, however often it asks.
        """
        return client.owed(now, costly=True) > 4 * self.budget

    def _replace(self, worker: _Worker, why: str) -> None:
        """Kill ``worker`` and start a fresh one in the background."""
        log.warning("replacing a query worker: %s", why)
        if worker in self._workers:
            self._workers.remove(worker)
        if self._closed:
            worker.stop(kill=True)
            return
        self.replaced += 1
        self._restarting += 1
        loop = asyncio.get_running_loop()

        def kill_and_launch():
            began = time.monotonic()
            worker.stop(kill=True)  # here, not in the event loop: a big process takes a while to go
            stopped = time.monotonic()
            try:
                return self._ready(self._launch(quiet=True))
            finally:
                log.warning("stopping it took %.3f s, starting its successor %.3f s",
                            stopped - began, time.monotonic() - stopped)

        def done(future):
            self._tasks.discard(future)
            self._restarting -= 1
            if future.cancelled() or future.exception() is not None:
                log.error("could not restart a query worker: %s", future.exception())
                return
            fresh = future.result()
            if self._closed:
                fresh.stop()
                return
            self._workers.append(fresh)
            self._release(fresh)

        future = loop.run_in_executor(None, kill_and_launch)
        self._tasks.add(future)
        future.add_done_callback(done)

    # -- answering ------------------------------------------------------------

    def _client(self, name: str) -> _Client:
        client = self._clients.get(name)
        if client is None:
            if len(self._clients) > 4096:  # forget clients that are idle and paid up
                now = time.monotonic()
                for key in [k for k, c in self._clients.items() if c.owed(now) < 0.01 and not c.gate.locked()]:
                    del self._clients[key]
            client = self._clients[name] = _Client(asyncio.Semaphore(self.per_client))
        return client

    async def _worker_for(self, debt: float, heavy: bool, wait: float) -> _Worker | None:
        """A free worker, waiting up to ``wait`` seconds behind lighter queries; None if none frees.

        A heavy query that gets one counts in ``_heavy_running`` until the caller takes it off.
        """
        light_waiting, heavy_waiting = self._waiting
        if self._idle and not light_waiting and not (heavy and (heavy_waiting or not self._room_for_heavy())):
            self._heavy_running += heavy
            return self._idle.pop()
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting[heavy], (debt, next(self._order), future))
        if self._idle:
            self._release(self._idle.pop())
        await asyncio.wait([future], timeout=max(wait, 0.0))
        if future.done():
            return future.result()
        future.cancel()
        return None

    async def _reply(self, worker: _Worker, wait: float):
        """The worker's reply within ``wait`` seconds, _PENDING if none, _GONE if it died."""
        conn = worker.conn
        try:
            if not conn.poll():
                loop = asyncio.get_running_loop()
                readable = loop.create_future()
                loop.add_reader(conn.fileno(), lambda: readable.done() or readable.set_result(None))
                try:
                    await asyncio.wait([readable], timeout=max(wait, 0.0))
                finally:
                    loop.remove_reader(conn.fileno())
                if not readable.done():
                    return _PENDING
            return conn.recv()
        except (EOFError, OSError):
            return _GONE

    async def run(self, text: str, accept: str | None = None, fmt=None, client: str = "local",
                  timing: dict | None = None) -> Reply:
        """Answer one query of ``client`` in a free worker (503 when busy, past its limit or out of memory)."""
        return await self.ask((text, accept, fmt), client, timing)

    async def ask(self, job, client: str = "local", timing: dict | None = None) -> Reply:
        """Send one job (a query ``(text, accept, fmt)``, or an explorer question:
        :func:`kg.explorer.api.call`) to a free worker.

        ``timing``, a dict, receives the seconds the job waited for a worker (``wait``)
        and ran in it (``run``).
        """
        loop_time = time.monotonic
        started = loop_time()
        timing = {} if timing is None else timing
        me = self._client(client)
        if me.barred_until > started:
            return _error(429, f"a query of yours stopped a worker; wait {me.barred_until - started:.0f} s "
                               "before the next one")
        try:
            await asyncio.wait_for(me.gate.acquire(), timeout=self.timeout)
        except asyncio.TimeoutError:
            return _error(503, f"your earlier queries kept the server busy for {self.timeout:g} s; try again later")
        try:
            debt = me.owed(loop_time())
            heavy = self._heavy(me, loop_time()) or (isinstance(job, tuple) and looks_heavy(job[0], self.store is None))
            if isinstance(job, tuple):
                job = (*job, heavy)
            worker = await self._worker_for(debt, heavy, self.timeout - (loop_time() - started))
            if worker is None:
                return _error(503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                                   "try again later")
            began = loop_time()
            timing["wait"] = began - started
            try:
                reply, healthy, long = await self._ask(worker, me, job, heavy)
            finally:
                self._heavy_running -= heavy
            used = timing["run"] = loop_time() - began
            if long:  # a query past the budget counts as one that ran to the time limit
                used = max(used, self.timeout)
            me.charge(loop_time(), used + (0 if healthy else _RESTART_COST), costly=long or not healthy)
            if healthy:
                self._release(worker)
            else:  # restarting a worker costs the others: this client waits a while
                me.barred_until = loop_time() + 2 * _RESTART_COST
                self._replace(worker, reply.body.decode("utf-8", "replace").strip())
            return reply
        finally:
            me.gate.release()

    async def _ask(self, worker: _Worker, me: _Client, job, heavy: bool) -> tuple[Reply, bool, bool]:
        """Send ``job`` to ``worker``; return the reply, whether the worker can go on serving, and whether the job
        went past the budget."""
        try:
            worker.conn.send(job)
        except (OSError, ValueError):
            return _error(500, "the query worker stopped unexpectedly; it is being restarted"), False, False
        began = time.monotonic()
        query = isinstance(job, tuple)
        # A query's worker says when the query has used its budget of CPU time (so that a cheap query
        # slowed by a busy machine is not taken for a long one); an explorer question is timed by the clock.
        message = await self._reply(worker, self.timeout + self.grace if query else self.budget)
        refusal, long = None, message == "over" or (message is _PENDING and not query)
        if long:
            if self._long < self.long_slots and not me.long and (heavy or self._room_for_heavy()):
                self._long += 1
                me.long += 1
                self._heavy_running += not heavy
                try:
                    message = await self._reply(worker, self.timeout + self.grace - (time.monotonic() - began))
                finally:
                    self._long -= 1
                    me.long -= 1
                    self._heavy_running -= not heavy
            else:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send("cancel")
                refusal = _error(503, f"the query used more than {self.budget:g} s of CPU time while "
                                      + ("another long query of yours runs" if me.long else
                                         f"the {self.long_slots} slot(s) for long queries are taken")
                                      + "; try again later, or narrow it")
                message = await self._reply(worker, self.grace)
                if message is _PENDING:
                    return refusal, False, True
        if message is _PENDING:
            return _error(503, f"the query ran past the time limit of {self.timeout:g} s; "
                               "narrow it or add LIMIT"), False, long
        if message is _GONE:
            await asyncio.to_thread(worker.process.join, 1)
            code = worker.process.exitcode
            if code is not None and code < 0:  # killed by a signal: an allocation failing in Rust aborts
                return _error(503, f"the query needed more than the worker's memory limit of {self.memory_mb:,} MB "
                                   "and stopped its worker, which is being restarted; narrow it"), False, long
            return _error(500, "the query worker stopped unexpectedly; it is being restarted"), False, long
        status, media_type, body, retire = message
        if refusal is not None and status == 503:  # stopped on our request
            return refusal, not retire, long
        return Reply(status, media_type, body), not retire, long


# ---------------------------------------------------------------------------
# The web application
# ---------------------------------------------------------------------------

_SD_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
               "Turtle", "JSON-LD", "N-Triples", "RDF_XML")


def _static_dir() -> Path:
    return Path(__file__).resolve().parent / "static"


def _own_url(scope, path: str) -> str:
    """The URL of ``path`` on this server, from the socket's own address (never the Host header)."""
    server = scope.get("server")
    if not server:
        return path
    host, port = server[0], server[1]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{path}"


def service_description(endpoint: str, info: dict) -> str:
    """A SPARQL 1.1 Service Description of the endpoint, in Turtle."""
    formats = " ,\n        ".join(f"<http://www.w3.org/ns/formats/{f}>" for f in _SD_FORMATS)
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
        "@prefix void: <http://rdfs.org/ns/void#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
        f"<{endpoint}> a sd:Service ;\n"
        f"    rdfs:label \"chips-kg SPARQL endpoint (read-only)\"@en ;\n"
        f"    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"    sd:resultFormat {formats} ;\n"
        "    sd:defaultDataset [ a sd:Dataset ;\n"
        f"        sd:defaultGraph [ a sd:Graph ; void:triples {int(info.get('triples', 0))} ] ] .\n"
    )


class _RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _one(params: dict, name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise _RequestError(400, f"give the {name!r} parameter once, not {len(values)} times")
    return values[0] if values else None


def _form(body: bytes) -> dict:
    from urllib.parse import parse_qsl

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _RequestError(400, "the request body is not UTF-8") from None
    out: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


async def _body(request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_QUERY_SIZE:
        raise _RequestError(413, f"the request body is larger than {MAX_QUERY_SIZE:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_QUERY_SIZE:
            raise _RequestError(413, f"the request body is larger than {MAX_QUERY_SIZE:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class RefuseOtherSites:
    """ASGI middleware: a request another web site's page makes is refused (403) before it costs a query.

    Any page the user has open can send requests to a server on loopback
    (a ``fetch`` in ``no-cors`` mode, a form): it cannot read the answers,
    but its heavy queries would take the workers and bar the user's own
    address. Browsers say where a request comes from (``Sec-Fetch-Site``,
    ``Origin``): one from another site is refused unless its origin is in
    ``allowed`` (``kg serve --cors-origin``) or it is a link followed to a
    page (a ``GET`` navigation). Clients that are not browsers send neither
    header and are not concerned.
    """

    def __init__(self, app, allowed: Iterable[str] = ()):  # noqa: D107
        self.app, self.allowed = app, set(allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.refused(scope):
            from starlette.responses import PlainTextResponse

            response = PlainTextResponse("Error: requests from other web sites' pages are refused "
                                         "(kg serve --cors-origin names the sites allowed)\n", status_code=403)
            return await response(scope, receive, send)
        await self.app(scope, receive, send)

    def refused(self, scope) -> bool:
        """Does the request come from another site's page, not allowed and not a link followed?"""
        wanted = (b"origin", b"sec-fetch-site", b"sec-fetch-mode", b"host")
        headers = {k.lower().decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k.lower() in wanted}
        origin = headers.get("origin")
        if origin in self.allowed:
            return False
        site = headers.get("sec-fetch-site")
        if site is not None:
            foreign = site not in ("same-origin", "none")
        else:  # a browser that does not send it: the origin tells
            foreign = origin is not None and origin.split("://", 1)[-1].lower() != headers.get("host", "").lower()
        return foreign and not (headers.get("sec-fetch-mode") == "navigate" and scope["method"] in ("GET", "HEAD"))


#: On every answer of ``/sparql``: a browser never guesses another type for it, nor runs anything in it.
_DATA_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}


def create_app(pool: WorkerPool, *, cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = LOOPBACK_HOSTS):
    """Build the Starlette application serving ``pool``.

    Routes: ``/sparql`` (the SPARQL 1.1 Protocol endpoint, GET and POST),
    ``/query`` (the query page), ``/queries`` (the saved queries as JSON),
    ``/static/*`` (the page's assets, served locally) and the explorer's
    pages and JSON (:mod:`kg.explorer`, from ``/``).

    Browsers: a request whose ``Host`` header is not one of ``allowed_hosts``
    gets 400 (so a DNS-rebinding page cannot reach the data), and other web
    pages may neither read answers nor make requests (:class:`RefuseOtherSites`)
    unless their origin is in ``cors_origins`` (none by default).
    """
    cors_origins = tuple(cors_origins)
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.requests import ClientDisconnect
    from starlette.staticfiles import StaticFiles

    from kg.explorer import routes as explorer_routes

    static = _static_dir()

    def text_error(status: int, message: str) -> Response:
        return Response(f"Error: {message}\n", status_code=status, media_type=TEXT)

    async def endpoint(request):
        response = await answer(request)
        response.headers.update(_DATA_HEADERS)
        return response

    async def answer(request):
        arrived = time.monotonic()
        try:
            params: dict = {}
            for key, value in request.query_params.multi_items():
                params.setdefault(key, []).append(value)
            if request.method == "POST":
                media = request.headers.get("content-type", "").split(";")[0].strip().lower()
                body = await _body(request)
                if media == "application/x-www-form-urlencoded":
                    for key, values in _form(body).items():
                        params.setdefault(key, []).extend(values)
                elif media == "application/sparql-query":
                    try:
                        params.setdefault("query", []).append(body.decode("utf-8"))
                    except UnicodeDecodeError:
                        raise _RequestError(400, "the query is not UTF-8") from None
                elif media == "application/sparql-update":
                    raise _RequestError(400, "SPARQL Update is refused: the graph is read-only")
                else:
                    raise _RequestError(
                        415, f"cannot read a {media or 'body without Content-Type'}; send "
                        "application/sparql-query or application/x-www-form-urlencoded"
                    )
            if "update" in params:
                raise _RequestError(400, "SPARQL Update is refused: the graph is read-only")
            for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
                if name in params:
                    raise _RequestError(400, f"{name} is refused: queries run over the loaded data only")
            query = _one(params, "query")
            fmt = params.get("format") or None
            accept = request.headers.get("accept")
            if query is None:
                if request.method == "POST":
                    raise _RequestError(400, "missing the 'query' parameter")
                if "text/html" in (accept or "") and fmt is None:
                    return RedirectResponse(request.app.url_path_for("page"), status_code=303)
                chosen = negotiate("describe", accept, fmt)
                return _service_description(request, chosen)
            if len(query) > MAX_QUERY_CHARS:  # refused here, before it costs a worker anything
                raise _RequestError(413, f"the query is {len(query):,} characters long; "
                                         f"at most {MAX_QUERY_CHARS:,} are accepted")
            peer = request.client.host if request.client else "local"
            timing: dict = {}
            reply = await pool.run(query, accept, fmt, client=peer, timing=timing)
            timing["app"] = time.monotonic() - arrived
            headers = {"Cache-Control": "no-store", "Vary": "Accept"}
            if timing:  # where the time went (https://www.w3.org/TR/server-timing/)
                headers["Server-Timing"] = ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in timing.items())
            return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)
        except _RequestError as e:
            return text_error(e.status, str(e))
        except NotAcceptable as e:
            return text_error(406, str(e))
        except ClientDisconnect:  # the client went away (or was timed out) mid-body: nobody to answer
            return Response(status_code=400)

    def _service_description(request, chosen: str):
        from rdflib import Graph

        from kg.sparql import MEDIA_TYPES

        turtle = service_description(_own_url(request.scope, "/sparql"), pool.info)
        if chosen == "turtle":
            return Response(turtle, media_type=MEDIA_TYPES["turtle"])
        graph = Graph().parse(data=turtle, format="turtle")
        name = {"jsonld": "json-ld", "nt": "nt", "rdfxml": "xml"}[chosen]
        return Response(graph.serialize(format=name, encoding="utf-8"), media_type=MEDIA_TYPES[chosen])

    async def page(request):
        response = FileResponse(static / "index.html", media_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "font-src 'self' data:; connect-src 'self'; script-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def queries(request):
        from kg.sparql import saved_queries
        from kg.vocab import PREFIXES

        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        return JSONResponse({"prologue": prologue, "queries": [q.as_dict() for q in saved_queries()]})

    async def favicon(request):
        return Response(status_code=204)

    async def http_error(request, exc):
        response = text_error(getattr(exc, "status_code", 404), getattr(exc, "detail", "not found"))
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    async def server_error(request, exc):
        log.error("error while answering %s: %s", request.url.path, "".join(traceback.format_exception(exc)))
        return text_error(500, "internal server error")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if not pool._workers:
            await asyncio.to_thread(pool.start)
        try:
            yield
        finally:
            await asyncio.to_thread(pool.close)

    from starlette.exceptions import HTTPException

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False),
                  Middleware(RefuseOtherSites, allowed=cors_origins)]
    if cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(cors_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"],
                                     allow_headers=["Accept", "Content-Type"], max_age=600))
    app = Starlette(
        debug=False,
        routes=[
            *explorer_routes(pool),
            Route("/query", page, methods=["GET", "HEAD"], name="page"),
            Route("/sparql", endpoint, methods=["GET", "POST", "HEAD"], name="sparql"),
            Route("/queries", queries, methods=["GET", "HEAD"], name="queries"),
            Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.pool = pool
    return app


def bind_socket(host: str, port: int):
    """Open the listening socket, or raise BadInput naming the host and port."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise BadInput(f"cannot listen on host {host!r}: {e.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise BadInput(f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> list[str]:
    """Host names the server answers to: this machine's loopback names, ``host`` and ``extra``.

    Listening on every interface (``0.0.0.0`` or ``::``) adds the machine's own name.

    Examples
    --------
    >>> allowed_hosts("127.0.0.1")
    ['127.0.0.1', 'localhost', '[::1]']
    >>> allowed_hosts("::1", ["kg.lan"])
    ['127.0.0.1', 'localhost', '[::1]', 'kg.lan']
    """
    import socket

    names = [*LOOPBACK_HOSTS, *(f"[{host}]" if ":" in host else host for host in [host, *extra])]
    if host in ("0.0.0.0", "::", ""):
        names = [n for n in names if n not in ("0.0.0.0", "[::]", "")] + [socket.gethostname(), socket.getfqdn()]
    return list(dict.fromkeys(n.lower() for n in names))


def guarded_protocol(request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                     max_connections: int = DEFAULT_MAX_CONNECTIONS):
    """uvicorn's h11 protocol with two guards against clients that hold connections open.

    * a request must arrive whole (headers and body) within ``request_timeout``
      seconds of its first byte, or of the connection opening; otherwise the
      connection gets 408 and is closed (idle kept-alive connections are
      closed by uvicorn's ``timeout_keep_alive``);
    * past ``max_connections`` open connections, a new one gets 503 and is
      closed at once, so descriptors never run out.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    def refusal(status: str, message: str) -> bytes:
        body = f"Error: {message}\n".encode()
        return (f"HTTP/1.1 {status}\r\ncontent-type: {TEXT}\r\ncontent-length: {len(body)}\r\n"
                "connection: close\r\n\r\n").encode() + body

    too_many = refusal("503 Service Unavailable", "too many open connections; try again later")
    too_slow = refusal("408 Request Timeout", f"the request did not arrive within {request_timeout:g} s")

    class GuardedH11Protocol(H11Protocol):
        _timer = None

        def connection_made(self, transport):
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(too_many)
                transport.close()
            else:
                self._arm()

        def data_received(self, data: bytes) -> None:
            if self._timer is None and self.conn.their_state is h11.IDLE:
                self._arm()  # the first bytes of a new request on a kept-alive connection
            super().data_received(data)
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                self._disarm()  # the whole request is in (or the connection is ending)

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._timer = self.loop.call_later(request_timeout, self._expire)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expire(self) -> None:
            self._timer = None
            if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                return
            if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # no answer begun yet
                self.transport.write(too_slow)
            self.transport.close()

    return GuardedH11Protocol


#: Connections the event loop accepts in one go, and the kernel's queue of them (see :func:`serve`).
_BURST, _QUEUE = 16, 1024


def _descriptor_room(wanted: int, workers: int) -> int:
    """Raise the soft limit on open files as far as allowed; return how many connections fit under it.

    Room is left for the workers' pipes, the store's files and three bursts
    of :data:`_BURST` connections over the cap: asyncio accepts a burst,
    makes their protocols one turn of the loop later, and a refused
    connection's descriptor is closed one turn after that, so three bursts
    can be open at once when the server falls behind.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    spare = 64 + 8 * workers + 3 * _BURST
    return max(1, min(wanted, soft - spare))


def serve(pool: WorkerPool, sock, *, cors_origins: Iterable[str] = (), hosts: Iterable[str] = LOOPBACK_HOSTS,
          max_connections: int = DEFAULT_MAX_CONNECTIONS, request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
          log_level: str = "warning") -> None:
    """Serve ``pool`` on the bound socket ``sock`` until interrupted.

    ``hosts`` are the Host names answered (see :func:`allowed_hosts`), ``cors_origins``
    the web origins allowed to read answers; ``max_connections`` and
    ``request_timeout`` bound what idle or half-sent requests can hold.
    """
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn's server, its listening socket's queue made longer than the bursts asyncio accepts.

        asyncio accepts at most its ``backlog`` connections per turn of the
        loop, and ``listen`` makes the kernel's queue as long: a short queue
        would keep a crowd of clients waiting to connect (a full queue drops
        their first try, retried a second later) past the request timeout.
        """

        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            for listening in sockets or ():
                listening.listen(_QUEUE)

    app = create_app(pool, cors_origins=cors_origins, allowed_hosts=hosts)
    limit = _descriptor_room(max_connections, pool.size)
    config = uvicorn.Config(app, log_level=log_level, access_log=log_level in ("info", "debug"),
                            timeout_graceful_shutdown=3, server_header=False, timeout_keep_alive=5,
                            http=guarded_protocol(request_timeout, limit), backlog=_BURST)
    _Server(config).run(sockets=[sock])


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_of(sock) -> str:
    """``http://host:port`` of a listening socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"

