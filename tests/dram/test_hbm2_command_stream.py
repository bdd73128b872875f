"""HBM2 command by command against DRAMSys 5 (commit 6b01467, Release build): every command's cycle, rank and bank,
and every request's BEGIN_REQ and BEGIN_RESP, on prefixes of the HBM2 ``mixed`` reference traces.

The figures are DRAMSys's own trace database (``tests/reference/dram_hbm2_command_stream``, see its README):
these prefixes contain the cycles where the model used to issue a row command one cycle late (a response held
behind an END_RESP moved the next step to the next cycle although a row command could still follow a column
command on HBM2's second bus in this cycle). Commands within one cycle are compared as a set: the two buses
carry one each, and the database's order within a cycle is not the issue order.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from archgym.simulators.dram.mcconfig import load_mcconfig
from archgym.simulators.dram.simulation import PreparedChannel

from . import lpddr4_hbm2_traces as traces

REF = Path(__file__).resolve().parents[1] / "reference"
STREAMS = REF / "dram_hbm2_command_stream"
CONFIGS = REF / "dram_lpddr4_hbm2" / "configs"
#: DRAMSys phase names -> the model's command names
NAMES = {"PREPB": "PRE", "PREAB": "PREA", "REFAB": "REF"}
CASES = [("mixed_g8.stl", 600, "open_frfcfs"), ("mixed_g1.stl", 2000, "closed_frfcfs"),
         ("mixed_g1.stl", 2000, "open_frfcfs_noref")]
#: DRAMSys's stdout "Total Time" of each run (README)
TOTAL_NS = {("mixed_g8.stl", 600, "open_frfcfs"): 4846, ("mixed_g1.stl", 2000, "closed_frfcfs"): 6675,
            ("mixed_g1.stl", 2000, "open_frfcfs_noref"): 6740}
#: sha256 of the trace prefixes DRAMSys ran (README)
PREFIX_SHA256 = {("mixed_g8.stl", 600): "913be776748a682b955468c9f323434ec4f5457c3ee7a26bc1e6405db7139cd3",
                 ("mixed_g1.stl", 2000): "0f91463dec9ecdbf636f4a40c64c3c19f21f791a868890354e6d6bb2b4ebfca6"}


def _prefix(tmp: Path, trace: str, n: int) -> Path:
    import hashlib

    tset = "hbm2_8Gb_pc_brc"
    manifest = json.loads((REF / "dram_lpddr4_hbm2" / "traces_manifests" / f"{tset}.manifest.json").read_text())
    full = traces.write_traces(tset, tmp, manifest, names={trace})[trace]
    text = "".join(Path(full).read_text().splitlines(keepends=True)[:n])
    assert hashlib.sha256(text.encode()).hexdigest() == PREFIX_SHA256[trace, n]
    out = tmp / f"{trace}.first{n}"
    out.write_text(text)
    return out


@pytest.mark.parametrize("trace,n,variant", CASES)
def test_hbm2_command_stream_equals_dramsys(trace, n, variant, tmp_path):
    stem = f"{trace.removesuffix('.stl')}_first{n}_{variant}"
    ref_cmd = pd.read_csv(STREAMS / f"{stem}_commands.csv.gz")
    ref_req = pd.read_csv(STREAMS / f"{stem}_requests.csv.gz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # HBM2.json gives no currents: energy NaN
        ch = PreparedChannel(CONFIGS / "memspec" / "HBM2.json", _prefix(tmp_path, trace, n),
                             CONFIGS / "addressmapping" / "am_hbm2_8Gb_pc_brc.json")
    res = ch.run(load_mcconfig(CONFIGS / "mcconfig" / f"{variant}.json"), keep_commands=True, keep_requests=True)
    c = res.commands
    names = c["names"]
    bpr = 16  # banks per pseudo channel
    model = sorted((int(t), names[k], int(r), -1 if names[k] in ("PREA", "REF") else int(b))
                   for t, k, r, b in zip(c["cycle"], c["command"], c["rank"], c["bank"]))
    dramsys = sorted((int(t), NAMES.get(k, k), int(r), int(b))
                     for t, k, r, b in zip(ref_cmd.cycle, ref_cmd.command, ref_cmd["rank"], ref_cmd.bank))
    assert len(model) == len(dramsys)
    first = next((i for i, (x, y) in enumerate(zip(model, dramsys)) if x != y), None)
    assert first is None, f"first difference at command {first}: model {model[first]}, DRAMSys {dramsys[first]}"
    assert all(b < 0 or b // bpr == r for _, _, r, b in model)
    r = res.requests
    assert list(r["begin_req"]) == list(ref_req.begin_req)
    assert list(r["begin_resp"]) == list(ref_req.begin_resp)
    assert res.metrics["total_cycles"] == TOTAL_NS[trace, n, variant]  # tCK = 1 ns
