"""Hostile input files for every reader: a clear error (the reader's ValueError subclass, naming the file)
or a valid result, the same every time; never another exception."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym import datasets
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.dram.mcconfig import load_mcconfig
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.traces import read_stl
from archgym.simulators.systolic import read_config, read_topology

from .conftest import FAST

TOPOLOGY = datasets.path("workloads", "resnet18.csv").read_text()
LAYERS = datasets.path("dataflow", "alexnet.csv").read_text()
MEMSPEC = json.loads(datasets.path("dram", "memspec_ddr4_8Gb_x8_2400.json").read_text())
CFG = """[general]
run_name = fuzz

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:    64
FilterSramSzkB:   64
OfmapSramSzkB:    64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : os
Bandwidth : 10
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: CALC
"""
TRACE = "".join(f"{i}:\t{'write' if i % 3 == 0 else 'read'}\t0x{i * 64:x}\n" for i in range(20))

junk = st.one_of(st.text(max_size=12), st.sampled_from(["-1", "0", "1e400", "nan", "0x", "9" * 30, "", "  ", ",", ":"]))


def _mutate_text(data, text: str) -> str:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.integers(0, 4))
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, data.draw(junk))
        elif kind == 2:  # replace one field
            parts = lines[i].replace(":", ",").split(",")
            parts[data.draw(st.integers(0, len(parts) - 1))] = data.draw(junk)
            lines[i] = ",".join(parts)
        elif kind == 3:
            lines[i] = lines[i] * data.draw(st.integers(2, 3))
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines) + data.draw(st.sampled_from(["", "\n", "\n\n"]))


def _read_twice(reader, path, error):
    try:
        first = reader(path)
    except error as e:
        assert str(path.name) in str(e), f"the error must name the file: {e}"
        return
    second = reader(path)
    assert repr(first) == repr(second)


READERS = {
    "scalesim topology": (read_topology, ".csv", TOPOLOGY, ValueError),
    "dataflow layer table": (load_layers, ".csv", LAYERS, ValueError),
    "scalesim cfg": (read_config, ".cfg", CFG, ValueError),
    "dramsys trace": (read_stl, ".stl", TRACE, ValueError),
}


@pytest.mark.parametrize("name", sorted(READERS))
@settings(max_examples=FAST)
@given(data=st.data())
def test_mutated_text_files(name, data, tmp_path_factory):
    reader, suffix, text, error = READERS[name]
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_text(_mutate_text(data, text))
    _read_twice(reader, path, error)


@settings(max_examples=FAST)
@given(data=st.data())
def test_mutated_memspecs(data, tmp_path_factory):
    spec = copy.deepcopy(MEMSPEC)
    for _ in range(data.draw(st.integers(1, 3))):
        section = data.draw(st.sampled_from(["memarchitecturespec", "memtimingspec", "mempowerspec"]))
        key = data.draw(st.sampled_from(sorted(spec[section])))
        if data.draw(st.booleans()):
            del spec[section][key]
        else:
            spec[section][key] = data.draw(st.one_of(junk, st.integers(-5, 2**70), st.floats(allow_nan=True),
                                                     st.none(), st.booleans(), st.lists(st.integers(), max_size=2)))
    path = tmp_path_factory.mktemp("fuzz") / "memspec.json"
    path.write_text(json.dumps(spec))
    _read_twice(load_memspec, path, ValueError)


@settings(max_examples=FAST)
@given(cfg=st.dictionaries(st.sampled_from(["PagePolicy", "Scheduler", "RequestBufferSize", "MaxActiveTransactions",
                                            "RefreshPolicy", "Arbiter", "Bogus"]),
                           st.one_of(junk, st.integers(-3, 2**70), st.floats(allow_nan=True), st.none()), max_size=4))
def test_mutated_mcconfigs(cfg, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "mc.json"
    path.write_text(json.dumps(cfg))
    _read_twice(load_mcconfig, path, ValueError)
