"""notebooks/surrogates.ipynb runs top to bottom (executed with nbclient, as CI does) and shows its plots."""

from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "surrogates.ipynb"


@pytest.mark.slow  # 90 s: the surrogate tests cover its steps; this runs the notebook as a reader would
def test_notebook_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # five figures: error by metric, Kendall tau by metric, predicted vs simulated, learning curve (+ none hidden)
    assert len(images) >= 4, f"expected the notebook's plots as PNG outputs, got {len(images)}"
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors
