"""Exports for other tools (kg.export, ``kg export``): each format parses back to the same graph."""

import csv
import io
import json
import os
import stat
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from kg import load
from kg.vocab import turtle_prefixes
from kg.cli import app
from kg.errors import BadInput
from kg.export import CSV_COLUMNS, FORMATS, atomic_write, export_bytes, write_export

RES = "https://w3id.org/chipskg/id/"

WORLD = turtle_prefixes() + """\
src:t a chips:Source ; rdfs:label "Test article"@en ; chips:publisher "Test Daily" ; chips:published "2021-12-11"^^xsd:date .
res:nvidia a chips:Company ; rdfs:label "Nvidia"@en , "英伟达"@zh ; chips:foundingDate "1993"^^xsd:gYear ; prov:wasDerivedFrom src:t .
res:icera a chips:Startup ; rdfs:label "Icera"@en , "Icera"@zh ; prov:wasDerivedFrom src:t .
res:nigel-toon a chips:Person ; rdfs:label "Nigel Toon"@en , "奈杰尔·图恩"@zh ; prov:wasDerivedFrom src:t .
res:chip a chips:Chip ; rdfs:label "Chip <&> \\"one\\""@en , "芯片"@zh ; chips:transistorCount 1200000000 ;
    chips:developer res:icera ; prov:wasDerivedFrom src:t .
res:acq a chips:Acquisition ; chips:acquirer res:nvidia ; chips:acquiredOrganization res:icera ;
    chips:date "2011"^^xsd:gYear ; chips:amount 367000000.0 ; chips:currency "USD" ; chips:quote "英伟达收购Icera"@zh ; prov:wasDerivedFrom src:t .
res:f1 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:icera ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:p1 a chips:Position ; chips:holder res:nigel-toon ; chips:organization res:nvidia ; chips:start "2011"^^xsd:gYear ;
    chips:end "2012"^^xsd:gYear ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""

EXTRA = """\
@prefix chips: <https://w3id.org/chipskg/ontology#> .
@prefix res:   <https://w3id.org/chipskg/id/> .
@prefix src:   <https://w3id.org/chipskg/source/> .
@prefix prov:  <http://www.w3.org/ns/prov#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
res:arm a chips:Company ; rdfs:label "Arm"@en , "安谋"@zh ; prov:wasDerivedFrom src:t .
res:p2 a chips:Partnership ; chips:partner res:arm , res:icera ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""


