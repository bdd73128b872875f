"""Which of the reference tools' own shipped files archgym reads: the compatibility table of the README.

Walks the files the tools ship, as they ship them (copied into ``tests/reference/``: ``dramsys_configs/``,
``scalesim_v3/``, ``timeloop_exercises/``, ``zigzag_inputs/``), reads (or, for DRAMSys's simulation files,
simulates) each with archgym, and counts what is read and what is refused, grouped by the reason archgym gives.

    python benchmarks/compatibility.py           # print the table
    python benchmarks/compatibility.py --save    # also write it into README.md and benchmarks/results/compatibility.md

``tests/test_compatibility.py`` checks that the README's table is what this walk gives today, so it
cannot go stale.
"""

from __future__ import annotations

import argparse
import csv
import re
import warnings
from collections import Counter
from pathlib import Path

from archgym.simulators.dataflow.formats.zigzag import (
    evaluate_layer,
    parse_spatial,
    parse_temporal,
    read_hardware,
    read_mapping,
    read_onnx,
)
from archgym.simulators.dataflow.timeloop.spec import read_hierarchy, read_mapper, read_problem
from archgym.simulators.dataflow.timeloop.tagged_yaml import load as load_timeloop
from archgym.simulators.dataflow.validation.zigzag_examples import EXAMPLES as ZIGZAG_EXAMPLES
from archgym.simulators.dram.mcconfig import load_mcconfig
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.simulation import simulate_file
from archgym.simulators.dram.traces import read_stl
from archgym.simulators.systolic.formats.scalesim import read_config, read_layout, read_topology

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
START, END = "<!-- compatibility:start -->", "<!-- compatibility:end -->"



def read_timeloop_file(path: Path) -> None:
    """One Timeloop specification file on its own: its tags and expressions, and every section that
    stands alone (architecture, problem, mapper). Mappings and constraints need their exercise's
    architecture and problem; ``tests/dataflow/test_timeloop_exercises.py`` reads them with it."""
    data = load_timeloop(path)
    if "architecture" in data:
        read_hierarchy(data, str(path), {})
    if "problem" in data:
        read_problem(data, str(path))
    if "mapper" in data:
        read_mapper(data, str(path))


def read_scalesim_layout(path: Path) -> None:
    """A SCALE-Sim layout CSV as SCALE-Sim uses it: its first row, as an ifmap and as a filter layout."""
    row = read_layout(path)
    row.operand(0, 1, 1)
    row.operand(1, 1, 1)


def read_zigzag_hardware(path: Path) -> None:
    """A ZigZag hardware file, as far as this model's architecture (what a simulation needs)."""
    read_hardware(path).architecture()


#: ZigZag's examples on hardware with memories shared along crossing array dimensions (zigzag_crossing_*.csv)
ZIGZAG_CROSSING_EXAMPLES = (
    ("edge_tpu_like_alexnet", "hardware/edge_tpu_like.yaml", "mapping/edge_tpu_like.yaml", "workload/alexnet.onnx"),
    ("meta_prototype_alexnet", "hardware/meta_prototype.yaml", "mapping/meta_prototype_like.yaml",
     "workload/alexnet.onnx"),
)


def walk_zigzag_example_layers() -> dict:
    """ZigZag's own examples layer by layer, with the mappings its search chose (``zigzag_example_layers.csv``,
    ``zigzag_crossing_layers.csv``, measured on live ZigZag): a layer is read when this model expresses its mapping; its counts and energy
    then equal ZigZag's (``tests/dataflow/test_zigzag_examples.py``)."""
    folder = REF / "zigzag_inputs"
    rows = []
    for name in ("zigzag_example_layers.csv", "zigzag_crossing_layers.csv"):
        with (folder / name).open() as f:
            rows += list(csv.DictReader(f))
    refused: Counter = Counter()
    for experiment, hw, mp, wl in ZIGZAG_EXAMPLES + ZIGZAG_CROSSING_EXAMPLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hardware, mapping, workload = read_hardware(folder / hw), read_mapping(folder / mp), read_onnx(folder / wl)
        layers = {ly.name: ly for ly in workload.layers}
        for row in (r for r in rows if r["experiment"] == experiment):
            layer = layers[row["layer"]]
            za = hardware.architecture(mapping.entry_for(layer.name, workload.operator_type(layer)).links)
            try:
                evaluate_layer(za, layer, parse_temporal(row["temporal_mapping"]), parse_spatial(row["spatial_mapping"]),
                               where=f"{experiment} {layer.name}")
            except ValueError as e:
                why = re.sub(r"unrolling D\d+ (\w+): [\d.]+ \(\d+ on \d+ lanes\)", r"unrolling of \1", reason(str(e)))
                refused[why] += 1
    return {"tool": "ZigZag 3.9.1", "kind": "example layer (its chosen mapping)", "files": len(rows),
            "read": len(rows) - sum(refused.values()),
            "refused": dict(sorted(refused.items(), key=lambda kv: (-kv[1], kv[0])))}


