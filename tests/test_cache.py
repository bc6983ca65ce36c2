"""The on-disk projection cache: data only, hits skip parsing, any change misses, damage is rebuilt, never run."""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys

import numpy
import pytest

from kg.cache import FORMAT, projection_key, read_projection
from kg.loader import cached_kg, load
from kg.synth import synthesize


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("KG_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("data"), 15, seed=5).path.parent


def _edges(G):
    return sorted((u, v, k, json.dumps(d, sort_keys=True, default=str)) for u, v, k, d in G.edges(keys=True, data=True))


def _entry(cache):
    entries = list(cache.glob("projection-*"))
    assert len(entries) == 1, entries
    return entries[0]


def _cli(cache, *args):
    env = {**os.environ, "KG_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "kg", "--no-bundled", *args], capture_output=True, text=True, env=env)


def test_second_open_reads_the_cache_without_parsing(cache, data):
    first = cached_kg([data])
    G1 = first.network
    entry = _entry(cache)
    assert not list(cache.glob(".*"))  # no temporary left behind
    assert sorted(p.suffix for p in entry.iterdir()) and not list(entry.glob("*.pickle"))
    second = cached_kg([data])
    G2 = second.network
    assert "_loaded" not in second.__dict__  # no RDF parsed
    assert _edges(G1) == _edges(G2)
    assert dict(G1.nodes(data=True)) == dict(G2.nodes(data=True))
    assert G1.graph == G2.graph
    label = G1.nodes[next(iter(G1))]["label"]
    assert second.resolve(label).iri == first.resolve(label).iri
    assert _edges(G2) == _edges(load([data], cache=False).network)


def test_the_arrays_are_plain_npy_that_numpy_reads_without_pickle(cache, data):
    adjacency = cached_kg([data]).adjacency
    entry = _entry(cache)
    indptr = numpy.load(entry / "indptr.npy", allow_pickle=False)
    assert indptr.dtype == numpy.int64 and len(indptr) == len(adjacency) + 1
    assert numpy.load(entry / "indices.npy", allow_pickle=False).tolist() == list(cached_kg([data]).adjacency.indices)


def test_a_changed_file_is_a_new_key(cache, data, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    target = copy / "synthetic.ttl"
    target.write_bytes((data / "synthetic.ttl").read_bytes())
    key = projection_key([target])
    cached_kg([copy]).network
    assert read_projection(key) is not None
    with open(target, "a", encoding="utf-8") as handle:
        handle.write('<https://w3id.org/chipskg/id/extra> a <https://w3id.org/chipskg/ontology#Person> ; '
                     '<http://www.w3.org/2000/01/rdf-schema#label> "Extra Person"@en .\n')
    assert projection_key([target]) != key
    fresh = cached_kg([copy])
    assert "https://w3id.org/chipskg/id/extra" in fresh.network
    assert "_loaded" in fresh.__dict__


def test_library_versions_are_in_the_key(monkeypatch):
    from kg import cache as module

    before = projection_key([], store_id="x")
    monkeypatch.setattr(module, "_versions", lambda: {"rdflib": "0.0-other"})
    assert projection_key([], store_id="x") != before


@pytest.mark.parametrize("damage", ["entry.json", "indptr.npy", "indices.npy", "iris.jsonl", "adjacency.json"])
def test_a_damaged_entry_is_rebuilt(cache, data, damage):
    kg = cached_kg([data])
    kg.network
    (_entry(cache) / damage).write_bytes(b"not what it should be")
    again = cached_kg([data])
    assert again.network.number_of_nodes() == kg.network.number_of_nodes()
    assert "_loaded" in again.__dict__  # rebuilt from the RDF
    assert read_projection(again.key) is not None  # and written again


def test_a_damaged_line_is_one_error_then_rebuilt(cache, data):
    args = ["--data", str(data), "path", "res:company-1", "res:company-9", "--json"]
    good = _cli(cache, *args)
    assert good.returncode in (0, 1), good.stderr
    edges = _entry(cache) / "edges.jsonl"
    edges.write_bytes(b"x" * edges.stat().st_size)  # same size, wrong content
    broken = _cli(cache, *args)
    if broken.returncode != good.returncode:  # the hops read a damaged line
        assert broken.returncode == 2 and len(broken.stderr.strip().splitlines()) == 1, broken.stderr
        assert "Traceback" not in broken.stderr and "damaged" in broken.stderr
    again = _cli(cache, *args)
    assert (again.returncode, again.stdout) == (good.returncode, good.stdout), again.stderr


def _rewrite(entry, name, change):
    values = numpy.load(entry / name, allow_pickle=False)
    change(values)
    numpy.save(entry / name, values, allow_pickle=False)


def _rename_first_iri(entry):
    """Change one IRI in place, same size: the list is then out of order and disagrees with the node lines."""
    lines = (entry / "iris.jsonl").read_bytes().split(b"\n")
    at = lines[0].index(b"/id/") + 4
    lines[0] = lines[0][:at] + b"~" + lines[0][at + 1:]
    (entry / "iris.jsonl").write_bytes(b"\n".join(lines))


def _contents(entry) -> dict:
    """Each file of an entry: JSON parsed (the order of its keys can vary between builds), the rest as bytes."""
    return {p.name: json.loads(p.read_bytes()) if p.suffix == ".json" else p.read_bytes()
            for p in entry.iterdir() if p.is_file()}


def _fifo(entry, name):
    (entry / name).unlink()
    os.mkfifo(entry / name)


_TAMPERED = {
    "indices out of range": lambda e: _rewrite(e, "indices.npy", lambda v: v.__setitem__(3, 10 ** 6)),
    "slot_pair out of range": lambda e: _rewrite(e, "slot_pair.npy", lambda v: v.__setitem__(0, len(v))),
    "pair_refs negative": lambda e: _rewrite(e, "pair_refs.npy", lambda v: v.__setitem__(0, -1)),
    "pair_refptr out of range": lambda e: _rewrite(e, "pair_refptr.npy", lambda v: v.__setitem__(1, 10 ** 6)),
    "indices all 0": lambda e: _rewrite(e, "indices.npy", lambda v: v.fill(0)),
    "indptr negative": lambda e: _rewrite(e, "indptr.npy", lambda v: v.__setitem__(1, -3)),
    "edge_kind out of range": lambda e: _rewrite(e, "edge_kind.npy", lambda v: v.__setitem__(0, 10 ** 6)),
    "an IRI changed": _rename_first_iri,
    "edges.jsonl a FIFO": lambda e: _fifo(e, "edges.jsonl"),
    "entry.json a FIFO": lambda e: _fifo(e, "entry.json"),
    "names.json a FIFO": lambda e: _fifo(e, "names.json"),
}


@pytest.mark.parametrize("tamper", list(_TAMPERED))
def test_a_tampered_entry_is_refused_by_value_and_rebuilt(cache, data, tamper):
    """Values out of range, in range but wrong, and files that are not files: the same answer, no traceback."""
    args = ["--data", str(data), "path", "res:company-1", "res:company-9", "--json"]
    good = _cli(cache, *args)
    assert good.returncode == 0 and json.loads(good.stdout)["paths"], good.stderr
    entry = _entry(cache)
    kept = _contents(entry)
    _TAMPERED[tamper](entry)
    assert _contents(entry) != kept
    env = {**os.environ, "KG_CACHE_DIR": str(cache)}
    for _ in range(2):  # the first run answers from a rebuilt entry; the second reads that entry
        again = subprocess.run([sys.executable, "-m", "kg", "--no-bundled", *args], capture_output=True, text=True,
                               env=env, timeout=120)
        assert (again.returncode, again.stdout, again.stderr) == (good.returncode, good.stdout, good.stderr)
    assert _contents(_entry(cache)) == kept  # rebuilt, the same


def test_a_crafted_cache_file_cannot_run_code(cache, data, tmp_path):
    """The old cache was pickle: a crafted file ran code. Now every file is read as data, or refused."""
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    args = ["--data", str(data), "path", "res:company-1", "res:company-9", "--json"]
    good = _cli(cache, *args)
    entry = _entry(cache)
    # an object array (numpy pickles its items) in place of an index array
    numpy.save(entry / "indices.npy", numpy.array([Exploit()], dtype=object), allow_pickle=True)
    # and a pickle where the previous format kept the whole projection
    (cache / f"projection-{entry.name.split('-', 1)[1]}.pickle").write_bytes(pickle.dumps(Exploit()))
    crafted = _cli(cache, *args)
    assert not marker.exists()
    assert (crafted.returncode, crafted.stdout) == (good.returncode, good.stdout), crafted.stderr
    assert numpy.load(entry / "indices.npy", allow_pickle=False).dtype == numpy.int32  # rebuilt


def test_the_cache_folder_is_private(cache, data):
    cached_kg([data]).network
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(_entry(cache).stat().st_mode) == 0o700


def test_a_folder_others_can_write_is_not_used(cache, data):
    cache.mkdir(mode=0o700)
    os.chmod(cache, 0o777)
    done = _cli(cache, "--data", str(data), "path", "res:company-1", "res:company-9", "--json")
    assert done.returncode in (0, 1)
    assert done.stderr.count("\n") == 1 and "others can write to it" in done.stderr, done.stderr
    assert not list(cache.iterdir())  # nothing written there


def test_cache_dir_set_to_a_file_gives_one_line(tmp_path, data):
    afile = tmp_path / "afile"
    afile.write_text("x")
    done = _cli(afile, "--data", str(data), "path", "res:company-1", "res:company-9", "--json")
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr.count("\n") == 1 and "not a folder" in done.stderr, done.stderr
    assert afile.read_text() == "x"


def test_cache_off_writes_nothing(tmp_path, monkeypatch, data):
    monkeypatch.setenv("KG_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    cached_kg([data]).network
    assert not any(tmp_path.rglob("projection-*"))


def test_loader_network_uses_the_cache(cache, data):
    load([data], cache=False).network
    hit = read_projection(projection_key(load([data]).files, derive=True))
    assert hit is not None and hit[1]["triples"] == len(load([data]).graph)


def test_cli_path_same_answer_cold_and_warm(cache, data):
    args = ["--data", str(data), "path", "https://w3id.org/chipskg/id/company-1",
            "https://w3id.org/chipskg/id/company-9", "--json"]
    cold = _cli(cache, *args)
    warm = _cli(cache, *args)
    assert cold.returncode in (0, 1), cold.stderr
    assert (cold.returncode, cold.stdout) == (warm.returncode, warm.stdout)
    assert json.loads((_entry(cache) / "entry.json").read_text())["format"] == FORMAT


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_path_imports_no_networkx_or_pyshacl_and_warm_no_rdflib(cache, data, warm):
    """A cold path builds the projection's arrays from rdflib's graph, without networkx; a warm one reads them."""
    args = ["--data", str(data), "path", "res:company-1", "res:company-9", "--json"]
    if warm:
        _cli(cache, *args)
    env = {**os.environ, "KG_CACHE_DIR": str(cache)}
    code = ("import sys, runpy; sys.argv = ['kg', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('kg', run_name='__main__')\n"
            "except SystemExit:\n    pass\n")
    # kg.cli.main ends with os._exit, so report the modules from an exit hook run just before it
    probe = ("import os, sys; real = os._exit\n"
             "def report(code):\n"
             "    sys.stderr.write('imported: ' + ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('rdflib', 'networkx', 'pyshacl', 'numpy'))) + '\\n'); real(code)\n"
             "os._exit = report\n") + code
    done = subprocess.run([sys.executable, "-c", probe, "--no-bundled", *args], capture_output=True, text=True, env=env)
    assert done.returncode in (0, 1), done.stderr
    imported = {m.split(".")[0] for m in done.stderr.split("imported:")[1].split()}
    assert imported == (set() if warm else {"rdflib"}), done.stderr


def test_old_entries_are_pruned(cache, data):
    from kg import cache as module

    cache.mkdir(mode=0o700, parents=True)
    for i in range(module.KEEP + 3):
        old = cache / f"projection-old{i}"
        old.mkdir()
        os.utime(old, ns=(i * 10**9, i * 10**9))
    cached_kg([data]).network
    left = sorted(p.name for p in cache.glob("projection-*"))
    assert len(left) == module.KEEP and read_projection(cached_kg([data]).key) is not None
    assert "projection-old0" not in left


def test_edges_written_by_a_forked_child_are_the_same_bytes(data, tmp_path, alone):
    """:meth:`kg.adjacency.Adjacency.save` writing most edges in a forked child, the rest here, leaves the same files."""
    alone("""
        from pathlib import Path

        import kg.adjacency
        from kg.loader import load

        adjacency = load([Path(data)], cache=False).adjacency
        (Path(folder) / "alone").mkdir()
        adjacency.save(Path(folder) / "alone")
        kg.adjacency._FORK_MINIMUM = 0
        (Path(folder) / "shared").mkdir()
        adjacency.save(Path(folder) / "shared")
        assert forks
    """, data=str(data), folder=str(tmp_path))
    files = sorted(p.name for p in (tmp_path / "alone").iterdir())
    assert "edges.jsonl" in files and files == sorted(p.name for p in (tmp_path / "shared").iterdir())
    for name in files:
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "shared" / name).read_bytes(), name


def test_a_new_projection_is_written_with_the_collector_off_then_frozen(data, tmp_path, alone):
    """A build makes a million lasting objects at 1M triples: the collector's passes would walk them all (while
    the cache is written, and again at the next allocation), so it stays off until the entry is written, and a
    big build is frozen out of its reach (``gc.freeze``); a small one is not."""
    alone("""
        import gc, os
        from pathlib import Path

        import kg.adjacency, kg.loader

        seen, save = [], kg.adjacency.Adjacency.save
        kg.adjacency.Adjacency.save = lambda self, folder: (seen.append(gc.isenabled()), save(self, folder))[1]
        os.environ["KG_CACHE_DIR"] = str(Path(folder) / "small")
        kg.loader.cached_kg([Path(data)]).adjacency
        assert seen == [False] and gc.isenabled() and gc.get_freeze_count() == 0
        kg.loader._FREEZE_MINIMUM = 1
        os.environ["KG_CACHE_DIR"] = str(Path(folder) / "big")
        kg.loader.cached_kg([Path(data)]).adjacency
        assert seen == [False, False] and gc.isenabled() and gc.get_freeze_count() > 0
    """, data=str(data), folder=str(tmp_path))
