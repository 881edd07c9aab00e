"""The notebooks run headless, top to bottom, without errors (stored without outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# In order: 02 reuses the outputs 01 wrote (else it replays the sample itself).
NAMES = ["01_quickstart.ipynb", "02_investigate_vessel.ipynb", "03_tuning.ipynb"]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("notebook_out")


def test_notebooks_present_and_stored_without_outputs():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, out_dir, monkeypatch):
    monkeypatch.setenv("GNSS_WATCH_NOTEBOOK_OUT", str(out_dir))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    if name == NAMES[0]:
        assert (out_dir / "events.csv").is_file() and (out_dir / "zones.geojson").is_file()
