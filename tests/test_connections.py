"""Who connects to whom: the projection, paths, shared ties, neighbourhoods, centrality."""

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from kg import load
from kg.analysis import centrality, centrality_scores, cocustomers, coinvestment, communities
from kg.cli import app
from kg.errors import AmbiguousEntity, BadInput, NoPath, UnknownEntity
from kg.paths import common_ties, find_paths, neighbors
from kg.vocab import RES
from kgtest import ARTICLE_DATA, with_article

runner = CliRunner()


@pytest.fixture(scope="module")
def kg():
    return load([ARTICLE_DATA])


def labels(path):
    return [n["label"] for n in path["nodes"]]


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- projection ----------------------------------------------------------------

def test_projection_collapses_relation_nodes_into_edges(kg):
    G = kg.network
    assert isinstance(G, nx.MultiDiGraph)
    assert all(G.nodes[n]["iri"] == n for n in G)
    # an acquisition is one edge acquirer -> acquired with its date, price, source and quote
    (edge,) = [d for _, v, d in G.out_edges(str(RES.amd), data=True) if d["kind"] == "acquired"]
    assert edge["date"] == "2012" and edge["amount"] == 357_000_000 and edge["currency"] == "USD"
    assert edge["sources"] and edge["quotes"]
    # a funding round becomes investor -> company edges carrying the round's details and lead flag
    fidelity = [d for _, v, d in G.out_edges(str(RES["fidelity-management"]), data=True) if v == str(RES.tenstorrent)]
    assert fidelity[0]["kind"] == "investedIn" and fidelity[0]["lead"] is True and fidelity[0]["series"] == "C"
    # relation nodes and literals are not nodes
    assert not any(n.startswith(str(RES)) and G.nodes[n]["cls"] in ("Acquisition", "FundingRound") for n in G)
    assert G.nodes[str(RES["wse-2"])]["transistorCount"] == 2_600_000_000_000


def test_projection_is_deterministic():
    from kg.network import project

    graph = load([ARTICLE_DATA]).graph
    first, second = project(graph), project(graph)
    assert list(first.edges(keys=True)) == list(second.edges(keys=True))


# --- paths ---------------------------------------------------------------------

def test_nvidia_to_graphcore_through_icera_and_nigel_toon(kg):
    path = find_paths(kg, "Nvidia", "Graphcore")["paths"][0]
    assert labels(path) == ["Nvidia", "Icera", "Nigel Toon", "Graphcore"]
    kinds = [e["kind"] for e in path["edges"]]
    assert kinds == ["acquired", "founded", "founded"]
    # explained with true directions: Nvidia acquired Icera, Nigel Toon founded both
    assert path["edges"][0]["source"] == str(RES.nvidia)
    assert path["edges"][1]["source"] == str(RES["nigel-toon"])
    assert all(e["sources"] for e in path["edges"])


def test_amd_to_cerebras_through_seamicro_and_its_founders(kg):
    answer = find_paths(kg, "AMD", "Cerebras", all_shortest=True)
    middles = {tuple(labels(p)[1:-1]) for p in answer["paths"]}
    assert middles == {("SeaMicro", "Andrew Feldman"), ("SeaMicro", "Gary Lauterbach")}


def test_jim_keller_to_cerebras(kg):
    path = find_paths(kg, "Jim Keller", "Cerebras", only=["workedAt", "acquired", "founded"])["paths"][0]
    assert labels(path)[:3] == ["Jim Keller", "AMD", "SeaMicro"]
    assert labels(path)[-1] == "Cerebras"
    unrestricted = find_paths(kg, "Jim Keller", "Cerebras")["paths"][0]
    assert unrestricted["length"] <= path["length"]


def test_avoid_changes_the_route(kg):
    direct = find_paths(kg, "AMD", "Cerebras")["paths"][0]
    assert "SeaMicro" in labels(direct)
    try:
        around = find_paths(kg, "AMD", "Cerebras", avoid=["SeaMicro"])["paths"][0]
    except NoPath:
        return
    assert "SeaMicro" not in labels(around)
    assert around["length"] > direct["length"]


def test_only_changes_the_route(kg):
    with pytest.raises(NoPath):
        find_paths(kg, "Nvidia", "Graphcore", only=["investedIn"])
    assert find_paths(kg, "Nvidia", "Graphcore", only=["acquired", "founded"])["paths"][0]["length"] == 3


def test_through_people_only(kg):
    path = find_paths(kg, "SambaNova", "Oracle", through="Person")["paths"][0]
    assert all(n["class"] == "Person" for n in path["nodes"][1:-1])


