"""The guided notebook runs top to bottom on the bundled data, and is stored without outputs."""

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "who-connects-to-whom.ipynb"

nbformat = pytest.importorskip("nbformat", reason="nbformat is a test dependency: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="nbclient is a test dependency: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel is a test dependency: pip install -e '.[test]'")


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"stored with outputs: {cell.source[:60]!r}"


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A kernel spec for this very interpreter, so the notebook runs in the venv under test.

    A system-wide ``python3`` kernel could point at another Python without kg;
    a spec on JUPYTER_PATH with its own name cannot be shadowed.
    """
    spec = tmp_path / "kernels" / "chipskg-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "chips-kg tests", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("KG_DATA", raising=False)  # the tour is about the bundled data
    return "chipskg-test"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for key in ("text/plain", "text/html"):
            value = out.get("data", {}).get(key)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "".join(parts)


def test_notebook_runs_top_to_bottom(kernel_name):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name=kernel_name, timeout=300, allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the cell that failed

    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [_text(c) for c in code]
    assert all(c.execution_count for c in code)
    everything = "\n".join(outputs)
    # The SPARQL answers come out as tables.
    assert everything.count("<table") >= 4, "expected pandas tables for the SPARQL and centrality cells"
    # The path question is answered and explained with its sources, as the prose around it says.
    assert "Nvidia → Graphcore: 3 hops" in everything
    assert "Nvidia acquired Icera" in everything and "founded Graphcore" in everything
    assert "AMD acquired SeaMicro" in everything  # the k=3 routes the prose describes
    # The interactive view is inline, self-contained and sandboxed.
    view = outputs[-1]
    assert '<iframe sandbox="allow-scripts"' in view and "srcdoc=" in view
    assert "Consider using IPython.display.IFrame" not in everything
    assert "vis-network" in view and "https://cdn" not in view
