"""Issue 13 item 5: a file that is not UTF-8 text is refused by every reader with an error of the
reader's ValueError subclass naming the file and the line of the bad byte (never a bare UnicodeDecodeError)."""

from __future__ import annotations

import pytest

from archgym.simulators.dataflow.formats.timeloop import read_problem
from archgym.simulators.dataflow.network import load_layers
from archgym.simulators.dram.addressmap import load_mapping
from archgym.simulators.dram.mcconfig import load_mcconfig
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.traces import read_stl
from archgym.simulators.soc.taskgraph import load_task_graph
from archgym.simulators.systolic import read_config, read_topology

READERS = {
    "scalesim topology": (read_topology, ".csv"),
    "scalesim cfg": (read_config, ".cfg"),
    "layer table": (load_layers, ".csv"),
    "timeloop problem": (read_problem, ".yaml"),
    "dramsys memspec": (load_memspec, ".json"),
    "dramsys mcconfig": (load_mcconfig, ".json"),
    "dramsys address mapping": (load_mapping, ".json"),
    "dramsys trace": (read_stl, ".stl"),
    "task graph": (load_task_graph, ".json"),
}


@pytest.mark.parametrize("name", sorted(READERS))
def test_non_utf8_file_is_named_with_its_line(name, tmp_path):
    reader, suffix = READERS[name]
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(b"first line\nsecond \xff line\n")
    with pytest.raises(ValueError, match=r"bad\.[a-z]+.*line 2: byte 0xff is not UTF-8 text") as info:
        reader(path)
    assert not isinstance(info.value, UnicodeDecodeError)