def test_k_shortest_paths_are_distinct_and_ordered(kg):
    paths = find_paths(kg, "Jim Keller", "Cerebras", k=4)["paths"]
    assert len(paths) == 4
    assert len({tuple(n["iri"] for n in p["nodes"]) for p in paths}) == 4
    lengths = [p["length"] for p in paths]
    assert lengths == sorted(lengths)
    for p in paths:
        iris = [n["iri"] for n in p["nodes"]]
        assert len(iris) == len(set(iris))  # simple paths


def test_indirect_ties_only_when_asked(kg):
    # Lu Tao called Nvidia Graphcore's only rival: a statement, not a tie that paths use by default
    rivalry = find_paths(kg, "Nvidia", "Graphcore", only=["competesWith"])["paths"][0]
    assert rivalry["length"] == 1 and rivalry["edges"][0]["kind"] == "competesWith"


def test_a_shared_process_generation_is_a_trait_not_a_tie(kg):
    # GC200 and WSE-2 are both made on 7 nm: that links them only when asked for by name
    by_process = find_paths(kg, "GC200", "WSE-2", only=["processNode"])["paths"][0]
    assert by_process["length"] == 2 and {e["kind"] for e in by_process["edges"]} == {"processNode"}
    usual = find_paths(kg, "GC200", "WSE-2", k=3)
    assert "processNode" in usual["skipped_kinds"]
    assert all(e["kind"] != "processNode" for p in usual["paths"] for e in p["edges"])


def test_what_records_say_is_no_relation_kind(kg):
    """A merge's kept and merged entity, a ranking's claim and rank: never offered as ties to follow."""
    from kg.network import relation_kinds

    kinds = set(relation_kinds(kg.graph))
    assert not {"kept", "merged", "rank", "ranked"} & kinds
    assert {"investedIn", "subOrganizationOf", "reportedBy", "runBy"} <= kinds
    with pytest.raises(BadInput, match="unknown relation kind"):
        find_paths(kg, "Nvidia", "Graphcore", only=["ranked"])


def test_max_len(kg):
    with pytest.raises(NoPath, match="within 2 hops"):
        find_paths(kg, "Nvidia", "Graphcore", max_len=2)


def test_unknown_and_ambiguous_names(kg):
    with pytest.raises(UnknownEntity):
        find_paths(kg, "Nvidiaaaa Corp Ltd", "Graphcore")
    with pytest.raises(AmbiguousEntity):
        find_paths(kg, "Laboratory", "Graphcore")
    with pytest.raises(BadInput, match="unknown relation kind"):
        find_paths(kg, "Nvidia", "Graphcore", only=["married"])


def test_no_connection_exits_1(tmp_path):
    paths = with_article(tmp_path, 'res:hermit a chips:Person ; rdfs:label "A Hermit"@en , "隐士"@zh ; prov:wasDerivedFrom src:test-note .')
    with pytest.raises(NoPath):
        find_paths(load(paths), "A Hermit", "Graphcore")
    result = runner.invoke(app, [a for p in paths for a in ("--data", str(p))] + ["path", "隐士", "Graphcore"])
    assert result.exit_code == 1
    assert "no connection" in result.output


def test_a_new_fact_changes_the_path(tmp_path):
    paths = with_article(tmp_path, """
res:acquisition-test a chips:Acquisition ; rdfs:label "Test"@en ; chips:acquirer res:nvidia ;
    chips:acquiredOrganization res:graphcore ; chips:quote "test"@en ; prov:wasDerivedFrom src:test-note .
""")
    path = find_paths(load(paths), "Nvidia", "Graphcore")["paths"][0]
    assert labels(path) == ["Nvidia", "Graphcore"]


def test_path_cli_human_and_json():
    result = runner.invoke(app, ["path", "英伟达", "Graphcore"])
    assert result.exit_code == 0, result.output
    assert "Nvidia acquired Icera (2011)" in result.output
    assert "Nigel Toon founded Graphcore" in result.output
    answer = run_json("path", "Nvidia", "Graphcore", "--k", "2")
    assert set(answer) == {"source", "target", "paths", "skipped_kinds"}
    assert answer["skipped_kinds"] == ["competesWith", "processNode"]
    edge = answer["paths"][0]["edges"][0]
    assert set(edge) >= {"source", "target", "predicate", "label", "attributes", "sources"}


def test_cli_is_deterministic():
    for args in (["path", "Jim Keller", "Cerebras", "--k", "3"], ["centrality", "-m", "betweenness"], ["communities"]):
        assert run_json(*args) == run_json(*args)


# --- shared ties and neighbourhoods ---------------------------------------------