#: (tool and version, kind of file, folder, glob or globs, reader)
WALKS = [
    ("DRAMSys (main `2107966`)", "memspec", "dramsys_configs/memspec", "*.json", load_memspec),
    ("DRAMSys (main `2107966`)", "simulation file (`--config`)", "dramsys_configs", "*.json", simulate_file),
    ("DRAMSys (main `2107966`)", "mcconfig", "dramsys_configs/mcconfig", "*.json", load_mcconfig),
    ("DRAMSys (main `2107966`)", "trace (`.stl`)", "dramsys_configs/traces", "*.stl", read_stl),
    ("SCALE-Sim v3 (`fab89b7`)", "cfg", "scalesim_v3/configs", "*.cfg", read_config),
    ("SCALE-Sim v3 (`fab89b7`)", "topology CSV", "scalesim_v3/topologies", "**/*.csv", read_topology),
    ("SCALE-Sim v3 (`fab89b7`)", "layout CSV (`-l`)", "scalesim_v3/layouts", "**/*.csv", read_scalesim_layout),
    ("Timeloop/Accelergy exercises (`2d55108`)", "specification YAML (v0.4)", "timeloop_exercises",
     ("ispass2020/**/*.yaml*", "dse2024/**/*.yaml*", "example_designs/**/*.yaml*"), read_timeloop_file),
    ("Timeloop/Accelergy exercises (2020, `1be0685`)", "specification YAML (v0.3)", "timeloop_exercises",
     "ispass2020-v03/**/*.yaml", read_timeloop_file),
    ("ZigZag 3.9.1", "hardware YAML", "zigzag_inputs/hardware", "*.yaml", read_zigzag_hardware),
    ("ZigZag 3.9.1", "mapping YAML", "zigzag_inputs/mapping", "*.yaml", read_mapping),
    ("ZigZag 3.9.1", "ONNX workload", "zigzag_inputs/workload", "*.onnx", read_onnx),
]


def reason(message: str) -> str:
    """The reason of a refusal, short, without the file, line and values that differ from file to file."""
    text = message.split("\n")[0].replace(str(ROOT) + "/", "")
    text = re.sub(r"^.*?(, line \d+)?(, field '([^']*)')?: ", lambda m: f"{m.group(3)}: " if m.group(3) else "", text, count=1)
    text = re.sub(r"^field ", "", text)
    text = re.sub(r" \([^()]*,[^()]*\)", "", text)  # lists of allowed or expected names
    text = re.sub(r"got \d+: '.*'$", "got another count", text)
    text = re.sub(r"unrecognised header '.*?';.*$", "unrecognised header (not comma-separated)", text)
    text = re.sub(r"sparsity ratio '\d+:\d+'", "an N:M sparsity ratio", text)
    text = re.sub(r"value '[^']*'", "a value", text)
    return text.split("; ")[0].strip()


def walk() -> list[dict]:
    """One row per (tool, kind of file): counts read / refused and the reasons for refusing."""
    rows = []
    for tool, kind, folder, pattern, reader in WALKS:
        patterns = (pattern,) if isinstance(pattern, str) else pattern
        files = sorted(p for g in patterns for p in (REF / folder).glob(g)
                       if p.is_file() and "ERT" not in p.name and "ART" not in p.name)
        refused: Counter = Counter()
        for f in files:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    reader(f)
                except ValueError as e:
                    refused[reason(str(e))] += 1
        rows.append({"tool": tool, "kind": kind, "files": len(files), "read": len(files) - sum(refused.values()),
                     "refused": dict(sorted(refused.items(), key=lambda kv: (-kv[1], kv[0])))})
    rows.append(walk_zigzag_example_layers())
    return rows


def table(rows: list[dict]) -> str:
    """The rows as the README's markdown table."""
    out = ["| tool | files | read | refused (why) |", "|---|---|---|---|"]
    for r in rows:
        why = "; ".join(f"{n} x {w.replace('|', '/')}" for w, n in r["refused"].items()) or "-"
        out.append(f"| {r['tool']} | {r['kind']}: {r['files']} | {r['read']} | {why} |")
    return "\n".join(out)


def readme_block(text: str) -> str:
    """The table currently between the README's markers."""
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--save", action="store_true", help="write the table into README.md and benchmarks/results/")
    args = ap.parse_args()
    md = table(walk())
    print(md)
    if args.save:
        readme = ROOT / "README.md"
        text = readme.read_text()
        readme_block(text)
        head, rest = text.split(START, 1)
        readme.write_text(f"{head}{START}\n{md}\n{END}{rest.split(END, 1)[1]}")
        (ROOT / "benchmarks" / "results" / "compatibility.md").write_text(
            "# Compatibility with the tools' shipped files\n\nMade by `python benchmarks/compatibility.py --save`.\n\n" + md + "\n")


if __name__ == "__main__":
    main()
