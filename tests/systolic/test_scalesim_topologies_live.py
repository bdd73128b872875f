"""Every SCALE-Sim v3 topology archgym refuses is one SCALE-Sim 3.0's own loader cannot read either.

Issue 19 item 2 asks that every topology SCALE-Sim reads simulates. The shipped files archgym refuses
(`tests/reference/scalesim_v3/topologies`, the README's compatibility table) are loaded here with the live
``scalesim`` package, as ``scalesim.topology_utils.topologies`` loads them: as a convolution topology and as
a GEMM (``mnk``) topology, with every layer's parameters read. Each must fail in both; and each topology
archgym reads must load in one of them, or archgym must warn that SCALE-Sim drops the last field of a row that
does not end with a comma (three MobileNet files: SCALE-Sim then fails, archgym reads every field).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import pytest

from archgym.simulators.systolic.formats.scalesim import SystolicFileError, read_topology

pytest.importorskip("scalesim")
from scalesim.topology_utils import topologies  # noqa: E402

ROOT = Path(__file__).resolve().parents[1] / "reference" / "scalesim_v3" / "topologies"
FILES = sorted(ROOT.glob("**/*.csv"))


def _scalesim_loads(path: Path, gemm: bool) -> bool:
    topo = topologies()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            topo.load_arrays(str(path), mnk_inputs=gemm)
            topo.topo_calc_hyperparams(str(path))
            for i in range(topo.get_num_layers()):
                topo.get_layer_params(i)
    except (ValueError, IndexError, AssertionError, TypeError):
        return False
    return topo.get_num_layers() > 0


def test_the_shipped_topologies_are_all_here():
    assert len(FILES) == 131


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_a_topology_is_refused_only_where_scalesim_cannot_load_it(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            read_topology(path)
        except SystolicFileError as e:
            assert not _scalesim_loads(path, gemm=False) and not _scalesim_loads(path, gemm=True), (
                f"archgym refuses {path.name} ({e}) but SCALE-Sim 3.0 loads it")
            return
    if not (_scalesim_loads(path, gemm=False) or _scalesim_loads(path, gemm=True)):
        # read with every field where SCALE-Sim drops a row's last one for want of a trailing comma: warned
        assert any("does not end with a comma" in str(w.message) and "fail to read the file" in str(w.message)
                   for w in caught), f"archgym reads {path.name} silently; SCALE-Sim 3.0 cannot load it"