def test_common_customers_of_sambanova_and_cerebras(kg):
    ties = common_ties(kg, "SambaNova", "Cerebras")
    customers = next(g for g in ties["groups"] if g["kind"] == "customerOf")
    names = {e["label"] for e in customers["entities"]}
    assert {"Argonne National Laboratory", "Lawrence Livermore National Laboratory"} <= names
    assert customers["direction"] == "from"


def test_common_founder_of_icera_and_graphcore(kg):
    ties = common_ties(kg, "Icera", "Graphcore")
    assert any(g["kind"] == "founded" and g["entities"][0]["label"] == "Nigel Toon" for g in ties["groups"])


def test_neighbors_grouped_by_relation(kg):
    hood = neighbors(kg, "Icera")
    assert {g["kind"] for g in hood["groups"]} == {"acquired", "founded"}
    deeper = neighbors(kg, "Icera", depth=2)
    assert "Graphcore" in {r["label"] for r in deeper["reached"] if r["distance"] == 2}
    assert max(r["distance"] for r in deeper["reached"]) == 2


# --- centrality and groups -------------------------------------------------------

def small_graph():
    """a - b - c - d - e, plus f hanging off c: c is the broker."""
    G = nx.MultiDiGraph()
    for n in "abcdef":
        G.add_node(n, label=n.upper(), cls="Thing", iri=n)
    for u, v in ("ab", "bc", "cd", "de", "cf"):
        G.add_edge(u, v, key=u + v, kind="knows")
    return G


def test_centrality_known_answers_on_a_small_graph():
    G = small_graph()
    scores, _ = centrality_scores(G, "betweenness")
    # c lies on the paths between {a, b} and {d, e, f} and between d/e and f: 6 + 2 = 8 of 10 pairs
    assert scores["c"] == pytest.approx(8 / 10)
    assert scores["b"] == pytest.approx(4 / 10)
    assert scores["a"] == 0
    ranking = centrality(G, "degree", top=2)["ranking"]
    assert [r["label"] for r in ranking] == ["C", "B"]  # b and d tie at 2: broken by label
    assert centrality(G, "closeness", top=1)["ranking"][0]["label"] == "C"


def test_betweenness_explains_what_a_broker_holds_together():
    from kg.analysis import centrality as rank

    top = rank(small_graph(), "betweenness", top=1)["ranking"][0]
    assert top["label"] == "C"
    assert top["why"] == "C alone holds together 3 parts, the largest around B, D, F"


def test_centrality_sampling_is_reported():
    G = small_graph()
    scores, notes = centrality_scores(G, "betweenness", sample_above=3, sample_size=4)
    assert notes["sampled_sources"] == 4
    assert set(scores) == set(G)


def test_igraph_backend_agrees_with_networkx():
    from kg.analysis import _igraph_betweenness, _igraph_closeness

    G = nx.gnm_random_graph(200, 400, seed=7)
    G.add_nodes_from(range(200, 204))  # isolated nodes: closeness must follow networkx's definition
    exact, k = _igraph_betweenness(G, False, sample_above=10**9, sample_size=10)
    assert k is None
    reference = nx.betweenness_centrality(G)
    assert max(abs(exact[n] - reference[n]) for n in G) < 1e-12
    closeness = _igraph_closeness(G)
    reference = nx.closeness_centrality(G)
    assert max(abs(closeness[n] - reference[n]) for n in G) < 1e-12
    sampled, k = _igraph_betweenness(G, False, sample_above=100, sample_size=150)
    assert k == 150
    top = {n for n, _ in sorted(exact.items(), key=lambda kv: -kv[1])[:10]}
    assert len(top & {n for n, _ in sorted(sampled.items(), key=lambda kv: -kv[1])[:10]}) >= 8


def test_sampled_betweenness_shared_with_a_forked_child_is_the_sum_over_all_sources():
    """Half the batches of sources run in a forked child; the scores are those of one pass over every source."""
    import random

    import igraph

    from kg.analysis import SEED, _BATCH, _igraph_betweenness

    G = nx.gnm_random_graph(1200, 3000, seed=3)
    sampled, k = _igraph_betweenness(G, False, sample_above=100, sample_size=4 * _BATCH)
    assert k == 4 * _BATCH
    g = igraph.Graph(n=1200, edges=list(G.edges()))
    whole = g.betweenness(directed=False, sources=sorted(random.Random(SEED).sample(range(1200), k)))
    scale = 1200 / k * 2 / (1199 * 1198)
    assert max(abs(sampled[n] - whole[n] * scale) for n in G) < 1e-12
    assert sum(value > 0 for value in sampled.values()) > 1000