@pytest.fixture(scope="module")
def world_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "world.ttl"
    path.write_text(WORLD, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(world_file):
    return load([world_file])


def same_shape(G, H):
    assert sorted(H.nodes) == sorted(G.nodes)
    assert sorted((u, v) for u, v in H.edges()) == sorted((u, v) for u, v in G.edges())


# --- every format parses back -------------------------------------------------------------------

def test_graphml_parses_back(world, tmp_path):
    G = world.network
    path = write_export(world, "graphml", tmp_path / "g.graphml")
    H = nx.read_graphml(path, force_multigraph=True)
    same_shape(G, H)
    assert H.nodes[RES + "nvidia"]["label"] == "Nvidia" and H.nodes[RES + "nvidia"]["label_zh"] == "英伟达"
    assert H.nodes[RES + "nvidia"]["foundingDate"] == "1993"
    assert H.nodes[RES + "chip"]["label"] == 'Chip <&> "one"' and H.nodes[RES + "chip"]["transistorCount"] == 1200000000
    edge = next(d for _, _, d in H.edges(data=True) if d["kind"] == "acquired")
    assert edge["amount"] == 367000000.0 and edge["sentence"] == "Nvidia acquired Icera (2011, US$367M)"
    assert edge["sources"] == "https://w3id.org/chipskg/source/t"  # lists joined with "; "


def test_gexf_parses_back(world, tmp_path):
    G = world.network
    path = write_export(world, "gexf", tmp_path / "g.gexf")
    H = nx.read_gexf(path)
    same_shape(G, H)
    assert H.nodes[RES + "icera"]["label"] == "Icera" and H.nodes[RES + "icera"]["cls"] == "Startup"
    worked = next(d for _, _, d in H.edges(data=True) if d["kind"] == "workedAt")
    assert worked["start_date"] == "2011" and worked["end_date"] == "2012"  # not taken as GEXF time spells
    assert b"lastmodifieddate" not in path.read_bytes()  # no date stamp: same graph, same file


def test_json_is_node_link(world):
    G = world.network
    data = json.loads(export_bytes(world, "json"))
    H = nx.node_link_graph(data, edges="edges")
    assert H.is_multigraph() and H.is_directed()
    same_shape(G, H)
    assert H.nodes[RES + "nvidia"]["sources"] == ["https://w3id.org/chipskg/source/t"]  # lists stay lists
    assert "_undirected" not in json.dumps(data["graph"])  # no caches leak out


def test_csv_has_one_row_per_edge(world):
    G = world.network
    rows = list(csv.DictReader(io.StringIO(export_bytes(world, "csv").decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == G.number_of_edges() == 4
    acquired = next(r for r in rows if r["kind"] == "acquired")
    assert acquired["source_label"] == "Nvidia" and acquired["target_label"] == "Icera"
    assert float(acquired["amount"]) == 367000000.0 and acquired["date"] == "2011" and acquired["currency"] == "USD"
    assert acquired["sentence"] == "Nvidia acquired Icera (2011, US$367M)"
    developer = next(r for r in rows if r["kind"] == "developer")
    assert developer["source_label"] == 'Chip <&> "one"' and developer["amount"] == ""


@pytest.mark.parametrize("fmt, rdf_format", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_rdf_formats_parse_back_to_the_same_graph(world, fmt, rdf_format):
    g = rdflib.Graph().parse(data=export_bytes(world, fmt), format=rdf_format)
    assert len(g) == len(world.graph)
    assert isomorphic(g, world.graph)


def test_a_changed_data_file_changes_the_export(world_file, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    before = list(csv.DictReader(io.StringIO(export_bytes(load([world_file]), "csv").decode())))
    after = list(csv.DictReader(io.StringIO(export_bytes(load([world_file, extra]), "csv").decode())))
    assert len(after) == len(before) + 1
    assert [r["sentence"] for r in after if r not in before] == ["Arm partner of Icera"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic(world, fmt):
    assert export_bytes(world, fmt) == export_bytes(world, fmt)


def test_rdf_export_is_stable_across_processes(world_file):
    """N-Triples and JSON-LD come out of rdflib in hash order; the export sorts them."""
    import subprocess
    import sys

    script = ("import sys; from kg import load; from kg.export import export_bytes; "
              "kg = load([sys.argv[1]]); sys.stdout.buffer.write(export_bytes(kg, 'nt') + export_bytes(kg, 'jsonld'))")
    outs = {subprocess.run([sys.executable, "-c", script, str(world_file)], capture_output=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


def test_unknown_format(world):
    with pytest.raises(BadInput, match="graphml, gexf, json, csv, turtle, jsonld, nt"):
        export_bytes(world, "xlsx")
    assert export_bytes(world, "TTL") == export_bytes(world, "turtle")  # common spellings accepted


# --- atomic writes -------------------------------------------------------------------------------

def test_atomic_write_replaces_whole_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.graphml"
    target.write_text("old contents")
    atomic_write(target, "new contents")
    assert target.read_text() == "new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["out.graphml"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not the 0600 of a temporary file


def test_failed_export_keeps_the_old_file(world, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old contents")
    with pytest.raises(BadInput):
        write_export(world, "no-such-format", target)
    assert target.read_text() == "old contents"
    with pytest.raises(BadInput, match="does not exist"):
        atomic_write(tmp_path / "missing" / "x.csv", "x")
    with pytest.raises(BadInput, match="is a folder"):
        atomic_write(tmp_path, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# --- the command --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_export_graphml_to_file(world_file, tmp_path):
    out = tmp_path / "x.graphml"
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "export", "--format", "graphml", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (graphml" in result.output
    assert nx.read_graphml(out, force_multigraph=True).number_of_edges() == 4


def test_cli_export_json_reports_the_file(world_file, tmp_path):
    out = tmp_path / "x.graphml"
    args = ["--no-bundled", "--data", str(world_file), "export", "--format", "graphml", "--json"]
    report = json.loads(runner.invoke(app, [*args, "-o", str(out)]).output)
    assert report == {"path": str(out), "format": "graphml", "bytes": out.stat().st_size}
    refused = runner.invoke(app, args)  # to standard output the export itself is the output
    assert refused.exit_code == 2 and "--output" in refused.stderr


def test_cli_export_format_from_suffix(world_file, tmp_path):
    out = tmp_path / "x.gexf"
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert nx.read_gexf(out).number_of_nodes() == 4


def test_cli_export_to_stdout(world_file):
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "export", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ",".join(CSV_COLUMNS) and len(result.stdout.splitlines()) == 5
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "export", "-f", "nt"])
    assert rdflib.Graph().parse(data=result.stdout, format="nt")


@pytest.mark.parametrize("args, message", [
    (["export", "-f", "xlsx"], "unknown export format"),
    (["export"], "say which format"),
    (["export", "-o", "out.weird"], "the suffix '.weird' names none"),
    (["export", "-f", "csv", "-o", "/nonexistent-folder/x.csv"], "does not exist"),
])
def test_cli_export_errors(world_file, args, message):
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_bundled_data_exports():
    """End to end on the real data: every graph format holds every node and edge."""
    kg = load()
    G = kg.network
    H = nx.read_graphml(io.BytesIO(export_bytes(kg, "graphml")), force_multigraph=True)
    assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()
    H = nx.read_gexf(io.BytesIO(export_bytes(kg, "gexf")))
    assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()


_CONTROLS = """@prefix chips: <https://w3id.org/chipskg/ontology#> .
@prefix res: <https://w3id.org/chipskg/id/> .
@prefix src: <https://w3id.org/chipskg/source/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
src:s1 a chips:Source ; rdfs:label "A source"@en ; chips:publisher "Pub" ; chips:published "2021-01-01"^^xsd:date .
res:ctl-co a chips:Startup ; rdfs:label "Ctl\\u0007Co\\u001B[31m"@en ; prov:wasDerivedFrom src:s1 ;
    chips:note "bell\\u0007 and \\u0001"@en .
res:other-co a chips:Startup ; rdfs:label "Other Co"@en ; prov:wasDerivedFrom src:s1 ; chips:competesWith res:ctl-co .
"""


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "rdfxml"])
def test_xml_exports_of_control_characters_are_well_formed(tmp_path, fmt):
    """XML 1.0 cannot hold most C0 controls: GraphML, GEXF and RDF/XML replace them with U+FFFD."""
    import xml.etree.ElementTree as ElementTree

    data = tmp_path / "controls.ttl"
    data.write_text(_CONTROLS, encoding="utf-8")
    if fmt == "rdfxml":
        args = ["sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--format", "rdfxml"]
    else:
        args = ["export", "--format", fmt, "-o", str(tmp_path / f"out.{fmt}")]
    result = runner.invoke(app, ["--no-bundled", "--data", str(data), *args])
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes if fmt == "rdfxml" else (tmp_path / f"out.{fmt}").read_bytes()
    root = ElementTree.fromstring(text)
    values = [e.text or "" for e in root.iter()] + [v for e in root.iter() for v in e.attrib.values()]
    assert any("Ctl\ufffdCo\ufffd[31m" in v for v in values)
    assert any("bell\ufffd and \ufffd" in v for v in values)