def test_centrality_on_the_data_explains_itself(kg):
    answer = centrality(kg, "betweenness", top=5)
    top = answer["ranking"][0]
    neighbours = {kg.network.nodes[n]["label"] for n in nx.all_neighbors(kg.network, top["iri"])}
    assert top["why"].startswith(top["label"]) and any(n in top["why"] for n in neighbours)
    people = centrality(kg, "degree", cls="Person", top=3)["ranking"]
    assert all(r["class"] == "Person" for r in people)
    with pytest.raises(BadInput):
        centrality(kg, "fame")


def as_projection(U):
    """A simple graph as a projection-like MultiDiGraph (labels, classes, one ``knows`` edge per tie)."""
    G = nx.MultiDiGraph()
    for n in sorted(U, key=str):
        G.add_node(f"n{n:03}", label=f"N{n}", cls="Thing", iri=f"n{n:03}")
    for u, v in U.edges():
        G.add_edge(f"n{u:03}", f"n{v:03}", key=f"{u}-{v}", kind="knows")
    return G


@pytest.mark.parametrize("directed", [False, True])
def test_scores_from_the_arrays_are_networkx_scores(directed):
    from kg.adjacency import Adjacency
    from kg.analysis import MEASURES, adjacency_scores

    for U in (nx.gnm_random_graph(120, 300, seed=3), nx.connected_watts_strogatz_graph(80, 4, 0.2, seed=1)):
        G = as_projection(U)
        adjacency = Adjacency.from_network(G)
        for measure in MEASURES:
            if measure == "eigenvector" and (directed or not nx.is_connected(U)):
                continue
            for sample_above in (10**6, 50):  # exact, and betweenness from sampled sources
                scores, notes = adjacency_scores(adjacency, measure, directed=directed, sample_above=sample_above)
                reference, reference_notes = centrality_scores(G, measure, directed=directed, sample_above=sample_above,
                                                               sample_size=2000)
                assert {k: v for k, v in notes.items() if k != "backend"} == {
                    k: v for k, v in reference_notes.items() if k != "backend"}
                assert max(abs(scores[adjacency.index_of(n)] - reference[n]) for n in G) < 1e-9, (measure, directed)


def test_eigenvector_on_a_graph_in_parts_says_so(kg):
    for graph in (kg, kg.network):
        with pytest.raises(BadInput, match="no single answer on a graph in [0-9,]+ parts with no tie"):
            centrality(graph, "eigenvector")
    result = runner.invoke(app, ["--data", str(ARTICLE_DATA), "centrality", "-m", "eigenvector"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output


@pytest.mark.parametrize("measure", ["degree", "betweenness", "closeness", "pagerank"])
def test_a_knowledge_graph_is_ranked_from_its_arrays_as_its_projection_is(kg, measure, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    from kg.loader import cached_kg

    cached_kg([ARTICLE_DATA]).adjacency  # writes the cache
    cached = cached_kg([ARTICLE_DATA])
    for directed in (False, True):
        for lang in ("en", "zh"):
            for cls in (None, "Person"):
                answer = centrality(cached, measure, directed=directed, lang=lang, cls=cls, top=25)
                reference = centrality(kg.network, measure, directed=directed, lang=lang, top=10**6)
                wanted = [r for r in reference["ranking"] if cls is None or r["class"] == cls][:25]
                assert [{**r, "rank": 0} for r in answer["ranking"]] == [{**r, "rank": 0} for r in wanted]
    assert "network" not in cached.__dict__  # no networkx projection was built


def test_communities_from_the_arrays_are_those_of_the_projection(kg, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    from kg.loader import cached_kg

    cached_kg([ARTICLE_DATA]).adjacency
    cached = cached_kg([ARTICLE_DATA])
    for seed, resolution, lang in ((42, 1.0, "en"), (3, 1.5, "zh")):
        assert communities(cached, seed=seed, resolution=resolution, lang=lang) == communities(
            kg.network, seed=seed, resolution=resolution, lang=lang)
    assert "network" not in cached.__dict__


def test_communities_cover_the_graph_and_are_named(kg):
    groups = communities(kg)
    assert sum(g["size"] for g in groups) == kg.network.number_of_nodes()
    assert all(g["name"].startswith(g["members"][0]["label"]) for g in groups)


def test_coinvestment_and_cocustomers(kg):
    pairs = {(p["a"]["label"], p["b"]["label"]): p for p in coinvestment(kg)}
    assert "SambaNova" in pairs[("SoftBank", "Temasek")]["shared"]
    suppliers = {frozenset((p["a"]["label"], p["b"]["label"])): p for p in cocustomers(kg)}
    assert suppliers[frozenset(("Cerebras", "SambaNova"))]["weight"] >= 2
    assert "Argonne National Laboratory" in suppliers[frozenset(("Groq", "SambaNova"))]["shared"]
